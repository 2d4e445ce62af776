package io.kvbm4j.tools;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.identity.BlockHasher;
import io.kvbm4j.identity.Salt;

/**
 * Plays the inference server's side of a {@link ChatWorkload} against a manager, on the calling thread,
 * which becomes the manager's serving thread.
 *
 * <p>Requests go through in batches, as a continuous-batching scheduler would run them: every request of
 * a batch is admitted ({@code match} its cached prefix, {@code allocate} the missing full blocks), then
 * prefilled (each new block {@code fill}ed, {@code complete}d with its id and {@code register}ed, which
 * may deduplicate to a block another request of the batch registered first), and the batch's blocks stay
 * held while the next batch runs (they model requests still decoding); then they are all released.
 *
 * <p>Refusals degrade, they never stop the run: a refused {@code match} is a miss, a refused
 * {@code allocate} means the request computes its new blocks without caching them, a refused
 * {@code fill}/{@code complete}/{@code register} gives the block (and the rest of the request's new
 * blocks) back. Each refusal is counted by status. A {@code release} refused with
 * {@link Status#BACK_PRESSURED} is retried until the ring has room, so no block leaks; any other refusal
 * of a call this loop makes correctly is counted as unexpected, which the demo reports as a failure.
 *
 * <p>Admission control: with {@code pacing} on, a batch is admitted only while at least half the ring
 * is free, standing in for the GPU time between scheduler steps that lets the ring handlers keep up.
 *
 * <p>With a {@link ServingTimeline}, the running totals are sampled every {@link ServingTimeline#window()}
 * requests (after the request's admission) and at the end of {@link #serve}.
 *
 * <p>Owned by one thread. Every buffer and both histograms are allocated in the constructor (the timeline
 * before it): serving a request allocates nothing.
 */
public final class ServingLoop
{
    /** Largest latency the histograms track; longer calls are recorded as this. */
    private static final long MAX_TRACKED_NANOS = TimeUnit.SECONDS.toNanos(60);
    /** How long admission waits for ring room, and a release retries a full ring (then counted as unexpected). */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(30);
    /** Pause between two looks at the ring while waiting for room. */
    private static final long PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

    private final DefaultKvBlockManager manager;
    private final BlockHasher hasher;
    private final Salt salt;
    private final int blockTokens;
    private final boolean pacing;
    private final long pacingFloor;
    private final Histogram matchNanos = new Histogram(MAX_TRACKED_NANOS, 3);
    private final Histogram allocateNanos = new Histogram(MAX_TRACKED_NANOS, 3);
    private final ChatWorkload.Request request;
    private final ServingTimeline timeline;
    private InFlight[] running;
    private InFlight[] finishing;
    private int finishingCount;

    private long requests;
    private long blocksRequested;
    private long blocksHit;
    private long calls;
    private long refusedBackPressured;
    private long refusedNoSpace;
    private long refusedOther;
    private long unexpected;
    private int firstUnexpectedStatus;
    private String firstUnexpectedCall;
    private long uncachedBlocks;
    private long releaseRetries;
    private long admissionWaits;
    private long admissionWaitNanos;

    /** One request's blocks while it runs. */
    private static final class InFlight
    {
        final BlockIds ids;
        final int[] fresh;
        final int[] held;
        /** The request's full blocks' tokens (the request flyweight is overwritten before prefill). */
        final int[] tokens;
        long requestId;
        int matched;
        int allocated;
        int heldCount;

        InFlight(final int maxBlocks, final int blockTokens)
        {
            tokens = new int[maxBlocks * blockTokens];
            ids = new BlockIds(maxBlocks);
            fresh = new int[maxBlocks];
            held = new int[maxBlocks];
        }
    }

    /**
     * @param batch  requests admitted together; the previous batch stays held while a batch runs.
     * @param pacing admit a batch only while half the ring is free.
     */
    public ServingLoop(
        final DefaultKvBlockManager manager, final Salt salt, final ChatWorkload.Shape shape, final int batch,
        final boolean pacing)
    {
        this(manager, salt, shape, batch, pacing, null);
    }

    /** @param timeline samples the running totals as the run goes; {@code null} for none. */
    public ServingLoop(
        final DefaultKvBlockManager manager, final Salt salt, final ChatWorkload.Shape shape, final int batch,
        final boolean pacing, final ServingTimeline timeline)
    {
        if (batch < 1)
        {
            throw new IllegalArgumentException("batch must be >= 1: " + batch);
        }
        this.manager = manager;
        this.salt = salt;
        this.blockTokens = manager.blockTokens();
        this.hasher = new BlockHasher(manager.config().hash(), blockTokens);
        this.pacing = pacing;
        this.pacingFloor = manager.config().ringSize() / 2;
        this.request = new ChatWorkload.Request(shape);
        this.timeline = timeline;
        final int maxBlocks = Math.max(1, shape.maxRequestTokens() / blockTokens);
        this.running = new InFlight[batch];
        this.finishing = new InFlight[batch];
        for (int i = 0; i < batch; i++)
        {
            running[i] = new InFlight(maxBlocks, blockTokens);
            finishing[i] = new InFlight(maxBlocks, blockTokens);
        }
    }

    /** Serves {@code count} requests of {@code workload}, then releases every block still held. */
    public void serve(final ChatWorkload workload, final long count)
    {
        long served = 0;
        while (served < count)
        {
            final int n = (int)Math.min(running.length, count - served);
            awaitAdmission();
            for (int i = 0; i < n; i++)
            {
                workload.next(request);
                admit(request, running[i]);
                if (timeline != null && requests % timeline.window() == 0)
                {
                    sample();
                }
            }
            for (int i = 0; i < n; i++)
            {
                prefill(running[i]);
            }
            finishBatch();
            final InFlight[] t = finishing;
            finishing = running;
            running = t;
            finishingCount = n;
            served += n;
        }
        finishBatch();
        if (timeline != null && timeline.lastRequests() != requests)
        {
            sample();
        }
    }

    private void sample()
    {
        timeline.sample(requests, blocksRequested, blocksHit, manager.counters().get(Counter.EVICTED_BLOCKS));
    }

    private void awaitAdmission()
    {
        if (pacing && manager.ringRemaining() < pacingFloor)
        {
            admissionWaits++;
            final long start = System.nanoTime();
            final long deadline = start + RETRY_NANOS;
            long now = start;
            while (manager.ringRemaining() < pacingFloor && now - deadline < 0)
            {
                // Leaves the core to the ring handlers. Past the deadline the batch goes in anyway and its
                // refusals are counted.
                LockSupport.parkNanos(PARK_NANOS);
                now = System.nanoTime();
            }
            admissionWaitNanos += now - start;
        }
    }

    private void admit(final ChatWorkload.Request r, final InFlight f)
    {
        requests++;
        f.requestId = r.id();
        f.heldCount = 0;
        f.allocated = 0;
        final int count = hasher.hashSequence(salt, r.tokens(), r.length(), f.ids);
        System.arraycopy(r.tokens(), 0, f.tokens, 0, count * blockTokens);
        blocksRequested += count;

        long start = System.nanoTime();
        int k = manager.match(f.ids, count, f.requestId, f.held);
        matchNanos.recordValue(Math.min(System.nanoTime() - start, MAX_TRACKED_NANOS));
        calls++;
        if (k < 0)
        {
            refused(k);
            k = 0; // a refused lookup is a miss: the request recomputes the whole prefix
        }
        f.matched = k;
        f.heldCount = k;
        blocksHit += k;

        final int missing = count - k;
        if (missing == 0)
        {
            return;
        }
        start = System.nanoTime();
        final int allocated = manager.allocate(missing, f.requestId, f.fresh);
        allocateNanos.recordValue(Math.min(System.nanoTime() - start, MAX_TRACKED_NANOS));
        calls++;
        if (allocated < 0)
        {
            refused(allocated);
            uncachedBlocks += missing; // computed for this request only, not cached
            return;
        }
        f.allocated = allocated;
    }

    private void prefill(final InFlight f)
    {
        final int first = f.matched;
        if (f.allocated > 0)
        {
            // One commit with the blocks' tokens (KV events then carry token_ids); refused, it changed nothing
            // and the blocks go one by one below, as before.
            calls++;
            if (manager.commit(f.fresh, f.allocated, f.ids, first, f.requestId, f.tokens, first * blockTokens) ==
                f.allocated)
            {
                // fresh[] now holds the slots the blocks are registered in (deduplicated ones included)
                System.arraycopy(f.fresh, 0, f.held, f.heldCount, f.allocated);
                f.heldCount += f.allocated;
                return;
            }
        }
        for (int j = 0; j < f.allocated; j++)
        {
            final int slot = f.fresh[j];
            final int result = cache(slot, f.ids, first + j);
            if (result < 0)
            {
                // The block and every later one of this request are computed but not cached.
                for (int rest = j; rest < f.allocated; rest++)
                {
                    release(f.fresh[rest]);
                }
                uncachedBlocks += f.allocated - j;
                return;
            }
            f.held[f.heldCount++] = result;
        }
    }

    /** Fills, completes and registers one block. @return the slot now held for it, or a negative status. */
    private int cache(final int slot, final BlockIds ids, final int index)
    {
        calls++;
        final int filled = manager.fill(slot, blockTokens);
        if (filled < 0)
        {
            return failed("fill", filled);
        }
        calls++;
        final int completed = manager.complete(slot, ids, index);
        if (completed < 0)
        {
            return failed("complete", completed);
        }
        calls++;
        final int registered = manager.register(slot);
        if (registered < 0)
        {
            return failed("register", registered);
        }
        return registered;
    }

    private void finishBatch()
    {
        for (int i = 0; i < finishingCount; i++)
        {
            final InFlight f = finishing[i];
            for (int b = 0; b < f.heldCount; b++)
            {
                release(f.held[b]);
            }
            f.heldCount = 0;
            f.allocated = 0;
        }
        finishingCount = 0;
    }

    /** Releases a slot, retrying while the ring is full: a held block must never leak. */
    private void release(final int slot)
    {
        calls++;
        int result = manager.release(slot);
        if (result == Status.BACK_PRESSURED)
        {
            refused(result);
            final long deadline = System.nanoTime() + RETRY_NANOS;
            while (result == Status.BACK_PRESSURED && System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(PARK_NANOS);
                releaseRetries++;
                calls++;
                result = manager.release(slot);
            }
        }
        if (result < 0)
        {
            unexpected("release", result);
        }
    }

    private int failed(final String call, final int status)
    {
        if (status == Status.BACK_PRESSURED || status == Status.NO_SPACE)
        {
            refused(status);
        }
        else
        {
            unexpected(call, status);
        }
        return status;
    }

    private void refused(final int status)
    {
        switch (status)
        {
            case Status.BACK_PRESSURED:
                refusedBackPressured++;
                break;
            case Status.NO_SPACE:
                refusedNoSpace++;
                break;
            default:
                refusedOther++; // e.g. INVALID_ARGUMENT: a request longer than the ring holds events for
                break;
        }
    }

    private void unexpected(final String call, final int status)
    {
        if (unexpected++ == 0)
        {
            firstUnexpectedCall = call;
            firstUnexpectedStatus = status;
        }
    }

    /** Requests served. */
    public long requests()
    {
        return requests;
    }

    /** Full blocks the requests asked for (sum of each request's block count). */
    public long blocksRequested()
    {
        return blocksRequested;
    }

    /** Blocks found in the cache by match. */
    public long blocksHit()
    {
        return blocksHit;
    }

    /** Manager calls made: match, allocate, fill, complete, register and release, retries included. */
    public long calls()
    {
        return calls;
    }

    /** Calls refused with BACK_PRESSURED (a retried release counts once). */
    public long backPressured()
    {
        return refusedBackPressured;
    }

    /** Calls refused with NO_SPACE. */
    public long noSpace()
    {
        return refusedNoSpace;
    }

    /** match or allocate calls refused with another status (a request too large for the ring). */
    public long refusedOther()
    {
        return refusedOther;
    }

    /** Blocks computed without being cached because a call was refused. */
    public long uncachedBlocks()
    {
        return uncachedBlocks;
    }

    /** Release calls repeated while the ring was full. */
    public long releaseRetries()
    {
        return releaseRetries;
    }

    /** Batches that waited for ring room before admission. */
    public long admissionWaits()
    {
        return admissionWaits;
    }

    /** Time spent waiting for ring room before admission, in nanoseconds (part of the serving time). */
    public long admissionWaitNanos()
    {
        return admissionWaitNanos;
    }

    /** Refusals that a correct caller should never see; non-zero means a bug. */
    public long unexpected()
    {
        return unexpected;
    }

    /** The first unexpected refusal, e.g. {@code "release: INVALID_STATE"}, or {@code null}. */
    public String firstUnexpected()
    {
        return unexpected == 0 ? null : firstUnexpectedCall + ": " + Status.name(firstUnexpectedStatus);
    }

    /** Latency of match calls, in nanoseconds. */
    public Histogram matchNanos()
    {
        return matchNanos;
    }

    /** Latency of allocate calls, in nanoseconds. */
    public Histogram allocateNanos()
    {
        return allocateNanos;
    }
}
