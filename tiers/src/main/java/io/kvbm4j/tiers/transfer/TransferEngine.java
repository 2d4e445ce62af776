package io.kvbm4j.tiers.transfer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Moves block payloads between tiers on its own thread, so the serving thread never waits for a copy.
 * An Agrona {@link Agent}: its duty cycle ({@link #doWork}) takes requests, runs copies, polls asynchronous
 * copies and posts completions. In production an {@link AgentRunner} runs it on its own thread; built
 * with {@code onCallerThread}, an {@link AgentInvoker} runs it only when the owner calls {@link #invoke()}
 * (tests: every step deterministic, on the test's thread).
 *
 * <pre>
 *  serving thread (owner)                       transfer thread ("NAME-transfer")
 *  ──────────────────────                       ─────────────────────────────────
 *  claim() a free record  ── none: caller drops the offload / answers "not now"
 *  fill, submit() ───────> requests  (SPSC, bounded) ──> start ≤ maxInFlight at once:
 *                                                      checksum, copy runs, finish/poll
 *  pollCompleted() <────── completions (SPSC, bounded) <── every block DONE|FAILED|CANCELLED|TIMED_OUT
 *  apply to pools, recycle()
 * </pre>
 *
 * <p>Owns: {@code maxInFlight + maxQueued} preallocated {@link Transfer} records, the two queues, the thread.
 * Bounds: at most {@code maxInFlight + maxQueued} records are outstanding (claimed and not yet recycled);
 * {@link #claim()} answers null beyond that, and the transfer thread runs at most {@code maxInFlight}
 * at a time (an asynchronous copier keeps that many in flight). Both queues hold every record, so an
 * offer never fails.
 *
 * <p>Concurrency (thread mode): {@link #claim}, {@link #submit}, {@link #pollCompleted}, {@link #recycle},
 * {@link #outstanding} and {@link #stop} belong to one owner thread; a record belongs to whoever holds it
 * (see {@link Transfer}). Counters readable from any thread. In invoker mode the owner thread is also the
 * transfer thread: {@link #invoke()} runs one duty cycle there.
 *
 * <p>Invariants: every submitted record comes back exactly once through {@link #pollCompleted()}, every
 * block settled to a final outcome; a block is DONE only if its copy finished before the deadline and its
 * checksum (when checked) matched.
 */
public final class TransferEngine implements Agent
{
    private static final System.Logger LOG = System.getLogger(TransferEngine.class.getName());

    private final Transfer[] records;
    private final int[] free;
    private int freeCount;
    private final OneToOneConcurrentArrayQueue<Transfer> requests;
    private final OneToOneConcurrentArrayQueue<Transfer> completions;
    private final Transfer[] inFlight;
    private int inFlightCount;
    private final int maxInFlight;
    private final BlockCopier copier;
    private final NanoClock clock;
    private final String roleName;
    /** Thread mode: the agent runner's thread; null in invoker mode. */
    private final Thread thread;
    /** Invoker mode: runs the duty cycle on the owner's thread; null in thread mode. */
    private final AgentInvoker invoker;
    private final AtomicLong copies = new AtomicLong();
    private final AtomicLong copiedBytes = new AtomicLong();
    private volatile boolean stopping;
    private Thread owner;

    /**
     * Creates the records and queues and starts the transfer thread.
     *
     * @param maxInFlight transfers the transfer thread works on at once, at least 1.
     * @param maxQueued   transfers that may wait behind those, at least 0.
     * @param maxBlocks   blocks per transfer (the largest batch), at least 1.
     */
    public TransferEngine(
        final int maxInFlight, final int maxQueued, final int maxBlocks, final BlockCopier copier,
        final NanoClock clock, final String name)
    {
        this(maxInFlight, maxQueued, maxBlocks, copier, clock, name, false);
    }

    /**
     * Creates the records and queues and starts the transfer thread, or, with {@code onCallerThread}, an
     * invoker: nothing moves until the owner calls {@link #invoke()} (for tests).
     */
    public TransferEngine(
        final int maxInFlight, final int maxQueued, final int maxBlocks, final BlockCopier copier,
        final NanoClock clock, final String name, final boolean onCallerThread)
    {
        if (maxInFlight < 1 || maxQueued < 0 || maxBlocks < 1)
        {
            throw new IllegalArgumentException("maxInFlight " + maxInFlight + " (>= 1), maxQueued " + maxQueued +
                " (>= 0), maxBlocks " + maxBlocks + " (>= 1)");
        }
        final int total = maxInFlight + maxQueued;
        this.records = new Transfer[total];
        this.free = new int[total];
        for (int i = 0; i < total; i++)
        {
            records[i] = new Transfer(i, maxBlocks);
            free[total - 1 - i] = i;
        }
        this.freeCount = total;
        this.requests = new OneToOneConcurrentArrayQueue<>(total);
        this.completions = new OneToOneConcurrentArrayQueue<>(total);
        this.inFlight = new Transfer[maxInFlight];
        this.maxInFlight = maxInFlight;
        this.copier = copier;
        this.clock = clock;
        this.roleName = name + "-transfer";
        if (onCallerThread)
        {
            this.thread = null;
            this.invoker = new AgentInvoker(TransferEngine::onError, null, this);
            invoker.start();
        }
        else
        {
            // Spin, yield, then park at most 100 µs: an onboard waits at most that long to be picked up.
            final AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 100_000),
                TransferEngine::onError, null, this);
            this.invoker = null;
            this.thread = AgentRunner.startOnThread(runner, r ->
            {
                final Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            });
        }
    }

    private static void onError(final Throwable ex)
    {
        if (!(ex instanceof AgentTerminationException)) // the end of a stop, not a fault
        {
            LOG.log(System.Logger.Level.WARNING, "transfer duty cycle failed", ex);
        }
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /** True when the duty cycle runs only on {@link #invoke()} (no thread of its own). */
    public boolean invokerMode()
    {
        return invoker != null;
    }

    /**
     * Invoker mode: runs one duty cycle on the caller's (the owner's) thread.
     *
     * @return the work done (requests taken, transfers finished); 0 when idle or stopped.
     */
    public int invoke()
    {
        if (invoker == null)
        {
            throw new IllegalStateException(roleName + " runs on its own thread, not on an invoker");
        }
        assert ownedByCaller() : "transfer engine owned by " + owner;
        return invoker.invoke();
    }

    private boolean ownedByCaller()
    {
        final Thread current = Thread.currentThread();
        if (owner == null)
        {
            owner = current;
        }
        return owner == current;
    }

    /** Records available to all: in flight + queued. */
    public int capacity()
    {
        return records.length;
    }

    /** Records claimed and not yet recycled (queued, in flight, completed or being filled). Owner thread. */
    public int outstanding()
    {
        return records.length - freeCount;
    }

    /** The record at {@code index} (for owner-side bookkeeping by index). */
    public Transfer record(final int index)
    {
        return records[index];
    }

    /** A free record, or null when {@code maxInFlight + maxQueued} are outstanding. Owner thread. */
    public Transfer claim()
    {
        assert ownedByCaller() : "transfer engine owned by " + owner;
        return freeCount == 0 || stopping ? null : records[free[--freeCount]];
    }

    /** Hands a filled record to the transfer thread (never fails: the queue holds every record). */
    public void submit(final Transfer transfer)
    {
        assert ownedByCaller() : "transfer engine owned by " + owner;
        transfer.submittedNanos = clock.nanoTime(); // the queue's release orders it before the transfer thread's reads
        if (!requests.offer(transfer))
        {
            throw new IllegalStateException("request queue full with " + outstanding() + " records outstanding");
        }
    }

    /** A finished record, or null. Owner thread. */
    public Transfer pollCompleted()
    {
        assert ownedByCaller() : "transfer engine owned by " + owner;
        return completions.poll();
    }

    /** The next finished record without taking it (so the owner can leave it for a later call), or null. */
    public Transfer peekCompleted()
    {
        assert ownedByCaller() : "transfer engine owned by " + owner;
        return completions.peek();
    }

    /** Gives a record back (claimed and never submitted, or completed and applied). Owner thread. */
    public void recycle(final Transfer transfer)
    {
        assert ownedByCaller() : "transfer engine owned by " + owner;
        free[freeCount++] = transfer.index();
    }

    /** True once {@link #stop} was called; any thread. */
    public boolean stopping()
    {
        return stopping;
    }

    /** Copies issued (one per run of adjacent blocks); any thread. */
    public long copies()
    {
        return copies.get();
    }

    /** Payload bytes copied; any thread. */
    public long copiedBytes()
    {
        return copiedBytes.get();
    }

    /**
     * Stops the transfer thread: requests not yet started end CANCELLED, transfers in flight finish (or time
     * out), then the thread exits. Returns once it has, or after {@code timeout}.
     *
     * @return true when the thread ended in time; false when it is stuck in a copy (it is then abandoned: a
     * daemon thread that still owns the records it holds).
     */
    public boolean stop(final long timeout, final TimeUnit unit)
    {
        stopping = true; // volatile write: the transfer thread sees it at its next loop
        if (invoker != null)
        {
            final long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (invoker.isRunning() && System.nanoTime() - deadline < 0)
            {
                invoker.invoke(); // cancels the queue, finishes what is in flight, then terminates
            }
            if (invoker.isRunning())
            {
                LOG.log(System.Logger.Level.WARNING, roleName + " did not settle within " + unit.toMillis(timeout) +
                    " ms; abandoned");
                return false;
            }
            copier.close();
            return true;
        }
        try
        {
            thread.join(Math.max(1, unit.toMillis(timeout)));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive())
        {
            LOG.log(System.Logger.Level.WARNING, thread.getName() + " did not stop within " + unit.toMillis(timeout) +
                " ms; abandoned");
            return false;
        }
        copier.close();
        return true;
    }

    /**
     * One duty cycle (transfer thread, or the owner through {@link #invoke()}): starts queued requests up to
     * {@code maxInFlight}, polls the asynchronous copies in flight, posts what finished. After {@link #stop}
     * it cancels the queue and, once nothing is in flight, ends the agent.
     *
     * @return the work done: requests taken plus asynchronous copies finished.
     */
    @Override
    public int doWork()
    {
        int work = 0;
        while (inFlightCount < maxInFlight)
        {
            final Transfer t = requests.poll();
            if (t == null)
            {
                break;
            }
            work++;
            if (stopping)
            {
                t.settlePending(TransferOutcome.CANCELLED);
                complete(t);
            }
            else
            {
                start(t);
            }
        }
        for (int i = inFlightCount - 1; i >= 0; i--)
        {
            final Transfer t = inFlight[i];
            final int r = pollCopier(t);
            if (r != TransferOutcome.PENDING)
            {
                work++;
                inFlight[i] = inFlight[--inFlightCount];
                inFlight[inFlightCount] = null;
                if (r == TransferOutcome.FAILED)
                {
                    t.settlePending(TransferOutcome.FAILED);
                }
                afterCopy(t);
            }
        }
        work += copierDuty();
        if (stopping && inFlightCount == 0 && requests.isEmpty())
        {
            throw new AgentTerminationException(roleName + " stopped"); // once, at shutdown
        }
        return work;
    }

    /** Posts a finished record to the owner, stamped with its completion time. Transfer thread. */
    private void complete(final Transfer t)
    {
        t.completedNanos = clock.nanoTime();
        completions.offer(t); // never fails: the queue holds every record
    }

    private int copierDuty()
    {
        try
        {
            return copier.duty();
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "copier duty failed", ex);
            return 0;
        }
    }

    private int pollCopier(final Transfer t)
    {
        try
        {
            return copier.poll(t);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "copier poll failed", ex);
            return TransferOutcome.FAILED;
        }
    }

    private void start(final Transfer t)
    {
        if (clock.nanoTime() - t.deadlineNanos() > 0)
        {
            t.settlePending(TransferOutcome.TIMED_OUT);
            complete(t);
            return;
        }
        final SlotMemory src = t.source();
        final SlotMemory dst = t.destination();
        final long bytes = src.payloadBytes();
        final int n = t.count();
        if (t.checksummed())
        {
            if (t.direction() == Transfer.OFFLOAD && hashable(src))
            {
                // Taken from the bytes being written; the copy is compared with them once it is made (afterCopy).
                for (int i = 0; i < n; i++)
                {
                    t.checksums[i] = PayloadChecksum.of(src.address(t.srcSlots[i]), bytes);
                }
            }
            else if (t.direction() == Transfer.ONBOARD && !hashable(dst))
            {
                // The device cannot be read here: verify the host copy before it goes up.
                for (int i = 0; i < n; i++)
                {
                    if (PayloadChecksum.of(src.address(t.srcSlots[i]), bytes) != t.checksums[i])
                    {
                        t.outcomes[i] = TransferOutcome.FAILED;
                        t.mismatch[i] = true;
                    }
                }
            }
        }
        int i = 0;
        while (i < n)
        {
            if (t.outcomes[i] != TransferOutcome.PENDING)
            {
                i++;
                continue;
            }
            int run = 1;
            while (i + run < n && t.outcomes[i + run] == TransferOutcome.PENDING &&
                t.srcSlots[i + run] == t.srcSlots[i] + run && t.dstSlots[i + run] == t.dstSlots[i] + run &&
                src.contiguous(t.srcSlots[i], run + 1) && dst.contiguous(t.dstSlots[i], run + 1))
            {
                run++;
            }
            int r;
            try
            {
                r = copier.copy(src, t.srcSlots[i], dst, t.dstSlots[i], run, t);
            }
            catch (final RuntimeException ex)
            {
                LOG.log(System.Logger.Level.WARNING, "copier failed", ex);
                r = TransferOutcome.FAILED;
            }
            copies.setRelease(copies.getPlain() + 1); // single writer: this thread
            if (r == TransferOutcome.FAILED)
            {
                for (int b = i; b < i + run; b++)
                {
                    t.outcomes[b] = TransferOutcome.FAILED;
                }
            }
            else
            {
                copiedBytes.setRelease(copiedBytes.getPlain() + run * bytes);
            }
            i += run;
        }
        int f;
        try
        {
            f = copier.finish(t);
        }
        catch (final RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "copier finish failed", ex);
            f = TransferOutcome.FAILED;
        }
        if (f == TransferOutcome.PENDING)
        {
            inFlight[inFlightCount++] = t;
            return;
        }
        if (f == TransferOutcome.FAILED)
        {
            t.settlePending(TransferOutcome.FAILED);
        }
        afterCopy(t);
    }

    /**
     * The checksum is of the block's bytes in the contiguous layout: taken where a block lies in one piece
     * of host memory (G2 always does; a device or layer-separate G1 does not). Such a block can also be
     * compared byte for byte with another.
     */
    private static boolean hashable(final SlotMemory memory)
    {
        return memory.hostAccessible() && memory.regions() == 1;
    }


    private void afterCopy(final Transfer t)
    {
        if (clock.nanoTime() - t.deadlineNanos() > 0)
        {
            t.settlePending(TransferOutcome.TIMED_OUT); // late bytes are not trusted to be wanted: a miss
        }
        final SlotMemory src = t.source();
        final SlotMemory dst = t.destination();
        final long bytes = src.payloadBytes();
        final int n = t.count();
        if (t.checksummed())
        {
            if (t.direction() == Transfer.OFFLOAD && !hashable(src))
            {
                for (int i = 0; i < n; i++)
                {
                    t.checksums[i] = PayloadChecksum.of(dst.address(t.dstSlots[i]), bytes);
                }
            }
            else if (t.direction() == Transfer.OFFLOAD && hashable(dst))
            {
                // The checksum was taken from the source: check that the copy holds those very bytes, so a copy
                // that went wrong never becomes the lower tier's truth (compared, not hashed: the source's
                // checksum is the one just taken).
                for (int i = 0; i < n; i++)
                {
                    if (t.outcomes[i] == TransferOutcome.PENDING &&
                        !PayloadChecksum.sameBytes(src.address(t.srcSlots[i]), dst.address(t.dstSlots[i]), bytes))
                    {
                        t.outcomes[i] = TransferOutcome.FAILED;
                        t.mismatch[i] = true;
                    }
                }
            }
            else if (t.direction() == Transfer.ONBOARD && hashable(dst))
            {
                // Verify what actually landed: catches a bad source and a bad copy alike. A source verified just
                // before (a read its tier checked) is compared with the copy instead: equal bytes, same checksum.
                final boolean compare = hashable(src);
                for (int i = 0; i < n; i++)
                {
                    if (t.outcomes[i] == TransferOutcome.PENDING &&
                        !(compare && t.sourceVerified[i] ?
                            PayloadChecksum.sameBytes(src.address(t.srcSlots[i]), dst.address(t.dstSlots[i]), bytes) :
                            PayloadChecksum.of(dst.address(t.dstSlots[i]), bytes) == t.checksums[i]))
                    {
                        t.outcomes[i] = TransferOutcome.FAILED;
                        t.mismatch[i] = true;
                    }
                }
            }
        }
        t.settlePending(TransferOutcome.DONE);
        complete(t);
    }
}
