package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The interval schedule gives exactly the per-capacity simulator's OPT hits wherever ids name their prefixes. */
class OptIntervalReplayTest
{
    @Test
    void theScheduleGivesTheSimulatorsOptHitsAtEveryCapacityOfTheShippedTrace()
    {
        final CompactTrace trace;
        try (TraceReader r = new MooncakeTraceReader(SharedTraces.mooncake()))
        {
            trace = CompactTrace.read(r, null);
        }
        sameAsSimulator("mooncake", trace, new int[] {1, 7, 100, 500, 1000, 2000, 4000, 8000, 16000, 32000, 50000});
    }

    @Test
    void theScheduleGivesTheSimulatorsOptHitsOnTheSyntheticTraces()
    {
        for (final SyntheticTraces.Trace t : SyntheticTraces.all(PolicyEvaluation.SYNTHETIC_SEED))
        {
            final CompactTrace trace;
            try (TraceReader r = t.reader().get())
            {
                trace = CompactTrace.read(r, null);
            }
            sameAsSimulator(t.name(), trace, t.capacities());
        }
    }

    /** Requests that end at blocks whose children are cached, and capacities below a request's length. */
    @Test
    void theScheduleGivesTheSimulatorsOptHitsOnRandomPrefixTrees()
    {
        for (final long seed : new long[] {5, 6, 7})
        {
            final Random rnd = new Random(seed);
            final List<long[]> requests = new ArrayList<>();
            for (int r = 0; r < 3000; r++)
            {
                final int root = (int)Math.min(60, Math.abs(rnd.nextGaussian() * 20));
                final int depth = 1 + rnd.nextInt(12);
                final long[] ids = new long[depth];
                long id = root + 1;
                for (int j = 0; j < depth; j++)
                {
                    id = mix(id * 31 + rnd.nextInt(j < 3 ? 2 : 4) + 1); // an id names its whole path
                    ids[j] = id & Long.MAX_VALUE;
                }
                requests.add(ids);
            }
            final CompactTrace trace;
            try (TraceReader r = new ListTraceReader(requests))
            {
                trace = CompactTrace.read(r, null);
            }
            sameAsSimulator("random trees, seed " + seed, trace, new int[] {1, 3, 10, 30, 100, 300, 1000});
        }
    }

    @Test
    void idsThatRepeatInARequestOrChangeParentAreNotExact()
    {
        assertTrue(OptIntervalReplay.exactFor(compact(List.of(new long[] {1, 2, 3}, new long[] {1, 2}))));
        assertFalse(OptIntervalReplay.exactFor(compact(List.of(new long[] {1, 2, 1}))), "repeat in a request");
        assertFalse(OptIntervalReplay.exactFor(compact(List.of(new long[] {1, 2}, new long[] {3, 2}))), "new parent");
        assertFalse(OptIntervalReplay.exactFor(compact(List.of(new long[] {1, 2}, new long[] {2}))), "new position");
    }

    /** SplitMix64's finalizer: distinct paths get distinct ids. */
    private static long mix(final long z)
    {
        long x = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    private static CompactTrace compact(final List<long[]> requests)
    {
        try (TraceReader r = new ListTraceReader(requests))
        {
            return CompactTrace.read(r, null);
        }
    }

    private static void sameAsSimulator(final String name, final CompactTrace trace, final int[] capacities)
    {
        assertTrue(OptIntervalReplay.exactFor(trace), name + ": ids name their prefixes");
        final List<ReplayResult> sims = PolicyReplay.run(trace::reader, List.of(PolicyKind.OPT), capacities, null);
        for (int i = 0; i < capacities.length; i++)
        {
            final OptIntervalReplay schedule = OptIntervalReplay.run(trace, capacities[i]);
            assertEquals(sims.get(i).accesses(), schedule.accesses());
            assertEquals(sims.get(i).hits(), schedule.hits(), name + " at " + capacities[i]);
        }
    }
}
