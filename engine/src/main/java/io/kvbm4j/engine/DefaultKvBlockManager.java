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
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.history.AccessHistory;
import io.kvbm4j.metadata.MetadataStore;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.metrics.TransferLatencies;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.EventPipeline;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pipeline.TokenRing;
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
 * <p>Owns: the G1 pool (slot numbers), the G2 pool and its host memory when configured, the G3 pool when
 * configured (its bytes are the disk tier's, owned by the transfer thread; see {@link TierTransfers}), the
 * ring, the metadata store. Concurrency: see {@link KvBlockManager}; ownership is checked by {@code assert}.
 * Invariants: those of each {@link BlockPool}, checked by {@link #checkInvariants()}; every published
 * event describes a transition that happened.
 */
public final class DefaultKvBlockManager implements KvBlockManager
{
    private final EngineConfig config;
    private final Sequencer seq;
    private final BlockPool g1;
    private final BlockPool g2;
    private final BlockPool g3;
    /** The G4 index (what this node knows the shared store holds), or null when G4 is off. */
    private final BlockPool g4;
    private final SlotMemory g1Memory;
    private final SlotMemory g2Memory;
    private final EventPipeline pipeline;
    private final RingWriter writer;
    private final MetadataStore metadata;
    private final CounterArray counters;
    private final int blockTokens;
    private final AccessHistory history;
    private final List<AutoCloseable> closeAfter;
    /** Where token-carrying commits copy their tokens for the ring handlers, or null (none configured). */
    private final TokenRing tokenRing;
    /** Tier transfers (G1↔G2, G3 below), or null when G1 has no memory or G2 is off. */
    private final TierTransfers transfers;
    /** Frees the G1 memory kvbm4j allocated (after transfers stopped). */
    private final Runnable closeMemory;
    /** Scratch for validating batches without allocating: per G1 slot, the batch that last saw it, and how often. */
    private final int[] seenIn;
    private final int[] seenTimes;
    private int batch;
    private Thread owner;
    private boolean closed;

    DefaultKvBlockManager(
        final EngineConfig config, final Sequencer seq, final SlotMemory g1Memory, final SlotMemory g2Memory,
        final TierTransfers transfers, final EventPipeline pipeline, final MetadataStore metadata,
        final AccessHistory history, final List<AutoCloseable> closeAfter, final Runnable closeMemory,
        final TokenRing tokenRing)
    {
        this.tokenRing = tokenRing;
        this.config = config;
        this.seq = seq;
        this.g1 = seq.pools.get(Tier.G1);
        this.g2 = seq.pools.get(Tier.G2);
        this.g3 = seq.pools.get(Tier.G3);
        this.g4 = seq.pools.get(Tier.G4);
        this.g1Memory = g1Memory;
        this.g2Memory = g2Memory;
        this.transfers = transfers;
        this.pipeline = pipeline;
        this.writer = seq.writer;
        this.metadata = metadata;
        this.counters = seq.counters;
        this.blockTokens = config.blockTokens();
        this.history = history;
        this.closeAfter = closeAfter;
        this.closeMemory = closeMemory;
        this.seenIn = new int[g1.capacity()];
        this.seenTimes = new int[g1.capacity()];
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
        return seq.fail(status);
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
        if (count < 0 || count > ids.size() || slotsOut.length < count ||
            RingWriter.entriesFor(count + 1) > writer.maxEntries())
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
        final int blocks = k < count ? k + 1 : k;
        if (blocks > 0)
        {
            if (!writer.claim(RingWriter.entriesFor(blocks)))
            {
                return fail(Status.BACK_PRESSURED);
            }
            final long t = seq.nextTick();
            writer.run(BlockEventType.MATCH, Tier.G1, requestId, t, seq.now());
            long parentHi = 0;
            long parentLo = 0;
            for (int i = 0; i < k; i++)
            {
                final int slot = slotsOut[i];
                final long hi = ids.hi(i);
                final long lo = ids.lo(i);
                // the match starts at position 0, so position and parent come from the ids: no table reads
                writer.add(slot, hi, lo, parentHi, parentLo, i, g1.acquireChecked(slot, t), 0, 0, 0);
                parentHi = hi;
                parentLo = lo;
            }
            if (k < count)
            {
                writer.add(-1, ids.hi(k), ids.lo(k), k == 0 ? 0 : ids.hi(k - 1), k == 0 ? 0 : ids.lo(k - 1), k, 0,
                    count - k, BlockEvent.MISS, 0);
            }
            writer.publish();
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
        return seq.allocateG1(n, requestId, slotsOut);
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
        final int filled = g1.fill(slot, tokens, blockTokens); // private to its request: no event
        if (filled < 0)
        {
            return fail(filled);
        }
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
        final int done = g1.complete(slot, idHi, idLo, parentHi, parentLo, position, blockTokens); // still private
        if (done < 0)
        {
            return fail(done);
        }
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
        if (existing < 0 && seq.registrationRoom() <= 0)
        {
            return fail(Status.NO_SPACE); // the metadata store is sized for maxRegistered records
        }
        if (!writer.claim(1))
        {
            return fail(Status.BACK_PRESSURED);
        }
        final long requestId = g1.table().requestId(slot);
        final long t = seq.nextTick();
        writer.run(BlockEventType.STORED, Tier.G1, requestId, t, seq.now());
        final int held = g1.register(slot, t);
        stored(held, slot);
        writer.publish();
        if (existing < 0 && transfers != null)
        {
            transfers.onRegistered(held, requestId); // write-through
        }
        return held;
    }

    /** Describes a registration in the current STORED run and counts it. */
    private void stored(final int held, final int slot)
    {
        if (held != slot)
        {
            writer.add(g1.table(), held, slot, BlockEvent.DEDUP, 0);
            counters.increment(Counter.DEDUPLICATED_BLOCKS);
            counters.increment(Counter.RESETS);
        }
        else
        {
            writer.add(g1.table(), held, 0, 0, seq.pools.otherTiers(g1, held));
            counters.increment(Counter.REGISTERED_BLOCKS);
        }
    }

    @Override
    public int commit(final int[] slots, final int n, final BlockIds ids, final int firstIndex, final long requestId)
    {
        return commit(slots, n, ids, firstIndex, requestId, null, 0);
    }

    @Override
    public int commit(
        final int[] slots, final int n, final BlockIds ids, final int firstIndex, final long requestId,
        final int[] tokens, final int tokenOffset)
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
        if (n < 0 || n > slots.length || firstIndex < 0 || firstIndex + n > ids.size() ||
            RingWriter.entriesFor(n) > writer.maxEntries() ||
            (tokens != null && (tokenOffset < 0 || (long)tokenOffset + (long)n * blockTokens > tokens.length)))
        {
            return fail(Status.INVALID_ARGUMENT);
        }
        if (n == 0)
        {
            return 0;
        }
        // Validate the whole batch before changing anything: PARTIAL slots of G1, each once, room to register.
        final int mark = ++batch;
        final BlockTable table = g1.table();
        int fresh = 0;
        for (int i = 0; i < n; i++)
        {
            final int slot = slots[i];
            if (!g1.isSlot(slot))
            {
                return fail(Status.INVALID_ARGUMENT);
            }
            if (table.state(slot) != BlockState.PARTIAL.code() || seenIn[slot] == mark)
            {
                return fail(Status.INVALID_STATE);
            }
            seenIn[slot] = mark;
            final int existing = g1.lookup(ids.hi(firstIndex + i), ids.lo(firstIndex + i));
            if (existing < 0)
            {
                fresh++;
            }
            else if (table.refCount(existing) == Integer.MAX_VALUE)
            {
                return fail(Status.INVALID_STATE);
            }
        }
        if (fresh > seq.registrationRoom())
        {
            return fail(Status.NO_SPACE);
        }
        if (!writer.claim(RingWriter.entriesFor(n)))
        {
            return fail(Status.BACK_PRESSURED);
        }
        final long t = seq.nextTick();
        // after the claim: a refused call leaves the token ring untouched
        final long tokenBase = tokens == null || tokenRing == null ? -1 :
            tokenRing.write(tokens, tokenOffset, n * blockTokens);
        writer.run(BlockEventType.STORED, Tier.G1, requestId, t, seq.now());
        for (int i = 0; i < n; i++)
        {
            final int index = firstIndex + i;
            final int slot = slots[i];
            final int held = g1.commit(slot, ids.hi(index), ids.lo(index), index == 0 ? 0 : ids.hi(index - 1),
                index == 0 ? 0 : ids.lo(index - 1), index, blockTokens, t);
            stored(held, slot);
            if (tokenBase >= 0)
            {
                writer.tokens(tokenBase + (long)i * blockTokens);
            }
            slots[i] = held;
        }
        writer.publish();
        counters.add(Counter.COMPLETED_BLOCKS, n);
        if (transfers != null)
        {
            for (int i = 0; i < n; i++)
            {
                transfers.onRegistered(slots[i], requestId); // write-through (no-op otherwise)
            }
        }
        return n;
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
        if (!writer.claim(1))
        {
            return fail(Status.BACK_PRESSURED);
        }
        final long t = seq.nextTick();
        final int refs = g1.acquire(slot, t);
        writer.run(BlockEventType.ACQUIRE, Tier.G1, g1.table().requestId(slot), t, seq.now());
        writer.add(g1.table(), slot, 1, 0, 0);
        writer.publish();
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
        if (g1.table().state(slot) != BlockState.REGISTERED.code())
        {
            g1.release(slot); // PARTIAL or COMPLETE: private, back to the free pool without an event
            counters.increment(Counter.RESETS);
            writer.flushDeferred();
            return 0;
        }
        final long t = seq.nextTick();
        final boolean claimed = writer.claim(1);
        final int refs = g1.release(slot);
        if (claimed)
        {
            writer.run(BlockEventType.RELEASE, Tier.G1, g1.table().requestId(slot), t, seq.now());
            writer.add(g1.table(), slot, 1, 0, 0);
            writer.publish();
        }
        else
        {
            writer.deferRelease(slot, t, seq.now()); // never refused: published ahead of the next claim
            counters.increment(Counter.RELEASES_DEFERRED);
        }
        counters.increment(Counter.RELEASES);
        if (refs == 0 && transfers != null)
        {
            transfers.onInactive(slot, g1.table().requestId(slot)); // write-back
        }
        return refs;
    }

    @Override
    public int release(final int[] slots, final int n)
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
        if (n < 0 || n > slots.length)
        {
            return fail(Status.INVALID_ARGUMENT);
        }
        // Validate the whole batch first: a slot released k times must hold k references.
        final int mark = ++batch;
        final BlockTable table = g1.table();
        int registered = 0;
        for (int i = 0; i < n; i++)
        {
            final int slot = slots[i];
            final int check = g1.checkRelease(slot);
            if (check < 0)
            {
                return fail(check);
            }
            if (seenIn[slot] != mark)
            {
                seenIn[slot] = mark;
                seenTimes[slot] = 0;
            }
            final int times = ++seenTimes[slot];
            final boolean isRegistered = table.state(slot) == BlockState.REGISTERED.code();
            if (times > 1 && (!isRegistered || times > table.refCount(slot)))
            {
                return fail(Status.INVALID_STATE);
            }
            if (isRegistered)
            {
                registered++;
            }
        }
        final long t = seq.nextTick();
        final boolean claimed = registered > 0 && RingWriter.entriesFor(registered) <= writer.maxEntries() &&
            writer.claim(RingWriter.entriesFor(registered));
        if (claimed)
        {
            writer.run(BlockEventType.RELEASE, Tier.G1, requestIdOf(slots, n), t, seq.now());
        }
        for (int i = 0; i < n; i++)
        {
            final int slot = slots[i];
            if (table.state(slot) != BlockState.REGISTERED.code())
            {
                g1.release(slot); // private: no event
                counters.increment(Counter.RESETS);
                continue;
            }
            g1.release(slot);
            if (claimed)
            {
                writer.add(table, slot, 1, 0, 0);
            }
            else
            {
                writer.deferRelease(slot, t, seq.now());
                counters.increment(Counter.RELEASES_DEFERRED);
            }
            counters.increment(Counter.RELEASES);
        }
        if (claimed)
        {
            writer.publish();
        }
        else if (registered == 0)
        {
            writer.flushDeferred();
        }
        if (transfers != null)
        {
            for (int i = 0; i < n; i++) // write-back, after this call's events (each slot once)
            {
                final int slot = slots[i];
                if (seenTimes[slot] != 0)
                {
                    seenTimes[slot] = 0;
                    if (table.state(slot) == BlockState.REGISTERED.code() && table.refCount(slot) == 0)
                    {
                        transfers.onInactive(slot, table.requestId(slot));
                    }
                }
            }
        }
        return n;
    }

    private long requestIdOf(final int[] slots, final int n)
    {
        return n == 0 ? 0 : g1.table().requestId(slots[0]);
    }

    /**
     * Publishes what the manager found when it opened (the G3 blocks restored from disk, STORED G3 flagged
     * RESTORED) now, instead of on the first call that uses the ring. Owner thread; may wait for ring room.
     */
    public void publishStartup()
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        writer.publishStartup();
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
            case G3:
                return g3;
            case G4:
                return g4;
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

    /** The token ring that token-carrying commits write, or null when none was configured. */
    public TokenRing tokenRing()
    {
        return tokenRing;
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

    /**
     * Tests ({@link Engines.Builder#transferInvoker()}): runs one duty cycle of the transfer engine on the
     * owner's thread (requests taken, copies run, completions posted; nothing applied to the pools until the
     * next manager call). @return the work done.
     */
    int invokeTransfers()
    {
        assert ownedByCaller() : "called from " + Thread.currentThread() + ", owned by " + owner;
        return transfers.invoke();
    }

    /** Whether the transfer engine runs on an invoker (tests) instead of its own thread. */
    boolean transfersOnInvoker()
    {
        return transfers != null && transfers.engine().invokerMode();
    }

    /** A G3 disk tier counter (any thread); 0 when G3 is off. */
    public long g3Counter(final DiskCounter counter)
    {
        return transfers == null ? 0 : transfers.g3Counter(counter);
    }

    /**
     * Latency histograms of the transfers applied so far, by lower tier, direction and outcome (any thread reads);
     * null without transfers.
     */
    public TransferLatencies transferLatencies()
    {
        return transfers == null ? null : transfers.latencies();
    }

    /** Whether G4 is on and its store degraded (skipped by matches and offloads until a probe answers); any thread. */
    public boolean g4Degraded()
    {
        return transfers != null && transfers.g4Degraded();
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
        final StringBuilder sb = new StringBuilder();
        for (final BlockPool pool : new BlockPool[] {g1, g2, g3, g4})
        {
            final String v = pool == null ? null : PoolInvariants.check(pool);
            if (v != null)
            {
                sb.append(v);
            }
        }
        return sb.length() == 0 ? null : sb.toString();
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
        if (g3 != null)
        {
            g3.close();
        }
        if (g4 != null)
        {
            g4.close();
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
