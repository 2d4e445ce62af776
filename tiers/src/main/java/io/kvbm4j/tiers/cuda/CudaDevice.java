package io.kvbm4j.tiers.cuda;

import static jcuda.driver.CUresult.CUDA_SUCCESS;

import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * One CUDA device and its primary context, through JCuda's driver API. The only door to the GPU: the
 * device arena, pinned host memory and the CUDA copier all take one.
 *
 * <p>Without a driver JCuda's first call throws {@code UnsatisfiedLinkError} (libcuda.so.1 missing) and
 * later ones {@code NoClassDefFoundError}; {@link #unavailableReason()} turns either into one line, once
 * per process, and never crashes. JCuda is used with exceptions off: every call's result code is checked.
 *
 * <p>Thread contract: a thread that issues CUDA calls first calls {@link #makeCurrent()} once.
 */
public final class CudaDevice implements AutoCloseable
{
    private static final Object PROBE_LOCK = new Object();
    private static String probed;
    private static boolean probeDone;

    private final int ordinal;
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final String name;
    private boolean closed;

    private CudaDevice(final int ordinal)
    {
        this.ordinal = ordinal;
        check(JCudaDriver.cuDeviceGet(device, ordinal), "cuDeviceGet");
        check(JCudaDriver.cuDevicePrimaryCtxRetain(context, device), "cuDevicePrimaryCtxRetain");
        final byte[] raw = new byte[256];
        check(JCudaDriver.cuDeviceGetName(raw, raw.length, device), "cuDeviceGetName");
        int n = 0;
        while (n < raw.length && raw[n] != 0)
        {
            n++;
        }
        this.name = new String(raw, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
        makeCurrent();
    }

    /**
     * Why CUDA cannot be used here, or null when a device answers. Probes once per process (loading JCuda's
     * natives, {@code cuInit}, counting devices); safe on machines without a GPU or driver.
     */
    public static String unavailableReason()
    {
        synchronized (PROBE_LOCK)
        {
            if (!probeDone)
            {
                probeDone = true;
                probed = probe();
            }
            return probed;
        }
    }

    private static String probe()
    {
        try
        {
            final int init = JCudaDriver.cuInit(0);
            if (init != CUDA_SUCCESS)
            {
                return "cuInit: " + CUresult.stringFor(init);
            }
            final int[] count = new int[1];
            final int r = JCudaDriver.cuDeviceGetCount(count);
            if (r != CUDA_SUCCESS)
            {
                return "cuDeviceGetCount: " + CUresult.stringFor(r);
            }
            return count[0] > 0 ? null : "no CUDA device";
        }
        catch (final LinkageError ex)
        {
            // UnsatisfiedLinkError (no libcuda / natives) or NoClassDefFoundError (a failed earlier load)
            return oneLine(ex);
        }
    }

    /** JCuda's load errors span dozens of lines: keep the first and the one naming libcuda, if any. */
    private static String oneLine(final Throwable ex)
    {
        final String message = String.valueOf(ex.getMessage());
        final String[] lines = message.split("\\R");
        String reason = ex.getClass().getSimpleName() + ": " + lines[0].trim();
        for (final String line : lines)
        {
            if (line.contains("libcuda"))
            {
                reason += " (" + line.trim() + ")";
                break;
            }
        }
        return reason.length() > 300 ? reason.substring(0, 300) + "..." : reason;
    }

    /**
     * Opens a device.
     *
     * @throws IllegalStateException naming the reason when CUDA is unavailable or a call fails.
     */
    public static CudaDevice open(final int ordinal)
    {
        final String reason = unavailableReason();
        if (reason != null)
        {
            throw new IllegalStateException("CUDA unavailable: " + reason);
        }
        return new CudaDevice(ordinal);
    }

    /** Makes this device's primary context current on the calling thread. */
    public void makeCurrent()
    {
        check(JCudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    public int ordinal()
    {
        return ordinal;
    }

    public String name()
    {
        return name;
    }

    /** Throws naming the call when a driver result is not success (set-up and close paths only). */
    static void check(final int result, final String call)
    {
        if (result != CUDA_SUCCESS)
        {
            throw new IllegalStateException(call + " failed: " + CUresult.stringFor(result));
        }
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            JCudaDriver.cuDevicePrimaryCtxRelease(device);
        }
    }

    @Override
    public String toString()
    {
        return "CudaDevice[" + ordinal + ": " + name + "]";
    }
}
