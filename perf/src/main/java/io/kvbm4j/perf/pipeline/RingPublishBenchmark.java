package io.kvbm4j.perf.pipeline;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.EventPipeline;
import io.kvbm4j.pipeline.WaitStrategyKind;

/**
 * Throughput of the block-event ring ({@link EventPipeline}) in events per microsecond, with one handler
 * that does nothing but note, at the end of each batch, how far it has got:
 * <ul>
 *   <li>{@code publish}: one event per claim: {@code tryClaim(1)}, write all fields of the entry (as the
 *       manager does), {@code publish}. The serving thread's cost per event.</li>
 *   <li>{@code publishBatch}: {@value #BATCH} events per claim and per publish, as a 64-block match does.</li>
 *   <li>{@code endToEnd}: {@value #BURST} events published one by one, then waiting until the handler has
 *       seen the last: publish, hand-off to the handler thread and its wake-up, per event.</li>
 * </ul>
 * The handler keeps up with the publisher or the ring fills: a claim refused for want of room is counted
 * ({@code :backPressured}, see {@link RingRefusals}) and retried inside the measured operation.
 * {@code waitStrategy} is the handler's {@code ring.wait-strategy}: {@code sleeping} (the engine default)
 * parks an idle handler, so {@code endToEnd} includes its wake-up; {@code busy-spin} holds a core.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh RingPublishBenchmark -prof gc
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain RingPublishBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class RingPublishBenchmark
{
    static final int BATCH = 64;
    static final int BURST = 1024;

    /** A handler that only records, once per batch, the last sequence it has seen. */
    static final class ProgressHandler implements EventHandler<BlockEvent>
    {
        private final AtomicLong seen = new AtomicLong(-1);

        @Override
        public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
        {
            if (endOfBatch)
            {
                seen.setRelease(sequence); // orders: the handler finished every event up to sequence
            }
        }

        long seen()
        {
            return seen.getAcquire();
        }
    }

    /** A running ring with one progress handler. */
    @State(Scope.Thread)
    public static class Ring
    {
        /** ring.wait-strategy of the handler. */
        @Param({"sleeping", "busy-spin"})
        public String waitStrategy;

        /** Ring entries (a power of two). */
        @Param({"65536"})
        public int ringSize;

        EventPipeline pipeline;
        ProgressHandler handler;
        RingRefusals refusals;

        @Setup(Level.Trial)
        public void start(final RingRefusals refusals)
        {
            final WaitStrategyKind wait = WaitStrategyKind.parse(waitStrategy);
            if (wait == null)
            {
                throw new IllegalArgumentException("unknown wait strategy " + waitStrategy);
            }
            this.refusals = refusals;
            handler = new ProgressHandler();
            pipeline = new EventPipeline(ringSize, wait, List.of(handler), new CounterArray(), "bench-ring");
        }

        /** Claims n entries, retrying (counted) while the ring is full. @return the highest sequence. */
        long claim(final int n)
        {
            long hi;
            while ((hi = pipeline.tryClaim(n)) < 0)
            {
                refusals.refused();
            }
            return hi;
        }

        /** Writes every field of the entry at {@code sequence}, as the manager's emit does. */
        void write(final long sequence)
        {
            Events.one(pipeline.event(sequence), BlockEventType.MATCH, 0, (int)sequence & 0xFFFF, sequence, ~sequence,
                7, 42, sequence, 1);
        }

        @TearDown(Level.Trial)
        public void stop()
        {
            pipeline.close(5_000);
        }
    }

    @Benchmark
    public long publish(final Ring ring)
    {
        final long seq = ring.claim(1);
        ring.write(seq);
        ring.pipeline.publish(seq, seq);
        return seq;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long publishBatch(final Ring ring)
    {
        final long hi = ring.claim(BATCH);
        final long lo = hi - BATCH + 1;
        for (long seq = lo; seq <= hi; seq++)
        {
            ring.write(seq);
        }
        ring.pipeline.publish(lo, hi);
        return hi;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long endToEnd(final Ring ring)
    {
        long seq = -1;
        for (int i = 0; i < BURST; i++)
        {
            seq = ring.claim(1);
            ring.write(seq);
            ring.pipeline.publish(seq, seq);
        }
        while (ring.handler.seen() < seq)
        {
            Thread.onSpinWait();
        }
        return seq;
    }
}
