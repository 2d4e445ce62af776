package io.kvbm4j.perf.host;

import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
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

/**
 * G2 host copy, in ns per MiB: {@value #MIB_PER_INVOCATION} MiB of block payloads copied slot to slot within
 * a {@link HostSlotMemory}, from one half of its slots to the other (a working set of twice that, beyond the
 * caches of a small machine), in blocks of {@code payloadBytes}.
 *
 * <ul>
 *   <li>{@code hostSlotCopy}: the flyweight copy path over G2 slots (written before issue 5's transfer
 *       engine reached main; its copy step is {@code tiers.G2CopyBenchmark}): both slots wrapped by
 *       {@link HostSlotMemory#wrap} in reused Agrona flyweights, then
 *       {@link UnsafeBuffer#putBytes(int, org.agrona.DirectBuffer, int, int)}.</li>
 *   <li>{@code unsafeCopyMemory}: peer, {@link UnsafeApi#copyMemory(long, long, long)} between the same
 *       addresses ({@link HostSlotMemory#address}): the floor any Java copy path can reach.</li>
 * </ul>
 * Bandwidth in GiB/s is 1e9 / (1024 × score), score in ns per MiB.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh HostCopyBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HostCopyBenchmark
{
    public static final int MIB_PER_INVOCATION = 16;
    private static final long MIB = 1 << 20;

    /** Slots of one payload size, half sources, half destinations. */
    @State(Scope.Thread)
    public static class Slots
    {
        /** Bytes per block payload: 64 KiB (a small model's block) or 2 MiB (Llama 3.1 8B, 16 tokens, bf16). */
        @Param({"65536", "2097152"})
        public int payloadBytes;

        HostSlotMemory memory;
        int copies;
        long[] addresses;
        final UnsafeBuffer src = new UnsafeBuffer(0, 0);
        final UnsafeBuffer dst = new UnsafeBuffer(0, 0);

        @Setup(Level.Trial)
        public void open()
        {
            copies = (int)(MIB_PER_INVOCATION * MIB / payloadBytes);
            memory = new HostSlotMemory(2 * copies, payloadBytes);
            addresses = new long[2 * copies];
            for (int s = 0; s < 2 * copies; s++)
            {
                addresses[s] = memory.address(s);
                UnsafeApi.setMemory(addresses[s], payloadBytes, (byte)s); // touch every page before measuring
            }
        }

        @TearDown(Level.Trial)
        public void close()
        {
            memory.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(MIB_PER_INVOCATION)
    public int hostSlotCopy(final Slots s)
    {
        final int n = s.copies;
        final int length = s.payloadBytes;
        for (int i = 0; i < n; i++)
        {
            s.memory.wrap(i, s.src);
            s.memory.wrap(n + i, s.dst);
            s.dst.putBytes(0, s.src, 0, length);
        }
        return s.dst.getByte(length - 1);
    }

    @Benchmark
    @OperationsPerInvocation(MIB_PER_INVOCATION)
    public int unsafeCopyMemory(final Slots s)
    {
        final int n = s.copies;
        final long length = s.payloadBytes;
        final long[] addresses = s.addresses;
        for (int i = 0; i < n; i++)
        {
            UnsafeApi.copyMemory(addresses[i], addresses[n + i], length);
        }
        return n;
    }
}
