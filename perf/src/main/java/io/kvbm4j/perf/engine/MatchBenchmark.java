package io.kvbm4j.perf.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.KvBlockManager;
import io.kvbm4j.perf.pipeline.RingRefusals;
import io.kvbm4j.perf.workload.PrefixChains;
import io.kvbm4j.perf.workload.ZipfSequence;

/**
 * Prefix lookup, in ns per block: each operation picks one of {@value #CHAINS} cached prompts of
 * {@value #BLOCKS} blocks by a Zipf({@value #ZIPF_EXPONENT}) draw and looks up all its blocks, every one a
 * hit. The Zipf draws are precomputed and identical for every benchmark below.
 *
 * <ul>
 *   <li>{@code managerMatch}: {@link KvBlockManager#match} of the 64 ids (index probes, pinning, 64
 *       MATCH_HIT ring events). The 64 releases run untimed after each invocation.</li>
 *   <li>{@code managerMatchRelease}: match and then release of the 64 blocks, both timed: the per-block
 *       score is one match plus one release (128 ring events per operation).</li>
 *   <li>{@code caffeineGetIfPresent}: peer, 64 {@code Cache.getIfPresent} on a size-bounded Caffeine cache
 *       holding the same ids (keys are prebuilt two-long records); {@code caffeineExecutor} says which thread
 *       runs Caffeine's maintenance.</li>
 *   <li>{@code concurrentHashMapGet}: peer, 64 {@code ConcurrentHashMap.get} on the same keys.</li>
 * </ul>
 * The peers only look up; the manager also pins each block and publishes an event per block for the ring
 * handlers (the metadata handler skips hits and releases: only registrations and evictions reach its
 * Chronicle Map). See {@link ManagerHarness} for the
 * {@code fullRing} parameter ({@code spin}: sustained rate, handler-bound when {@code :backPressured} is
 * non-zero; {@code drain}: serving thread alone). The manager benchmarks have per-invocation helpers, so
 * JMH time-stamps each invocation (64 or 128 block operations, microseconds long).
 *
 * <p>Setup: a manager with {@value #G1_BLOCKS} G1 slots and no G2 holds all 64,000 blocks, registered and
 * released (INACTIVE, ref count 0), so nothing is evicted while measuring.
 *
 * <p>Allocation: {@code -prof gc} adds up all threads, the metadata handler's included; add
 * {@code -prof io.kvbm4j.perf.ThreadAllocationProfiler} to see the serving thread's share
 * ({@code alloc.worker.norm}) apart from the handlers' ({@code alloc.others.norm}).
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh MatchBenchmark -prof gc -prof io.kvbm4j.perf.ThreadAllocationProfiler
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain MatchBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class MatchBenchmark
{
    static final int CHAINS = 1_000;
    public static final int BLOCKS = 64;
    static final int BLOCK_TOKENS = 16;
    static final double ZIPF_EXPONENT = 0.99;
    static final int G1_BLOCKS = 65_536;
    private static final int DRAWS = 1 << 16;
    public static final String POOL = "pool";
    public static final String CALLER = "caller";

    /** A peer's key: one 128-bit block id. */
    record IdKey(long hi, long lo)
    {
    }

    /** The cached prompts, their keys for the peers, and the Zipf choice of prompt per operation. */
    @State(Scope.Thread)
    public static class Workload
    {
        PrefixChains chains;
        IdKey[][] keys;
        ZipfSequence zipf;

        @Setup(Level.Trial)
        public void build()
        {
            chains = new PrefixChains(CHAINS, BLOCKS, BLOCK_TOKENS, 7);
            keys = new IdKey[CHAINS][BLOCKS];
            for (int c = 0; c < CHAINS; c++)
            {
                final BlockIds ids = chains.ids(c);
                for (int b = 0; b < BLOCKS; b++)
                {
                    keys[c][b] = new IdKey(ids.hi(b), ids.lo(b));
                }
            }
            zipf = new ZipfSequence(CHAINS, ZIPF_EXPONENT, DRAWS, 11);
        }
    }

    /** The manager holding every prompt's blocks. */
    @State(Scope.Thread)
    public static class Manager
    {
        /** spin or drain; see {@link ManagerHarness}. */
        @Param({ManagerHarness.SPIN, ManagerHarness.DRAIN})
        public String fullRing;

        /** ring.wait-strategy of the handlers: sleeping (the default), yielding, blocking, busy-spin. */
        @Param({"sleeping"})
        public String ringWait;

        /** Event clock: engine (the default wiring) or offset; see {@link ManagerHarness}. */
        @Param({ManagerHarness.ENGINE_CLOCK})
        public String clock;

        ManagerHarness harness;
        KvBlockManager manager;
        final int[] slots = new int[BLOCKS];
        int pinned;
        long requestId;

        @Setup(Level.Trial)
        public void open(final Workload workload, final RingRefusals refusals)
        {
            harness = new ManagerHarness(
                Map.of("tiers.g1-blocks", Integer.toString(G1_BLOCKS), "tiers.g2-blocks", "0",
                    "block-tokens", Integer.toString(BLOCK_TOKENS), "ring.wait-strategy", ringWait),
                fullRing, clock, refusals, 2 * BLOCKS);
            manager = harness.manager();
            for (int c = 0; c < CHAINS; c++)
            {
                cache(workload.chains.ids(c));
            }
            harness.prepared();
        }

        /** Allocates, fills, completes, registers and releases one prompt's blocks. */
        private void cache(final BlockIds ids)
        {
            int result;
            while (harness.refused(result = manager.allocate(BLOCKS, ++requestId, slots), "allocate"))
            {
                // retried
            }
            for (int b = 0; b < BLOCKS; b++)
            {
                final int slot = slots[b];
                while (harness.refused(result = manager.fill(slot, BLOCK_TOKENS), "fill"))
                {
                    // retried
                }
                while (harness.refused(result = manager.complete(slot, ids, b), "complete"))
                {
                    // retried
                }
                while (harness.refused(result = manager.register(slot), "register"))
                {
                    // retried
                }
                if (result != slot)
                {
                    throw new IllegalStateException("block " + ids.toHex(b) + " is in the workload twice");
                }
            }
            release(BLOCKS);
        }

        @Setup(Level.Invocation)
        public void beforeInvocation()
        {
            harness.beforeInvocation();
        }

        /** Matches all blocks of a prompt; fails unless every one is a hit. */
        int match(final BlockIds ids)
        {
            int k;
            while (harness.refused(k = manager.match(ids, BLOCKS, ++requestId, slots), "match"))
            {
                // counted, retried
            }
            if (k != BLOCKS)
            {
                throw new IllegalStateException("match found " + k + " of " + BLOCKS + " cached blocks");
            }
            return k;
        }

        /** Releases slots[0..n). */
        void release(final int n)
        {
            for (int i = 0; i < n; i++)
            {
                while (harness.refused(manager.release(slots[i]), "release"))
                {
                    // counted, retried
                }
            }
        }

        @TearDown(Level.Invocation)
        public void releasePinned()
        {
            release(pinned);
            pinned = 0;
        }

        @TearDown(Level.Trial)
        public void close()
        {
            harness.close();
        }
    }

    /** The Caffeine peer, holding the same ids. */
    @State(Scope.Thread)
    public static class Peers
    {
        /**
         * Where Caffeine runs its maintenance (draining the read buffer into its policy, evicting):
         * {@value MatchBenchmark#POOL} is Caffeine's default, {@code ForkJoinPool.commonPool()}, off the
         * benchmark thread, as the manager's ring handlers are; {@value MatchBenchmark#CALLER} is the benchmark
         * thread itself ({@code executor(Runnable::run)}), so that all of the peer's work is on one thread. The
         * perf gate compares with {@value MatchBenchmark#CALLER}: on two cores the pool thread competes with
         * everything else, and the ratio to the peer moved about three times as much from run to run with
         * {@value MatchBenchmark#POOL} (docs/PERF.md, "Perf gate").
         */
        @Param({POOL, CALLER})
        public String caffeineExecutor;

        Cache<IdKey, Integer> caffeine;
        final int[] slots = new int[BLOCKS];

        @Setup(Level.Trial)
        public void fill(final Workload workload)
        {
            final Caffeine<Object, Object> builder = Caffeine.newBuilder().maximumSize(G1_BLOCKS);
            if (CALLER.equals(caffeineExecutor))
            {
                builder.executor(Runnable::run);
            }
            else if (!POOL.equals(caffeineExecutor))
            {
                throw new IllegalArgumentException("caffeineExecutor must be " + POOL + " or " + CALLER + ", got " +
                    caffeineExecutor);
            }
            caffeine = builder.build();
            int slot = 0;
            for (final IdKey[] chain : workload.keys)
            {
                for (final IdKey key : chain)
                {
                    caffeine.put(key, slot++);
                }
            }
            caffeine.cleanUp();
            if (caffeine.estimatedSize() != slot)
            {
                throw new IllegalStateException("Caffeine holds " + caffeine.estimatedSize() + " of " + slot + " ids");
            }
        }
    }

    /** The map peer, holding the same ids. */
    @State(Scope.Thread)
    public static class MapPeer
    {
        ConcurrentHashMap<IdKey, Integer> map;
        final int[] slots = new int[BLOCKS];

        @Setup(Level.Trial)
        public void fill(final Workload workload)
        {
            map = new ConcurrentHashMap<>(2 * G1_BLOCKS);
            int slot = 0;
            for (final IdKey[] chain : workload.keys)
            {
                for (final IdKey key : chain)
                {
                    map.put(key, slot++);
                }
            }
            if (map.size() != slot)
            {
                throw new IllegalStateException("the map holds " + map.size() + " of " + slot + " ids");
            }
        }
    }

    @Benchmark
    @OperationsPerInvocation(BLOCKS)
    public int managerMatch(final Workload workload, final Manager manager)
    {
        manager.pinned = manager.match(workload.chains.ids(workload.zipf.next()));
        return manager.pinned;
    }

    @Benchmark
    @OperationsPerInvocation(BLOCKS)
    public int managerMatchRelease(final Workload workload, final Manager manager)
    {
        final int k = manager.match(workload.chains.ids(workload.zipf.next()));
        manager.release(k);
        return k;
    }

    @Benchmark
    @OperationsPerInvocation(BLOCKS)
    public int caffeineGetIfPresent(final Workload workload, final Peers peers)
    {
        final IdKey[] keys = workload.keys[workload.zipf.next()];
        int k = 0;
        while (k < BLOCKS)
        {
            final Integer slot = peers.caffeine.getIfPresent(keys[k]);
            if (slot == null)
            {
                break;
            }
            peers.slots[k++] = slot;
        }
        return k;
    }

    @Benchmark
    @OperationsPerInvocation(BLOCKS)
    public int concurrentHashMapGet(final Workload workload, final MapPeer peers)
    {
        final IdKey[] keys = workload.keys[workload.zipf.next()];
        int k = 0;
        while (k < BLOCKS)
        {
            final Integer slot = peers.map.get(keys[k]);
            if (slot == null)
            {
                break;
            }
            peers.slots[k++] = slot;
        }
        return k;
    }
}
