package io.kvbm4j.tiers.memory;

/**
 * Slots at a fixed stride from one base: slot s at {@code base + s * stride}. The shape shared by the
 * runtime's host slots, pinned host memory and a device arena; subclasses say where the base is, whether the
 * CPU may touch it and how it is freed.
 */
public abstract class StridedSlotMemory implements SlotMemory
{
    /** Slot alignment of the memory kvbm4j allocates itself (O_DIRECT and DMA friendly). */
    public static final long ALIGNMENT = 4096;

    protected final int slotCount;
    protected final long payloadBytes;
    protected final long stride;

    protected StridedSlotMemory(final int slotCount, final long payloadBytes, final long stride)
    {
        if (slotCount <= 0 || payloadBytes <= 0 || stride < payloadBytes)
        {
            throw new IllegalArgumentException("slotCount " + slotCount + ", payloadBytes " + payloadBytes +
                ", stride " + stride + ": need counts > 0 and stride >= payloadBytes");
        }
        this.slotCount = slotCount;
        this.payloadBytes = payloadBytes;
        this.stride = stride;
    }

    /** {@code payloadBytes} rounded up to {@link #ALIGNMENT}, or {@code 0} when it is not positive. */
    protected static long alignedStride(final long payloadBytes)
    {
        return payloadBytes <= 0 ? 0 : (payloadBytes + ALIGNMENT - 1) & -ALIGNMENT;
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

    /** {@code base + slot * stride}, the slot checked against the count. */
    protected final long slotAddress(final long base, final int slot)
    {
        if (slot < 0 || slot >= slotCount)
        {
            throw new IndexOutOfBoundsException("slot " + slot + " not in 0.." + (slotCount - 1));
        }
        return base + slot * stride;
    }

    @Override
    public boolean contiguous(final int first, final int count)
    {
        return first >= 0 && count > 0 && first + count <= slotCount && (count == 1 || stride == payloadBytes);
    }
}
