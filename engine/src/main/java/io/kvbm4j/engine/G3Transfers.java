package io.kvbm4j.engine;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * The serving thread's side of G3 (the disk tier; the transfer thread's side is {@link G3Copier}): G2→G3
 * write-back and G3→G2 staging of onboards.
 *
 * <p>Write-back: a block that enters G2 by an offload is written to G3 before G2 can evict it: the G2 block
 * is pinned and a G3 slot allocated PARTIAL (evicting G3's own inactive leaves first; the disk tier drops
 * them on the transfer thread before that record's writes, listed in the record's {@link G3Plan}); on DONE
 * the G3 block is registered and left INACTIVE, on anything else its slot goes back; either way the G2 block
 * is unpinned.
 *
 * <p>Staging: an onboard whose prefix continues in G3 (after G1 and G2) first reads those blocks G3→G2 (the
 * ticket is {@link OnboardState#STAGING}; G2 slots allocated PARTIAL, G3 blocks pinned); when the stage comes
 * back, the leading run of verified blocks is registered in G2 and the same record goes on as a G2→G1
 * onboard of the G2 part and that run; G1 slots past it go back. A block whose read failed verification is
 * dropped from G3.
 *
 * <p>Batching: a staged write-back record is submitted as soon as the disk has room for it (fewer write-back
 * blocks submitted and not yet applied than the disk tier moves at once: {@code g3.queue-depth} / parts per
 * block), or once it holds {@code transfers.batch-blocks}; otherwise it goes on filling. Room is seen at a
 * serving call (the call that applies a finished write-back submits what fills), so a filling record waits for
 * the next call, as every staged batch does; settling and stopping submit it whatever it holds. An idle disk gets a
 * block at the next call; a busy one gets full records, so the few in-flight places a G3 record may hold carry
 * as many blocks as the disk can take (docs/CONFIG.md, "G3 depth").
 *
 * <p>Back-pressure: at most {@code transfers.max-in-flight} − 1 write-back records are submitted and not yet
 * applied (a G3 record holds an in-flight place while its blocks wait for the disk), and one more fills while
 * they are out; a write-back that finds that one full is dropped and counted ({@code G3_OFFLOAD_DROPPED}), so a
 * disk slower than the offloads never takes every place from G1↔G2. So at most
 * {@code max-in-flight × batch-blocks} write-backs wait for the disk.
 *
 * <p>Owned by the serving thread. Invariant: every G3 block pinned here has exactly one record that unpins it.
 */
final class G3Transfers
{
    private final TransferContext ctx;
    private final RingWriter writer;
    private final BlockPool g2;
    private final BlockPool g3;
    private final TransferEngine engine;
    private final CounterArray counters;
    private final G3Copier io;
    private Transfer staged;
    /** G3 blocks evicted from the pool whose disk slots are still to be freed (the next write record frees them). */
    private final long[] pendingEvictHi;
    private final long[] pendingEvictLo;
    private int pendingEvicts;
    /** Scratch of one onboard: the G3 blocks found, and the G2 slots staged for them. */
    private final int[] found;
    private final int[] g2Stage;
    /** Scratch of one applied stage: which blocks of the G2→G1 continuation the disk tier verified just now. */
    private final boolean[] fresh;
    /** Whether G3's degradation has been published. */
    private boolean degradedPublished;
    /**
     * Write-back records submitted and not yet applied, and their cap: {@code transfers.max-in-flight} − 1, so
     * that however far the disk falls behind, write-backs (each holding an in-flight place while its blocks
     * wait for the disk) leave a place for G1↔G2 transfers and G3 stages.
     */
    private int writesOutstanding;
    private final int maxWritesOutstanding;
    /** Blocks of the write-back records submitted and not yet applied. */
    private int writeBlocksOutstanding;
    /** Blocks the disk tier moves at once ({@code g3.queue-depth} / parts per block, at least 1). */
    private final int diskBlocks;

    G3Transfers(final TransferContext ctx, final G3Copier io)
    {
        this.ctx = ctx;
        this.writer = ctx.writer;
        this.g2 = ctx.g2;
        this.g3 = ctx.g3;
        this.engine = ctx.engine;
        this.counters = ctx.counters;
        this.io = io;
        this.pendingEvictHi = new long[g3.capacity()];
        this.pendingEvictLo = new long[pendingEvictHi.length];
        this.found = new int[ctx.settings.batchBlocks()];
        this.g2Stage = new int[ctx.settings.batchBlocks()];
        this.fresh = new boolean[ctx.settings.batchBlocks() + 1];
        this.maxWritesOutstanding = Math.max(1, ctx.settings.maxInFlight() - 1);
        this.diskBlocks = Math.max(1, io.disk().queueDepth() / io.disk().partsPerBlock(ctx.g2Memory.payloadBytes()));
    }

    /** A disk tier counter (atomic, any thread). */
    long counter(final DiskCounter counter)
    {
        return io.disk().counter(counter);
    }

    /** Whether a finished record is a G2→G3 write (destination) or a G3→G2 stage (source). */
    boolean involves(final Transfer t)
    {
        return t.source() == io.g3() || t.destination() == io.g3();
    }

    /** The record's G3 plan (ids, statuses, evictions). */
    G3Plan plan(final int record)
    {
        return io.plan(record);
    }

    /** Publishes G3's degradation once, as soon as the disk tier reports it (and the ring has room). */
    void publishDegraded()
    {
        if (!degradedPublished && io.disk().isDegraded() && writer.claim(1))
        {
            writer.single(BlockEventType.DEGRADED, Tier.G3, 0, ctx.seq.nextTick(), ctx.seq.now());
            writer.publish();
            degradedPublished = true;
            counters.increment(Counter.TIERS_DEGRADED);
        }
    }

    /**
     * Submits the staged write-back batch, with the evictions still owed to the disk, when the disk has room
     * for it or it is full; otherwise leaves it to fill (see "Batching" above).
     */
    void flush()
    {
        final Transfer t = staged;
        if (t != null && writesOutstanding < maxWritesOutstanding &&
            (t.isFull() || writeBlocksOutstanding < diskBlocks))
        {
            submitStaged(t);
        }
    }

    /** Submits the staged write-back batch, if any, whatever it holds (settling and stopping). */
    void flushNow()
    {
        final Transfer t = staged;
        if (t != null)
        {
            submitStaged(t);
        }
    }

    private void submitStaged(final Transfer t)
    {
        staged = null;
        final G3Plan plan = io.plan(t.index());
        int n = 0;
        while (n < plan.evictHi.length && pendingEvicts > 0)
        {
            pendingEvicts--;
            plan.evictHi[n] = pendingEvictHi[pendingEvicts];
            plan.evictLo[n] = pendingEvictLo[pendingEvicts];
            n++;
        }
        plan.evictCount = n; // freed on disk before this record's writes
        t.deadlineNanos(ctx.deadline());
        engine.submit(t);
        writesOutstanding++;
        writeBlocksOutstanding += t.count();
    }

    /** Write-back to G3: block {@code b} just entered G2 (inactive); copy it down before G2 can evict it. */
    void writeBack(final int b, final long requestId)
    {
        final BlockTable lower = g2.table();
        final long hi = lower.idHi(b);
        final long lo = lower.idLo(b);
        if (ctx.stopped || g3.lookup(hi, lo) >= 0)
        {
            return;
        }
        if (io.disk().isDegraded())
        {
            counters.increment(Counter.G3_OFFLOAD_DROPPED); // it refuses I/O until reopened
            return;
        }
        if (staged != null && staged.isFull())
        {
            if (writesOutstanding >= maxWritesOutstanding)
            {
                counters.increment(Counter.G3_OFFLOAD_DROPPED); // the disk is behind: a full queue is an answer
                return;
            }
            submitStaged(staged);
        }
        if (staged == null)
        {
            if (writesOutstanding >= maxWritesOutstanding && engine.capacity() - engine.outstanding() <= 1)
            {
                // A record filling past the cap must not take the last free record (transfers.max-queued 0):
                // G1↔G2 transfers keep one. (Today write-backs are staged while the G1→G2 record that brought
                // them is still claimed, so that record is never the last free one here; this keeps it so.)
                counters.increment(Counter.G3_OFFLOAD_DROPPED);
                return;
            }
            final Transfer t = engine.claim();
            if (t == null)
            {
                counters.increment(Counter.G3_OFFLOAD_DROPPED);
                return;
            }
            t.begin(Transfer.OFFLOAD, ctx.g2Memory, io.g3(), ctx.deadline(), false);
            staged = t;
        }
        if (g3.freeCount() == 0)
        {
            final int victim = g3.victim(); // G3's own policy: its inactive leaves
            if (victim < 0 || pendingEvicts == pendingEvictHi.length || !writer.claim(1))
            {
                counters.increment(Counter.G3_OFFLOAD_DROPPED); // G3 full of blocks in use, or the ring full
                if (staged.count() == 0)
                {
                    engine.recycle(staged);
                    staged = null;
                }
                return;
            }
            pendingEvictHi[pendingEvicts] = g3.table().idHi(victim);
            pendingEvictLo[pendingEvicts] = g3.table().idLo(victim);
            pendingEvicts++;
            ctx.seq.evict(g3, 1, requestId, ctx.seq.nextTick()); // the victim: a REMOVED G3 event
            writer.publish();
            counters.increment(Counter.G3_EVICTED_BLOCKS);
        }
        final int d = g3.allocate(requestId, ctx.seq.nextTick());
        g2.pin(b); // stays pinned until the write is applied
        final int i = staged.count();
        io.plan(staged.index()).block(i, hi, lo);
        // The block's checksum (taken from G1 with the G2 copy compared to it, or from the G2 copy where G1 is device
        // or layer-split memory) becomes the slot's payload checksum: a G2 copy gone bad since is written as it is
        // and reads back CORRUPT, a miss.
        staged.add(b, d, ctx.settings.verifyG2() ? g2.table().checksum(b) : 0);
    }

    /** A finished G2→G3 write batch. @return false when the ring is full (apply on a later call). */
    boolean applyWrite(final Transfer t)
    {
        if (!writer.claim(RingWriter.entriesFor(t.count())))
        {
            return false; // ring full: apply on a later call
        }
        writesOutstanding--;
        writeBlocksOutstanding -= t.count();
        writer.run(BlockEventType.STORED, Tier.G3, 0, ctx.seq.nextTick(), ctx.seq.now());
        final BlockTable lower = g2.table();
        final G3Plan plan = io.plan(t.index());
        for (int i = 0; i < t.count(); i++)
        {
            final int b = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final long tick = ctx.seq.nextTick();
                g3.fill(d, ctx.blockTokens, ctx.blockTokens);
                g3.complete(d, lower.idHi(b), lower.idLo(b), lower.parentHi(b), lower.parentLo(b), lower.position(b),
                    ctx.blockTokens);
                final int held = g3.register(d, tick);
                g3.release(held); // cached in G3, no reference held
                if (held == d)
                {
                    counters.increment(Counter.G3_OFFLOADED_BLOCKS);
                    writer.add(g3.table(), d, 0, 0, ctx.pools.otherTiers(g3, d));
                }
            }
            else
            {
                g3.release(d); // PARTIAL: back to G3's free list, never resident
                counters.increment(Counter.G3_WRITE_FAILED_BLOCKS);
                ctx.countFailure(outcome, false);
                if (plan.status[i] == DiskStatus.OK.ordinal() && pendingEvicts < pendingEvictHi.length)
                {
                    // Written, but after the deadline: the disk frees it with the next write record.
                    pendingEvictHi[pendingEvicts] = plan.idHi[i];
                    pendingEvictLo[pendingEvicts] = plan.idLo[i];
                    pendingEvicts++;
                }
            }
            g2.release(b); // unpin
        }
        // Evictions a record that never ran did not do go with the next write record.
        final int left = plan.evictCount;
        for (int k = 0; k < left && pendingEvicts < pendingEvictHi.length; k++)
        {
            pendingEvictHi[pendingEvicts] = plan.evictHi[k];
            pendingEvictLo[pendingEvicts] = plan.evictLo[k];
            pendingEvicts++;
        }
        plan.evictCount = 0;
        writer.publish();
        return true;
    }

    /**
     * An onboard's continuation in G3: how many of the blocks {@code from..from+most-1} are in G3 (a leading
     * run, each checked acquirable); 0 when the disk is degraded (it refuses reads: do not evict G2 for them).
     */
    int find(final BlockIds ids, final int from, final int most)
    {
        if (io.disk().isDegraded())
        {
            return 0;
        }
        int m = 0;
        while (m < most)
        {
            final int c = g3.lookup(ids.hi(from + m), ids.lo(from + m));
            if (c < 0 || g3.checkAcquire(c) < 0)
            {
                break;
            }
            found[m++] = c;
        }
        return m;
    }

    /**
     * Pins the first {@code wanted} G3 blocks {@link #find} found and allocates G2 slots for them (evicting
     * G2's inactive leaves, one ring event each). @return how many got a slot (the rest are not pinned).
     */
    int stageSlots(final int wanted, final long requestId)
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
                counters.add(Counter.G2_EVICTED_BLOCKS, ctx.seq.evict(g2, evictions, requestId, ctx.seq.nextTick()));
                writer.publish();
                m = Math.min(m, g2.freeCount());
            }
        }
        final long tick = ctx.seq.nextTick();
        for (int i = 0; i < m; i++)
        {
            g3.pin(found[i]);
            g2Stage[i] = g2.allocate(requestId, tick);
        }
        return m;
    }

    /** The onboard could not go ahead: gives back the {@code m} staged G2 slots and G3 pins. */
    void unstage(final int m)
    {
        for (int i = 0; i < m; i++)
        {
            g2.release(g2Stage[i]); // PARTIAL: back to G2's free list
            g3.release(found[i]);
        }
    }

    /**
     * Starts record {@code t} as the G3→G2 read of the {@code m} staged blocks, which are blocks
     * {@code first..first+m-1} of {@code ids} (the disk tier verifies each slot).
     */
    void beginStage(final Transfer t, final OnboardPlan onboard, final BlockIds ids, final int first, final int m)
    {
        t.begin(Transfer.ONBOARD, io.g3(), ctx.g2Memory, ctx.deadline(), false);
        final G3Plan plan = io.plan(t.index());
        for (int i = 0; i < m; i++)
        {
            final int position = first + i;
            t.add(found[i], g2Stage[i], 0);
            plan.block(i, ids.hi(position), ids.lo(position));
            onboard.parentHi[i] = position == 0 ? 0 : ids.hi(position - 1);
            onboard.parentLo[i] = position == 0 ? 0 : ids.lo(position - 1);
            onboard.position[i] = position;
        }
        onboard.state = OnboardState.STAGING;
    }

    /**
     * A finished G3→G2 stage: registers the leading run of verified blocks in G2 (each holding one reference
     * for the G2→G1 leg), caches any verified block past a failed one in G2, drops from G3 what failed
     * verification, RESETs the G1 slots nothing will fill, and turns the record into the G2→G1 onboard
     * (state RUNNING: the caller submits it again) or, when nothing is left to copy, makes it READY.
     *
     * @return false when the ring is full (apply on a later call).
     */
    boolean applyStage(final Transfer t, final OnboardPlan onboard)
    {
        final int n = onboard.stageG1Count;
        if (!writer.claim(2 * RingWriter.entriesFor(t.count())))
        {
            return false; // ring full: apply on a later call
        }
        final G3Plan plan = io.plan(t.index());
        final long requestId = t.requestId;
        final long tick = ctx.seq.nextTick();
        writer.run(BlockEventType.STORED, Tier.G2, requestId, tick, ctx.seq.now());
        int run = onboard.stageG2Count;
        for (int k = 0; k < run; k++)
        {
            fresh[k] = false; // G2 hits: their bytes were verified when they came in, not just now
        }
        boolean intact = true;
        for (int i = 0; i < t.count(); i++)
        {
            final int c = t.srcSlot(i);
            final int d = t.dstSlot(i);
            final byte outcome = t.outcome(i);
            if (outcome == TransferOutcome.DONE)
            {
                final int held = g2.commit(d, plan.idHi[i], plan.idLo[i], onboard.parentHi[i], onboard.parentLo[i],
                    onboard.position[i], ctx.blockTokens, ctx.seq.nextTick());
                fresh[run] = intact && held == d; // read and verified by the disk tier just now (not a dedup)
                // one reference: the G2→G1 leg's pin
                if (held == d)
                {
                    g2.table().checksum(d, plan.checksum[i]);
                    g2.table().payloadBytes(d, ctx.g2Memory.payloadBytes());
                }
                counters.increment(Counter.G3_ONBOARDED_BLOCKS);
                if (intact)
                {
                    onboard.stageG2[run++] = held;
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
                counters.increment(Counter.G3_READ_FAILED_BLOCKS);
                ctx.countFailure(outcome, false);
            }
            g3.release(c); // unpin
            final int status = plan.status[i];
            if (status == DiskStatus.CORRUPT.ordinal() || status == DiskStatus.MISS.ordinal())
            {
                counters.increment(Counter.G3_CORRUPT_BLOCKS);
                if (status == DiskStatus.CORRUPT.ordinal())
                {
                    counters.increment(Counter.CHECKSUM_MISMATCHES);
                }
            }
        }
        writer.run(BlockEventType.REMOVED, Tier.G3, requestId, tick, ctx.seq.now());
        for (int i = t.count() - 1; i >= 0; i--) // leaves first, so a bad chain goes whole
        {
            final int c = t.srcSlot(i);
            final int status = plan.status[i];
            if ((status == DiskStatus.CORRUPT.ordinal() || status == DiskStatus.MISS.ordinal()) &&
                g3.table().refCount(c) == 0 && g3.table().childCount(c) == 0)
            {
                g3.evict(c); // the disk tier already freed its slot (one with cached children fails each read)
                writer.add(g3.table(), c, 0, BlockEvent.CORRUPT, ctx.pools.otherTiers(g3, c));
            }
        }
        writer.publish();
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
            return true;
        }
        t.begin(Transfer.ONBOARD, ctx.g2Memory, ctx.g1Memory, ctx.deadline(), ctx.settings.verifyG2());
        t.requestId = requestId;
        final BlockTable lower = g2.table();
        for (int k = 0; k < keep; k++)
        {
            // A block the disk tier verified just now: its G2→G1 copy is compared with it, not hashed again.
            t.add(onboard.stageG2[k], onboard.stageG1[k], lower.checksum(onboard.stageG2[k]), fresh[k]);
        }
        onboard.state = OnboardState.RUNNING;
        return true;
    }
}
