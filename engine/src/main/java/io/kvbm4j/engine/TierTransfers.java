package io.kvbm4j.engine;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.NanoClock;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.config.TransferSettings;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.EventPipeline;
import io.kvbm4j.policy.AdmissionPolicy;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * The serving thread's side of G1↔G2 transfers: decides what to offload, pins what is being copied,
 * allocates the target slots, submits to the {@link TransferEngine} and applies its completions to the
 * pools.
 *
 * <p>Owned by the serving thread (the manager's owner); every method is called from the manager's
 * methods, never from another thread. Nothing here waits except {@link #await} and {@link #stop}, which the
 * caller chooses to call.
 *
 * <p>Lifecycle of an offload of G1 block s to G2 slot d: s is pinned ({@link BlockPool#pin}, not an access,
 * so it cannot be evicted while it is read) and d is allocated PARTIAL in G2; on DONE, d is filled,
 * completed with s's id, registered with the checksum taken on the way down, and released to INACTIVE
 * (cached in G2); on anything else d goes back to G2's free list. Either way s is unpinned.
 *
 * <p>Lifecycle of an onboard of G2 block b to G1 slot g: b is pinned in G2 and g is allocated PARTIAL in G1
 * (with ALLOCATE events, evicting as allocate does); on DONE g is filled, completed and registered (one
 * reference for the caller; FILL, COMPLETE, REGISTER events) and the caller receives it when it polls; on
 * anything else g goes back to the free list (RESET) and the block is a miss. A block whose bytes failed
 * their checksum is dropped from G2 when nothing else holds it. Only DONE ever makes a block resident.
 *
 * <p>Invariants: every claimed record is either being staged (offloads, this call), submitted, or
 * completed and awaiting its caller's poll (onboards); every pin has exactly one transfer that drops it.
 */
final class TierTransfers
{
    private static final int G1 = Tier.G1.ordinal();
    private static final int G2 = Tier.G2.ordinal();
    private static final byte IDLE = 0;
    private static final byte RUNNING = 1;
    private static final byte READY = 2;
    /**
     * Events applying one onboarded block may publish: DONE: FILL, COMPLETE, REGISTER or DEDUP + RESET, RELEASE;
     * otherwise RESET and the EVICT of a bad G2 copy.
     */
    private static final int EVENTS_PER_ONBOARD_BLOCK = 5;

    private final DefaultKvBlockManager manager;
    private final BlockPool g1;
    private final BlockPool g2;
    private final SlotMemory g1Memory;
    private final SlotMemory g2Memory;
    private final TransferEngine engine;
    private final EventPipeline pipeline;
    private final CounterArray counters;
    private final NanoClock clock;
    private final TransferSettings settings;
    private final AdmissionPolicy admission;
    private final int blockTokens;
    private final long timeoutNanos;
    private final byte[] onboardState;
    private final int[] onboardReady;
    private final int[][] onboardSlots;
    private final long[] generation;
    private final int[] g2Found;
    private final int[] g1Fresh;
    private Transfer staged;
    private boolean stopped;

    TierTransfers(
        final DefaultKvBlockManager manager, final BlockPool g1, final BlockPool g2, final SlotMemory g1Memory,
        final SlotMemory g2Memory, final TransferEngine engine, final EventPipeline pipeline,
        final CounterArray counters, final NanoClock clock, final TransferSettings settings,
        final AdmissionPolicy admission, final int blockTokens)
    {
        this.manager = manager;
        this.g1 = g1;
        this.g2 = g2;
        this.g1Memory = g1Memory;
        this.g2Memory = g2Memory;
        this.engine = engine;
        this.pipeline = pipeline;
        this.counters = counters;
        this.clock = clock;
        this.settings = settings;
        this.admission = admission;
        this.blockTokens = blockTokens;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
        final int records = engine.capacity();
        this.onboardState = new byte[records];
        this.onboardReady = new int[records];
        this.onboardSlots = new int[records][settings.batchBlocks()];
        this.generation = new long[records];
        this.g2Found = new int[settings.batchBlocks()];
        this.g1Fresh = new int[settings.batchBlocks()];
    }

    /** Residency bits of a block in the tiers below G1 (the G2 bit, or 0). */
    int residencyBelow(final long hi, final long lo)
    {
        return g2.lookup(hi, lo) >= 0 ? Tier.G2.bit() : 0;
    }

    /** The engine behind these transfers (copies and bytes counted there). */
    TransferEngine engine()
    {
        return engine;
    }

    /** At the top of every manager call: apply finished transfers; submit the staged batch when asked. */
    void beforeCall(final boolean flush)
    {
        if (flush)
        {
            flushStaged();
        }
        drain();
    }

    /** Applies every finished transfer (a few queue polls; no copy, no wait). */
    void drain()
    {
        Transfer t;
        while ((t = engine.peekCompleted()) != null)
        {
            if (!(t.direction() == Transfer.OFFLOAD ? applyOffload(t) : applyOnboard(t)))
            {
                return; // ring full: apply on a later call
            }
            engine.pollCompleted();
            if (t.direction() == Transfer.OFFLOAD)
            {
                engine.recycle(t);
            }
        }
    }

    /** Submits the staged offload batch, if any. */
    void flushStaged()
    {
        final Transfer t = staged;
        if (t != null)
        {
            staged = null;
            t.deadlineNanos(clock.nanoTime() + timeoutNanos);
            engine.submit(t);
        }
    }

    /** Write-through: a block was just registered (new id). */
    void onRegistered(final int slot, final long requestId)
    {
        if (settings.offload() == TransferSettings.Offload.WRITE_THROUGH)
        {
            offload(slot, requestId);
        }
    }

    /** Write-back: a registered block just lost its last reference. */
    void onInactive(final int slot, final long requestId)
    {
        if (settings.offload() == TransferSettings.Offload.WRITE_BACK)
        {
            offload(slot, requestId);
        }
    }

    private void offload(final int slot, final long requestId)
    {
        final BlockTable table = g1.table();
        if (stopped || g2.lookup(table.idHi(slot), table.idLo(slot)) >= 0 || !admission.admit(table, slot))
        {
            return; // already in G2, or not worth it
        }
        if (staged != null && staged.isFull())
        {
            flushStaged();
        }
        if (staged == null)
        {
            final Transfer t = engine.claim();
            if (t == null)
            {
                counters.increment(Counter.OFFLOAD_DROPPED);
                return;
            }
            t.begin(Transfer.OFFLOAD, g1Memory, g2Memory, clock.nanoTime() + timeoutNanos, settings.verifyG2());
            staged = t;
        }
        if (g2.freeCount() == 0)
        {
            final int victim = g2.victim(); // G2's own policy: its inactive leaves
            final long seq = victim < 0 ? -1 : pipeline.tryClaim(1);
            if (seq < 0)
            {
                counters.increment(Counter.OFFLOAD_DROPPED); // G2 full of blocks in use, or the ring full
                recycleIfEmpty();
                return;
            }
            evictG2(seq, victim, requestId);
            pipeline.publish(seq, seq);
        }
        final int d = g2.allocate(requestId, manager.nextTick());
        g1.pin(slot);
        staged.add(slot, d, 0);
    }

    /** Evicts a G2 candidate and describes it in the claimed entry {@code seq}. */
    private void evictG2(final long seq, final int slot, final long requestId)
    {
        final BlockTable lower = g2.table();
        final int earned = lower.accessCount(slot);
        g2.evict(slot); // id fields stay readable until the slot is allocated again
        final BlockEvent event = pipeline.event(seq);
        event.set(BlockEventType.EVICT, G2, slot, lower.idHi(slot), lower.idLo(slot), lower.parentHi(slot),
            lower.parentLo(slot), lower.position(slot), requestId, manager.nextTick(), manager.eventTime(), 0, earned);
        event.otherTiers = g1.lookup(lower.idHi(slot), lower.idLo(slot)) >= 0 ? Tier.G1.bit() : 0;
        counters.increment(Counter.G2_EVICTED_BLOCKS);
    }

    private void recycleIfEmpty()
    {
        if (staged != null && staged.count() == 0)
        {
            engine.recycle(staged);
            staged = null;
        }
    }

    private boolean applyOffload(final Transfer t)
    {
        final int n = t.count();
        final long hi = pipeline.tryClaim(n);
        if (hi < 0)
        {
            return false;
        }
        long seq = hi - n + 1;
        final long now = manager.eventTime();
        final BlockTable src = g1.table();
        for (int i = 0; i < n; i++)
        {
            final int s = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final long tick = manager.nextTick();
                g2.fill(d, blockTokens, blockTokens);
                g2.complete(d, src.idHi(s), src.idLo(s), src.parentHi(s), src.parentLo(s), src.position(s), blockTokens);
                final int held = g2.register(d, tick);
                if (held == d)
                {
                    g2.table().checksum(d, t.checksum(i));
                    g2.table().payloadBytes(d, g2Memory.payloadBytes());
                    counters.increment(Counter.OFFLOADED_BLOCKS);
                    final BlockEvent event = pipeline.event(seq++);
                    event.set(BlockEventType.OFFLOAD, G2, d, src.idHi(s), src.idLo(s), src.parentHi(s), src.parentLo(s),
                        src.position(s), src.requestId(s), tick, now, 0, 0);
                    event.otherTiers = Tier.G1.bit(); // the source is still resident (pinned)
                }
                g2.release(held); // cached in G2, no reference held
            }
            else
            {
                g2.release(d); // PARTIAL: back to G2's free list, never resident
                countFailure(outcome, t.checksumMismatch(i));
            }
            g1.release(s); // unpin
        }
        while (seq <= hi)
        {
            pipeline.event(seq++).set(BlockEventType.NOOP, G2, -1, 0, 0, 0, 0, 0, 0, 0, now, 0, 0);
        }
        pipeline.publish(hi - n + 1, hi);
        return true;
    }

    private boolean applyOnboard(final Transfer t)
    {
        final int n = t.count();
        final int events = n * EVENTS_PER_ONBOARD_BLOCK;
        final long hi = pipeline.tryClaim(events);
        if (hi < 0)
        {
            return false;
        }
        final int record = t.index();
        final long now = manager.eventTime();
        long seq = hi - events + 1;
        final long requestId = t.requestId;
        final BlockTable lower = g2.table();
        int ready = 0;
        boolean intact = true;
        for (int i = 0; i < n; i++)
        {
            final int b = t.srcSlot(i);
            final int g = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            final long tick = manager.nextTick();
            if (outcome == TransferOutcome.DONE)
            {
                g1.fill(g, blockTokens, blockTokens);
                manager.emit(seq++, BlockEventType.FILL, g, requestId, tick, now, blockTokens);
                g1.complete(g, lower.idHi(b), lower.idLo(b), lower.parentHi(b), lower.parentLo(b), lower.position(b),
                    blockTokens);
                manager.emit(seq++, BlockEventType.COMPLETE, g, requestId, tick, now, 0);
                final int held = g1.register(g, tick);
                if (held != g)
                {
                    manager.emit(seq++, BlockEventType.DEDUP, held, requestId, tick, now, g);
                    manager.emit(seq++, BlockEventType.RESET, g, requestId, tick, now, 0);
                }
                else
                {
                    manager.emit(seq++, BlockEventType.REGISTER, g, requestId, tick, now, 0);
                }
                counters.increment(Counter.ONBOARDED_BLOCKS);
                if (intact)
                {
                    onboardSlots[record][ready++] = held; // the caller's reference
                }
                else
                {
                    g1.release(held); // cached, but past a gap in the prefix: nobody holds it
                    manager.emit(seq++, BlockEventType.RELEASE, held, requestId, tick, now, 0);
                }
            }
            else
            {
                intact = false;
                g1.release(g); // PARTIAL → RESET: a miss
                manager.emit(seq++, BlockEventType.RESET, g, requestId, tick, now, 0);
                countFailure(outcome, t.checksumMismatch(i));
            }
            g2.release(b); // unpin
            if (t.checksumMismatch(i) && g2.table().refCount(b) == 0 && g2.table().childCount(b) == 0)
            {
                evictG2(seq++, b, requestId); // the bad copy is dropped
            }
        }
        while (seq <= hi)
        {
            pipeline.event(seq++).set(BlockEventType.NOOP, G1, -1, 0, 0, 0, 0, 0, requestId, 0, now, 0, 0);
        }
        pipeline.publish(hi - events + 1, hi);
        onboardReady[record] = ready;
        onboardState[record] = READY;
        return true;
    }

    private void countFailure(final byte outcome, final boolean mismatch)
    {
        switch (outcome)
        {
            case TransferOutcome.FAILED:
                counters.increment(Counter.TRANSFER_FAILED_BLOCKS);
                if (mismatch)
                {
                    counters.increment(Counter.CHECKSUM_MISMATCHES);
                }
                break;
            case TransferOutcome.CANCELLED:
                counters.increment(Counter.TRANSFER_CANCELLED_BLOCKS);
                break;
            case TransferOutcome.TIMED_OUT:
                counters.increment(Counter.TRANSFER_TIMED_OUT_BLOCKS);
                break;
            default:
                throw new IllegalStateException("not a failure outcome: " + TransferOutcome.name(outcome));
        }
    }

    /**
     * After G1 matched {@code hits} blocks: finds the next blocks in G2 and schedules their onboard.
     *
     * @return the number of blocks scheduled (written to slotsOut after the hits), 0 when none or not now.
     */
    int scheduleOnboard(
        final BlockIds ids, final int count, final int hits, final long requestId, final int[] slotsOut,
        final Onboard onboard)
    {
        if (stopped || hits >= count)
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
        // The metadata store is sized for maxRegistered G1 records; onboarded blocks register there too.
        j = (int)Math.min(j, Math.max(0, manager.maxRegistered() - g1.activeCount() - g1.inactiveCount()));
        if (j == 0)
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
        final int got = manager.allocateSlots(j, requestId, g1Fresh);
        if (got != j)
        {
            for (int i = 0; i < j; i++)
            {
                g2.release(g2Found[i]);
            }
            engine.recycle(t);
            counters.increment(Counter.ONBOARD_NOT_NOW);
            return 0;
        }
        // Fresh slots are interchangeable: ascending order lets adjacent ones go in one copy (the free stack
        // hands back recently released slots in reverse).
        for (int i = 1; i < j; i++)
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
        t.begin(Transfer.ONBOARD, g2Memory, g1Memory, clock.nanoTime() + timeoutNanos, settings.verifyG2());
        t.requestId = requestId;
        final BlockTable lower = g2.table();
        for (int i = 0; i < j; i++)
        {
            t.add(g2Found[i], g1Fresh[i], lower.checksum(g2Found[i]));
            slotsOut[hits + i] = g1Fresh[i];
        }
        final int record = t.index();
        generation[record]++;
        onboardState[record] = RUNNING;
        onboard.set(ticket(record), hits, j);
        counters.add(Counter.ONBOARD_SCHEDULED_BLOCKS, j);
        engine.submit(t);
        return j;
    }

    private long ticket(final int record)
    {
        return (generation[record] << 20) | record;
    }

    /** See {@link io.kvbm4j.api.KvBlockManager#pollOnboard}. */
    int poll(final Onboard onboard, final int[] slotsOut)
    {
        if (!onboard.pending())
        {
            return 0;
        }
        final long ticket = onboard.ticket();
        final int record = (int)(ticket & ((1 << 20) - 1));
        if (record >= onboardState.length || ticket(record) != ticket || onboardState[record] == IDLE)
        {
            return Status.INVALID_ARGUMENT;
        }
        flushStaged();
        drain();
        if (onboardState[record] != READY)
        {
            return Status.NOT_READY;
        }
        if (slotsOut.length < onboard.hits() + onboardReady[record])
        {
            return Status.INVALID_ARGUMENT;
        }
        final int ready = onboardReady[record];
        System.arraycopy(onboardSlots[record], 0, slotsOut, onboard.hits(), ready);
        onboardState[record] = IDLE;
        engine.recycle(engine.record(record));
        onboard.collected();
        return ready;
    }

    /** Polls until finished or the deadline; parks briefly between polls (the caller chose to wait). */
    int await(final Onboard onboard, final int[] slotsOut, final long timeoutNanos)
    {
        final long deadline = System.nanoTime() + timeoutNanos;
        while (true)
        {
            final int r = poll(onboard, slotsOut);
            if (r != Status.NOT_READY || System.nanoTime() - deadline > 0)
            {
                return r;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
        }
    }

    /**
     * Waits until every submitted transfer has been applied (onboards waiting for their caller's poll
     * excepted); for tests and tools, never the serving path. @return true when settled in time.
     */
    boolean awaitSettled(final long timeout, final TimeUnit unit)
    {
        flushStaged();
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true)
        {
            drain();
            if (outstandingUnapplied() == 0)
            {
                return true;
            }
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
    }

    private int outstandingUnapplied()
    {
        int ready = 0;
        for (final byte state : onboardState)
        {
            if (state == READY)
            {
                ready++;
            }
        }
        return engine.outstanding() - ready;
    }

    /**
     * Shutdown: the staged batch and queued transfers end CANCELLED, transfers in flight finish or time out,
     * everything that came back is applied, and onboards nobody collected give their references back, so the
     * pools hold no transfer's pin afterwards.
     *
     * @return true when the transfer thread stopped within the timeout (false: it is stuck in a copy and was
     * abandoned; the memory it may still write must not be freed).
     */
    boolean stop(final long timeout, final TimeUnit unit)
    {
        if (stopped)
        {
            return true;
        }
        stopped = true;
        flushStaged(); // the transfer thread cancels what it has not started
        final boolean ended = engine.stop(timeout, unit);
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (engine.peekCompleted() != null && System.nanoTime() - deadline < 0)
        {
            drain(); // an onboard waits for ring room while the handlers drain
            if (engine.peekCompleted() != null)
            {
                Thread.onSpinWait();
            }
        }
        for (int record = 0; record < onboardState.length; record++)
        {
            if (onboardState[record] == READY)
            {
                for (int i = 0; i < onboardReady[record]; i++)
                {
                    final int slot = onboardSlots[record][i];
                    if (g1.state(slot) == BlockState.REGISTERED && g1.table().refCount(slot) > 0)
                    {
                        g1.release(slot); // the uncollected caller's reference
                    }
                }
                onboardState[record] = IDLE;
                engine.recycle(engine.record(record));
            }
        }
        return ended;
    }
}
