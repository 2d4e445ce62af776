package io.kvbm4j.tiers.cuda;

import static jcuda.driver.CUresult.CUDA_ERROR_NOT_READY;
import static jcuda.driver.CUresult.CUDA_SUCCESS;

import jcuda.driver.CUevent;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.BlockCopier;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * Host↔device copies for the transfer engine: {@code cuMemcpyDtoHAsync} (offload) and
 * {@code cuMemcpyHtoDAsync} (onboard) on two dedicated streams, one per direction; after the last run of a
 * transfer an event is recorded on its stream, and the transfer thread polls it ({@code cuEventQuery}),
 * so up to K transfers are in flight at once and the thread never blocks on the GPU.
 *
 * <p>Owned by the transfer thread (it makes the context current on first use). Host pointers for every slot
 * of the host memory and one event per transfer record are made once, so a copy allocates nothing.
 */
public final class CudaCopier implements BlockCopier
{
    private final CudaDevice device;
    private final DeviceSlotMemory deviceMemory;
    private final SlotMemory hostMemory;
    private final HostPointer[] hostSlots;
    private final CUstream toHost = new CUstream();
    private final CUstream toDevice = new CUstream();
    private final CUevent[] events;
    private boolean current;

    /**
     * @param records the transfer engine's record count (one event each).
     */
    public CudaCopier(final CudaDevice device, final DeviceSlotMemory deviceMemory, final SlotMemory hostMemory,
        final int records)
    {
        if (!hostMemory.hostAccessible())
        {
            throw new IllegalArgumentException("host side of the CUDA copier must be host memory");
        }
        this.device = device;
        this.deviceMemory = deviceMemory;
        this.hostMemory = hostMemory;
        device.makeCurrent();
        this.hostSlots = new HostPointer[hostMemory.slotCount()];
        for (int s = 0; s < hostSlots.length; s++)
        {
            hostSlots[s] = new HostPointer(hostMemory.address(s));
        }
        CudaDevice.check(JCudaDriver.cuStreamCreate(toHost, 0), "cuStreamCreate");
        CudaDevice.check(JCudaDriver.cuStreamCreate(toDevice, 0), "cuStreamCreate");
        this.events = new CUevent[records];
        for (int i = 0; i < records; i++)
        {
            events[i] = new CUevent();
            CudaDevice.check(JCudaDriver.cuEventCreate(events[i], 0), "cuEventCreate");
        }
    }

    private void ensureCurrent()
    {
        if (!current)
        {
            device.makeCurrent();
            current = true;
        }
    }

    @Override
    public int copy(
        final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot, final int blocks,
        final Transfer transfer)
    {
        ensureCurrent();
        final long bytes = blocks * src.payloadBytes();
        final int r;
        if (src == deviceMemory)
        {
            r = JCudaDriver.cuMemcpyDtoHAsync(hostSlots[dstSlot], deviceMemory.pointer(srcSlot), bytes, toHost);
        }
        else
        {
            r = JCudaDriver.cuMemcpyHtoDAsync(deviceMemory.pointer(dstSlot), hostSlots[srcSlot], bytes, toDevice);
        }
        return r == CUDA_SUCCESS ? QUEUED : TransferOutcome.FAILED;
    }

    @Override
    public int finish(final Transfer transfer)
    {
        ensureCurrent();
        final CUstream stream = transfer.source() == deviceMemory ? toHost : toDevice;
        return JCudaDriver.cuEventRecord(events[transfer.index()], stream) == CUDA_SUCCESS ?
            TransferOutcome.PENDING : TransferOutcome.FAILED;
    }

    @Override
    public int poll(final Transfer transfer)
    {
        final int r = JCudaDriver.cuEventQuery(events[transfer.index()]);
        if (r == CUDA_SUCCESS)
        {
            return TransferOutcome.DONE;
        }
        return r == CUDA_ERROR_NOT_READY ? TransferOutcome.PENDING : TransferOutcome.FAILED;
    }

    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        // Block-contiguous on both sides (layer-separate device memory is not supported yet).
        return ((src == deviceMemory && dst == hostMemory) || (src == hostMemory && dst == deviceMemory)) &&
            src.regions() == 1 && dst.regions() == 1;
    }

    @Override
    public void close()
    {
        device.makeCurrent(); // called by whoever stops the engine, after the transfer thread ended
        for (final CUevent event : events)
        {
            JCudaDriver.cuEventDestroy(event);
        }
        JCudaDriver.cuStreamDestroy(toHost);
        JCudaDriver.cuStreamDestroy(toDevice);
    }
}
