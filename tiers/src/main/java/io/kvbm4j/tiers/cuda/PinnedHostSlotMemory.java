package io.kvbm4j.tiers.cuda;

import jcuda.driver.JCudaDriver;

import io.kvbm4j.tiers.memory.StridedSlotMemory;

/**
 * G2 host memory that is page-locked ({@code cuMemHostAlloc}), so copies to and from the device are true
 * DMA. The same contract as {@link io.kvbm4j.tiers.host.HostSlotMemory}: 4 KiB-aligned slots, host
 * addresses the CPU reads (checksums), freed once.
 */
public final class PinnedHostSlotMemory extends StridedSlotMemory
{
    private final HostPointer base = new HostPointer();
    private final long address;
    private boolean closed;

    public PinnedHostSlotMemory(final CudaDevice device, final int slotCount, final long payloadBytes)
    {
        super(slotCount, payloadBytes, alignedStride(payloadBytes));
        device.makeCurrent();
        // Over-allocate by one alignment unit: cuMemHostAlloc returns page-aligned memory in practice, but
        // the 4 KiB promise is ours to keep.
        CudaDevice.check(JCudaDriver.cuMemHostAlloc(base, stride * slotCount + ALIGNMENT, 0),
            "cuMemHostAlloc of " + stride * slotCount + " bytes");
        this.address = (base.address() + ALIGNMENT - 1) & -ALIGNMENT;
    }

    @Override
    public long address(final int slot)
    {
        return slotAddress(address, slot);
    }

    @Override
    public boolean hostAccessible()
    {
        return true;
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
