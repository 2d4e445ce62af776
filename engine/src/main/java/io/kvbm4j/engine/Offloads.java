package io.kvbm4j.engine;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.config.TransferSettings;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.policy.AdmissionPolicy;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * G1→G2 offloads: decides what to copy down (the offload mode and the {@link AdmissionPolicy}), stages blocks
 * into one batch record, and applies the finished batch to the pools.
 *
 * <p>Lifecycle of an offload of G1 block s to G2 slot d: s is pinned ({@link BlockPool#pin}, not an access,
 * so it cannot be evicted while it is read) and d is allocated PARTIAL in G2; on DONE, d is filled,
 * completed with s's id, registered with the checksum taken on the way down, and released to INACTIVE
 * (cached in G2; a STORED G2 event) and, with G3 on, written back to G3 ({@link G3Transfers}); on anything
 * else d goes back to G2's free list. Either way s is unpinned.
 *
 * <p>Owned by the serving thread. Invariant: the staged record, when there is one, holds only blocks pinned
 * here and is submitted by the next {@link #flush}.
 */
final class Offloads
{
    private final TransferContext ctx;
    private final RingWriter writer;
    private final BlockPool g1;
    private final BlockPool g2;
    private final TransferEngine engine;
    private final CounterArray counters;
    private final TransferSettings settings;
    private final AdmissionPolicy admission;
    /** Null when G3 is off. */
    private final G3Transfers g3;
    /** Null when G4 is off. */
    private final G4Transfers g4;
    private Transfer staged;
    /** G2 blocks that entered G2 while a record was applied: written back to G3 after its events are out. */
    private final int[] writeBack;
    private final long[] writeBackRequest;

    Offloads(final TransferContext ctx, final AdmissionPolicy admission, final G3Transfers g3, final G4Transfers g4)
    {
        this.g4 = g4;
        this.ctx = ctx;
        this.writer = ctx.writer;
        this.g1 = ctx.g1;
        this.g2 = ctx.g2;
        this.engine = ctx.engine;
        this.counters = ctx.counters;
        this.settings = ctx.settings;
        this.admission = admission;
        this.g3 = g3;
        this.writeBack = new int[settings.batchBlocks()];
        this.writeBackRequest = new long[settings.batchBlocks()];
    }

    /** Submits the staged batch, if any. */
    void flush()
    {
        final Transfer t = staged;
        if (t != null)
        {
            staged = null;
            t.deadlineNanos(ctx.deadline());
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
        if (ctx.stopped || g2.lookup(table.idHi(slot), table.idLo(slot)) >= 0 || !admission.admit(table, slot))
        {
            return; // already in G2, or not worth it
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
                counters.increment(Counter.OFFLOAD_DROPPED);
                return;
            }
            t.begin(Transfer.OFFLOAD, ctx.g1Memory, ctx.g2Memory, ctx.deadline(), settings.verifyG2());
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
            counters.add(Counter.G2_EVICTED_BLOCKS, ctx.seq.evict(g2, 1, requestId, ctx.seq.nextTick())); // G2's own policy
            writer.publish();
        }
        final int d = g2.allocate(requestId, ctx.seq.nextTick());
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

    /** A finished G1→G2 batch. @return false when the ring is full (apply on a later call). */
    boolean apply(final Transfer t)
    {
        final int n = t.count();
        if (!writer.claim(RingWriter.entriesFor(n)))
        {
            return false; // ring full: apply on a later call
        }
        writer.run(BlockEventType.STORED, Tier.G2, 0, ctx.seq.nextTick(), ctx.seq.now());
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
                    src.position(s), ctx.blockTokens, ctx.seq.nextTick());
                g2.release(held); // cached in G2, no reference held
                if (held == d)
                {
                    g2.table().checksum(d, t.checksum(i));
                    g2.table().payloadBytes(d, ctx.g2Memory.payloadBytes());
                    counters.increment(Counter.OFFLOADED_BLOCKS);
                    writer.add(g2.table(), d, 0, 0, ctx.pools.otherTiers(g2, d)); // G1 still holds it (pinned)
                    writeBack[down] = d;
                    writeBackRequest[down++] = src.requestId(s);
                }
            }
            else
            {
                g2.release(d); // PARTIAL: back to G2's free list, never resident
                ctx.countFailure(outcome, t.checksumMismatch(i));
            }
            g1.release(s); // unpin
        }
        writer.publish();
        if (g3 != null)
        {
            for (int i = 0; i < down; i++)
            {
                g3.writeBack(writeBack[i], writeBackRequest[i]); // after this record's STORED run
            }
        }
        if (g4 != null)
        {
            for (int i = 0; i < down; i++)
            {
                g4.writeBack(writeBack[i], writeBackRequest[i]); // to the shared store, past the same admission
            }
        }
        return true;
    }
}
