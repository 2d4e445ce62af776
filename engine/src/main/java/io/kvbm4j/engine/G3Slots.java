package io.kvbm4j.engine;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Stands for the G3 pool's slots in a {@link io.kvbm4j.tiers.transfer.Transfer}: G3 blocks live in the disk
 * tier's slot file, found by id, not at an address, so this memory has no addresses and no two slots are
 * ever contiguous (the transfer engine hands the {@link G3Copier} one block per call). Not host accessible:
 * the transfer engine takes and verifies no checksum on this side; the disk tier checks its own.
 * Immutable.
 */
final class G3Slots implements SlotMemory
{
    private final int slots;
    private final long payloadBytes;

    G3Slots(final int slots, final long payloadBytes)
    {
        this.slots = slots;
        this.payloadBytes = payloadBytes;
    }

    @Override
    public int slotCount()
    {
        return slots;
    }

    @Override
    public long payloadBytes()
    {
        return payloadBytes;
    }

    @Override
    public long address(final int slot)
    {
        throw new IllegalStateException("G3 slots have no address: the G3 copier reads and writes them by id");
    }

    @Override
    public boolean hostAccessible()
    {
        return false;
    }

    @Override
    public boolean contiguous(final int first, final int count)
    {
        return count <= 1;
    }

    @Override
    public void close()
    {
    }

    @Override
    public String toString()
    {
        return "G3Slots[" + slots + " x " + payloadBytes + " bytes]";
    }
}
