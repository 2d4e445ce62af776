package io.kvbm4j.tiers.memory;

/**
 * Host slots the inference runtime owns and hands over: slot s at {@code baseAddress + s * stride}.
 * kvbm4j reads and writes them only from the transfer thread while a transfer holds the slot, and never
 * frees them. (Device pointers from the runtime: {@code io.kvbm4j.tiers.cuda.DeviceSlotMemory.external}.)
 */
public final class ExternalSlotMemory implements SlotMemory
{
    private final long baseAddress;
    private final long stride;
    private final int slotCount;
    private final long payloadBytes;

    public ExternalSlotMemory(final long baseAddress, final long stride, final int slotCount, final long payloadBytes)
    {
        if (baseAddress == 0 || slotCount <= 0 || payloadBytes <= 0 || stride < payloadBytes)
        {
            throw new IllegalArgumentException("base " + baseAddress + ", slotCount " + slotCount + ", payloadBytes " +
                payloadBytes + ", stride " + stride + ": need a non-null base, counts > 0, stride >= payloadBytes");
        }
        this.baseAddress = baseAddress;
        this.stride = stride;
        this.slotCount = slotCount;
        this.payloadBytes = payloadBytes;
    }

    @Override
    public int slotCount()
    {
        return slotCount;
    }

    @Override
    public long payloadBytes()
    {
        return payloadBytes;
    }

    @Override
    public long address(final int slot)
    {
        if (slot < 0 || slot >= slotCount)
        {
            throw new IndexOutOfBoundsException("slot " + slot + " not in 0.." + (slotCount - 1));
        }
        return baseAddress + slot * stride;
    }

    @Override
    public boolean hostAccessible()
    {
        return true;
    }

    @Override
    public boolean contiguous(final int first, final int count)
    {
        return first >= 0 && count > 0 && first + count <= slotCount && (count == 1 || stride == payloadBytes);
    }

    /** The runtime's memory: nothing to free. */
    @Override
    public void close()
    {
    }
}
