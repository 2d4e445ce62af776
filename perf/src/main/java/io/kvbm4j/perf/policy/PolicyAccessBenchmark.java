package io.kvbm4j.perf.policy;

import java.util.concurrent.TimeUnit;

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

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.perf.workload.PrefixChains;
import io.kvbm4j.perf.workload.ZipfSequence;
import io.kvbm4j.replay.PolicyKind;
import io.kvbm4j.replay.PolicySimulator;

/**
 * Policy update per access, in ns per block accessed, for every online policy ({@link PolicyKind} but OPT):
 * one request of {@value #BLOCKS} block ids, drawn Zipf({@value #ZIPF_EXPONENT}) from {@value #CHAINS}
 * prompts, replayed through {@link PolicySimulator#access} on the engine's own {@code BlockPool}: index
 * lookups, acquire of the hit prefix, allocate/complete/register of the missing blocks, release of all, and
 * evictions back down to {@code capacity}. Every step calls the policy ({@code onAccess},
 * {@code onRemoved}, {@code onEvictable}, {@code victim}, {@code onEvicted}), so the difference between
 * policies is their update cost; the LRU figure is the pool's floor.
 *
 * <p>The same loop is {@code bin/kvbm4j replay}'s policy-only mode, so 1e9 / score is the replay rate in
 * accesses per second (goal ≥ 5 M/s, docs/PERF.md). {@code capacity=8000} holds about an eighth of the
 * 64,000 distinct blocks (hits and evictions every request); {@code capacity=64000} holds all of them after
 * the first pass (hits only, no eviction).
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh PolicyAccessBenchmark -prof gc
 * perf/run-bench.sh PolicyAccessBenchmark -p policy=lru -p capacity=8000 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
public class PolicyAccessBenchmark
{
    static final int CHAINS = 1_000;
    public static final int BLOCKS = 64;
    static final int BLOCK_TOKENS = 16;
    static final double ZIPF_EXPONENT = 0.99;
    private static final int DRAWS = 1 << 16;
    private static final int WARM_REQUESTS = 1 << 13;

    /** A simulator of one policy and capacity, and the Zipf sequence of prompts it replays. */
    @State(Scope.Thread)
    public static class Replay
    {
        /** The policy's command-line name (bin/kvbm4j replay --policies). */
        @Param({"lru", "lfuda", "tinylfu", "prefix", "nextuse"})
        public String policy;

        /** Resident blocks at most. */
        @Param({"8000", "64000"})
        public int capacity;

        BlockIds[] ids;
        ZipfSequence zipf;
        PolicySimulator simulator;

        @Setup(Level.Trial)
        public void open()
        {
            final PolicyKind kind = PolicyKind.parse(policy);
            if (kind == null || kind.needsFuture())
            {
                throw new IllegalArgumentException("policy must be an online policy of " + PolicyKind.names() +
                    ", got " + policy);
            }
            final PrefixChains chains = new PrefixChains(CHAINS, BLOCKS, BLOCK_TOKENS, 7);
            ids = new BlockIds[CHAINS];
            for (int c = 0; c < CHAINS; c++)
            {
                ids[c] = chains.ids(c);
            }
            zipf = new ZipfSequence(CHAINS, ZIPF_EXPONENT, DRAWS, 11);
            simulator = new PolicySimulator(policy, capacity, kind::create, null);
            // Reach the steady state: the pool full, every prompt seen, then Zipf traffic.
            for (int c = 0; c < CHAINS; c++)
            {
                simulator.access(ids[c]);
            }
            for (int i = 0; i < WARM_REQUESTS; i++)
            {
                simulator.access(ids[zipf.next()]);
            }
        }

        @TearDown(Level.Trial)
        public void close()
        {
            System.out.printf("%n%s @ %d: hit rate %.3f over %d accesses%n", policy, capacity, simulator.hitRate(),
                simulator.accesses());
            simulator.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BLOCKS)
    public int access(final Replay r)
    {
        return r.simulator.access(r.ids[r.zipf.next()]);
    }
}
