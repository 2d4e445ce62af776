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
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pool.TierPools;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.RingWriter;
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
 * <p>G3 (when configured): a block that enters G2 by an offload is written to G3 (write-back, before G2
 * can evict it): the G2 block is pinned and a G3 slot allocated PARTIAL (evicting G3's own inactive leaves
 * first; the disk tier drops them on the transfer thread before that record's writes); on DONE the G3 block
 * is registered and left INACTIVE, on anything else its slot goes back; either way the G2 block is unpinned.
 * An onboard whose prefix continues in G3 (after G1 and G2) first stages those blocks G3→G2 (the record is
 * STAGING; G2 slots allocated PARTIAL, G3 blocks pinned); when the stage comes back, the leading run of
 * verified blocks is registered in G2 and the same record goes on as a G2→G1 onboard of the G2 part and
 * that run; G1 slots past it are RESET. A block whose read failed verification is dropped from G3.
 *
 * <p>Invariants: every claimed record is either being staged (offloads, this call), submitted, or
 * completed and awaiting its caller's poll (onboards); every pin has exactly one transfer that drops it.
 */
final class TierTransfers
{
    private static final byte IDLE = 0;
    private static final byte RUNNING = 1;
    private static final byte READY = 2;
    /** An onboard whose G3 blocks are being read into G2; its G2→G1 copy follows on the same record. */
    private static final byte STAGING = 3;
    private final Sequencer seq;
    private final RingWriter writer;
    private final TierPools pools;
    private final BlockPool g1;
    private final BlockPool g2;
    private final SlotMemory g1Memory;
    private final SlotMemory g2Memory;
    private final TransferEngine engine;
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
    /** What the first stop() found: whether the transfer thread ended (false: abandoned in a copy). */
    private boolean stoppedCleanly;
    /** The G3 pool and copier, or null when G3 is off. */
    private final BlockPool g3;
    private final G3Copier g3Io;
    private Transfer stagedG3;
    /** G3 blocks evicted from the pool whose disk slots are still to be freed (the next write record frees them). */
    private final long[] pendingEvictHi;
    private final long[] pendingEvictLo;
    private int pendingEvicts;
    private final int[] g3Found;
    private final int[] g2Stage;
    private final int[] stageG2Count;
    private final int[][] stageG2;
    private final int[][] stageG1;
    private final int[] stageG1Count;
    private final long[][] stageParentHi;
    private final long[][] stageParentLo;
    private final int[][] stagePosition;
    /** G2 blocks that entered G2 while a record was applied: written back to G3 after its events are out. */
    private final int[] writeBack;
    private final long[] writeBackRequest;
    /** G2 copies that failed verification on an onboard, dropped after the record's STORED run. */
    private final int[] badCopies;
    /** Whether G3's degradation has been published. */
    private boolean g3DegradedPublished;
    /** A record applied as a finished stage that goes on as a G2→G1 onboard once it has left the completions. */
    private Transfer resubmit;

    TierTransfers(
        final Sequencer seq, final SlotMemory g1Memory, final SlotMemory g2Memory, final TransferEngine engine,
        final NanoClock clock, final TransferSettings settings, final AdmissionPolicy admission, final G3Copier g3Io)
    {
        this.seq = seq;
        this.writer = seq.writer;
        this.pools = seq.pools;
        this.g1 = pools.get(Tier.G1);
        this.g2 = pools.get(Tier.G2);
        this.g3 = pools.get(Tier.G3);
        this.g3Io = g3Io;
        this.g1Memory = g1Memory;
        this.g2Memory = g2Memory;
        this.engine = engine;
        this.counters = seq.counters;
        this.clock = clock;
        this.settings = settings;
        this.admission = admission;
        this.blockTokens = seq.blockTokens;
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(settings.timeoutMs());
        final int records = engine.capacity();
        this.onboardState = new byte[records];
        this.onboardReady = new int[records];
        this.onboardSlots = new int[records][settings.batchBlocks()];
        this.generation = new long[records];
        this.g2Found = new int[settings.batchBlocks()];
        this.g1Fresh = new int[settings.batchBlocks()];
        final int batch = settings.batchBlocks();
        final int g3Records = g3 == null ? 0 : records;
        this.pendingEvictHi = new long[g3 == null ? 0 : g3.capacity()];
        this.pendingEvictLo = new long[pendingEvictHi.length];
        this.g3Found = new int[batch];
        this.g2Stage = new int[batch];
        this.stageG2Count = new int[g3Records];
        this.stageG2 = new int[g3Records][batch];
        this.stageG1 = new int[g3Records][batch];
        this.stageG1Count = new int[g3Records];
        this.stageParentHi = new long[g3Records][batch];
        this.stageParentLo = new long[g3Records][batch];
        this.stagePosition = new int[g3Records][batch];
        this.writeBack = new int[batch];
        this.writeBackRequest = new long[batch];
        this.badCopies = new int[batch];
    }

    /** A G3 disk tier counter (atomic, any thread); 0 when G3 is off. */
    long g3Counter(final DiskCounter counter)
    {
        return g3Io == null ? 0 : g3Io.disk().counter(counter);
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
        if (g3Io != null && !g3DegradedPublished && g3Io.disk().isDegraded() && writer.claim(1))
        {
            writer.single(BlockEventType.DEGRADED, Tier.G3, 0, seq.nextTick(), seq.now());
            writer.publish();
            g3DegradedPublished = true;
            counters.increment(Counter.TIERS_DEGRADED);
        }
        Transfer t;
        while ((t = engine.peekCompleted()) != null)
        {
            final boolean applied;
            if (t.direction() == Transfer.OFFLOAD)
            {
                applied = g3Io != null && t.destination() == g3Io.g3() ? applyG3Offload(t) : applyOffload(t);
            }
            else
            {
                applied = g3Io != null && t.source() == g3Io.g3() ? applyStage(t) : applyOnboard(t);
            }
            if (!applied)
            {
                return; // ring full: apply on a later call
            }
            engine.pollCompleted();
            if (t == resubmit)
            {
                resubmit = null;
                engine.submit(t); // the stage's G2→G1 leg, on the same record (the ticket stays valid)
            }
            else if (t.direction() == Transfer.OFFLOAD)
            {
                engine.recycle(t);
            }
        }
    }

    /** Submits the staged offload batches (G1→G2, G2→G3), if any. */
    void flushStaged()
    {
        final Transfer t = staged;
        if (t != null)
        {
            staged = null;
            t.deadlineNanos(clock.nanoTime() + timeoutNanos);
            engine.submit(t);
        }
        flushG3();
    }

    private void flushG3()
    {
        final Transfer t = stagedG3;
        if (t == null)
        {
            return;
        }
        stagedG3 = null;
        final int record = t.index();
        final long[] hi = g3Io.evictHi[record];
        final long[] lo = g3Io.evictLo[record];
        int n = 0;
        while (n < hi.length && pendingEvicts > 0)
        {
            pendingEvicts--;
            hi[n] = pendingEvictHi[pendingEvicts];
            lo[n] = pendingEvictLo[pendingEvicts];
            n++;
        }
        g3Io.evictCount[record] = n; // freed on disk before this record's writes
        t.deadlineNanos(clock.nanoTime() + timeoutNanos);
        engine.submit(t);
    }

    /** Write-back to G3: block {@code b} just entered G2 (inactive); copy it down before G2 can evict it. */
    private void offloadToG3(final int b, final long requestId)
    {
        final BlockTable lower = g2.table();
        final long hi = lower.idHi(b);
        final long lo = lower.idLo(b);
        if (g3 == null || stopped || g3.lookup(hi, lo) >= 0)
        {
            return;
        }
        if (g3Io.disk().isDegraded())
        {
            counters.increment(Counter.G3_OFFLOAD_DROPPED); // it refuses I/O until reopened
            return;
        }
        if (stagedG3 != null && stagedG3.isFull())
        {
            flushG3();
        }
        if (stagedG3 == null)
        {
            final Transfer t = engine.claim();
            if (t == null)
            {
                counters.increment(Counter.G3_OFFLOAD_DROPPED);
                return;
            }
            t.begin(Transfer.OFFLOAD, g2Memory, g3Io.g3(), clock.nanoTime() + timeoutNanos, false);
            stagedG3 = t;
        }
        if (g3.freeCount() == 0)
        {
            final int victim = g3.victim(); // G3's own policy: its inactive leaves
            if (victim < 0 || pendingEvicts == pendingEvictHi.length || !writer.claim(1))
            {
                counters.increment(Counter.G3_OFFLOAD_DROPPED); // G3 full of blocks in use, or the ring full
                if (stagedG3.count() == 0)
                {
                    engine.recycle(stagedG3);
                    stagedG3 = null;
                }
                return;
            }
            pendingEvictHi[pendingEvicts] = g3.table().idHi(victim);
            pendingEvictLo[pendingEvicts] = g3.table().idLo(victim);
            pendingEvicts++;
            seq.evict(g3, 1, requestId, seq.nextTick()); // the victim: a REMOVED G3 event
            writer.publish();
            counters.increment(Counter.G3_EVICTED_BLOCKS);
        }
        final int d = g3.allocate(requestId, seq.nextTick());
        g2.pin(b); // stays pinned until the write is applied
        final int record = stagedG3.index();
        final int i = stagedG3.count();
        g3Io.idHi[record][i] = hi;
        g3Io.idLo[record][i] = lo;
        g3Io.status[record][i] = -1;
        // The G2 copy must still match what was taken from G1 before it becomes the disk's truth: the disk
        // checksums whatever it is given, so a corrupt G2 copy written down would read back as valid.
        stagedG3.add(b, d, settings.verifyG2() ? g2.table().checksum(b) : 0);
    }

    private boolean applyG3Offload(final Transfer t)
    {
        if (!writer.claim(RingWriter.entriesFor(t.count())))
        {
            return false; // ring full: apply on a later call
        }
        writer.run(BlockEventType.STORED, Tier.G3, 0, seq.nextTick(), seq.now());
        final BlockTable lower = g2.table();
        final int record = t.index();
        for (int i = 0; i < t.count(); i++)
        {
            final int b = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final long tick = seq.nextTick();
                g3.fill(d, blockTokens, blockTokens);
                g3.complete(d, lower.idHi(b), lower.idLo(b), lower.parentHi(b), lower.parentLo(b), lower.position(b),
                    blockTokens);
                final int held = g3.register(d, tick);
                g3.release(held); // cached in G3, no reference held
                if (held == d)
                {
                    counters.increment(Counter.G3_OFFLOADED_BLOCKS);
                    writer.add(g3.table(), d, 0, 0, pools.otherTiers(g3, d));
                }
            }
            else
            {
                g3.release(d); // PARTIAL: back to G3's free list, never resident
                counters.increment(Counter.G3_WRITE_FAILED_BLOCKS);
                if (g3Io.status[record][i] == G3Copier.SOURCE_MISMATCH)
                {
                    counters.increment(Counter.CHECKSUM_MISMATCHES); // the G2 copy is bad: not written down
                }
                countFailure(outcome, false);
                if (g3Io.status[record][i] == DiskStatus.OK.ordinal() && pendingEvicts < pendingEvictHi.length)
                {
                    // Written, but after the deadline: the disk frees it with the next write record.
                    pendingEvictHi[pendingEvicts] = g3Io.idHi[record][i];
                    pendingEvictLo[pendingEvicts] = g3Io.idLo[record][i];
                    pendingEvicts++;
                }
            }
            g2.release(b); // unpin
        }
        // Evictions a record that never ran did not do go with the next write record.
        final int left = g3Io.evictCount[record];
        for (int k = 0; k < left && pendingEvicts < pendingEvictHi.length; k++)
        {
            pendingEvictHi[pendingEvicts] = g3Io.evictHi[record][k];
            pendingEvictLo[pendingEvicts] = g3Io.evictLo[record][k];
            pendingEvicts++;
        }
        g3Io.evictCount[record] = 0;
        writer.publish();
        return true;
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
            if (g2.evictableCount() == 0 || !writer.claim(1))
            {
                counters.increment(Counter.OFFLOAD_DROPPED); // G2 full of blocks in use, or the ring full
                recycleIfEmpty();
                return;
            }
            counters.add(Counter.G2_EVICTED_BLOCKS, seq.evict(g2, 1, requestId, seq.nextTick())); // G2's own policy
            writer.publish();
        }
        final int d = g2.allocate(requestId, seq.nextTick());
        g1.pin(slot);
        staged.add(slot, d, 0);
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
        if (!writer.claim(RingWriter.entriesFor(n)))
        {
            return false; // ring full: apply on a later call
        }
        writer.run(BlockEventType.STORED, Tier.G2, 0, seq.nextTick(), seq.now());
        final BlockTable src = g1.table();
        int down = 0;
        for (int i = 0; i < n; i++)
        {
            final int s = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final int held = g2.commit(d, src.idHi(s), src.idLo(s), src.parentHi(s), src.parentLo(s),
                    src.position(s), blockTokens, seq.nextTick());
                g2.release(held); // cached in G2, no reference held
                if (held == d)
                {
                    g2.table().checksum(d, t.checksum(i));
                    g2.table().payloadBytes(d, g2Memory.payloadBytes());
                    counters.increment(Counter.OFFLOADED_BLOCKS);
                    writer.add(g2.table(), d, 0, 0, pools.otherTiers(g2, d)); // G1 still holds it (pinned)
                    writeBack[down] = d;
                    writeBackRequest[down++] = src.requestId(s);
                }
            }
            else
            {
                g2.release(d); // PARTIAL: back to G2's free list, never resident
                countFailure(outcome, t.checksumMismatch(i));
            }
            g1.release(s); // unpin
        }
        writer.publish();
        for (int i = 0; i < down; i++)
        {
            offloadToG3(writeBack[i], writeBackRequest[i]); // after this record's STORED run
        }
        return true;
    }

    private boolean applyOnboard(final Transfer t)
    {
        final int n = t.count();
        if (!writer.claim(2 * RingWriter.entriesFor(n)))
        {
            return false; // ring full: apply on a later call
        }
        final int record = t.index();
        final long requestId = t.requestId;
        final BlockTable lower = g2.table();
        final long tick = seq.nextTick();
        writer.run(BlockEventType.STORED, Tier.G1, requestId, tick, seq.now());
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
                    lower.position(b), blockTokens, tick);
                counters.increment(Counter.ONBOARDED_BLOCKS);
                if (intact)
                {
                    onboardSlots[record][ready++] = held; // the caller's reference
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
                    writer.add(g1.table(), held, 0, BlockEvent.ONBOARD, pools.otherTiers(g1, held));
                }
            }
            else
            {
                intact = false;
                g1.release(g); // PARTIAL → free: a miss (private, no event)
                countFailure(outcome, t.checksumMismatch(i));
            }
            g2.release(b); // unpin
            if (t.checksumMismatch(i))
            {
                badCopies[bad++] = b;
            }
        }
        writer.run(BlockEventType.REMOVED, Tier.G2, requestId, tick, seq.now());
        for (int i = bad - 1; i >= 0; i--) // leaves first
        {
            final int b = badCopies[i];
            if (g2.state(b) == BlockState.REGISTERED && g2.table().refCount(b) == 0 && g2.table().childCount(b) == 0)
            {
                g2.evict(b); // the bad copy is dropped
                writer.add(lower, b, 0, BlockEvent.CORRUPT, pools.otherTiers(g2, b));
                counters.increment(Counter.G2_EVICTED_BLOCKS);
            }
        }
        writer.publish();
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
        int m = 0;
        if (g3 != null && !g3Io.disk().isDegraded()) // a degraded disk refuses reads: do not evict G2 for them
        {
            while (j + m < most)
            {
                final int c = g3.lookup(ids.hi(hits + j + m), ids.lo(hits + j + m));
                if (c < 0 || g3.checkAcquire(c) < 0)
                {
                    break;
                }
                g3Found[m++] = c;
            }
        }
        // The metadata store is sized for maxRegistered G1 records; onboarded blocks register there too.
        final int room = (int)Math.min(j + m, Math.max(0, seq.registrationRoom()));
        if (room < j)
        {
            j = room;
            m = 0;
        }
        else
        {
            m = room - j;
        }
        if (j + m == 0)
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
            m = stageSlots(m, requestId);
        }
        final int n = j + m;
        final int got = n == 0 ? -1 : seq.allocateG1(n, requestId, g1Fresh);
        if (got != n)
        {
            for (int i = 0; i < j; i++)
            {
                g2.release(g2Found[i]);
            }
            for (int i = 0; i < m; i++)
            {
                g2.release(g2Stage[i]); // PARTIAL: back to G2's free list
                g3.release(g3Found[i]);
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
        final int record = t.index();
        if (m == 0)
        {
            t.begin(Transfer.ONBOARD, g2Memory, g1Memory, clock.nanoTime() + timeoutNanos, settings.verifyG2());
            final BlockTable lower = g2.table();
            for (int i = 0; i < j; i++)
            {
                t.add(g2Found[i], g1Fresh[i], lower.checksum(g2Found[i]));
            }
            onboardState[record] = RUNNING;
        }
        else
        {
            // First G3→G2 (the disk tier verifies each slot); applyStage sends the G2→G1 leg on this record.
            t.begin(Transfer.ONBOARD, g3Io.g3(), g2Memory, clock.nanoTime() + timeoutNanos, false);
            for (int i = 0; i < m; i++)
            {
                final int position = hits + j + i;
                t.add(g3Found[i], g2Stage[i], 0);
                g3Io.idHi[record][i] = ids.hi(position);
                g3Io.idLo[record][i] = ids.lo(position);
                g3Io.status[record][i] = -1;
                stageParentHi[record][i] = position == 0 ? 0 : ids.hi(position - 1);
                stageParentLo[record][i] = position == 0 ? 0 : ids.lo(position - 1);
                stagePosition[record][i] = position;
            }
            System.arraycopy(g2Found, 0, stageG2[record], 0, j);
            stageG2Count[record] = j;
            System.arraycopy(g1Fresh, 0, stageG1[record], 0, n);
            stageG1Count[record] = n;
            onboardState[record] = STAGING;
        }
        t.requestId = requestId;
        System.arraycopy(g1Fresh, 0, slotsOut, hits, n);
        generation[record]++;
        onboard.set(ticket(record), hits, n);
        counters.add(Counter.ONBOARD_SCHEDULED_BLOCKS, n);
        engine.submit(t);
        return n;
    }

    /**
     * Pins the first {@code m} G3 blocks found and allocates G2 slots for them (evicting G2's inactive
     * leaves, one ring event each). @return how many got a slot (the rest are unpinned).
     */
    private int stageSlots(final int wanted, final long requestId)
    {
        // Inactive blocks bound what eviction can free (a parent becomes a candidate once its child goes).
        int m = Math.min(wanted, g2.freeCount() + g2.inactiveCount());
        final int evictions = Math.max(0, m - g2.freeCount());
        if (evictions > 0)
        {
            if (!writer.claim(RingWriter.entriesFor(evictions)))
            {
                m = g2.freeCount();
            }
            else
            {
                counters.add(Counter.G2_EVICTED_BLOCKS, seq.evict(g2, evictions, requestId, seq.nextTick()));
                writer.publish();
                m = Math.min(m, g2.freeCount());
            }
        }
        final long tick = seq.nextTick();
        for (int i = 0; i < m; i++)
        {
            g3.pin(g3Found[i]);
            g2Stage[i] = g2.allocate(requestId, tick);
        }
        return m;
    }

    /**
     * A finished G3→G2 stage: registers the leading run of verified blocks in G2 (each holding one reference
     * for the G2→G1 leg), caches any verified block past a failed one in G2, drops from G3 what failed
     * verification, RESETs the G1 slots nothing will fill, and turns the record into the G2→G1 onboard.
     */
    private boolean applyStage(final Transfer t)
    {
        final int record = t.index();
        final int n = stageG1Count[record];
        if (!writer.claim(2 * RingWriter.entriesFor(t.count())))
        {
            return false; // ring full: apply on a later call
        }
        final long requestId = t.requestId;
        final long tick = seq.nextTick();
        writer.run(BlockEventType.STORED, Tier.G2, requestId, tick, seq.now());
        int run = stageG2Count[record];
        boolean intact = true;
        for (int i = 0; i < t.count(); i++)
        {
            final int c = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final int held = g2.commit(d, g3Io.idHi[record][i], g3Io.idLo[record][i], stageParentHi[record][i],
                    stageParentLo[record][i], stagePosition[record][i], blockTokens, seq.nextTick());
                // one reference: the G2→G1 leg's pin
                if (held == d)
                {
                    g2.table().checksum(d, g3Io.checksum[record][i]);
                    g2.table().payloadBytes(d, g2Memory.payloadBytes());
                }
                counters.increment(Counter.G3_ONBOARDED_BLOCKS);
                if (intact)
                {
                    stageG2[record][run++] = held;
                }
                else
                {
                    g2.release(held); // cached in G2, past a gap in the prefix
                }
                writer.add(g2.table(), held, held == d ? 0 : d, held == d ? 0 : BlockEvent.DEDUP,
                    held == d ? pools.otherTiers(g2, held) : 0);
            }
            else
            {
                intact = false;
                g2.release(d); // PARTIAL: back to G2's free list
                counters.increment(Counter.G3_READ_FAILED_BLOCKS);
                countFailure(outcome, false);
            }
            g3.release(c); // unpin
            final int status = g3Io.status[record][i];
            if (status == DiskStatus.CORRUPT.ordinal() || status == DiskStatus.MISS.ordinal())
            {
                counters.increment(Counter.G3_CORRUPT_BLOCKS);
                if (status == DiskStatus.CORRUPT.ordinal())
                {
                    counters.increment(Counter.CHECKSUM_MISMATCHES);
                }
            }
        }
        writer.run(BlockEventType.REMOVED, Tier.G3, requestId, tick, seq.now());
        for (int i = t.count() - 1; i >= 0; i--) // leaves first, so a bad chain goes whole
        {
            final int c = t.srcSlot(i);
            final int status = g3Io.status[record][i];
            if ((status == DiskStatus.CORRUPT.ordinal() || status == DiskStatus.MISS.ordinal()) &&
                g3.table().refCount(c) == 0 && g3.table().childCount(c) == 0)
            {
                g3.evict(c); // the disk tier already freed its slot (one with cached children fails each read)
                writer.add(g3.table(), c, 0, BlockEvent.CORRUPT, pools.otherTiers(g3, c));
            }
        }
        writer.publish();
        final int keep = stopped || engine.stopping() ? 0 : run;
        for (int k = keep; k < n; k++)
        {
            g1.release(stageG1[record][k]); // PARTIAL → free: nothing will fill it (private, no event)
        }
        if (keep == 0)
        {
            for (int k = 0; k < run; k++)
            {
                g2.release(stageG2[record][k]);
            }
            onboardReady[record] = 0;
            onboardState[record] = READY;
            return true;
        }
        t.begin(Transfer.ONBOARD, g2Memory, g1Memory, clock.nanoTime() + timeoutNanos, settings.verifyG2());
        t.requestId = requestId;
        final BlockTable lower = g2.table();
        for (int k = 0; k < keep; k++)
        {
            t.add(stageG2[record][k], stageG1[record][k], lower.checksum(stageG2[record][k]));
        }
        onboardState[record] = RUNNING;
        resubmit = t;
        return true;
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
            flushStaged(); // applying G1→G2 offloads stages G2→G3 writes
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
            return stoppedCleanly; // a thread abandoned by the first stop may still write memory
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
        stoppedCleanly = ended;
        return ended;
    }
}
