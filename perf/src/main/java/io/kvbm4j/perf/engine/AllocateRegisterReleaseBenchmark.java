package io.kvbm4j.perf.engine;

import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.Map;
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

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.KvBlockManager;
import io.kvbm4j.perf.engine.MatchBenchmark.IdKey;
import io.kvbm4j.perf.pipeline.RingRefusals;

/**
 * The life of a new request's blocks, in ns per block: allocate {@value #REQUEST_BLOCKS} blocks, then for
 * each fill it with {@value #BLOCK_TOKENS} tokens, complete it with a fresh id (its parent is the previous
 * block of the request), register it; then release all of them. The pool starts full of cached (INACTIVE)
 * chains, so every allocate evicts {@value #REQUEST_BLOCKS} blocks: the least recently released chain, leaf
 * first. Per block that is 6 ring events (allocate, evict, fill, complete, register, release), 2 of which
 * (register, evict) the metadata handler applies to its Chronicle Map, so {@code fullRing=spin} is
 * handler-bound.
 *
 * <p>Peers, each putting {@value #REQUEST_BLOCKS} fresh ids into a full cache of {@value #PEER_ENTRIES} entries
 * so every put evicts: {@code caffeinePutEvict} (Caffeine, maintenance on the caller) and
 * {@code linkedHashMapPutEvict} (the JDK's access-ordered {@code LinkedHashMap} as an LRU cache).
 *
 * <p>Ids are fresh 128-bit numbers from a SplitMix64 sequence, not hashes of tokens (hashing is
 * {@code BlockHashingBenchmark}), so no registration deduplicates. See {@link ManagerHarness} for the
 * {@code fullRing} ({@code spin}: sustained rate with {@code :backPressured} retries counted; {@code drain}:
 * the serving thread alone) and {@code clock} parameters; {@code -prof io.kvbm4j.perf.ThreadAllocationProfiler}
 * separates the serving thread's allocation from the handlers'.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh AllocateRegisterReleaseBenchmark -prof gc -prof io.kvbm4j.perf.ThreadAllocationProfiler
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain AllocateRegisterReleaseBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class AllocateRegisterReleaseBenchmark
{
    public static final int REQUEST_BLOCKS = 16;
    static final int BLOCK_TOKENS = 16;
    /** Ring events of one request at most: allocate + evict + fill + complete + register + release. */
    static final int EVENTS_PER_REQUEST = 6 * REQUEST_BLOCKS;
    /** Entries of the peer cache. */
    static final int PEER_ENTRIES = 4096;

    /** A manager whose G1 pool is full of cached chains. */
    @State(Scope.Thread)
    public static class Engine
    {
        /** spin or drain; see {@link ManagerHarness}. */
        @Param({ManagerHarness.SPIN, ManagerHarness.DRAIN})
        public String fullRing;

        /** G1 slots (tiers.g1-blocks). */
        @Param({"4096"})
        public int g1Blocks;

        /** ring.wait-strategy of the handlers: sleeping (the default), yielding, blocking, busy-spin. */
        @Param({"sleeping"})
        public String ringWait;

        /** Event clock: engine (the default wiring) or offset; see {@link ManagerHarness}. */
        @Param({ManagerHarness.ENGINE_CLOCK})
        public String clock;

        /**
         * off, or on: KV events published (tcp://*:free port, no subscriber), /metrics served on a free port
         * (not scraped) and miss-ratio curves at 1 %, the observe module's ring handler beside the metadata one.
         */
        @Param({"off"})
        public String observe;

        ManagerHarness harness;
        KvBlockManager manager;
        final int[] slots = new int[REQUEST_BLOCKS];
        final io.kvbm4j.api.BlockIds batchIds = new io.kvbm4j.api.BlockIds(REQUEST_BLOCKS);
        long requestId;
        long idSequence;

        @Setup(Level.Trial)
        public void open(final RingRefusals refusals)
        {
            if (g1Blocks < 2 * REQUEST_BLOCKS)
            {
                throw new IllegalArgumentException("g1Blocks must be at least " + 2 * REQUEST_BLOCKS);
            }
            final Map<String, String> keys = new HashMap<>(
                Map.of("tiers.g1-blocks", Integer.toString(g1Blocks), "tiers.g2-blocks", "0",
                    "block-tokens", Integer.toString(BLOCK_TOKENS), "ring.wait-strategy", ringWait));
            if ("on".equals(observe))
            {
                keys.put("kv-events.endpoint", "tcp://*:" + freePort());
                keys.put("metrics.port", Integer.toString(freePort()));
                keys.put("metrics.mrc-rate", "0.01");
            }
            else if (!"off".equals(observe))
            {
                throw new IllegalArgumentException("observe must be on or off, got " + observe);
            }
            harness = new ManagerHarness(keys, fullRing, clock, refusals, EVENTS_PER_REQUEST);
            manager = harness.manager();
            // Fill the pool with cached chains, then one more request, which must evict.
            for (int r = 0; r <= g1Blocks / REQUEST_BLOCKS; r++)
            {
                request();
            }
            harness.prepared();
            if (manager.counters().get(Counter.EVICTED_BLOCKS) == 0 || manager.state(slots[0]) != BlockState.REGISTERED)
            {
                throw new IllegalStateException("setup did not reach the evicting steady state: " +
                    manager.counters());
            }
        }

        private static int freePort()
        {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()))
            {
                return s.getLocalPort();
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
        }

        @Setup(Level.Invocation)
        public void beforeInvocation()
        {
            harness.beforeInvocation();
        }

        /** One request: allocate, fill, complete, register, release. @return the last block's slot. */
        int request()
        {
            int result;
            while (harness.refused(result = manager.allocate(REQUEST_BLOCKS, ++requestId, slots), "allocate"))
            {
                // counted, retried
            }
            long parentHi = 0;
            long parentLo = 0;
            for (int b = 0; b < REQUEST_BLOCKS; b++)
            {
                final int slot = slots[b];
                while (harness.refused(manager.fill(slot, BLOCK_TOKENS), "fill"))
                {
                    // counted, retried
                }
                final long idHi = splitMix64(++idSequence);
                final long idLo = splitMix64(++idSequence);
                while (harness.refused(manager.complete(slot, idHi, idLo, parentHi, parentLo, b), "complete"))
                {
                    // counted, retried
                }
                while (harness.refused(result = manager.register(slot), "register"))
                {
                    // counted, retried
                }
                if (result != slot)
                {
                    throw new IllegalStateException("a fresh id deduplicated: slot " + slot + " -> " + result);
                }
                parentHi = idHi;
                parentLo = idLo;
            }
            for (int b = 0; b < REQUEST_BLOCKS; b++)
            {
                while (harness.refused(manager.release(slots[b]), "release"))
                {
                    // counted, retried
                }
            }
            return slots[REQUEST_BLOCKS - 1];
        }

        /** One request through the batch API: allocate, commit (one STORED run), release (one RELEASE run). */
        int batchRequest()
        {
            int result;
            while (harness.refused(result = manager.allocate(REQUEST_BLOCKS, ++requestId, slots), "allocate"))
            {
                // counted, retried
            }
            batchIds.clear();
            for (int b = 0; b < REQUEST_BLOCKS; b++)
            {
                batchIds.add(splitMix64(++idSequence), splitMix64(++idSequence));
            }
            while (harness.refused(manager.commit(slots, REQUEST_BLOCKS, batchIds, 0, requestId), "commit"))
            {
                // counted, retried
            }
            manager.release(slots, REQUEST_BLOCKS); // never refused
            return slots[REQUEST_BLOCKS - 1];
        }

        @TearDown(Level.Trial)
        public void close()
        {
            harness.close();
        }
    }

    /** The peer: a full, size-bounded Caffeine cache, evicting on the benchmark thread. */
    @State(Scope.Thread)
    public static class Peer
    {
        Cache<IdKey, Integer> caffeine;
        long idSequence;
        int slot;

        @Setup(Level.Trial)
        public void fill()
        {
            caffeine = Caffeine.newBuilder().maximumSize(PEER_ENTRIES).executor(Runnable::run).build();
            for (int i = 0; i < PEER_ENTRIES; i++)
            {
                put();
            }
            caffeine.cleanUp();
            if (caffeine.estimatedSize() != PEER_ENTRIES)
            {
                throw new IllegalStateException("peer holds " + caffeine.estimatedSize() + " of " + PEER_ENTRIES);
            }
        }

        void put()
        {
            final long hi = splitMix64(++idSequence);
            final long lo = splitMix64(++idSequence);
            caffeine.put(new IdKey(hi, lo), slot++);
        }
    }

    /**
     * A second peer: the JDK's LRU cache, an access-ordered {@link LinkedHashMap} bounded by
     * {@code removeEldestEntry}, full, so every put evicts the least recently used entry. The perf gate
     * uses this one as the yardstick of allocate+register+release: Caffeine's put-and-evict time moved
     * between 0.3 and 8 µs per put from one JVM to the next on the shared two-core machine
     * (docs/PERF.md, "Perf gate"), this one does not.
     */
    @State(Scope.Thread)
    public static class LruPeer
    {
        LinkedHashMap<IdKey, Integer> lru;
        long idSequence;
        int slot;

        @Setup(Level.Trial)
        public void fill()
        {
            lru = new LinkedHashMap<>(2 * PEER_ENTRIES, 0.75f, true)
            {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(final Map.Entry<IdKey, Integer> eldest)
                {
                    return size() > PEER_ENTRIES;
                }
            };
            for (int i = 0; i < PEER_ENTRIES; i++)
            {
                put();
            }
            if (lru.size() != PEER_ENTRIES)
            {
                throw new IllegalStateException("peer holds " + lru.size() + " of " + PEER_ENTRIES);
            }
        }

        void put()
        {
            final long hi = splitMix64(++idSequence);
            final long lo = splitMix64(++idSequence);
            lru.put(new IdKey(hi, lo), slot++);
        }
    }

    /** SplitMix64 finaliser: distinct inputs give distinct, well-spread outputs. */
    static long splitMix64(final long x)
    {
        long z = x * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Benchmark
    @OperationsPerInvocation(REQUEST_BLOCKS)
    public int allocateFillCompleteRegisterRelease(final Engine engine)
    {
        return engine.request();
    }

    /** The same request through the batch API: allocate, commit n blocks, release n blocks. */
    @Benchmark
    @OperationsPerInvocation(REQUEST_BLOCKS)
    public int allocateCommitRelease(final Engine engine)
    {
        return engine.batchRequest();
    }

    @Benchmark
    @OperationsPerInvocation(REQUEST_BLOCKS)
    public int caffeinePutEvict(final Peer peer)
    {
        for (int b = 0; b < REQUEST_BLOCKS; b++)
        {
            peer.put();
        }
        return peer.slot;
    }

    @Benchmark
    @OperationsPerInvocation(REQUEST_BLOCKS)
    public int linkedHashMapPutEvict(final LruPeer peer)
    {
        for (int b = 0; b < REQUEST_BLOCKS; b++)
        {
            peer.put();
        }
        return peer.slot;
    }
}
