package io.kvbm4j.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler that splits heap allocation per operation between the benchmark's own threads and the
 * rest, where {@code -prof gc}'s {@code gc.alloc.rate.norm} adds up every thread of the fork:
 * <ul>
 *   <li>{@code alloc.worker.norm}: bytes per operation allocated by the JMH worker threads, which run the
 *       measured code: for the manager benchmarks, the serving thread. Includes the worker's own
 *       per-invocation and per-iteration helpers (e.g. untimed releases).</li>
 *   <li>{@code alloc.others.norm}: bytes per operation allocated by every other thread, those that ended
 *       during the iteration included: the ring handlers (the metadata store's Chronicle Map updates),
 *       JMH's infrastructure, the JVM's service threads.</li>
 * </ul>
 * The two add up to {@code gc.alloc.rate.norm}. The last measured iteration of a fork also runs the
 * trial teardown on the worker (closing a manager allocates), so read the per-iteration lines, or runs
 * long enough that this fixed cost vanishes per operation. Uses HotSpot's allocation counters
 * ({@code com.sun.management.ThreadMXBean}), the source {@code -prof gc} uses. Worker threads that start
 * during an iteration count from zero.
 *
 * <p>Use: {@code perf/run-bench.sh MatchBenchmark -prof gc -prof io.kvbm4j.perf.ThreadAllocationProfiler}
 */
public final class ThreadAllocationProfiler implements InternalProfiler
{
    private static final String WORKER = "jmh-worker";

    private final com.sun.management.ThreadMXBean threads;
    private Map<Long, Long> workersBefore = Map.of();
    private long totalBefore;

    public ThreadAllocationProfiler()
    {
        threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        if (!threads.isThreadAllocatedMemorySupported())
        {
            throw new IllegalStateException("this JVM does not count allocation per thread");
        }
        threads.setThreadAllocatedMemoryEnabled(true);
    }

    @Override
    public String getDescription()
    {
        return "Heap allocation per operation: benchmark (worker) threads, and all other threads";
    }

    @Override
    public void beforeIteration(final BenchmarkParams benchmarkParams, final IterationParams iterationParams)
    {
        workersBefore = workers();
        totalBefore = threads.getTotalThreadAllocatedBytes();
    }

    @Override
    @SuppressWarnings("rawtypes") // the signature of JMH's InternalProfiler uses the raw Result type
    public Collection<? extends Result> afterIteration(
        final BenchmarkParams benchmarkParams, final IterationParams iterationParams, final IterationResult result)
    {
        final long total = threads.getTotalThreadAllocatedBytes() - totalBefore;
        long worker = 0;
        for (final Map.Entry<Long, Long> e : workers().entrySet())
        {
            worker += e.getValue() - workersBefore.getOrDefault(e.getKey(), 0L);
        }
        final long ops = result.getMetadata().getAllOps();
        return List.of(norm("alloc.worker.norm", worker, ops), norm("alloc.others.norm", total - worker, ops));
    }

    private static ScalarResult norm(final String label, final long bytes, final long ops)
    {
        return new ScalarResult(label, ops == 0 ? Double.NaN : (double)bytes / ops, "B/op", AggregationPolicy.AVG);
    }

    /** Allocated bytes of each live JMH worker thread, by thread id. */
    private Map<Long, Long> workers()
    {
        final long[] ids = threads.getAllThreadIds();
        final long[] bytes = threads.getThreadAllocatedBytes(ids);
        final ThreadInfo[] infos = threads.getThreadInfo(ids);
        final Map<Long, Long> map = new HashMap<>();
        for (int i = 0; i < ids.length; i++)
        {
            if (infos[i] != null && bytes[i] >= 0 && infos[i].getThreadName().contains(WORKER))
            {
                map.put(ids[i], bytes[i]);
            }
        }
        return map;
    }
}
