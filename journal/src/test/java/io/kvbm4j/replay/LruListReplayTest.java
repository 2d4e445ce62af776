package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** LRU at one capacity by its list gives exactly the one-pass LRU's hits (plain LRU both). */
class LruListReplayTest
{
    @Test
    void theListGivesThePassHitsOnTheShippedAndSyntheticTraces()
    {
        final CompactTrace shipped;
        try (TraceReader r = new MooncakeTraceReader(SharedTraces.mooncake()))
        {
            shipped = CompactTrace.read(r, null);
        }
        sameAsPass("mooncake", shipped, new int[] {1, 7, 100, 500, 1000, 2000, 4000, 8000, 16000, 32000, 50000});
        for (final SyntheticTraces.Trace t : SyntheticTraces.all(PolicyEvaluation.SYNTHETIC_SEED))
        {
            try (TraceReader r = t.reader().get())
            {
                sameAsPass(t.name(), CompactTrace.read(r, null), t.capacities());
            }
        }
    }

    /**
     * Requests ending at blocks with cached children, capacities below request lengths. (Not ids repeated within a
     * request: there the pass counts a repeat of a hit block as a hit past position C, the list and the
     * simulators stop at C.)
     */
    @Test
    void theListGivesThePassHitsOnRandomPrefixTrees()
    {
        final Random rnd = new Random(31);
        final List<long[]> requests = new ArrayList<>();
        for (int r = 0; r < 3000; r++)
        {
            final long[] ids = new long[1 + rnd.nextInt(14)];
            long id = rnd.nextInt(40);
            for (int j = 0; j < ids.length; j++)
            {
                id = mix(id * 31 + rnd.nextInt(j < 3 ? 2 : 4) + 1); // an id names its whole path
                ids[j] = id & Long.MAX_VALUE;
            }
            requests.add(ids);
        }
        try (TraceReader r = new ListTraceReader(requests))
        {
            sameAsPass("random prefix trees, seed 31", CompactTrace.read(r, null), new int[] {1, 2, 5, 13, 40, 120, 400});
        }
    }

    /** SplitMix64's finalizer: distinct paths get distinct ids. */
    private static long mix(final long z)
    {
        long x = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    private static void sameAsPass(final String name, final CompactTrace trace, final int[] capacities)
    {
        final LruStackReplay pass = LruStackReplay.run(trace);
        for (final int c : capacities)
        {
            final LruListReplay list = LruListReplay.run(trace, c);
            assertEquals(pass.accesses(), list.accesses());
            assertEquals(pass.hits(c), list.hits(), name + " at " + c);
        }
    }
}
