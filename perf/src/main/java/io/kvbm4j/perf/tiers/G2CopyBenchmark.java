package io.kvbm4j.perf.tiers;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.SystemNanoClock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.kvbm4j.tiers.host.HostSlotMemory;
import io.kvbm4j.tiers.transfer.HostCopier;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;

/**
 * G2 copy bandwidth: one block of {@code bytes} from host-backed G1 slots to G2 slots, in microseconds per
 * block (bandwidth = bytes / time), through
 * <ul>
 *   <li>{@code copyStep}: the transfer engine's copy step ({@link HostCopier}) on the calling thread;</li>
 *   <li>{@code transferEngine}: the whole path: {@value #PIPELINE} one-block transfers submitted to the
 *       transfer thread, then their completions drained (queue hand-offs both ways, as the serving thread
 *       sees it with transfers in flight), no checksum; reported per block;</li>
 *   <li>{@code transferEngineChecksummed}: the same with the XXH3-64 checksum taken (the G2 default);</li>
 *   <li>{@code unsafeCopyMemoryPeer}: {@code sun.misc.Unsafe.copyMemory} of the same bytes, the peer.</li>
 * </ul>
 * Source and destination rotate over 8 slots each, so the larger blocks measure memory, not cache.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh G2CopyBenchmark
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain G2CopyBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class G2CopyBenchmark
{
    private static final int SLOTS = 8;
    static final int PIPELINE = 4;
    private static final MethodHandle UNSAFE_COPY = unsafeCopyMemory();

    /** Block payload: 0.5, 2 and 8 MiB. */
    @Param({"524288", "2097152", "8388608"})
    public int bytes;

    private HostSlotMemory g1;
    private HostSlotMemory g2;
    private HostCopier copier;
    private TransferEngine engine;
    private int next;

    private static MethodHandle unsafeCopyMemory()
    {
        try
        {
            // Looked up by name: javac warns on a direct reference to sun.misc.Unsafe, and warnings are errors.
            final Class<?> type = Class.forName("sun.misc.Unsafe");
            final Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            return MethodHandles.lookup()
                .findVirtual(type, "copyMemory", MethodType.methodType(void.class, long.class, long.class, long.class))
                .bindTo(field.get(null));
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("sun.misc.Unsafe.copyMemory not reachable", ex);
        }
    }

    @Setup(Level.Trial)
    public void setUp()
    {
        g1 = new HostSlotMemory(SLOTS, bytes);
        g2 = new HostSlotMemory(SLOTS, bytes);
        for (int s = 0; s < SLOTS; s++)
        {
            for (long i = 0; i < bytes; i += 8)
            {
                org.agrona.UnsafeApi.putLong(g1.address(s) + i, s * 31L + i);
                org.agrona.UnsafeApi.putLong(g2.address(s) + i, 0);
            }
        }
        copier = new HostCopier();
        engine = new TransferEngine(PIPELINE, PIPELINE, 1, new HostCopier(), new SystemNanoClock(), "bench");
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        engine.stop(10, TimeUnit.SECONDS);
        g1.close();
        g2.close();
    }

    private int slot()
    {
        next = (next + 1) & (SLOTS - 1);
        return next;
    }

    @Benchmark
    public int copyStep()
    {
        final int s = slot();
        return copier.copy(g1, s, g2, (s + 3) & (SLOTS - 1), 1, null);
    }

    @Benchmark
    @OperationsPerInvocation(PIPELINE)
    public int transferEngine()
    {
        return pipeline(false);
    }

    @Benchmark
    @OperationsPerInvocation(PIPELINE)
    public int transferEngineChecksummed()
    {
        return pipeline(true);
    }

    private int pipeline(final boolean checksummed)
    {
        for (int i = 0; i < PIPELINE; i++)
        {
            final int s = slot();
            final Transfer t = engine.claim();
            t.begin(Transfer.OFFLOAD, g1, g2, Long.MAX_VALUE, checksummed);
            t.add(s, (s + 3) & (SLOTS - 1), 0);
            engine.submit(t);
        }
        int outcomes = 0;
        for (int i = 0; i < PIPELINE; i++)
        {
            Transfer done;
            while ((done = engine.pollCompleted()) == null)
            {
                Thread.yield(); // leave the core to the transfer thread (2-core machines)
            }
            outcomes += done.outcome(0);
            engine.recycle(done);
        }
        return outcomes;
    }

    @Benchmark
    public int unsafeCopyMemoryPeer() throws Throwable
    {
        final int s = slot();
        UNSAFE_COPY.invokeExact(g1.address(s), g2.address((s + 3) & (SLOTS - 1)), (long)bytes);
        return s;
    }
}
