package io.kvbm4j.perf.metadata;

import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.kvbm4j.metadata.BlockRecord;
import io.kvbm4j.metadata.BlockRecordLayout;
import io.kvbm4j.metadata.MetadataHandler;
import io.kvbm4j.metadata.MetadataStore;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.perf.pipeline.Events;
import io.kvbm4j.perf.workload.ZipfSequence;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Cost per event of the metadata ring handler, the consumer that bounds how fast the manager can register
 * and evict before {@code BACK_PRESSURED}: {@link MetadataHandler#onEvent} called directly (no ring) on a
 * store holding {@value #IDS} block records, ids picked by Zipf(0.99). Only REGISTER and EVICT reach the
 * Chronicle Map (hits, acquires and releases pass through untouched).
 * <ul>
 *   <li>{@code handlerEvictRegister}: an EVICT (read, remove) then a REGISTER (read miss, write) of the
 *       same id, the pair an evicting allocate-and-register produces; the score is per event.</li>
 *   <li>{@code handlerHit}: a MATCH_HIT, which the handler skips: the floor of a handler call.</li>
 *   <li>{@code reusingAccessEvictRegister}: peer, the map work of {@code handlerEvictRegister} on a
 *       Chronicle Map with Chronicle's default {@code byte[]} access (a new wrapper per call, previous
 *       values copied out): what the engine's store did before it took {@code ReusingByteArrayDataAccess}.
 *       (The method name is kept so recorded baselines stay comparable.)</li>
 * </ul>
 * Read {@code gc.alloc.rate.norm}: all of it is the handler's (or the peer's), since all of this runs on
 * the benchmark thread.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh MetadataHandlerBenchmark -prof gc
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain MetadataHandlerBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
public class MetadataHandlerBenchmark
{
    static final int IDS = 64_000;
    static final int MAX_ENTRIES = 65_536;
    private static final long PAYLOAD_BYTES = 2L << 20;

    /** The block ids and the Zipf choice among them. */
    @State(Scope.Thread)
    public static class Ids
    {
        final long[] hi = new long[IDS];
        final long[] lo = new long[IDS];
        ZipfSequence zipf;
        long tick;

        @Setup(Level.Trial)
        public void build()
        {
            for (int i = 0; i < IDS; i++)
            {
                hi[i] = mix(2L * i + 1);
                lo[i] = mix(2L * i + 2);
            }
            zipf = new ZipfSequence(IDS, 0.99, 1 << 18, 13);
        }

        private static long mix(final long x)
        {
            long z = x * 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }

    /** The engine's store and handler, every id registered. */
    @State(Scope.Thread)
    public static class Handler
    {
        MetadataStore store;
        MetadataHandler handler;
        final BlockEvent event = new BlockEvent();

        @Setup(Level.Trial)
        public void open(final Ids ids)
        {
            store = new MetadataStore(MAX_ENTRIES, null);
            handler = new MetadataHandler(store, new CounterArray(), PAYLOAD_BYTES);
            for (int i = 0; i < IDS; i++)
            {
                apply(BlockEventType.STORED, i, ids, i);
            }
            if (store.size() != IDS)
            {
                throw new IllegalStateException("store holds " + store.size() + " of " + IDS + " records");
            }
        }

        void apply(final BlockEventType type, final int slot, final Ids ids, final int id)
        {
            Events.one(event, type, 0, slot, ids.hi[id], ids.lo[id], 0, 1, ++ids.tick, 1);
            handler.onEvent(event, ids.tick, true);
        }

        @TearDown(Level.Trial)
        public void close()
        {
            store.close();
        }
    }

    /** The peer: the same map with Chronicle's default byte[] access (the engine's store before its fix). */
    @State(Scope.Thread)
    public static class ReusingMap
    {
        ChronicleMap<byte[], byte[]> map;
        final byte[] key = new byte[BlockRecordLayout.KEY_BYTES];
        final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
        final BlockRecord record = new BlockRecord();

        @Setup(Level.Trial)
        public void open(final Ids ids)
        {
            map = ChronicleMap.of(byte[].class, byte[].class)
                .name("kvbm4j-block-metadata-peer")
                .constantKeySizeBySample(new byte[BlockRecordLayout.KEY_BYTES])
                .constantValueSizeBySample(new byte[BlockRecordLayout.RECORD_BYTES])
                .entries(MAX_ENTRIES)
                .create();
            for (int i = 0; i < IDS; i++)
            {
                key(ids, i);
                record.clear();
                record.slot(0, i);
                record.refCount(1);
                map.put(key, record.bytes());
            }
        }

        void key(final Ids ids, final int id)
        {
            MetadataStore.key(ids.hi[id], ids.lo[id], key, keyBuffer);
        }

        @TearDown(Level.Trial)
        public void close()
        {
            map.close();
        }
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public BlockEvent handlerEvictRegister(final Ids ids, final Handler handler)
    {
        final int id = ids.zipf.next();
        handler.apply(BlockEventType.REMOVED, id, ids, id);
        handler.apply(BlockEventType.STORED, id, ids, id);
        return handler.event;
    }

    @Benchmark
    public BlockEvent handlerHit(final Ids ids, final Handler handler)
    {
        final int id = ids.zipf.next();
        handler.apply(BlockEventType.MATCH, id, ids, id);
        return handler.event;
    }

    /** What the handler does to the map for an EVICT then a REGISTER of one id. */
    @Benchmark
    @OperationsPerInvocation(2)
    public byte[] reusingAccessEvictRegister(final Ids ids, final ReusingMap peer)
    {
        final int id = ids.zipf.next();
        peer.key(ids, id);
        final BlockRecord record = peer.record;
        if (peer.map.getUsing(peer.key, record.bytes()) == null)
        {
            throw new IllegalStateException("a registered id is missing");
        }
        record.slot(0, -1);
        record.accessCount(record.accessCount() + 1);
        peer.map.remove(peer.key);
        if (peer.map.getUsing(peer.key, record.bytes()) != null)
        {
            throw new IllegalStateException("an evicted id is still there");
        }
        record.slot(0, id);
        record.refCount(1);
        record.touch(++ids.tick, true);
        peer.map.put(peer.key, record.bytes());
        return record.bytes();
    }
}
