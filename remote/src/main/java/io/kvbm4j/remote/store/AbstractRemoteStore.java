package io.kvbm4j.remote.store;

import java.util.concurrent.atomic.AtomicLongArray;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.NanoClock;

import io.kvbm4j.remote.RemoteCompletionHandler;
import io.kvbm4j.remote.RemoteCounter;
import io.kvbm4j.remote.RemoteHealth;
import io.kvbm4j.remote.RemoteOpKind;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.value.BlockKeys;

/**
 * What every G4 backend shares: the preallocated call records, the completion queue, deadlines, counters and the
 * HEALTHY/DEGRADED state machine with its health probe. A backend only starts I/O ({@link #startLookup} ...)
 * and reports answers ({@link #complete}) from its I/O threads.
 *
 * <p>Owns: {@code maxInFlight} user records and one probe record (a {@link OpRecord} each), the free stack, the
 * failure run and the health state. Concurrency: owned by one thread (submits, {@link #poll}); checked by assert.
 * I/O threads touch a record only between hand-over and {@link #complete} (see {@link OpRecord}'s state diagram),
 * and reach the owner only through the {@link ManyToOneConcurrentArrayQueue} of completions, sized to hold every
 * record, so an offer never fails. Counters are atomic and readable anywhere.
 *
 * <p>Invariants: {@code free + inFlight == maxInFlight} (user records); a record is delivered exactly once per
 * call (DONE, or TIMED_OUT then dropped when its late answer comes), and recycled only after the I/O side handed
 * it back, so an answer can never land in a record that already carries another call.
 */
public abstract class AbstractRemoteStore implements RemoteStore
{
    private static final System.Logger LOG = System.getLogger(RemoteStore.class.getName());

    protected final RemoteConfig config;
    protected final BlockKeys keys;
    protected final NanoClock clock;
    private final AtomicLongArray counters = new AtomicLongArray(RemoteCounter.values().length);
    private final OpRecord[] records;
    private final OpRecord probe;
    private final int[] freeStack;
    private int freeTop;
    private final ManyToOneConcurrentArrayQueue<OpRecord> completions;
    private final long timeoutNanos;
    private final long healthIntervalNanos;
    private final int maxLookupIds;
    private volatile RemoteHealth health = RemoteHealth.HEALTHY;
    private int failuresInARow;
    private long nextProbeNanos;
    private boolean probeInFlight;
    private Thread owner;
    private volatile String lastFailure;

    protected AbstractRemoteStore(final RemoteConfig config, final int keyLength, final NanoClock clock)
    {
        this.config = config;
        this.keys = new BlockKeys(config.namespace());
        this.clock = clock;
        this.maxLookupIds = config.maxLookupIds();
        final int n = config.maxInFlight();
        this.records = new OpRecord[n];
        this.freeStack = new int[n];
        for (int i = 0; i < n; i++)
        {
            records[i] = new OpRecord(i, maxLookupIds, keyLength);
            freeStack[i] = n - 1 - i;
        }
        this.freeTop = n;
        this.probe = new OpRecord(n, 1, keyLength);
        this.probe.internal = true;
        this.completions = new ManyToOneConcurrentArrayQueue<>(n + 1);
        this.timeoutNanos = config.timeoutMillis() * 1_000_000L;
        this.healthIntervalNanos = config.healthIntervalMillis() * 1_000_000L;
    }

    /** Called once by the backend's constructor after its clients exist: per-record backend state. */
    protected final void attachBackendState(final java.util.function.Function<OpRecord, Object> perRecord)
    {
        for (final OpRecord r : records)
        {
            r.backend = perRecord.apply(r);
        }
        probe.backend = perRecord.apply(probe);
    }

    // ------------------------------------------------------------------ backend SPI

    /** Starts a LOOKUP: {@code op.count} ids, their keys in {@code op.keys}; answer each id into {@code op.present}. */
    protected abstract void startLookup(OpRecord op);

    /** Starts a READ of {@code op.key} into {@code op.address} (capacity {@code op.length}). */
    protected abstract void startRead(OpRecord op);

    /** Starts a write-once WRITE of {@code op.key} from {@code op.address}, {@code op.length} payload bytes. */
    protected abstract void startWrite(OpRecord op);

    /** Starts a DELETE of {@code op.key}. */
    protected abstract void startDelete(OpRecord op);

    /** Starts a PING (one round trip, no key). */
    protected abstract void startPing(OpRecord op);

    /** After one or more starts in one submit: send what was queued (Redis pipelines with auto-flush off). */
    protected abstract void flush();

    /** Writes the key of one block into {@code key}. */
    protected abstract void key(byte[] key, long saltId, long idHi, long idLo);

    /** Closes the clients (may wait for their I/O threads). */
    protected abstract void closeBackend();

    /**
     * I/O thread: claims the right to touch caller memory for {@code op}. False when the owner already ended the
     * call TIMED_OUT: then the caller's memory must not be touched.
     */
    public static boolean beginIo(final OpRecord op)
    {
        return op.state.compareAndSet(OpRecord.PENDING, OpRecord.IN_IO); // acquire: sees the owner's fields
    }

    /** I/O thread: done with caller memory, answer still to come (a write's value was encoded). */
    public static void endIo(final OpRecord op)
    {
        op.state.compareAndSet(OpRecord.IN_IO, OpRecord.PENDING);
    }

    /**
     * I/O thread (any): the call is answered with {@code status} (and {@code op.ioLength} / {@code op.present}
     * written before). Hands the record back to the owner. Exactly once per call.
     */
    public final void complete(final OpRecord op, final RemoteStatus status)
    {
        op.ioStatus = status;
        while (true)
        {
            final int s = op.state.get();
            if (s == OpRecord.PENDING || s == OpRecord.IN_IO)
            {
                if (op.state.compareAndSet(s, OpRecord.DONE)) // release: the answer before the hand-over
                {
                    break;
                }
            }
            else if (s == OpRecord.TIMED_OUT)
            {
                if (op.state.compareAndSet(s, OpRecord.LATE))
                {
                    break;
                }
            }
            else
            {
                throw new IllegalStateException("G4 answer for a record in state " + s + ": " + op);
            }
        }
        if (!completions.offer(op))
        {
            throw new IllegalStateException("G4 completion queue full: cannot happen (sized for every record)");
        }
    }

    // ------------------------------------------------------------------ owner API

    @Override
    public final RemoteStatus lookup(final long tag, final long saltId, final long[] idHi, final long[] idLo,
                                     final int from, final int n)
    {
        final RemoteStatus refused = refusal(RemoteCounter.LOOKUPS);
        if (refused != null)
        {
            return refused;
        }
        if (n < 1 || n > maxLookupIds || from < 0 || from + n > idHi.length || from + n > idLo.length)
        {
            return RemoteStatus.INVALID;
        }
        final OpRecord op = claim(RemoteOpKind.LOOKUP, tag, saltId, 0, 0);
        if (op == null)
        {
            return RemoteStatus.BUSY;
        }
        op.count = n;
        for (int i = 0; i < n; i++)
        {
            op.idsHi[i] = idHi[from + i];
            op.idsLo[i] = idLo[from + i];
            op.present[i] = 0;
            key(op.keys[i], saltId, idHi[from + i], idLo[from + i]);
        }
        op.remaining.set(n);
        count(RemoteCounter.LOOKUP_IDS, n);
        return start(op);
    }

    @Override
    public final RemoteStatus read(final long tag, final long saltId, final long idHi, final long idLo,
                                   final long dstAddress, final long capacity)
    {
        final RemoteStatus refused = refusal(RemoteCounter.READS);
        if (refused != null)
        {
            return refused;
        }
        if (capacity < 0 || capacity > Integer.MAX_VALUE - 64 || dstAddress == 0)
        {
            return RemoteStatus.INVALID;
        }
        final OpRecord op = claim(RemoteOpKind.READ, tag, saltId, idHi, idLo);
        if (op == null)
        {
            return RemoteStatus.BUSY;
        }
        op.address = dstAddress;
        op.length = capacity;
        op.checksumKnown = false;
        op.checksum = 0;
        return start(op);
    }

    @Override
    public final RemoteStatus write(final long tag, final long saltId, final long idHi, final long idLo,
                                    final long srcAddress, final long length)
    {
        return write(tag, saltId, idHi, idLo, srcAddress, length, false, 0);
    }

    @Override
    public final RemoteStatus write(final long tag, final long saltId, final long idHi, final long idLo,
                                    final long srcAddress, final long length, final long checksum)
    {
        return write(tag, saltId, idHi, idLo, srcAddress, length, true, checksum);
    }

    private RemoteStatus write(final long tag, final long saltId, final long idHi, final long idLo,
                               final long srcAddress, final long length, final boolean known, final long checksum)
    {
        final RemoteStatus refused = refusal(RemoteCounter.WRITES);
        if (refused != null)
        {
            return refused;
        }
        if (length < 0 || length > Integer.MAX_VALUE - 64 || (srcAddress == 0 && length > 0))
        {
            return RemoteStatus.INVALID;
        }
        final OpRecord op = claim(RemoteOpKind.WRITE, tag, saltId, idHi, idLo);
        if (op == null)
        {
            return RemoteStatus.BUSY;
        }
        op.address = srcAddress;
        op.length = length;
        op.checksumKnown = known;
        op.checksum = checksum;
        return start(op);
    }

    @Override
    public final RemoteStatus delete(final long tag, final long saltId, final long idHi, final long idLo)
    {
        final RemoteStatus refused = refusal(RemoteCounter.DELETES);
        if (refused != null)
        {
            return refused;
        }
        final OpRecord op = claim(RemoteOpKind.DELETE, tag, saltId, idHi, idLo);
        if (op == null)
        {
            return RemoteStatus.BUSY;
        }
        return start(op);
    }

    @Override
    public final RemoteStatus ping(final long tag)
    {
        final RemoteStatus refused = refusal(RemoteCounter.PINGS);
        if (refused != null)
        {
            return refused;
        }
        final OpRecord op = claim(RemoteOpKind.PING, tag, 0, 0, 0);
        if (op == null)
        {
            return RemoteStatus.BUSY;
        }
        return start(op);
    }

    private RemoteStatus refusal(final RemoteCounter call)
    {
        assert isOwner() : "G4 store used from " + Thread.currentThread().getName();
        final RemoteHealth h = health;
        if (h == RemoteHealth.CLOSED)
        {
            return RemoteStatus.CLOSED;
        }
        if (h == RemoteHealth.DEGRADED)
        {
            count(RemoteCounter.DEGRADED_REFUSALS, 1);
            return RemoteStatus.DEGRADED;
        }
        count(call, 1);
        return null;
    }

    private OpRecord claim(final RemoteOpKind kind, final long tag, final long saltId, final long idHi, final long idLo)
    {
        if (freeTop == 0)
        {
            count(RemoteCounter.BUSY, 1);
            return null;
        }
        final OpRecord op = records[freeStack[--freeTop]];
        op.kind = kind;
        op.tag = tag;
        op.saltId = saltId;
        op.idHi = idHi;
        op.idLo = idLo;
        op.count = 1;
        op.run = 0;
        op.ioLength = 0;
        op.ioStatus = null;
        op.status = null;
        if (kind == RemoteOpKind.READ || kind == RemoteOpKind.WRITE || kind == RemoteOpKind.DELETE)
        {
            key(op.key, saltId, idHi, idLo);
        }
        return op;
    }

    private RemoteStatus start(final OpRecord op)
    {
        final long now = clock.nanoTime();
        op.submittedNanos = now;
        op.deadlineNanos = now + timeoutNanos;
        op.state.set(OpRecord.PENDING); // before the hand-over below (the client's queue publishes it)
        dispatch(op);
        flush();
        return RemoteStatus.SUBMITTED;
    }

    private void dispatch(final OpRecord op)
    {
        try
        {
            switch (op.kind)
            {
                case LOOKUP -> startLookup(op);
                case READ -> startRead(op);
                case WRITE -> startWrite(op);
                case DELETE -> startDelete(op);
                case PING -> startPing(op);
                default -> throw new IllegalStateException("kind " + op.kind);
            }
        }
        catch (final RuntimeException e)
        {
            // A client that refuses at once (closed, rejected while disconnected) answers FAILED like any other.
            if (op.state.get() == OpRecord.PENDING)
            {
                complete(op, RemoteStatus.FAILED);
            }
        }
    }

    @Override
    public final int poll(final RemoteCompletionHandler handler)
    {
        assert isOwner() : "G4 store used from " + Thread.currentThread().getName();
        int delivered = 0;
        OpRecord op;
        while ((op = completions.poll()) != null)
        {
            delivered += answered(op, handler);
        }
        final long now = clock.nanoTime();
        for (final OpRecord r : records)
        {
            if (r.state.get() == OpRecord.PENDING && now - r.deadlineNanos > 0 &&
                r.state.compareAndSet(OpRecord.PENDING, OpRecord.TIMED_OUT))
            {
                count(RemoteCounter.TIMEOUTS, 1);
                r.status = RemoteStatus.TIMED_OUT;
                r.completedNanos = now;
                failed();
                if (!r.internal)
                {
                    handler.onComplete(r);
                    delivered++;
                }
            }
        }
        if (probe.state.get() == OpRecord.PENDING && now - probe.deadlineNanos > 0 &&
            probe.state.compareAndSet(OpRecord.PENDING, OpRecord.TIMED_OUT))
        {
            count(RemoteCounter.TIMEOUTS, 1);
            probeInFlight = false; // its late answer is dropped; the next probe uses the record once it is back
            nextProbeNanos = now + healthIntervalNanos;
        }
        if (health == RemoteHealth.DEGRADED && !probeInFlight && probe.state.get() == OpRecord.FREE &&
            now - nextProbeNanos >= 0)
        {
            probeInFlight = true;
            probe.kind = RemoteOpKind.PING;
            count(RemoteCounter.PROBES, 1);
            start(probe);
        }
        return delivered;
    }

    private int answered(final OpRecord op, final RemoteCompletionHandler handler)
    {
        final long now = clock.nanoTime();
        if (op.state.get() == OpRecord.LATE)
        {
            count(RemoteCounter.LATE_ANSWERS, 1);
            recycle(op);
            return 0;
        }
        op.completedNanos = now;
        final RemoteStatus s = op.ioStatus;
        op.status = s;
        if (op == probe)
        {
            probeInFlight = false;
            op.state.set(OpRecord.FREE);
            if (s == RemoteStatus.OK && health == RemoteHealth.DEGRADED)
            {
                failuresInARow = 0;
                health = RemoteHealth.HEALTHY;
                count(RemoteCounter.RESTORED, 1);
                LOG.log(System.Logger.Level.INFO, "G4 " + describe() + ": a health probe answered; tier back in use");
            }
            else
            {
                nextProbeNanos = now + healthIntervalNanos;
            }
            return 0;
        }
        if (s.answered())
        {
            failuresInARow = 0;
        }
        else if (s == RemoteStatus.TIMED_OUT || s == RemoteStatus.FAILED)
        {
            count(s == RemoteStatus.TIMED_OUT ? RemoteCounter.TIMEOUTS : RemoteCounter.FAILURES, 1);
            failed();
        }
        if (op.internal)
        {
            // the deletion of a corrupt key
            if (s == RemoteStatus.OK)
            {
                count(RemoteCounter.CORRUPT_DELETED, 1);
            }
            recycle(op);
            return 0;
        }
        switch (op.kind)
        {
            case LOOKUP ->
            {
                int run = 0;
                while (run < op.count && op.present[run] == 1)
                {
                    run++;
                }
                op.run = run;
                count(RemoteCounter.LOOKUP_HITS, run);
            }
            case READ ->
            {
                switch (s)
                {
                    case OK ->
                    {
                        count(RemoteCounter.HITS, 1);
                        count(RemoteCounter.READ_BYTES, op.ioLength);
                    }
                    case MISS -> count(RemoteCounter.MISSES, 1);
                    case CORRUPT ->
                    {
                        count(RemoteCounter.CORRUPT, 1);
                        count(RemoteCounter.MISSES, 1);
                    }
                    case TOO_LARGE ->
                    {
                        count(RemoteCounter.TOO_LARGE, 1);
                        count(RemoteCounter.MISSES, 1);
                    }
                    default ->
                    {
                    }
                }
            }
            case WRITE ->
            {
                if (s == RemoteStatus.OK)
                {
                    count(RemoteCounter.STORED, 1);
                    count(RemoteCounter.WRITE_BYTES, op.ioLength);
                }
                else if (s == RemoteStatus.ALREADY_PRESENT)
                {
                    count(RemoteCounter.ALREADY_PRESENT, 1);
                }
            }
            case DELETE, PING ->
            {
            }
            default -> throw new IllegalStateException("kind " + op.kind);
        }
        handler.onComplete(op);
        if (op.kind == RemoteOpKind.READ && s == RemoteStatus.CORRUPT && health != RemoteHealth.CLOSED)
        {
            // The same record deletes the bad key (write-once would otherwise keep it forever); not delivered.
            op.internal = true;
            op.kind = RemoteOpKind.DELETE;
            start(op);
            return 1;
        }
        recycle(op);
        return 1;
    }

    private void recycle(final OpRecord op)
    {
        op.internal = false;
        if (op == probe)
        {
            op.internal = true;
            op.state.set(OpRecord.FREE);
            return;
        }
        op.state.set(OpRecord.FREE);
        freeStack[freeTop++] = op.index;
    }

    private void failed()
    {
        if (++failuresInARow >= config.degradeAfterFailures() && health == RemoteHealth.HEALTHY)
        {
            health = RemoteHealth.DEGRADED;
            count(RemoteCounter.DEGRADED, 1);
            nextProbeNanos = clock.nanoTime() + healthIntervalNanos;
            LOG.log(System.Logger.Level.WARNING, "G4 " + describe() + ": " + failuresInARow +
                " timeouts/errors in a row; tier degraded (skipped) until a health probe answers");
        }
    }

    /** Any thread: remembers the text of an error the client reported (shown by {@link #lastFailure()}). */
    public final void noteFailure(final Throwable error)
    {
        lastFailure = String.valueOf(error);
    }

    @Override
    public final String lastFailure()
    {
        return lastFailure;
    }

    @Override
    public final RemoteHealth health()
    {
        return health;
    }

    @Override
    public final int inFlight()
    {
        return records.length - freeTop;
    }

    @Override
    public final long counter(final RemoteCounter counter)
    {
        return counters.get(counter.ordinal());
    }

    protected final void count(final RemoteCounter counter, final long delta)
    {
        counters.addAndGet(counter.ordinal(), delta);
    }

    @Override
    public final void takeOwnership()
    {
        owner = Thread.currentThread();
    }

    private boolean isOwner()
    {
        if (owner == null)
        {
            owner = Thread.currentThread();
        }
        return owner == Thread.currentThread();
    }

    @Override
    public final void close()
    {
        if (health == RemoteHealth.CLOSED)
        {
            return;
        }
        health = RemoteHealth.CLOSED;
        closeBackend();
    }
}
