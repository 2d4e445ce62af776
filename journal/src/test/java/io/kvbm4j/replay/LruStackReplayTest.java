package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The one-pass LRU gives exactly the per-capacity simulator's hits, on the shipped and the synthetic traces. */
class LruStackReplayTest
{
    @Test
    void onePassGivesTheSimulatorsHitsAtEveryCapacityOfTheShippedTrace()
    {
        final Path file = SharedTraces.mooncake();
        final CompactTrace trace;
        try (TraceReader r = new MooncakeTraceReader(file))
        {
            trace = CompactTrace.read(r, null);
        }
        sameAsSimulator("mooncake", trace, new int[] {1, 7, 100, 500, 1000, 2000, 4000, 8000, 16000, 32000, 50000});
    }

    @Test
    void onePassGivesTheSimulatorsHitsOnTheSyntheticTraces()
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

    private static void sameAsSimulator(final String name, final CompactTrace trace, final int[] capacities)
    {
        final LruStackReplay stack = LruStackReplay.run(trace);
        final List<ReplayResult> sims = PolicyReplay.run(trace::reader, List.of(PolicyKind.LRU), capacities, null);
        for (int i = 0; i < capacities.length; i++)
        {
            assertEquals(sims.get(i).accesses(), stack.accesses());
            assertEquals(sims.get(i).hits(), stack.hits(capacities[i]), name + " at " + capacities[i]);
        }
    }
}
