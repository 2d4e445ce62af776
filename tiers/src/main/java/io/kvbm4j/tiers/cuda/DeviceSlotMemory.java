package io.kvbm4j.tiers.cuda;

import jcuda.driver.JCudaDriver;

import io.kvbm4j.tiers.memory.StridedSlotMemory;

/**
 * G1 device memory: one {@code cuMemAlloc} arena carved into {@code slotCount} slots of the block payload,
 * each starting on a 4 KiB boundary (slots back to back when the payload is a multiple of 4 KiB, so a run
 * of adjacent blocks is one copy).
 *
 * <p>The slot pointers are made once here, so copies allocate nothing. Mapping immutable; bytes belong to
 * the slot's owner (runtime or transfer thread). Freed once by {@link #close()}.
 */
public final class DeviceSlotMemory extends StridedSlotMemory
{
    private final DevicePointer base = new DevicePointer();
    private final DevicePointer[] slots;
    private final boolean owned;
    private boolean closed;

    private DeviceSlotMemory(final long baseAddress, final long stride, final int slotCount, final long payloadBytes)
    {
        super(slotCount, payloadBytes, stride);
        this.owned = false;
        final DevicePointer zero = new DevicePointer(); // address 0; slots are offsets from it
        this.slots = new DevicePointer[slotCount];
        for (int s = 0; s < slotCount; s++)
        {
            slots[s] = new DevicePointer(zero, slotAddress(baseAddress, s));
        }
    }

    /**
     * Device memory the inference runtime owns and hands over: slot s at {@code baseAddress + s * stride}.
     * {@link #close()} leaves it alone.
     */
    public static DeviceSlotMemory external(
        final long baseAddress, final long stride, final int slotCount, final long payloadBytes)
    {
        return new DeviceSlotMemory(baseAddress, stride, slotCount, payloadBytes);
    }

    public DeviceSlotMemory(final CudaDevice device, final int slotCount, final long payloadBytes)
    {
        super(slotCount, payloadBytes, alignedStride(payloadBytes));
        device.makeCurrent();
        this.owned = true;
        CudaDevice.check(JCudaDriver.cuMemAlloc(base, stride * slotCount), "cuMemAlloc of " + stride * slotCount +
            " bytes");
        this.slots = new DevicePointer[slotCount];
        for (int s = 0; s < slotCount; s++)
        {
            slots[s] = new DevicePointer(base, s * stride);
        }
    }

    /** Device address of a slot. */
    @Override
    public long address(final int slot)
    {
        return slots[slot].address();
    }

    DevicePointer pointer(final int slot)
    {
        return slots[slot];
    }

    @Override
    public boolean hostAccessible()
    {
        return false;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            if (owned)
            {
                JCudaDriver.cuMemFree(base);
            }
        }
    }
}
