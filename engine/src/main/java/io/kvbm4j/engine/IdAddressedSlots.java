package io.kvbm4j.engine;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Stands for the slots of a tier whose blocks are found by id, not at an address (G3: the disk tier's slot file;
 * G4: the remote store) in a {@link io.kvbm4j.tiers.transfer.Transfer}. This memory has no addresses and no two
 * slots are ever contiguous (the transfer engine hands the tier's copier, {@link G3Copier} or {@link G4Copier},
 * one block per call). Not host accessible: the transfer engine takes and verifies no checksum on this side;
 * the tier checks its own. Immutable.
 */
final class IdAddressedSlots implements SlotMemory
{
    private final String tier;
    private final int slots;
    private final long payloadBytes;

    /** @param tier the tier's name ("G3", "G4"), for messages. */
    IdAddressedSlots(final String tier, final int slots, final long payloadBytes)
    {
        this.tier = tier;
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
        throw new IllegalStateException(tier + " slots have no address: the " + tier +
            " copier reads and writes them by id");
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
        return tier + "Slots[" + slots + " x " + payloadBytes + " bytes]";
    }
}
