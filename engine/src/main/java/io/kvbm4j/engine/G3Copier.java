package io.kvbm4j.engine;

import org.agrona.concurrent.NanoClock;

import io.kvbm4j.gds.disk.DiskCompletionHandler;
import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.gds.disk.DiskTier;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.BlockCopier;
import io.kvbm4j.tiers.transfer.PayloadChecksum;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * The transfer engine's copy step once G3 is on: G2↔G3 blocks go to the {@link DiskTier}'s asynchronous API
 * ({@code submitWrite}/{@code submitRead}/{@code pollCompletions}) with up to {@code g3.queue-depth} I/Os in
 * flight, so the transfer thread never waits for the disk; everything else goes to the G1↔G2 copier it wraps.
 *
 * <p>Protocol with the {@link io.kvbm4j.tiers.transfer.TransferEngine} (an asynchronous copier, like the CUDA
 * one): {@link #copy} submits the record's blocks one by one (a block the I/O threads cannot take yet waits
 * in the record), answering {@link BlockCopier#QUEUED}; {@link #finish} puts a record with blocks still to
 * submit in a FIFO and answers PENDING; {@link #poll} collects completions, submits waiting blocks in FIFO
 * order and answers DONE for a record only once none of its blocks is waiting or in flight. A failed block
 * is settled FAILED on the record ({@link Transfer#settle}); the engine settles the rest DONE (or TIMED_OUT
 * past the deadline). A block not yet submitted when its deadline passed is settled TIMED_OUT and never
 * submitted; one already in flight is waited for (the I/O thread still writes into, or reads from, its G2
 * slot, which the serving thread frees only once the record is back).
 *
 * <p>Safety (as the disk tier guarantees it): a write completes OK only once every part landed and its index
 * entry is written, so the serving thread registers a G3 block only for a write that landed; a read completes
 * OK only once the header and every part's checksum verified, and a failed or torn part fails the whole block.
 *
 * <p>Owns the {@link DiskTier} (its owner thread is the transfer thread, taken over at the first call) and,
 * per transfer record, a {@link G3Plan}: what the transfer engine does not carry (each block's id, the disk
 * status it ended with, the checksum of what a read put in G2, the G3 evictions to do before a record's
 * writes, and the record's I/O progress). The serving thread fills a record's plan before it submits the
 * record and reads it after it polled the completion; the engine's queues order those accesses (the same
 * hand-over as {@link Transfer}'s own fields), so a plan has one owner at a time. The serving thread's side
 * of G3 is {@link G3Transfers}.
 *
 * <p>Invariants (transfer thread): {@code Σ plan.inFlight == disk.inFlight()} blocks (parts aside); a record
 * is in the FIFO at most once; every block of a record the copier answered DONE for is settled or left
 * PENDING only if its I/O completed OK. No allocation: the FIFO and plans are preallocated and this object is
 * the completion handler.
 */
final class G3Copier implements BlockCopier, DiskCompletionHandler
{
    private final BlockCopier upper;
    private final DiskTier disk;
    private final IdAddressedSlots g3;
    private final SlotMemory g2;
    private final NanoClock clock;
    private final long saltId;
    private final long payloadBytes;
    private final long readCapacity;
    private final boolean checksumReads;
    private final G3Plan[] plans;
    /** Records with blocks still to submit, oldest first (a ring of record indices). */
    private final int[] waiting;
    private int waitingHead;
    private int waitingCount;
    private boolean owned;

    G3Copier(
        final BlockCopier upper, final DiskTier disk, final IdAddressedSlots g3, final SlotMemory g2, final NanoClock clock,
        final long saltId, final int records, final int batchBlocks, final boolean checksumReads)
    {
        this.upper = upper;
        this.disk = disk;
        this.g3 = g3;
        this.g2 = g2;
        this.clock = clock;
        this.saltId = saltId;
        this.payloadBytes = g2.payloadBytes();
        this.readCapacity = (payloadBytes + 4095) & ~4095L;
        this.checksumReads = checksumReads;
        this.plans = new G3Plan[records];
        for (int r = 0; r < records; r++)
        {
            plans[r] = new G3Plan(batchBlocks);
        }
        this.waiting = new int[records];
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

    IdAddressedSlots g3()
    {
        return g3;
    }

    private boolean isG3(final Transfer t)
    {
        return t.source() == g3 || t.destination() == g3;
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
        if (!plan.started)
        {
            plan.started = true;
            plan.transfer = transfer;
            plan.cursor = 0;
            plan.inFlight = 0;
            plan.waiting = false;
            if (dst == g3)
            {
                evictPending(plan); // frees disk slots before this record's writes take any
            }
        }
        final int i = blockIndex(plan, transfer, srcSlot, dstSlot);
        if (waitingCount == 0 && plan.cursor == i)
        {
            // Nobody is ahead in the FIFO: start this block now, so its I/O overlaps the next blocks' submission.
            if (submit(plan, transfer, i) != DiskStatus.BUSY)
            {
                plan.cursor = i + 1;
            }
        }
        return QUEUED;
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

    /** Block index of a copy: the engine copies a G3 record's blocks in order, so the cursor is the first guess. */
    private static int blockIndex(final G3Plan plan, final Transfer t, final int srcSlot, final int dstSlot)
    {
        for (int i = plan.cursor; i < t.count(); i++)
        {
            if (t.srcSlot(i) == srcSlot && t.dstSlot(i) == dstSlot)
            {
                return i;
            }
        }
        for (int i = 0; i < t.count(); i++)
        {
            if (t.srcSlot(i) == srcSlot && t.dstSlot(i) == dstSlot)
            {
                return i;
            }
        }
        throw new IllegalStateException("block " + srcSlot + "->" + dstSlot + " not in " + t);
    }

    /**
     * Submits block {@code i} of {@code t} to the disk tier. @return BUSY when no I/O thread is free (nothing
     * started, the block still waits); anything else settled or started the block.
     */
    private DiskStatus submit(final G3Plan plan, final Transfer t, final int i)
    {
        final long tag = ((long)t.index() << 32) | i;
        final boolean write = t.destination() == g3;
        // A write carries the block's own checksum (taken from G1; the G2 copy was compared with G1 when it was
        // made) into the slot's header as its payload checksum: the I/O threads write without hashing, every read
        // verifies the bytes against it and hands it back, and nobody hashes the payload for it again. A G2 copy
        // gone bad in between reads back CORRUPT: a miss, never wrong bytes.
        final DiskStatus s = write ?
            disk.submitWrite(plan.idHi[i], plan.idLo[i], saltId, g2.address(t.srcSlot(i)), payloadBytes,
                checksumReads ? t.checksum(i) : 0, tag) :
            disk.submitRead(plan.idHi[i], plan.idLo[i], saltId, g2.address(t.dstSlot(i)), readCapacity, tag);
        switch (s)
        {
            case SUBMITTED:
                plan.status[i] = G3Plan.IN_FLIGHT;
                plan.inFlight++;
                break;
            case BUSY:
                break;
            case ALREADY_PRESENT:
                plan.status[i] = (byte)s.ordinal();
                if (!write)
                {
                    t.settle(i, TransferOutcome.FAILED);
                }
                break; // a write of a block the disk holds: DONE
            default:
                plan.status[i] = (byte)s.ordinal();
                t.settle(i, TransferOutcome.FAILED); // MISS, NO_SLOT, DEGRADED, CLOSED, ...: a miss
                break;
        }
        return s;
    }

    /** A finished disk I/O (called from {@link DiskTier#pollCompletions} on this thread). */
    @Override
    public void onComplete(final long tag, final boolean write, final DiskStatus status, final long callerChecksum)
    {
        final G3Plan plan = plans[(int)(tag >>> 32)];
        final int i = (int)tag;
        final Transfer t = plan.transfer;
        plan.inFlight--;
        plan.status[i] = (byte)status.ordinal();
        if (status == DiskStatus.OK || (write && status == DiskStatus.ALREADY_PRESENT))
        {
            if (!write && checksumReads)
            {
                // A caller checksum comes back only when the disk tier verified the payload against it (slot
                // format 3, the block's own checksum as the payload checksum): it is these bytes' checksum. A
                // chunk-summed slot (format 2, or written with verify-g2 off) is verified by its chunks and hashed
                // here, on this thread, so the serving thread never hashes a payload.
                plan.checksum[i] = callerChecksum != 0 ? callerChecksum :
                    PayloadChecksum.of(g2.address(t.dstSlot(i)), payloadBytes);
            }
            else
            {
                plan.checksum[i] = 0;
            }
            return; // left PENDING: the engine settles it DONE, or TIMED_OUT when late
        }
        t.settle(i, TransferOutcome.FAILED); // a failed or torn part fails the whole block: a miss
    }

    /** Collects finished I/Os, then submits waiting blocks in FIFO order until the I/O threads are all busy. */
    private void pump()
    {
        disk.pollCompletions(this, Integer.MAX_VALUE);
        while (waitingCount > 0)
        {
            final G3Plan plan = plans[waiting[waitingHead]];
            if (!submitWaiting(plan))
            {
                return; // every I/O thread busy: the rest waits for completions
            }
            plan.waiting = false;
            waitingHead = waitingHead + 1 == waiting.length ? 0 : waitingHead + 1;
            waitingCount--;
        }
    }

    /** Submits the record's blocks from its cursor on. @return false when the disk answered BUSY. */
    private boolean submitWaiting(final G3Plan plan)
    {
        final Transfer t = plan.transfer;
        final int n = t.count();
        final boolean late = clock.nanoTime() - t.deadlineNanos() > 0;
        while (plan.cursor < n)
        {
            final int i = plan.cursor;
            if (plan.status[i] == G3Plan.NO_STATUS && t.outcome(i) == TransferOutcome.PENDING)
            {
                if (late)
                {
                    t.settle(i, TransferOutcome.TIMED_OUT); // never submitted: nothing of it on disk
                }
                else if (submit(plan, t, i) == DiskStatus.BUSY)
                {
                    return false;
                }
            }
            plan.cursor = i + 1;
        }
        return true;
    }

    @Override
    public int finish(final Transfer transfer)
    {
        if (!isG3(transfer))
        {
            return upper.finish(transfer);
        }
        final G3Plan plan = plans[transfer.index()];
        if (!plan.started)
        {
            return TransferOutcome.DONE; // nothing was copied (every block settled before)
        }
        if (plan.cursor < transfer.count() && !plan.waiting)
        {
            plan.waiting = true;
            int tail = waitingHead + waitingCount;
            if (tail >= waiting.length)
            {
                tail -= waiting.length;
            }
            waiting[tail] = transfer.index();
            waitingCount++;
        }
        return poll(transfer);
    }

    @Override
    public int poll(final Transfer transfer)
    {
        if (!isG3(transfer))
        {
            return upper.poll(transfer);
        }
        pump();
        final G3Plan plan = plans[transfer.index()];
        if (plan.inFlight > 0 || plan.waiting)
        {
            return TransferOutcome.PENDING;
        }
        plan.started = false;
        plan.transfer = null;
        return TransferOutcome.DONE;
    }

    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        return (src == g3 && dst == g2) || (src == g2 && dst == g3) || upper.supports(src, dst);
    }

    /**
     * After the transfer thread stopped: closes the G1↔G2 copier and the disk tier (the engine hands back a
     * record only once none of its I/Os is in flight, and the disk tier's close waits for any running I/O).
     */
    @Override
    public void close()
    {
        upper.close();
        disk.close();
    }
}
