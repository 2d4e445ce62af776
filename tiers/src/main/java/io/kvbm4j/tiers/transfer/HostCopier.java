package io.kvbm4j.tiers.transfer;

import org.agrona.UnsafeApi;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Host↔host copies ({@code Unsafe.copyMemory}) on the transfer thread: G2 with a host-backed G1, or any two
 * host-accessible slot memories. One copy per contiguous run. Stateless; never fails on valid slots.
 */
public final class HostCopier implements BlockCopier
{
    @Override
    public int copy(
        final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot, final int blocks,
        final Transfer transfer)
    {
        UnsafeApi.copyMemory(src.address(srcSlot), dst.address(dstSlot), blocks * src.payloadBytes());
        return TransferOutcome.DONE;
    }

    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        return src.hostAccessible() && dst.hostAccessible() && src.payloadBytes() == dst.payloadBytes();
    }
}
