package io.kvbm4j.perf.tiers;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

import io.kvbm4j.tiers.cuda.CudaCopier;
import io.kvbm4j.tiers.cuda.CudaDevice;
import io.kvbm4j.tiers.cuda.DeviceSlotMemory;
import io.kvbm4j.tiers.cuda.PinnedHostSlotMemory;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;

/**
 * G1↔G2 bandwidth on a GPU, in microseconds per block (bandwidth = bytes / time): one block offloaded
 * (device arena → pinned G2) and onboarded (pinned G2 → device) through the transfer engine with the
 * CUDA copier (async copy on its stream, event polled by the transfer thread), no checksum, against a
 * plain synchronous {@code cuMemcpyDtoH}/{@code cuMemcpyHtoD} of the same number of bytes between a
 * device buffer and pinned host memory, in the same run.
 *
 * <p>Needs an NVIDIA GPU and driver; without one the set-up fails naming why
 * ({@link CudaDevice#unavailableReason()}).
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh DeviceCopyBenchmark
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain DeviceCopyBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class DeviceCopyBenchmark
{
    private static final int SLOTS = 8;

    /** Block payload: 0.5, 2 and 8 MiB. */
    @Param({"524288", "2097152", "8388608"})
    public int bytes;

    private CudaDevice device;
    private DeviceSlotMemory g1;
    private PinnedHostSlotMemory g2;
    private TransferEngine engine;
    private CUdeviceptr peerDevice;
    private Pointer peerHost;
    private int next;

    @Setup(Level.Trial)
    public void setUp()
    {
        final String reason = CudaDevice.unavailableReason();
        if (reason != null)
        {
            throw new IllegalStateException("DeviceCopyBenchmark needs an NVIDIA GPU: " + reason);
        }
        device = CudaDevice.open(0);
        g1 = new DeviceSlotMemory(device, SLOTS, bytes);
        g2 = new PinnedHostSlotMemory(device, SLOTS, bytes);
        engine = new TransferEngine(2, 2, 1, new CudaCopier(device, g1, g2, 4), new SystemNanoClock(), "bench");
        peerDevice = new CUdeviceptr();
        peerHost = new Pointer();
        device.makeCurrent();
        JCudaDriver.cuMemAlloc(peerDevice, bytes);
        JCudaDriver.cuMemHostAlloc(peerHost, bytes, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        engine.stop(10, TimeUnit.SECONDS);
        JCudaDriver.cuMemFree(peerDevice);
        JCudaDriver.cuMemFreeHost(peerHost);
        g1.close();
        g2.close();
        device.close();
    }

    private int run(final int direction)
    {
        next = (next + 1) & (SLOTS - 1);
        final Transfer t = engine.claim();
        if (direction == Transfer.OFFLOAD)
        {
            t.begin(Transfer.OFFLOAD, g1, g2, Long.MAX_VALUE, false);
        }
        else
        {
            t.begin(Transfer.ONBOARD, g2, g1, Long.MAX_VALUE, false);
        }
        t.add(next, (next + 3) & (SLOTS - 1), 0);
        engine.submit(t);
        Transfer done;
        while ((done = engine.pollCompleted()) == null)
        {
            Thread.onSpinWait();
        }
        final int outcome = done.outcome(0);
        engine.recycle(done);
        return outcome;
    }

    @Benchmark
    public int offloadG1ToG2()
    {
        return run(Transfer.OFFLOAD);
    }

    @Benchmark
    public int onboardG2ToG1()
    {
        return run(Transfer.ONBOARD);
    }

    @Benchmark
    public int cuMemcpyDtoHPeer()
    {
        return JCudaDriver.cuMemcpyDtoH(peerHost, peerDevice, bytes);
    }

    @Benchmark
    public int cuMemcpyHtoDPeer()
    {
        return JCudaDriver.cuMemcpyHtoD(peerDevice, peerHost, bytes);
    }
}
