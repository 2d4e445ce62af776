package io.kvbm4j.perf.gate;

import java.util.ArrayList;
import java.util.List;

import io.kvbm4j.identity.HashAlgorithm;
import io.kvbm4j.perf.engine.AllocateRegisterReleaseBenchmark;
import io.kvbm4j.perf.engine.MatchBenchmark;
import io.kvbm4j.perf.host.HostCopyBenchmark;
import io.kvbm4j.perf.identity.BlockHashingBenchmark;
import io.kvbm4j.perf.metadata.MetadataHandlerBenchmark;
import io.kvbm4j.perf.pipeline.RingRefusals;
import io.kvbm4j.perf.policy.PolicyAccessBenchmark;

/**
 * The benchmark groups the perf gate measures with {@link PairedRatios}: each group opens the JMH states of
 * one benchmark class (with the parameters the gate uses: {@code fullRing=drain}, the default ring wait
 * strategy and clock) and names which of its benchmarks is ours and which is the peer it is compared with.
 */
final class GatePairs
{
    /** The group names, in the order the gate runs them. */
    static final List<String> GROUPS = List.of("match", "allocate", "hashing", "metadata", "copy", "policy");

    /** An ours/peer pair of a group: figure = ours' time per operation / the peer's. */
    record Pair(Side ours, Side peer)
    {
        String name()
        {
            final String peerName = peer.name();
            return ours.name() + "/" + peerName.substring(peerName.indexOf('.') + 1);
        }
    }

    /** Sides measured together in one JVM, the pairs among them, and what to close afterwards. */
    record Group(String name, List<Side> sides, List<Pair> pairs, AutoCloseable resources)
    {
    }

    private GatePairs()
    {
    }

    static Group open(final String name)
    {
        return switch (name)
        {
            case "match" -> match();
            case "allocate" -> allocate();
            case "hashing" -> hashing();
            case "metadata" -> metadata();
            case "copy" -> copy();
            case "policy" -> policy();
            case "observe" -> observe();
            default -> throw new IllegalArgumentException("unknown group " + name + "; groups: " + GROUPS);
        };
    }

    /**
     * Prefix lookup, and lookup plus release, against {@code ConcurrentHashMap.get} on the same ids. Not
     * Caffeine's {@code getIfPresent}, the peer of the match goal: on the shared two-core machine it ran
     * 150 ns per get in one JVM and 1,470 ns in the next, for a whole fork (docs/PERF.md, "Perf gate").
     */
    private static Group match()
    {
        final MatchBenchmark bench = new MatchBenchmark();
        final MatchBenchmark.Workload workload = new MatchBenchmark.Workload();
        workload.build();
        final MatchBenchmark.Manager manager = new MatchBenchmark.Manager();
        manager.fullRing = "drain";
        manager.ringWait = "sleeping";
        manager.clock = "engine";
        manager.open(workload, new RingRefusals());
        final MatchBenchmark.MapPeer peers = new MatchBenchmark.MapPeer();
        peers.fill(workload);

        final Side match = new ManagerSide("MatchBenchmark.managerMatch", MatchBenchmark.BLOCKS)
        {
            @Override
            public void before()
            {
                manager.beforeInvocation();
            }

            @Override
            public int invoke()
            {
                return bench.managerMatch(workload, manager);
            }

            @Override
            public void after()
            {
                manager.releasePinned();
            }
        };
        final Side matchRelease =
            new ManagerSide("MatchBenchmark.managerMatchRelease", MatchBenchmark.BLOCKS)
        {
            @Override
            public void before()
            {
                manager.beforeInvocation();
            }

            @Override
            public int invoke()
            {
                return bench.managerMatchRelease(workload, manager);
            }
        };
        final Side map = Side.of("MatchBenchmark.concurrentHashMapGet", MatchBenchmark.BLOCKS,
            () -> bench.concurrentHashMapGet(workload, peers));
        return new Group("match", List.of(match, matchRelease, map),
            List.of(new Pair(match, map), new Pair(matchRelease, map)), manager::close);
    }

    /**
     * A new request's blocks through the manager, against puts into a full LRU {@code LinkedHashMap} (not
     * Caffeine: its put-and-evict time is not stable from one JVM to the next; see the benchmark's
     * {@code LruPeer}).
     */
    private static Group allocate()
    {
        final AllocateRegisterReleaseBenchmark bench = new AllocateRegisterReleaseBenchmark();
        final AllocateRegisterReleaseBenchmark.Engine engine = new AllocateRegisterReleaseBenchmark.Engine();
        engine.fullRing = "drain";
        engine.g1Blocks = 4096;
        engine.ringWait = "sleeping";
        engine.clock = "engine";
        engine.open(new RingRefusals());
        final AllocateRegisterReleaseBenchmark.LruPeer peer = new AllocateRegisterReleaseBenchmark.LruPeer();
        peer.fill();
        final int ops = AllocateRegisterReleaseBenchmark.REQUEST_BLOCKS;
        final Side ours = new ManagerSide("AllocateRegisterReleaseBenchmark.allocateFillCompleteRegisterRelease", ops)
        {
            @Override
            public void before()
            {
                engine.beforeInvocation();
            }

            @Override
            public int invoke()
            {
                return bench.allocateFillCompleteRegisterRelease(engine);
            }
        };
        final Side batch = new ManagerSide("AllocateRegisterReleaseBenchmark.allocateCommitRelease", ops)
        {
            @Override
            public void before()
            {
                engine.beforeInvocation();
            }

            @Override
            public int invoke()
            {
                return bench.allocateCommitRelease(engine);
            }
        };
        final Side lru = Side.of("AllocateRegisterReleaseBenchmark.linkedHashMapPutEvict", ops,
            () -> bench.linkedHashMapPutEvict(peer));
        return new Group("allocate", List.of(ours, batch, lru), List.of(new Pair(ours, lru), new Pair(batch, lru)),
            engine::close);
    }

    /**
     * Not a gate group (no baseline; run on its own, docs/EVENTS_METRICS.md): a new request's blocks through a
     * manager with the observe module on (KV events, /metrics, miss-ratio curves) against the same without,
     * fullRing=drain, so each ratio is the serving thread's cost on a machine that also runs the extra handler.
     */
    private static Group observe()
    {
        final AllocateRegisterReleaseBenchmark bench = new AllocateRegisterReleaseBenchmark();
        final AllocateRegisterReleaseBenchmark.Engine off = engine("off");
        final AllocateRegisterReleaseBenchmark.Engine on = engine("on");
        final int ops = AllocateRegisterReleaseBenchmark.REQUEST_BLOCKS;
        final Side onSide = allocateSide("AllocateRegisterReleaseBenchmark.allocateFillCompleteRegisterRelease[observe=on]",
            bench, on, ops);
        final Side offSide = allocateSide("AllocateRegisterReleaseBenchmark.allocateFillCompleteRegisterRelease[observe=off]",
            bench, off, ops);
        return new Group("observe", List.of(onSide, offSide), List.of(new Pair(onSide, offSide)), () ->
        {
            on.close();
            off.close();
        });
    }

    private static AllocateRegisterReleaseBenchmark.Engine engine(final String observe)
    {
        final AllocateRegisterReleaseBenchmark.Engine engine = new AllocateRegisterReleaseBenchmark.Engine();
        engine.fullRing = "drain";
        engine.g1Blocks = 4096;
        engine.ringWait = "sleeping";
        engine.clock = "engine";
        engine.observe = observe;
        engine.open(new RingRefusals());
        return engine;
    }

    private static Side allocateSide(
        final String name, final AllocateRegisterReleaseBenchmark bench, final AllocateRegisterReleaseBenchmark.Engine engine,
        final int ops)
    {
        return new ManagerSide(name, ops)
        {
            @Override
            public void before()
            {
                engine.beforeInvocation();
            }

            @Override
            public int invoke()
            {
                return bench.allocateFillCompleteRegisterRelease(engine);
            }
        };
    }

    /** Block ids by XXH3-128 (the default) against SHA-256 (the JDK's, with its intrinsics). */
    private static Group hashing()
    {
        final BlockHashingBenchmark xxh3 = new BlockHashingBenchmark();
        xxh3.algorithm = HashAlgorithm.XXH3_128;
        xxh3.setUp();
        final BlockHashingBenchmark sha = new BlockHashingBenchmark();
        sha.algorithm = HashAlgorithm.SHA_256;
        sha.setUp();
        final int ops = BlockHashingBenchmark.TOKENS;
        final Side ours = Side.of("BlockHashingBenchmark.hashSequence[XXH3_128]", ops, () -> (int)xxh3.hashSequence());
        final Side peer = Side.of("BlockHashingBenchmark.hashSequence[SHA_256]", ops, () -> (int)sha.hashSequence());
        return new Group("hashing", List.of(ours, peer), List.of(new Pair(ours, peer)), () -> { });
    }

    /** The metadata handler's evict-and-register against the same map work with Chronicle's byte[] access. */
    private static Group metadata()
    {
        final MetadataHandlerBenchmark bench = new MetadataHandlerBenchmark();
        final MetadataHandlerBenchmark.Ids ids = new MetadataHandlerBenchmark.Ids();
        ids.build();
        final MetadataHandlerBenchmark.Handler handler = new MetadataHandlerBenchmark.Handler();
        handler.open(ids);
        final MetadataHandlerBenchmark.ReusingMap map = new MetadataHandlerBenchmark.ReusingMap();
        map.open(ids);
        final Side ours = Side.of("MetadataHandlerBenchmark.handlerEvictRegister", 2,
            () -> bench.handlerEvictRegister(ids, handler).slot[0]);
        final Side peer = Side.of("MetadataHandlerBenchmark.reusingAccessEvictRegister", 2,
            () -> bench.reusingAccessEvictRegister(ids, map).length);
        return new Group("metadata", List.of(ours, peer), List.of(new Pair(ours, peer)), () ->
        {
            handler.close();
            map.close();
        });
    }

    /** G2 slot-to-slot copy of 2 MiB block payloads through HostSlotMemory's flyweights, against Unsafe.copyMemory. */
    private static Group copy()
    {
        final HostCopyBenchmark bench = new HostCopyBenchmark();
        final HostCopyBenchmark.Slots slots = new HostCopyBenchmark.Slots();
        slots.payloadBytes = 2 << 20;
        slots.open();
        final int ops = HostCopyBenchmark.MIB_PER_INVOCATION;
        final Side ours = Side.of("HostCopyBenchmark.hostSlotCopy", ops, () -> bench.hostSlotCopy(slots));
        final Side peer = Side.of("HostCopyBenchmark.unsafeCopyMemory", ops, () -> bench.unsafeCopyMemory(slots));
        return new Group("copy", List.of(ours, peer), List.of(new Pair(ours, peer)), slots::close);
    }

    /**
     * Per-access replay through the engine's pool with each policy at capacity 8000, against LRU in the same
     * JVM: a regression in a policy's update shows as its ratio to LRU (LRU's own path, the pool's, is what
     * the match and allocate groups measure).
     */
    private static Group policy()
    {
        final PolicyAccessBenchmark bench = new PolicyAccessBenchmark();
        final List<String> names = List.of("lru", "lfuda", "tinylfu", "prefix");
        final List<Side> sides = new ArrayList<>();
        final List<PolicyAccessBenchmark.Replay> replays = new ArrayList<>();
        for (final String name : names)
        {
            final PolicyAccessBenchmark.Replay replay = new PolicyAccessBenchmark.Replay();
            replay.policy = name;
            replay.capacity = 8000;
            replay.open();
            replays.add(replay);
            sides.add(Side.of("PolicyAccessBenchmark.access[" + name + "]", PolicyAccessBenchmark.BLOCKS,
                () -> bench.access(replay)));
        }
        final List<Pair> pairs = new ArrayList<>();
        for (int i = 1; i < sides.size(); i++)
        {
            pairs.add(new Pair(sides.get(i), sides.get(0)));
        }
        return new Group("policy", sides, pairs, () -> replays.forEach(PolicyAccessBenchmark.Replay::close));
    }

    /** A side that drives a manager: named, with helpers supplied by the subclass. */
    private abstract static class ManagerSide implements Side
    {
        private final String name;
        private final int ops;

        ManagerSide(final String name, final int ops)
        {
            this.name = name;
            this.ops = ops;
        }

        @Override
        public String name()
        {
            return name;
        }

        @Override
        public int opsPerInvocation()
        {
            return ops;
        }
    }
}
