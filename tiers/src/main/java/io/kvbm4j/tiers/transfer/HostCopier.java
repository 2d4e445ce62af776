package io.kvbm4j.tiers.transfer;

import org.agrona.UnsafeApi;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Host↔host copies ({@code Unsafe.copyMemory}) on the transfer thread: G2 with a host-backed G1, or any two
 * host-accessible slot memories. Block-contiguous on both sides: one copy per run of adjacent blocks. A
 * layer-separate side ({@link SlotMemory#regions()} &gt; 1): one copy per region per run when both sides
 * have the regions, else one copy per region per block. Stateless; never fails on valid slots.
 */
public final class HostCopier implements BlockCopier
{
    @Override
    public int copy(
        final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot, final int blocks,
        final Transfer transfer)
    {
        final int pieces = Math.max(src.regions(), dst.regions());
        if (pieces == 1)
        {
            UnsafeApi.copyMemory(src.address(srcSlot), dst.address(dstSlot), blocks * src.payloadBytes());
            return TransferOutcome.DONE;
        }
        final long pieceBytes = src.payloadBytes() / pieces;
        if (src.regions() == dst.regions())
        {
            for (int r = 0; r < pieces; r++)
            {
                UnsafeApi.copyMemory(src.pieceAddress(srcSlot, r, pieces), dst.pieceAddress(dstSlot, r, pieces),
                    blocks * pieceBytes);
            }
            return TransferOutcome.DONE;
        }
        for (int b = 0; b < blocks; b++)
        {
            for (int r = 0; r < pieces; r++)
            {
                UnsafeApi.copyMemory(src.pieceAddress(srcSlot + b, r, pieces),
                    dst.pieceAddress(dstSlot + b, r, pieces), pieceBytes);
            }
        }
        return TransferOutcome.DONE;
    }

    /** Host memory on both sides, same payload, and region counts that agree (1 or the same split). */
    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        final int pieces = Math.max(src.regions(), dst.regions());
        return src.hostAccessible() && dst.hostAccessible() && src.payloadBytes() == dst.payloadBytes() &&
            (src.regions() == 1 || src.regions() == pieces) && (dst.regions() == 1 || dst.regions() == pieces) &&
            src.payloadBytes() % pieces == 0;
    }
}
