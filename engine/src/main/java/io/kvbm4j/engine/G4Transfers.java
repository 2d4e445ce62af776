package io.kvbm4j.engine;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.remote.RemoteOutcome;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * The serving thread's side of G4 (the remote store; the transfer thread's side is {@link G4Copier}): G2→G4
 * write-back, and onboards whose prefix runs past G2 and G3: a prefix lookup, then G4→G2 reads of the run
 * found, then the G2→G1 leg, all on one record (one ticket). The serving thread never calls the store.
 *
 * <p>Write-back: a block that enters G2 by an offload (so it passed the admission policy) is written to G4:
 * the G2 block is pinned and a slot of the G4 <em>index</em> pool allocated PARTIAL (the index is what this node
 * knows G4 holds; forgetting its LRU entry is a REMOVED G4 event, the store keeps the block); on success
 * (stored, or already there: write-once) the index entry is registered INACTIVE (a STORED G4 event), on
 * anything else its slot goes back; either way the G2 block is unpinned.
 *
 * <p>Onboard: {@link #candidates} lets the onboard reserve G1 slots for up to {@code g4.max-lookup-ids} blocks
 * past G2 (never when G4 is degraded); the record starts as a LOOKUP (G4→G4, state {@link OnboardState#LOOKING}).
 * When it answers, {@link #applyLookup} allocates G2 slots for the leading run only (evicting G2's inactive
 * leaves) and turns the record into the reads (STAGING); {@link #applyStage} registers the leading run of
 * verified blocks in G2 and turns the record into the G2→G1 leg (RUNNING), giving back the G1 slots past it.
 * A miss, a corrupt value (the store deleted it), a timeout or a refusal ends the run there: a miss, counted.
 *
 * <p>Owned by the serving thread. Invariant: every G2 block pinned here has exactly one record that unpins it;
 * every G4 index slot allocated PARTIAL here is registered or released when its record is applied.
 */
final class G4Transfers
{
    private final TransferContext ctx;
    private final RingWriter writer;
    private final BlockPool g2;
    private final BlockPool g4;
    private final TransferEngine engine;
    private final CounterArray counters;
    private final G4Copier io;
    private Transfer staged;
    /** Scratch: the G2 slots allocated for a lookup's run. */
    private final int[] g2Stage;
    /** Whether G4's present degradation has been published. */
    private boolean degradedPublished;

    G4Transfers(final TransferContext ctx, final G4Copier io)
    {
        this.ctx = ctx;
        this.writer = ctx.writer;
        this.g2 = ctx.g2;
        this.g4 = ctx.pools.get(Tier.G4);
        this.engine = ctx.engine;
        this.counters = ctx.counters;
        this.io = io;
        this.g2Stage = new int[ctx.settings.batchBlocks()];
    }

    /** Whether a finished record is a G4 write, lookup or read. */
    boolean involves(final Transfer t)
    {
        return io.involves(t);
    }

    /** Whether a finished G4 onboard record is its lookup (G4→G4) rather than its reads (G4→G2). */
    boolean isLookup(final Transfer t)
    {
        return t.source() == io.g4() && t.destination() == io.g4();
    }

    /** Whether the store is degraded now (any thread). */
    boolean degraded()
    {
        return !io.remote().healthy();
    }

    /** Publishes G4's degradation once per episode, as soon as the store reports it (and the ring has room). */
    void publishDegraded()
    {
        final boolean healthy = io.remote().healthy();
        if (healthy)
        {
            degradedPublished = false; // the probe brought it back: a later episode is published again
        }
        else if (!degradedPublished && writer.claim(1))
        {
            writer.single(BlockEventType.DEGRADED, Tier.G4, 0, ctx.seq.nextTick(), ctx.seq.now());
            writer.publish();
            degradedPublished = true;
            counters.increment(Counter.TIERS_DEGRADED);
        }
    }

    /** Submits the staged write-back batch. */
    void flush()
    {
        final Transfer t = staged;
        if (t != null)
        {
            staged = null;
            io.plan(t.index()).reset();
            t.deadlineNanos(ctx.deadline());
            engine.submit(t);
        }
    }

    /** Write-back to G4: block {@code b} just entered G2 (inactive); copy it to the shared store. */
    void writeBack(final int b, final long requestId)
    {
        final BlockTable lower = g2.table();
        final long hi = lower.idHi(b);
        final long lo = lower.idLo(b);
        if (ctx.stopped || g4.lookup(hi, lo) >= 0)
        {
            return;
        }
        if (!io.remote().healthy())
        {
            counters.increment(Counter.G4_OFFLOAD_DROPPED); // degraded: skipped until the probe restores it
            return;
        }
        if (staged != null && staged.isFull())
        {
            flush();
        }
        if (staged == null)
        {
            final Transfer t = engine.claim();
            if (t == null)
            {
                counters.increment(Counter.G4_OFFLOAD_DROPPED);
                return;
            }
            t.begin(Transfer.OFFLOAD, ctx.g2Memory, io.g4(), ctx.deadline(), false);
            staged = t;
        }
        if (g4.freeCount() == 0)
        {
            if (g4.evictableCount() == 0 || !writer.claim(1))
            {
                counters.increment(Counter.G4_OFFLOAD_DROPPED); // the index full of blocks in flight, or the ring full
                if (staged.count() == 0)
                {
                    engine.recycle(staged);
                    staged = null;
                }
                return;
            }
            counters.add(Counter.G4_EVICTED_BLOCKS, ctx.seq.evict(g4, 1, requestId, ctx.seq.nextTick()));
            writer.publish();
        }
        final int d = g4.allocate(requestId, ctx.seq.nextTick());
        g2.pin(b); // stays pinned until the write is applied: the store reads the G2 slot
        final int i = staged.count();
        io.plan(staged.index()).block(i, hi, lo);
        // The value carries the checksum taken from G1: a G2 copy corrupted since reads back CORRUPT, never valid.
        staged.add(b, d, ctx.settings.verifyG2() ? lower.checksum(b) : 0);
    }

    /** A finished G2→G4 write batch. @return false when the ring is full (apply on a later call). */
    boolean applyWrite(final Transfer t)
    {
        if (!writer.claim(RingWriter.entriesFor(t.count())))
        {
            return false;
        }
        writer.run(BlockEventType.STORED, Tier.G4, 0, ctx.seq.nextTick(), ctx.seq.now());
        final BlockTable lower = g2.table();
        final G4Plan plan = io.plan(t.index());
        for (int i = 0; i < t.count(); i++)
        {
            final int b = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final int status = plan.status[i];
            if (t.outcome(i) == TransferOutcome.DONE &&
                (status == RemoteOutcome.OK || status == RemoteOutcome.ALREADY_PRESENT))
            {
                g4.fill(d, ctx.blockTokens, ctx.blockTokens);
                g4.complete(d, lower.idHi(b), lower.idLo(b), lower.parentHi(b), lower.parentLo(b), lower.position(b),
                    ctx.blockTokens);
                final int held = g4.register(d, ctx.seq.nextTick());
                g4.release(held); // known in G4, no reference held
                if (held == d)
                {
                    counters.increment(Counter.G4_OFFLOADED_BLOCKS);
                    writer.add(g4.table(), d, 0, 0, ctx.pools.otherTiers(g4, d));
                }
            }
            else
            {
                g4.release(d); // PARTIAL: back to the index's free list, never resident
                counters.increment(Counter.G4_WRITE_FAILED_BLOCKS);
                countStatus(status);
                if (t.outcome(i) != TransferOutcome.DONE)
                {
                    ctx.countFailure(t.outcome(i), false);
                }
            }
            g2.release(b); // unpin
        }
        writer.publish();
        return true;
    }

    private void countStatus(final int status)
    {
        if (status == RemoteOutcome.TIMED_OUT)
        {
            counters.increment(Counter.G4_TIMEOUTS);
        }
        else if (status == RemoteOutcome.CORRUPT)
        {
            counters.increment(Counter.G4_CORRUPT_BLOCKS);
            counters.increment(Counter.CHECKSUM_MISMATCHES);
        }
    }

    /**
     * How many blocks past G2 an onboard may look up in G4: {@code most} capped by the lookup size; 0 while G4
     * is degraded (matches skip it).
     */
    int candidates(final int most)
    {
        return io.remote().healthy() ? Math.min(most, io.remote().maxLookupIds()) : 0;
    }

    /**
     * Starts record {@code t} as the G4 lookup of blocks {@code first..first+r-1} of {@code ids}; the onboard's
     * G2 part and G1 slots are already in {@code onboard} (stageG2, stageG1).
     */
    void beginLookup(final Transfer t, final OnboardPlan onboard, final BlockIds ids, final int first, final int r)
    {
        t.begin(Transfer.ONBOARD, io.g4(), io.g4(), ctx.deadline(), false);
        final G4Plan plan = io.plan(t.index());
        plan.reset();
        for (int i = 0; i < r; i++)
        {
            final int position = first + i;
            t.add(i, i, 0);
            plan.block(i, ids.hi(position), ids.lo(position));
            onboard.parentHi[i] = position == 0 ? 0 : ids.hi(position - 1);
            onboard.parentLo[i] = position == 0 ? 0 : ids.lo(position - 1);
            onboard.position[i] = position;
        }
        onboard.state = OnboardState.LOOKING;
        counters.increment(Counter.G4_LOOKUPS);
    }

    /**
     * A finished lookup: allocates G2 slots for the leading run found (evicting G2's inactive leaves) and turns
     * the record into its reads (STAGING: the caller submits it again); with no run, straight to the G2→G1 leg
     * of the G2 part (RUNNING) or READY.
     */
    void applyLookup(final Transfer t, final OnboardPlan onboard)
    {
        final G4Plan plan = io.plan(t.index());
        final int asked = t.count();
        int run = 0;
        if (t.outcome(0) == TransferOutcome.DONE && plan.lookupStatus == RemoteOutcome.OK)
        {
            run = Math.min(plan.run, asked);
        }
        else
        {
            counters.add(Counter.G4_READ_FAILED_BLOCKS, asked);
            countStatus(plan.lookupStatus);
        }
        counters.add(Counter.G4_LOOKUP_HITS, run);
        final long requestId = t.requestId;
        int m = ctx.stopped || engine.stopping() ? 0 : Math.min(run, g2.freeCount() + g2.inactiveCount());
        final int evictions = Math.max(0, m - g2.freeCount());
        if (evictions > 0)
        {
            if (!writer.claim(RingWriter.entriesFor(evictions)))
            {
                m = g2.freeCount();
            }
            else
            {
                counters.add(Counter.G2_EVICTED_BLOCKS, ctx.seq.evict(g2, evictions, requestId, ctx.seq.nextTick()));
                writer.publish();
                m = Math.min(m, g2.freeCount());
            }
        }
        if (m == 0)
        {
            toG1(t, onboard, onboard.stageG2Count);
            return;
        }
        final long tick = ctx.seq.nextTick();
        t.begin(Transfer.ONBOARD, io.g4(), ctx.g2Memory, ctx.deadline(), false);
        t.requestId = requestId;
        plan.reset();
        for (int i = 0; i < m; i++)
        {
            g2Stage[i] = g2.allocate(requestId, tick);
            t.add(i, g2Stage[i], 0);
            plan.block(i, plan.idHi[i], plan.idLo[i]);
        }
        onboard.state = OnboardState.STAGING;
    }

    /**
     * A finished G4→G2 read: registers the leading run of verified blocks in G2 (each holding one reference for
     * the G2→G1 leg), caches a verified block past a failed one in G2, forgets in the G4 index what the store
     * no longer holds, and turns the record into the G2→G1 leg (RUNNING) or READY.
     *
     * @return false when the ring is full (apply on a later call).
     */
    boolean applyStage(final Transfer t, final OnboardPlan onboard)
    {
        if (!writer.claim(2 * RingWriter.entriesFor(t.count())))
        {
            return false;
        }
        final G4Plan plan = io.plan(t.index());
        final long requestId = t.requestId;
        final long tick = ctx.seq.nextTick();
        writer.run(BlockEventType.STORED, Tier.G2, requestId, tick, ctx.seq.now());
        int run = onboard.stageG2Count;
        boolean intact = true;
        for (int i = 0; i < t.count(); i++)
        {
            final int d = t.dstSlot(i);
            final int status = plan.status[i];
            if (t.outcome(i) == TransferOutcome.DONE && status == RemoteOutcome.OK)
            {
                final int held = g2.commit(d, plan.idHi[i], plan.idLo[i], onboard.parentHi[i], onboard.parentLo[i],
                    onboard.position[i], ctx.blockTokens, ctx.seq.nextTick());
                if (held == d)
                {
                    g2.table().checksum(d, plan.checksum[i]);
                    g2.table().payloadBytes(d, ctx.g2Memory.payloadBytes());
                }
                counters.increment(Counter.G4_ONBOARDED_BLOCKS);
                if (intact)
                {
                    onboard.stageG2[run++] = held; // one reference: the G2→G1 leg's pin
                }
                else
                {
                    g2.release(held); // cached in G2, past a gap in the prefix
                }
                writer.add(g2.table(), held, held == d ? 0 : d, held == d ? 0 : BlockEvent.DEDUP,
                    held == d ? ctx.pools.otherTiers(g2, held) : 0);
            }
            else
            {
                intact = false;
                g2.release(d); // PARTIAL: back to G2's free list
                counters.increment(Counter.G4_READ_FAILED_BLOCKS);
                countStatus(status);
                if (t.outcome(i) != TransferOutcome.DONE)
                {
                    ctx.countFailure(t.outcome(i), false);
                }
            }
        }
        // What this node thought G4 held and the store no longer has (gone, or corrupt and deleted): forgotten.
        writer.run(BlockEventType.REMOVED, Tier.G4, requestId, tick, ctx.seq.now());
        for (int i = t.count() - 1; i >= 0; i--)
        {
            final int status = plan.status[i];
            if (status == RemoteOutcome.MISS || status == RemoteOutcome.CORRUPT)
            {
                final int c = g4.lookup(plan.idHi[i], plan.idLo[i]);
                if (c >= 0 && g4.table().refCount(c) == 0 && g4.table().childCount(c) == 0)
                {
                    g4.evict(c);
                    writer.add(g4.table(), c, 0, status == RemoteOutcome.CORRUPT ? BlockEvent.CORRUPT : 0,
                        ctx.pools.otherTiers(g4, c));
                }
            }
        }
        writer.publish();
        toG1(t, onboard, run);
        return true;
    }

    /**
     * Turns the record into the G2→G1 leg of the first {@code run} blocks of {@code onboard.stageG2} (RUNNING),
     * giving back the G1 slots past it; READY with nothing when the run is empty or transfers are stopping.
     */
    private void toG1(final Transfer t, final OnboardPlan onboard, final int run)
    {
        final int n = onboard.stageG1Count;
        final int keep = ctx.stopped || engine.stopping() ? 0 : run;
        for (int k = keep; k < n; k++)
        {
            ctx.g1.release(onboard.stageG1[k]); // PARTIAL → free: nothing will fill it (private, no event)
        }
        if (keep == 0)
        {
            for (int k = 0; k < run; k++)
            {
                g2.release(onboard.stageG2[k]);
            }
            onboard.ready = 0;
            onboard.state = OnboardState.READY;
            return;
        }
        final long requestId = t.requestId;
        t.begin(Transfer.ONBOARD, ctx.g2Memory, ctx.g1Memory, ctx.deadline(), ctx.settings.verifyG2());
        t.requestId = requestId;
        final BlockTable lower = g2.table();
        for (int k = 0; k < keep; k++)
        {
            t.add(onboard.stageG2[k], onboard.stageG1[k], lower.checksum(onboard.stageG2[k]));
        }
        onboard.state = OnboardState.RUNNING;
    }
}
