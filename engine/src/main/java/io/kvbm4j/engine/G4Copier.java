package io.kvbm4j.engine;

import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.remote.RemoteOutcome;
import io.kvbm4j.tiers.remote.RemoteTier;
import io.kvbm4j.tiers.remote.RemoteTierListener;
import io.kvbm4j.tiers.transfer.BlockCopier;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * The transfer engine's copy step once G4 is on: G2↔G4 blocks and G4 prefix lookups go to the
 * {@link RemoteTier}, asynchronously (every call is submitted in {@link #copy} and answered through the
 * store's {@link RemoteTier#poll}, which {@link #poll} and {@link #duty} drive); everything else goes to the
 * copier it wraps (G3's, or G1↔G2's).
 *
 * <pre>
 *  G2 → G4  write    one SET-once per block from the pinned G2 slot (refused: FAILED at once)
 *  G4 → G4  lookup   one lookup of the record's ids (a prefix chain), on the record's first block
 *  G4 → G2  read     one verified read per block straight into its G2 slot
 * </pre>
 *
 * <p>Owns the {@link RemoteTier} (its owner thread is the transfer thread, taken over at the first call) and,
 * per transfer record, a {@link G4Plan}. A record stays PENDING until every call it submitted was answered;
 * the store ends each call by its own deadline ({@code g4.timeout-ms}), so every record comes back. Block
 * outcomes the engine cannot express (a miss, a corrupt value, a write-once hit) are in the plan's statuses;
 * the serving thread's side, {@link G4Transfers}, reads them.
 *
 * <p>Tags: {@code record << 16 | block}; a lookup's tag is {@code record << 16 | 0xFFFF}.
 */
final class G4Copier implements BlockCopier, RemoteTierListener
{
    private static final int LOOKUP = 0xFFFF;

    private final BlockCopier upper;
    private final RemoteTier remote;
    private final IdAddressedSlots g4;
    private final SlotMemory g2;
    private final long saltId;
    private final long payloadBytes;
    private final boolean checksums;
    private final G4Plan[] plans;
    private boolean owned;

    G4Copier(
        final BlockCopier upper, final RemoteTier remote, final IdAddressedSlots g4, final SlotMemory g2, final long saltId,
        final int records, final int batchBlocks, final boolean checksums)
    {
        this.upper = upper;
        this.remote = remote;
        this.g4 = g4;
        this.g2 = g2;
        this.saltId = saltId;
        this.payloadBytes = g2.payloadBytes();
        this.checksums = checksums;
        this.plans = new G4Plan[records];
        for (int r = 0; r < records; r++)
        {
            plans[r] = new G4Plan(batchBlocks);
        }
    }

    G4Plan plan(final int record)
    {
        return plans[record];
    }

    IdAddressedSlots g4()
    {
        return g4;
    }

    /** The store (healthy() and the limits readable from any thread; everything else is the transfer thread's). */
    RemoteTier remote()
    {
        return remote;
    }

    boolean involves(final Transfer t)
    {
        return t.source() == g4 || t.destination() == g4;
    }

    private void own()
    {
        if (!owned)
        {
            remote.takeOwnership(); // the transfer thread, from its first G4 call on
            owned = true;
        }
    }

    @Override
    public int copy(
        final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot, final int blocks,
        final Transfer transfer)
    {
        if (src != g4 && dst != g4)
        {
            return upper.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
        }
        own();
        final int record = transfer.index();
        final G4Plan plan = plans[record];
        final long tagBase = (long)record << 16;
        if (src == g4 && dst == g4)
        {
            if (srcSlot == 0)
            {
                if (!remote.lookup(tagBase | LOOKUP, saltId, plan.idHi, plan.idLo, 0, transfer.count()))
                {
                    plan.lookupStatus = G4Plan.REFUSED;
                    return TransferOutcome.FAILED;
                }
                plan.pending++;
                return QUEUED;
            }
            return plan.lookupStatus == G4Plan.REFUSED ? TransferOutcome.FAILED : QUEUED;
        }
        if (src == g4)
        {
            final int i = srcSlot; // a read: the source slot is the block's place in the plan
            final long at = g2.address(dstSlot);
            plan.dstAddress[i] = at;
            if (!remote.read(tagBase | i, saltId, plan.idHi[i], plan.idLo[i], at, payloadBytes))
            {
                plan.status[i] = G4Plan.REFUSED;
                return TransferOutcome.FAILED;
            }
            plan.pending++;
            return QUEUED;
        }
        final int i = blockIndex(transfer, srcSlot, dstSlot);
        // With checksums on, the value carries the checksum taken from G1 on the way down, not one of the G2
        // copy: the payload is not hashed here or in the store, and a G2 copy corrupted since can never be read
        // as valid (every reader finds it CORRUPT and deletes it).
        if (!remote.write(tagBase | i, saltId, plan.idHi[i], plan.idLo[i], g2.address(srcSlot), payloadBytes,
            checksums, checksums ? transfer.checksum(i) : 0))
        {
            plan.status[i] = G4Plan.REFUSED;
            return TransferOutcome.FAILED;
        }
        plan.pending++;
        return QUEUED;
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
        if (!involves(transfer))
        {
            return upper.finish(transfer);
        }
        return plans[transfer.index()].pending > 0 ? TransferOutcome.PENDING : TransferOutcome.DONE;
    }

    @Override
    public int poll(final Transfer transfer)
    {
        if (!involves(transfer))
        {
            return upper.poll(transfer);
        }
        remote.poll(this);
        return plans[transfer.index()].pending > 0 ? TransferOutcome.PENDING : TransferOutcome.DONE;
    }

    @Override
    public int duty()
    {
        own();
        return remote.poll(this) + upper.duty(); // answers, deadlines and, while degraded, the health probe
    }

    /** A store completion (transfer thread, inside {@link RemoteTier#poll}). */
    @Override
    public void onComplete(final long tag, final int outcome, final int run, final long checksum)
    {
        final G4Plan plan = plans[(int)(tag >>> 16)];
        final int i = (int)(tag & 0xFFFF);
        if (i == LOOKUP)
        {
            plan.lookupStatus = (byte)outcome;
            plan.run = run;
        }
        else
        {
            plan.status[i] = (byte)outcome;
            if (outcome == RemoteOutcome.OK && plan.dstAddress[i] != 0)
            {
                // The store verified the bytes it wrote into G2 against the value's XXH3-64: that is the G2
                // copy's checksum (the same function), so nobody hashes the payload again.
                plan.checksum[i] = checksums ? checksum : 0;
            }
        }
        plan.pending--;
    }

    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        return (src == g4 && (dst == g2 || dst == g4)) || (src == g2 && dst == g4) || upper.supports(src, dst);
    }

    /** After the transfer thread stopped: closes the wrapped copier and the store. */
    @Override
    public void close()
    {
        upper.close();
        remote.close();
    }
}
