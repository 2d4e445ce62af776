package io.kvbm4j.replay;

/** Outcome of one (policy, capacity) replay. Immutable. */
public record ReplayResult(String policy, int capacityBlocks, long requests, long accesses, long hits,
    double simulationSeconds)
{
    /** sum(k) / sum(n). */
    public double hitRate()
    {
        return accesses == 0 ? 0 : (double)hits / accesses;
    }

    /** Share of the LRU → OPT gap closed: (this - lru) / (opt - lru); NaN when the gap is zero. */
    public double gapClosed(final double lruRate, final double optRate)
    {
        final double gap = optRate - lruRate;
        return Math.abs(gap) < 1e-12 ? Double.NaN : (hitRate() - lruRate) / gap;
    }

    /** Block accesses simulated per second (policy work only, trace parsing excluded). */
    public double accessesPerSecond()
    {
        return simulationSeconds <= 0 ? Double.NaN : accesses / simulationSeconds;
    }
}
