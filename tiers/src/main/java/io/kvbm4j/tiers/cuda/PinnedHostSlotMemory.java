package io.kvbm4j.tiers.cuda;

import jcuda.driver.JCudaDriver;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * G2 host memory that is page-locked ({@code cuMemHostAlloc}), so copies to and from the device are true
 * DMA. The same contract as {@link io.kvbm4j.tiers.host.HostSlotMemory}: 4 KiB-aligned slots, host
 * addresses the CPU reads (checksums), freed once.
 */
public final class PinnedHostSlotMemory implements SlotMemory
{
    private static final long ALIGNMENT = 4096;

    private final int slotCount;
    private final long payloadBytes;
    private final long stride;
    private final HostPointer base = new HostPointer();
    private final long address;
    private boolean closed;

    public PinnedHostSlotMemory(final CudaDevice device, final int slotCount, final long payloadBytes)
    {
        if (slotCount <= 0 || payloadBytes <= 0)
        {
            throw new IllegalArgumentException("slotCount " + slotCount + " and payloadBytes " + payloadBytes +
                " must be > 0");
        }
        device.makeCurrent();
        this.slotCount = slotCount;
        this.payloadBytes = payloadBytes;
        this.stride = (payloadBytes + ALIGNMENT - 1) & -ALIGNMENT;
        // Over-allocate by one alignment unit: cuMemHostAlloc returns page-aligned memory in practice, but
        // the 4 KiB promise is ours to keep.
        CudaDevice.check(JCudaDriver.cuMemHostAlloc(base, stride * slotCount + ALIGNMENT, 0),
            "cuMemHostAlloc of " + stride * slotCount + " bytes");
        this.address = (base.address() + ALIGNMENT - 1) & -ALIGNMENT;
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
        return address + slot * stride;
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

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            JCudaDriver.cuMemFreeHost(base);
        }
    }
}
