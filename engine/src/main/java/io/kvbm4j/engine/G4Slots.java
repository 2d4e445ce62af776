package io.kvbm4j.engine;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Stands for G4 in a {@link io.kvbm4j.tiers.transfer.Transfer}: G4 blocks live in a remote store, found by id,
 * not at an address, so this memory has no addresses and no two slots are contiguous (the transfer engine hands
 * the {@link G4Copier} one block per call). What a slot number means depends on the direction:
 *
 * <pre>
 *  G2 → G4  (write)   destination slot = the block's slot in the G4 index pool (registered when the write succeeds)
 *  G4 → G4  (lookup)  slot i = the i-th id of the prefix asked (the ids are in the record's {@link G4Plan})
 *  G4 → G2  (read)    source slot i = the i-th id of the plan
 * </pre>
 *
 * Not host accessible: the transfer engine takes and verifies no checksum on this side; the store checks its own
 * value header and checksum. Immutable.
 */
final class G4Slots implements SlotMemory
{
    private final int slots;
    private final long payloadBytes;

    G4Slots(final int slots, final long payloadBytes)
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
        throw new IllegalStateException("G4 slots have no address: the G4 copier reads and writes them by id");
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
        return "G4Slots[" + slots + " x " + payloadBytes + " bytes]";
    }
}
