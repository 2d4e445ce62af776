package io.kvbm4j.tiers.memory;

/**
 * Host slots the inference runtime owns and hands over: slot s at {@code baseAddress + s * stride}.
 * kvbm4j reads and writes them only from the transfer thread while a transfer holds the slot, and never
 * frees them. (Device pointers from the runtime: {@code io.kvbm4j.tiers.cuda.DeviceSlotMemory.external}.)
 */
public final class ExternalSlotMemory extends StridedSlotMemory
{
    private final long baseAddress;

    public ExternalSlotMemory(final long baseAddress, final long stride, final int slotCount, final long payloadBytes)
    {
        super(slotCount, payloadBytes, stride);
        if (baseAddress == 0)
        {
            throw new IllegalArgumentException("base address 0: the runtime's slots need a non-null base");
        }
        this.baseAddress = baseAddress;
    }

    @Override
    public long address(final int slot)
    {
        return slotAddress(baseAddress, slot);
    }

    @Override
    public boolean hostAccessible()
    {
        return true;
    }

    /** The runtime's memory: nothing to free. */
    @Override
    public void close()
    {
    }
}
