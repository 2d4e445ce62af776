package io.kvbm4j.engine;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.EpochNanoClock;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.EngineCounters;
import io.kvbm4j.api.KvBlockManager;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.history.AccessHistory;
import io.kvbm4j.metadata.MetadataStore;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.EventPipeline;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.pool.PoolInvariants;
import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * The manager: per-tier block pools, the block-event ring and its handlers, the metadata store.
 *
 * <p>Design: the serving thread is the single writer (sequencer). Each call (1) validates without
 * changing anything, (2) claims ring entries for every event it will emit, refusing with
 * {@code BACK_PRESSURED} when the ring is full, (3) applies its state transitions to the pools and
 * fills the claimed entries, (4) publishes. Handlers (metadata store, event counts, later journal and
 * transfers) see the events in ring order on their own threads. So a call either happens completely,
 * with its events, or not at all, and the serving thread never waits.
 *
 * <p>Owns: the G1 pool (slot numbers), the G2 pool and its host memory when configured, the ring, the
 * metadata store. Concurrency: see {@link KvBlockManager}; ownership is checked by {@code assert}.
 * Invariants: those of each {@link BlockPool}, checked by {@link #checkInvariants()}; every published
 * event describes a transition that happened.
 */
public final class DefaultKvBlockManager implements KvBlockManager
{
    private static final int G1 = Tier.G1.ordinal();

    private final EngineConfig config;
    private final BlockPool g1;
    private final BlockPool g2;
    private final SlotMemory g2Memory;
    private final EventPipeline pipeline;
    private final MetadataStore metadata;
    private final CounterArray counters;
    private final EpochNanoClock clock;
    private final int blockTokens;
    private final int ringSize;
    private final long maxRegistered;
    private final AccessHistory history;
    private final List<AutoCloseable> closeAfter;
    private long tick;
    private Thread owner;
    private boolean closed;
    /** G1↔G2 transfers, or null when G1 has no memory or G2 is off. Set once by the builder. */
    private TierTransfers transfers;
    private Runnable closeMemory = () -> { };
    private SlotMemory g1Memory;

    DefaultKvBlockManager(
        final EngineConfig config, final BlockPool g1, final BlockPool g2, final SlotMemory g2Memory,
        final EventPipeline pipeline, final MetadataStore metadata, final CounterArray counters,
        final EpochNanoClock clock, final AccessHistory history, final List<AutoCloseable> closeAfter)
    {
        this.history = history;
        this.closeAfter = closeAfter;
        this.config = config;
        this.g1 = g1;
        this.g2 = g2;
        this.g2Memory = g2Memory;
        this.pipeline = pipeline;
        this.metadata = metadata;
        this.counters = counters;
        this.clock = clock;
        this.blockTokens = config.blockTokens();
        this.ringSize = pipeline.ringSize();
        this.maxRegistered = config.metadataMaxEntries();
    }

    void attachTransfers(final TierTransfers transfers, final SlotMemory g1Memory, final Runnable closeMemory)
    {
        this.transfers = transfers;
        this.g1Memory = g1Memory;
        this.closeMemory = closeMemory;
    }

    /** Most registered G1 blocks (the metadata store's size). */
    long maxRegistered()
    {
        return maxRegistered;
    }

    /** The next access tick (serving thread). */
    long nextTick()
    {
        return ++tick;
    }

    /** Event time stamp now. */
    long eventTime()
    {
        return clock.nanoTime();
    }

    /** Binds the manager to the first thread that calls it; later calls must come from that thread. */
    private boolean ownedByCaller()
    {
        final Thread current = Thread.currentThread();
        if (owner == null)
        {
            owner = current;
        }
        return owner == current;
    }

    private int fail(final int status)
    {
        switch (status)
        {
            case Status.BACK_PRESSURED:
                counters.increment(Counter.BACK_PRESSURED);
                break;
            case Status.NO_SPACE:
                counters.increment(Counter.NO_SPACE);
                break;
            case Status.INVALID_STATE:
                counters.increment(Counter.INVALID_STATE);
                break;
            case Status.INVALID_ARGUMENT:
                counters.increment(Counter.INVALID_ARGUMENT);
                break;
            default:
                break;
        }
        return status;
    }

    @Override
    public int blockTokens()
    {
        return blockTokens;
    }

    @Override
    public int capacity()
    {
        return g1.capacity();
    }

    @Override
    public int match(final BlockIds ids, final int count, final long requestId, final int[] slotsOut)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(true);
        }
        if (count < 0 || count > ids.size() || slotsOut.length < count || count >= ringSize)
        {
            return fail(Status.INVALID_ARGUMENT);
        }
        int k = 0;
        while (k < count)
        {
            final int slot = g1.lookup(ids.hi(k), ids.lo(k));
            if (slot < 0 || g1.checkAcquire(slot) < 0)
            {
                break;
            }
            slotsOut[k++] = slot;
        }
        final int events = k < count ? k + 1 : k;
        if (events > 0)
        {
            final long hi = pipeline.tryClaim(events);
            if (hi < 0)
            {
                return fail(Status.BACK_PRESSURED);
            }
            final long now = clock.nanoTime();
            final long t = ++tick;
            long seq = hi - events + 1;
            for (int i = 0; i < k; i++)
            {
                final int slot = slotsOut[i];
                g1.acquire(slot, t);
                emit(seq++, BlockEventType.MATCH_HIT, slot, requestId, t, now, 0);
            }
            if (k < count)
            {
                final long parentHi = k == 0 ? 0 : ids.hi(k - 1);
                final long parentLo = k == 0 ? 0 : ids.lo(k - 1);
                pipeline.event(seq).set(BlockEventType.MATCH_MISS, G1, -1, ids.hi(k), ids.lo(k), parentHi,
                    parentLo, k, requestId, t, now, 0, count - k);
            }
            pipeline.publish(hi - events + 1, hi);
        }
        counters.increment(Counter.MATCH_CALLS);
        counters.add(Counter.MATCH_HIT_BLOCKS, k);
        counters.add(Counter.MATCH_MISS_BLOCKS, count - k);
        return k;
    }

    @Override
    public int matchOnboard(
        final BlockIds ids, final int count, final long requestId, final int[] slotsOut, final Onboard onboard)
    {
        if (onboard.pending())
        {
            return fail(Status.INVALID_STATE); // collect the previous onboard first: its slots are held
        }
        onboard.set(-1, 0, 0);
        final int k = match(ids, count, requestId, slotsOut);
        if (k < 0)
        {
            return k;
        }
        onboard.set(-1, k, 0);
        return transfers == null ? k : k + transfers.scheduleOnboard(ids, count, k, requestId, slotsOut, onboard);
    }

    @Override
    public int pollOnboard(final Onboard onboard, final int[] slotsOut)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers == null)
        {
            return onboard.pending() ? fail(Status.INVALID_ARGUMENT) : 0;
        }
        final int r = transfers.poll(onboard, slotsOut);
        return r == Status.INVALID_ARGUMENT ? fail(r) : r;
    }

    @Override
    public int awaitOnboard(final Onboard onboard, final int[] slotsOut, final long timeoutNanos)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers == null)
        {
            return pollOnboard(onboard, slotsOut);
        }
        final int r = transfers.await(onboard, slotsOut, timeoutNanos);
        return r == Status.INVALID_ARGUMENT ? fail(r) : r;
    }

    @Override
    public int allocate(final int n, final long requestId, final int[] slotsOut)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(true);
        }
        return allocateSlots(n, requestId, slotsOut);
    }

    /** allocate without the transfer step at the top (also used to place onboarded blocks). */
    int allocateSlots(final int n, final long requestId, final int[] slotsOut)
    {
        if (n <= 0 || n > slotsOut.length)
        {
            return n == 0 ? 0 : fail(Status.INVALID_ARGUMENT);
        }
        final int evictions = Math.max(0, n - g1.freeCount());
        // Inactive blocks bound what eviction can free: a parent becomes a candidate once its last child
        // goes, so up to `inactive` blocks can go, unless a block in use sits below one of them.
        if (evictions > g1.inactiveCount())
        {
            return fail(Status.NO_SPACE);
        }
        final int events = n + evictions;
        if (events > ringSize)
        {
            return fail(Status.INVALID_ARGUMENT);
        }
        final long hi = pipeline.tryClaim(events);
        if (hi < 0)
        {
            return fail(Status.BACK_PRESSURED);
        }
        final long now = clock.nanoTime();
        final long t = ++tick;
        long seq = hi - events + 1;
        for (int e = 0; e < evictions; e++)
        {
            final int victim = g1.victim();
            if (victim < 0)
            {
                // Ran out: the remaining inactive blocks are ancestors of blocks in use. What was evicted
                // stays evicted (cached copies only, now misses); the unused entries carry NOOPs.
                counters.add(Counter.EVICTED_BLOCKS, e);
                while (seq <= hi)
                {
                    pipeline.event(seq++).set(BlockEventType.NOOP, G1, -1, 0, 0, 0, 0, 0, requestId, t, now, 0, 0);
                }
                pipeline.publish(hi - events + 1, hi);
                return fail(Status.NO_SPACE);
            }
            final int earned = g1.table().accessCount(victim);
            g1.evict(victim); // id fields stay readable until the slot is allocated again
            emit(seq++, BlockEventType.EVICT, victim, requestId, t, now, earned);
        }
        for (int i = 0; i < n; i++)
        {
            final int slot = g1.allocate(requestId, t);
            slotsOut[i] = slot;
            emit(seq++, BlockEventType.ALLOCATE, slot, requestId, t, now, 0);
        }
        pipeline.publish(hi - events + 1, hi);
        counters.add(Counter.EVICTED_BLOCKS, evictions);
        counters.add(Counter.ALLOCATED_BLOCKS, n);
        return n;
    }

    @Override
    public int fill(final int slot, final int tokens)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(false);
        }
        final int check = g1.checkFill(slot, tokens, blockTokens);
        if (check < 0)
        {
            return fail(check);
        }
        final long seq = pipeline.tryClaim(1);
        if (seq < 0)
        {
            return fail(Status.BACK_PRESSURED);
        }
        final int filled = g1.fill(slot, tokens, blockTokens);
        emit(seq, BlockEventType.FILL, slot, g1.table().requestId(slot), ++tick, clock.nanoTime(), filled);
        pipeline.publish(seq, seq);
        counters.increment(Counter.FILLS);
        return filled;
    }

    @Override
    public int complete(
        final int slot, final long idHi, final long idLo, final long parentHi, final long parentLo,
        final int position)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(false);
        }
        final int check = g1.checkComplete(slot, position, blockTokens);
        if (check < 0)
        {
            return fail(check);
        }
        final long seq = pipeline.tryClaim(1);
        if (seq < 0)
        {
            return fail(Status.BACK_PRESSURED);
        }
        g1.complete(slot, idHi, idLo, parentHi, parentLo, position, blockTokens);
        emit(seq, BlockEventType.COMPLETE, slot, g1.table().requestId(slot), ++tick, clock.nanoTime(), 0);
        pipeline.publish(seq, seq);
        counters.increment(Counter.COMPLETED_BLOCKS);
        return 0;
    }

    @Override
    public int register(final int slot)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(false);
        }
        final int check = g1.checkRegister(slot);
        if (check < 0)
        {
            return fail(check);
        }
        final int existing = g1.duplicateOf(slot);
        if (existing >= 0 && g1.table().refCount(existing) == Integer.MAX_VALUE)
        {
            return fail(Status.INVALID_STATE); // the existing block cannot take one more reference
        }
        if (existing < 0 && (long)g1.activeCount() + g1.inactiveCount() >= maxRegistered)
        {
            return fail(Status.NO_SPACE); // the metadata store is sized for maxRegistered records
        }
        final int events = existing >= 0 ? 2 : 1;
        final long hi = pipeline.tryClaim(events);
        if (hi < 0)
        {
            return fail(Status.BACK_PRESSURED);
        }
        final long requestId = g1.table().requestId(slot);
        final long now = clock.nanoTime();
        final long t = ++tick;
        final int result = g1.register(slot, t);
        if (existing >= 0)
        {
            emit(hi - 1, BlockEventType.DEDUP, existing, requestId, t, now, slot);
            emit(hi, BlockEventType.RESET, slot, requestId, t, now, 0);
            counters.increment(Counter.DEDUPLICATED_BLOCKS);
            counters.increment(Counter.RESETS);
        }
        else
        {
            emit(hi, BlockEventType.REGISTER, slot, requestId, t, now, 0);
            counters.increment(Counter.REGISTERED_BLOCKS);
        }
        pipeline.publish(hi - events + 1, hi);
        if (existing < 0 && transfers != null)
        {
            transfers.onRegistered(slot, requestId); // write-through
        }
        return result;
    }

    @Override
    public int acquire(final int slot)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(false);
        }
        final int check = g1.checkAcquire(slot);
        if (check < 0)
        {
            return fail(check);
        }
        final long seq = pipeline.tryClaim(1);
        if (seq < 0)
        {
            return fail(Status.BACK_PRESSURED);
        }
        final long t = ++tick;
        final int refs = g1.acquire(slot, t);
        emit(seq, BlockEventType.ACQUIRE, slot, g1.table().requestId(slot), t, clock.nanoTime(), 0);
        pipeline.publish(seq, seq);
        counters.increment(Counter.ACQUIRES);
        return refs;
    }

    @Override
    public int release(final int slot)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        if (closed)
        {
            return Status.CLOSED;
        }
        if (transfers != null)
        {
            transfers.beforeCall(false);
        }
        final int check = g1.checkRelease(slot);
        if (check < 0)
        {
            return fail(check);
        }
        final long seq = pipeline.tryClaim(1);
        if (seq < 0)
        {
            return fail(Status.BACK_PRESSURED);
        }
        final boolean registered = g1.table().state(slot) == BlockState.REGISTERED.code();
        final int refs = g1.release(slot);
        emit(seq, registered ? BlockEventType.RELEASE : BlockEventType.RESET, slot, g1.table().requestId(slot),
            ++tick, clock.nanoTime(), 0);
        pipeline.publish(seq, seq);
        counters.increment(registered ? Counter.RELEASES : Counter.RESETS);
        if (registered && refs == 0 && transfers != null)
        {
            transfers.onInactive(slot, g1.table().requestId(slot)); // write-back
        }
        return refs;
    }

    void emit(
        final long seq, final BlockEventType type, final int slot, final long requestId, final long t, final long now,
        final int aux)
    {
        final BlockTable table = g1.table();
        final BlockEvent event = pipeline.event(seq);
        event.set(type, G1, slot, table.idHi(slot), table.idLo(slot), table.parentHi(slot),
            table.parentLo(slot), table.position(slot), requestId, t, now, table.refCount(slot), aux);
        if (transfers != null && (type == BlockEventType.REGISTER || type == BlockEventType.EVICT))
        {
            // The metadata record must keep a G2 copy's residency when G1's goes.
            event.otherTiers = transfers.residencyBelow(table.idHi(slot), table.idLo(slot));
        }
    }

    @Override
    public BlockState state(final int slot)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        return g1.isSlot(slot) ? g1.state(slot) : null;
    }

    @Override
    public EngineCounters counters()
    {
        return counters;
    }

    /** The configuration this manager runs with. */
    public EngineConfig config()
    {
        return config;
    }

    /** The pool of a tier, or {@code null} when that tier is not configured. Owner thread only. */
    public BlockPool pool(final Tier tier)
    {
        switch (tier)
        {
            case G1:
                return g1;
            case G2:
                return g2;
            default:
                return null;
        }
    }

    /** The access history behind hot/cold scores (owner thread). */
    public AccessHistory history()
    {
        return history;
    }

    /**
     * G1 payload memory when transfers run (kvbm4j's host or device slots, or the runtime's), else null. The
     * bytes of a slot belong to whoever holds the block, as with the runtime's own memory.
     */
    public SlotMemory g1Memory()
    {
        return g1Memory;
    }

    /** G2 host memory (pinned when G1 is on a device), or {@code null} when G2 is disabled. */
    public SlotMemory hostMemory()
    {
        return g2Memory;
    }

    /** The metadata store (readable from any thread). */
    public MetadataStore metadata()
    {
        return metadata;
    }

    /** Free ring entries now. */
    public long ringRemaining()
    {
        return pipeline.remainingCapacity();
    }

    /**
     * Waits until every handler has processed everything published so far; for tests and tools, never
     * the serving path. @return true when drained in time.
     */
    public boolean awaitHandlers(final long timeout, final TimeUnit unit)
    {
        return pipeline.awaitDrained(timeout, unit);
    }

    /**
     * Waits until every transfer submitted so far has been applied to the pools (onboards waiting for their
     * caller's poll excepted); for tests and tools, never the serving path. Owner thread.
     *
     * @return true when settled in time (also when no transfers are configured).
     */
    public boolean awaitTransfers(final long timeout, final TimeUnit unit)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        return transfers == null || transfers.awaitSettled(timeout, unit);
    }

    /** True once transfers were asked to stop (any thread; for tests that race a shutdown). */
    public boolean transfersStopping()
    {
        return transfers != null && transfers.engine().stopping();
    }

    /** Whether G1↔G2 transfers run in this manager (G1 has memory and G2 is configured). */
    public boolean transfersEnabled()
    {
        return transfers != null;
    }

    /** Copies issued by the transfer thread so far (one per run of adjacent blocks); 0 without transfers. */
    public long transferCopies()
    {
        return transfers == null ? 0 : transfers.engine().copies();
    }

    /**
     * Stops transfers: queued ones end CANCELLED, those in flight finish or time out, every result is applied
     * and every transfer's pin dropped (also done by {@link #close()}). Owner thread.
     *
     * @return true when the transfer thread stopped within the timeout.
     */
    public boolean stopTransfers(final long timeout, final TimeUnit unit)
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        return transfers == null || transfers.stop(timeout, unit);
    }

    /**
     * Checks every pool's invariants (O(capacity); owner thread, or after the owner stopped).
     *
     * @return a description of the violations, or {@code null}.
     */
    public String checkInvariants()
    {
        final String a = PoolInvariants.check(g1);
        final String b = g2 == null ? null : PoolInvariants.check(g2);
        if (a == null)
        {
            return b;
        }
        return b == null ? a : a + b;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        final boolean transfersStopped = transfers == null ||
            transfers.stop(config.shutdownTimeoutMs(), TimeUnit.MILLISECONDS);
        closed = true;
        pipeline.close(config.shutdownTimeoutMs());
        metadata.close();
        for (final AutoCloseable resource : closeAfter)
        {
            try
            {
                resource.close();
            }
            catch (final Exception ex)
            {
                System.getLogger(DefaultKvBlockManager.class.getName())
                    .log(System.Logger.Level.WARNING, "closing " + resource + " failed", ex);
            }
        }
        g1.close();
        if (g2 != null)
        {
            g2.close();
        }
        if (transfersStopped)
        {
            closeMemory.run(); // G1 memory kvbm4j allocated
            if (g2Memory != null)
            {
                g2Memory.close();
            }
        }
        else
        {
            System.getLogger(DefaultKvBlockManager.class.getName()).log(System.Logger.Level.WARNING,
                "transfer thread still copying after " + config.shutdownTimeoutMs() + " ms: tier memory left " +
                "allocated rather than freed under a running copy");
        }
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed()
    {
        return closed;
    }

    static List<Tier> tiers(final EngineConfig config)
    {
        return config.g2Blocks() > 0 ? List.of(Tier.G1, Tier.G2) : List.of(Tier.G1);
    }
}
