package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockIds;

/**
 * The dense simulator (the parallel replay's) finds, request by request, the same resident run as the engine's
 * pool driven by {@link PolicySimulator}, for every policy: on the shipped trace, the synthetic traces, and
 * random prefix trees whose requests end at blocks with cached children and repeat ids within a request (the
 * cases where the pool deduplicates and ranks exposed parents oldest).
 */
class DensePolicySimulatorTest
{
    @Test
    void everyPolicyHitsTheSameRunsAsTheEnginesPoolOnTheShippedTrace()
    {
        final CompactTrace trace;
        try (TraceReader r = new MooncakeTraceReader(SharedTraces.mooncake()))
        {
            trace = CompactTrace.read(r, null);
        }
        sameAsPool("mooncake", trace, new int[] {1, 7, 500, 2000, 8000, 32000});
    }

    @Test
    void everyPolicyHitsTheSameRunsAsTheEnginesPoolOnTheSyntheticTraces()
    {
        for (final SyntheticTraces.Trace t : SyntheticTraces.all(PolicyEvaluation.SYNTHETIC_SEED))
        {
            final CompactTrace trace;
            try (TraceReader r = t.reader().get())
            {
                trace = CompactTrace.read(r, null);
            }
            final int[] caps = t.capacities();
            sameAsPool(t.name(), trace, new int[] {caps[0], caps[caps.length / 2], caps[caps.length - 1]});
        }
    }

    @Test
    void everyPolicyHitsTheSameRunsAsTheEnginesPoolOnRandomTreesWithRepeatedIds()
    {
        final long seed = 23;
        final Random rnd = new Random(seed);
        final List<long[]> requests = new ArrayList<>();
        for (int r = 0; r < 3000; r++)
        {
            final int root = (int)Math.min(40, Math.abs(rnd.nextGaussian() * 15));
            final int depth = 1 + rnd.nextInt(14);
            final long[] ids = new long[depth];
            long id = root;
            for (int j = 0; j < depth; j++)
            {
                // Now and then an id repeats inside a request, or a request reuses an id under another parent.
                id = rnd.nextInt(40) == 0 && j > 0 ? ids[rnd.nextInt(j)] :
                    rnd.nextInt(60) == 0 ? rnd.nextInt(500) : id * 31 + rnd.nextInt(j < 3 ? 2 : 4) + 1;
                ids[j] = id & Long.MAX_VALUE;
            }
            requests.add(ids);
        }
        final CompactTrace trace;
        try (TraceReader r = new ListTraceReader(requests))
        {
            trace = CompactTrace.read(r, null);
        }
        sameAsPool("random trees, seed " + seed, trace, new int[] {2, 5, 13, 40, 120, 400});
    }

    private static void sameAsPool(final String name, final CompactTrace trace, final int[] capacities)
    {
        final NextUseIndex future = NextUseIndex.build(trace);
        final BlockIds ids = new BlockIds(1024);
        for (final PolicyKind kind : PolicyKind.values())
        {
            for (final int c : capacities)
            {
                try (PolicySimulator pool = new PolicySimulator(kind.cliName(), c, kind::create, future);
                    DensePolicySimulator dense = new DensePolicySimulator(kind.cliName(), c, trace, kind::create,
                        future))
                {
                    for (int r = 0; r < trace.requests(); r++)
                    {
                        trace.request(r, ids);
                        final int expected = pool.access(ids);
                        final int actual = dense.access(r);
                        if (expected != actual)
                        {
                            assertEquals(expected, actual, name + ", " + kind.cliName() + " at " + c + ", request " + r);
                        }
                    }
                    assertEquals(pool.hits(), dense.hits());
                    assertEquals(pool.accesses(), dense.accesses());
                }
            }
        }
    }
}
