package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The reference table of traces/README.md, reproduced within 0.0005. */
class ReferenceHitRatesTest
{
    private static final int[] CAPACITIES = {500, 1000, 2000, 4000, 8000, 16000, 32000};
    private static final double[] LRU = {0.0451, 0.0841, 0.1464, 0.2345, 0.3733, 0.5299, 0.6281};
    private static final double[] OPT = {0.1992, 0.2767, 0.3795, 0.4934, 0.5954, 0.6396, 0.6396};

    @Test
    void lruAndOptReproduceTheReferenceTable()
    {
        final Path trace = SharedTraces.mooncake();
        final List<ReplayResult> results = PolicyReplay.run(() -> new MooncakeTraceReader(trace),
            List.of(PolicyKind.LRU, PolicyKind.OPT), CAPACITIES, null);
        for (int i = 0; i < CAPACITIES.length; i++)
        {
            final ReplayResult lru = results.get(i);
            final ReplayResult opt = results.get(CAPACITIES.length + i);
            assertEquals(3993, lru.requests());
            assertEquals(121_877, lru.accesses());
            assertEquals(LRU[i], lru.hitRate(), 0.0005, "LRU at " + CAPACITIES[i]);
            assertEquals(OPT[i], opt.hitRate(), 0.0005, "OPT at " + CAPACITIES[i]);
        }
    }
}
