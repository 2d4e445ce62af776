package io.kvbm4j.engine;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * Onboards (G2→G1, after a G3→G2 stage when the prefix continues in G3) and their tickets: one transfer
 * record per onboard, its {@link OnboardPlan} (state, generation, slots) on this side.
 *
 * <p>Lifecycle of an onboard of G2 block b to G1 slot g: b is pinned in G2 and g is allocated PARTIAL in G1
 * (evicting as allocate does); on DONE g is committed (one reference for the caller; a STORED G1 run) and
 * the caller receives it when it polls; on anything else g goes back to the free list and the block is a
 * miss. A block whose bytes failed their checksum is dropped from G2 when nothing else holds it. Only DONE
 * ever makes a block resident. Ticket states: IDLE → RUNNING (or STAGING → RUNNING) → READY → IDLE (polled).
 *
 * <p>Owned by the serving thread.
 */
final class Onboards
{
    private final TransferContext ctx;
    private final RingWriter writer;
    private final BlockPool g1;
    private final BlockPool g2;
    private final TransferEngine engine;
    private final CounterArray counters;
    /** Null when G3 is off. */
    private final G3Transfers g3;
    /** Null when G4 is off. */
    private final G4Transfers g4;
    private final OnboardPlan[] plans;
    private final int[] g2Found;
    private final int[] g1Fresh;
    /** G2 copies that failed verification on an onboard, dropped after the record's STORED run. */
    private final int[] badCopies;

    Onboards(final TransferContext ctx, final G3Transfers g3, final G4Transfers g4)
    {
        this.g4 = g4;
        this.ctx = ctx;
        this.writer = ctx.writer;
        this.g1 = ctx.g1;
        this.g2 = ctx.g2;
        this.engine = ctx.engine;
        this.counters = ctx.counters;
        this.g3 = g3;
        final int batch = ctx.settings.batchBlocks();
        this.plans = new OnboardPlan[engine.capacity()];
        for (int r = 0; r < plans.length; r++)
        {
            plans[r] = new OnboardPlan(batch, g3 != null || g4 != null);
        }
        this.g2Found = new int[batch];
        this.g1Fresh = new int[batch];
        this.badCopies = new int[batch];
    }

    /** The plan of record {@code record}. */
    OnboardPlan plan(final int record)
    {
        return plans[record];
    }

    /**
     * After G1 matched {@code hits} blocks: finds the next blocks in G2 (then G3) and schedules their onboard.
     *
     * @return the number of blocks scheduled (written to slotsOut after the hits), 0 when none or not now.
     */
    int schedule(
        final BlockIds ids, final int count, final int hits, final long requestId, final int[] slotsOut,
        final Onboard onboard)
    {
        if (ctx.stopped || hits >= count)
        {
            return 0;
        }
        int j = 0;
        final int most = Math.min(count - hits, g2Found.length);
        while (j < most)
        {
            final int b = g2.lookup(ids.hi(hits + j), ids.lo(hits + j));
            if (b < 0 || g2.checkAcquire(b) < 0)
            {
                break;
            }
            g2Found[j++] = b;
        }
        int m = g3 == null ? 0 : g3.find(ids, hits + j, most - j);
        // Past G2 (and G3, when it found nothing): G4, asked on the transfer thread; G1 slots reserved for the
        // blocks it may hold, G2 slots only for the run it answers.
        int r = m == 0 && g4 != null ? g4.candidates(most - j) : 0;
        // The metadata store is sized for maxRegistered G1 records; onboarded blocks register there too.
        final int room = (int)Math.min(j + m + r, Math.max(0, ctx.seq.registrationRoom()));
        if (room < j)
        {
            j = room;
            m = 0;
            r = 0;
        }
        else if (m > 0)
        {
            m = room - j;
        }
        else
        {
            r = room - j;
        }
        if (j + m + r == 0)
        {
            return 0;
        }
        final Transfer t = engine.claim();
        if (t == null)
        {
            counters.increment(Counter.ONBOARD_NOT_NOW);
            return 0;
        }
        for (int i = 0; i < j; i++)
        {
            g2.pin(g2Found[i]); // before allocate: nothing may drop them meanwhile
        }
        if (m > 0)
        {
            m = g3.stageSlots(m, requestId);
        }
        int n = j + m + r;
        int got = n == 0 ? -1 : ctx.seq.allocateG1(n, requestId, g1Fresh);
        if (got != n && r > 0)
        {
            r = 0; // no G1 room for what G4 may hold: onboard the G2 part alone
            n = j + m;
            got = n == 0 ? -1 : ctx.seq.allocateG1(n, requestId, g1Fresh);
        }
        if (got != n)
        {
            for (int i = 0; i < j; i++)
            {
                g2.release(g2Found[i]);
            }
            if (m > 0)
            {
                g3.unstage(m);
            }
            engine.recycle(t);
            counters.increment(Counter.ONBOARD_NOT_NOW);
            return 0;
        }
        // Fresh slots are interchangeable: ascending order lets adjacent ones go in one copy (the free stack
        // hands back recently released slots in reverse).
        for (int i = 1; i < n; i++)
        {
            final int v = g1Fresh[i];
            int k = i - 1;
            while (k >= 0 && g1Fresh[k] > v)
            {
                g1Fresh[k + 1] = g1Fresh[k];
                k--;
            }
            g1Fresh[k + 1] = v;
        }
        final OnboardPlan plan = plans[t.index()];
        if (r > 0)
        {
            // First the G4 lookup; G4Transfers.applyLookup and applyStage turn the record into reads, then the
            // G2→G1 leg.
            g4.beginLookup(t, plan, ids, hits + j, r);
            System.arraycopy(g2Found, 0, plan.stageG2, 0, j);
            plan.stageG2Count = j;
            System.arraycopy(g1Fresh, 0, plan.stageG1, 0, n);
            plan.stageG1Count = n;
        }
        else if (m == 0)
        {
            t.begin(Transfer.ONBOARD, ctx.g2Memory, ctx.g1Memory, ctx.deadline(), ctx.settings.verifyG2());
            final BlockTable lower = g2.table();
            for (int i = 0; i < j; i++)
            {
                t.add(g2Found[i], g1Fresh[i], lower.checksum(g2Found[i]));
            }
            plan.state = OnboardState.RUNNING;
        }
        else
        {
            // First G3→G2; G3Transfers.applyStage turns the record into the G2→G1 leg.
            g3.beginStage(t, plan, ids, hits + j, m);
            System.arraycopy(g2Found, 0, plan.stageG2, 0, j);
            plan.stageG2Count = j;
            System.arraycopy(g1Fresh, 0, plan.stageG1, 0, n);
            plan.stageG1Count = n;
        }
        t.requestId = requestId;
        System.arraycopy(g1Fresh, 0, slotsOut, hits, n);
        plan.generation++;
        onboard.set(ticket(t.index()), hits, n);
        counters.add(Counter.ONBOARD_SCHEDULED_BLOCKS, n);
        engine.submit(t);
        return n;
    }

    /** A finished G2→G1 copy. @return false when the ring is full (apply on a later call). */
    boolean apply(final Transfer t)
    {
        final int n = t.count();
        if (!writer.claim(2 * RingWriter.entriesFor(n)))
        {
            return false; // ring full: apply on a later call
        }
        final OnboardPlan plan = plans[t.index()];
        final long requestId = t.requestId;
        final BlockTable lower = g2.table();
        final long tick = ctx.seq.nextTick();
        writer.run(BlockEventType.STORED, Tier.G1, requestId, tick, ctx.seq.now());
        int ready = 0;
        int bad = 0;
        boolean intact = true;
        for (int i = 0; i < n; i++)
        {
            final int b = t.srcSlot(i);
            final int g = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final int held = g1.commit(g, lower.idHi(b), lower.idLo(b), lower.parentHi(b), lower.parentLo(b),
                    lower.position(b), ctx.blockTokens, tick);
                counters.increment(Counter.ONBOARDED_BLOCKS);
                if (intact)
                {
                    plan.slots[ready++] = held; // the caller's reference
                }
                else
                {
                    g1.release(held); // cached, but past a gap in the prefix: nobody holds it
                }
                if (held != g)
                {
                    writer.add(g1.table(), held, g, BlockEvent.ONBOARD | BlockEvent.DEDUP, 0);
                    counters.increment(Counter.DEDUPLICATED_BLOCKS);
                }
                else
                {
                    writer.add(g1.table(), held, 0, BlockEvent.ONBOARD, ctx.pools.otherTiers(g1, held));
                }
            }
            else
            {
                intact = false;
                g1.release(g); // PARTIAL → free: a miss (private, no event)
                ctx.countFailure(outcome, t.checksumMismatch(i));
            }
            g2.release(b); // unpin
            if (t.checksumMismatch(i))
            {
                badCopies[bad++] = b;
            }
        }
        writer.run(BlockEventType.REMOVED, Tier.G2, requestId, tick, ctx.seq.now());
        for (int i = bad - 1; i >= 0; i--) // leaves first
        {
            final int b = badCopies[i];
            if (g2.state(b) == BlockState.REGISTERED && g2.table().refCount(b) == 0 && g2.table().childCount(b) == 0)
            {
                g2.evict(b); // the bad copy is dropped
                writer.add(lower, b, 0, BlockEvent.CORRUPT, ctx.pools.otherTiers(g2, b));
                counters.increment(Counter.G2_EVICTED_BLOCKS);
            }
        }
        writer.publish();
        plan.ready = ready;
        plan.state = OnboardState.READY;
        return true;
    }

    private long ticket(final int record)
    {
        return (plans[record].generation << 20) | record;
    }

    /**
     * The record a pending {@code onboard} names, or -1 when its ticket is not (or no longer) valid.
     */
    int record(final Onboard onboard)
    {
        final long ticket = onboard.ticket();
        final int record = (int)(ticket & ((1 << 20) - 1));
        if (record >= plans.length || ticket(record) != ticket || plans[record].state == OnboardState.IDLE)
        {
            return -1;
        }
        return record;
    }

    /** Hands a READY record's slots to the caller and frees the ticket. See {@link io.kvbm4j.api.KvBlockManager#pollOnboard}. */
    int collect(final int record, final Onboard onboard, final int[] slotsOut)
    {
        final OnboardPlan plan = plans[record];
        if (plan.state != OnboardState.READY)
        {
            return Status.NOT_READY;
        }
        if (slotsOut.length < onboard.hits() + plan.ready)
        {
            return Status.INVALID_ARGUMENT;
        }
        final int ready = plan.ready;
        System.arraycopy(plan.slots, 0, slotsOut, onboard.hits(), ready);
        plan.state = OnboardState.IDLE;
        engine.recycle(engine.record(record));
        onboard.collected();
        return ready;
    }

    /** Onboards applied and waiting for their caller's poll. */
    int readyCount()
    {
        int ready = 0;
        for (final OnboardPlan plan : plans)
        {
            if (plan.state == OnboardState.READY)
            {
                ready++;
            }
        }
        return ready;
    }

    /** Shutdown: onboards nobody collected give their references back and their records. */
    void releaseUncollected()
    {
        for (int record = 0; record < plans.length; record++)
        {
            final OnboardPlan plan = plans[record];
            if (plan.state == OnboardState.READY)
            {
                for (int i = 0; i < plan.ready; i++)
                {
                    final int slot = plan.slots[i];
                    if (g1.state(slot) == BlockState.REGISTERED && g1.table().refCount(slot) > 0)
                    {
                        g1.release(slot); // the uncollected caller's reference
                    }
                }
                plan.state = OnboardState.IDLE;
                engine.recycle(engine.record(record));
            }
        }
    }
}
