package io.kvbm4j.engine;

import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.gds.disk.DiskTier;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.BlockCopier;
import io.kvbm4j.tiers.transfer.PayloadChecksum;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * The transfer engine's copy step once G3 is on: G2↔G3 blocks go to the {@link DiskTier}, synchronously on
 * the transfer thread (a write is acknowledged only once slot and index entry are written; a read is DONE
 * only once the disk tier verified header and payload); everything else goes to the G1↔G2 copier it wraps.
 *
 * <p>Owns the {@link DiskTier} (its owner thread is the transfer thread, taken over at the first call) and,
 * per transfer record, a {@link G3Plan}: what the transfer engine does not carry (each block's id, the disk
 * status it ended with, the checksum of what a read put in G2, the G3 evictions to do before a record's
 * writes). The serving thread fills a record's plan before it submits the record and reads it after it
 * polled the completion; the engine's queues order those accesses (the same hand-over as
 * {@link Transfer}'s own fields), so a plan has one owner at a time. The serving thread's side of G3 is
 * {@link G3Transfers}.
 */
final class G3Copier implements BlockCopier
{
    /** {@link G3Plan#status} of a write refused because the G2 copy no longer matched its offload checksum. */
    static final byte SOURCE_MISMATCH = -2;

    private final BlockCopier upper;
    private final DiskTier disk;
    private final G3Slots g3;
    private final SlotMemory g2;
    private final long saltId;
    private final long payloadBytes;
    private final long readCapacity;
    private final boolean checksumReads;
    private final G3Plan[] plans;
    private boolean owned;

    G3Copier(
        final BlockCopier upper, final DiskTier disk, final G3Slots g3, final SlotMemory g2, final long saltId,
        final int records, final int batchBlocks, final boolean checksumReads)
    {
        this.upper = upper;
        this.disk = disk;
        this.g3 = g3;
        this.g2 = g2;
        this.saltId = saltId;
        this.payloadBytes = g2.payloadBytes();
        this.readCapacity = (payloadBytes + 4095) & ~4095L;
        this.checksumReads = checksumReads;
        this.plans = new G3Plan[records];
        for (int r = 0; r < records; r++)
        {
            plans[r] = new G3Plan(batchBlocks);
        }
    }

    /** The plan of transfer record {@code record} (owned by whoever holds that record). */
    G3Plan plan(final int record)
    {
        return plans[record];
    }

    /** The disk tier (its counters are readable from any thread; everything else is the transfer thread's). */
    DiskTier disk()
    {
        return disk;
    }

    G3Slots g3()
    {
        return g3;
    }

    @Override
    public int copy(
        final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot, final int blocks,
        final Transfer transfer)
    {
        if (src != g3 && dst != g3)
        {
            return upper.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
        }
        if (!owned)
        {
            disk.takeOwnership(); // the transfer thread, from its first G3 copy on
            owned = true;
        }
        final G3Plan plan = plans[transfer.index()];
        final int i = blockIndex(transfer, srcSlot, dstSlot);
        final DiskStatus s;
        if (dst == g3)
        {
            evictPending(plan);
            if (checksumReads && PayloadChecksum.of(g2.address(srcSlot), payloadBytes) != transfer.checksum(i))
            {
                plan.status[i] = SOURCE_MISMATCH; // a corrupt G2 copy never becomes the disk's truth
                return TransferOutcome.FAILED;
            }
            s = disk.write(plan.idHi[i], plan.idLo[i], saltId, g2.address(srcSlot), payloadBytes);
            plan.status[i] = (byte)s.ordinal();
            return s == DiskStatus.OK || s == DiskStatus.ALREADY_PRESENT ? TransferOutcome.DONE : TransferOutcome.FAILED;
        }
        final long at = g2.address(dstSlot);
        s = disk.read(plan.idHi[i], plan.idLo[i], saltId, at, readCapacity);
        plan.status[i] = (byte)s.ordinal();
        if (s != DiskStatus.OK)
        {
            return TransferOutcome.FAILED;
        }
        // The disk tier verified the payload against its header; this is the G2 copy's own checksum, taken
        // here so the serving thread never hashes a payload.
        plan.checksum[i] = checksumReads ? PayloadChecksum.of(at, payloadBytes) : 0;
        return TransferOutcome.DONE;
    }

    private void evictPending(final G3Plan plan)
    {
        final int n = plan.evictCount;
        for (int k = 0; k < n; k++)
        {
            disk.evict(plan.evictHi[k], plan.evictLo[k]);
        }
        plan.evictCount = 0; // done: the serving thread sees 0 and carries nothing over
    }

    private static int blockIndex(final Transfer t, final int srcSlot, final int dstSlot)
    {
        for (int i = 0; i < t.count(); i++)
        {
            if (t.srcSlot(i) == srcSlot && t.dstSlot(i) == dstSlot)
            {
                return i;
            }
        }
        throw new IllegalStateException("block " + srcSlot + "->" + dstSlot + " not in " + t);
    }

    @Override
    public int finish(final Transfer transfer)
    {
        return transfer.source() == g3 || transfer.destination() == g3 ? TransferOutcome.DONE : upper.finish(transfer);
    }

    @Override
    public int poll(final Transfer transfer)
    {
        return upper.poll(transfer);
    }

    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        return (src == g3 && dst == g2) || (src == g2 && dst == g3) || upper.supports(src, dst);
    }

    /** After the transfer thread stopped: closes the G1↔G2 copier and the disk tier. */
    @Override
    public void close()
    {
        upper.close();
        disk.close();
    }
}
