package io.kvbm4j.observe.mrc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.kvbm4j.api.Tier;
import io.kvbm4j.observe.events.KvEventSink;

/**
 * Live miss-ratio curves of the engine's tiers: a {@link ShardsMrc} over the stream of requested blocks (each
 * one found cached or computed and registered), read at each tier's size scaled by {@link #SCALES}.
 *
 * <p>What "tier T at s x its size" means: the tiers form an inclusive LRU-like hierarchy that a request walks
 * top down, so the blocks served from G1..T are those an LRU cache of (G1 + ... + T) blocks would hold. The
 * curve is read at (capacity above T) + s x (T's capacity): the share of requested blocks that G1..T would
 * serve if T alone were s times its size. At s = 1 for G1 it is the LRU estimate of G1's hit rate.
 *
 * <p>The estimator is owned by the ring handler thread that calls {@link #accessed}; it publishes a snapshot
 * at most once per {@code snapshotNanos} at the end of a ring batch, which any thread reads.
 */
public final class MissRatioCurves implements KvEventSink
{
    /** Sizes a tier's curve is read at, as multiples of its capacity. */
    public static final double[] SCALES = {0.5, 1, 2, 4};

    private final ShardsMrc mrc;
    private final Tier[] tiers;
    private final double[][] sizes; // [tier][scale] blocks
    private final long snapshotNanos;
    private long lastSnapshot;
    private volatile double[][] snapshot; // [tier][scale] hit ratio; replaced whole, never written in place
    private volatile long memoryBytes;

    /**
     * @param capacities blocks of each tier ({@link Tier#ordinal()}), 0 when the tier is off.
     */
    public MissRatioCurves(final double rate, final long seed, final int[] capacities, final long snapshotNanos)
    {
        this.mrc = new ShardsMrc(rate, seed);
        this.snapshotNanos = snapshotNanos;
        final List<Tier> on = new ArrayList<>();
        for (final Tier t : Tier.values())
        {
            if (t.ordinal() < capacities.length && capacities[t.ordinal()] > 0)
            {
                on.add(t);
            }
        }
        this.tiers = on.toArray(new Tier[0]);
        this.sizes = new double[tiers.length][SCALES.length];
        double above = 0;
        for (int i = 0; i < tiers.length; i++)
        {
            final int c = capacities[tiers[i].ordinal()];
            for (int s = 0; s < SCALES.length; s++)
            {
                sizes[i][s] = above + SCALES[s] * c;
            }
            above += c;
        }
        this.snapshot = new double[tiers.length][SCALES.length];
    }

    @Override
    public void stored(
        final Tier tier, final long[] idHi, final long[] idLo, final int n, final boolean hasParent,
        final long parentHi, final long parentLo, final int[] tokens, final int tokenCount, final long timeNanos)
    {
    }

    @Override
    public void removed(final Tier tier, final long[] idHi, final long[] idLo, final int n, final long timeNanos)
    {
    }

    @Override
    public void cleared(final long timeNanos)
    {
    }

    @Override
    public void accessed(final long idHi, final long idLo)
    {
        mrc.access(idHi, idLo);
    }

    @Override
    public void endOfBatch(final long timeNanos)
    {
        final long t = System.nanoTime();
        if (t - lastSnapshot >= snapshotNanos)
        {
            lastSnapshot = t;
            takeSnapshot();
        }
    }

    /** Computes the curves now (owner thread; tools call it after the ring drained). */
    public void takeSnapshot()
    {
        final double[][] next = new double[tiers.length][];
        for (int i = 0; i < tiers.length; i++)
        {
            next[i] = mrc.hitRatios(sizes[i]);
        }
        memoryBytes = mrc.memoryBytes();
        snapshot = next;
    }

    /** The tiers with a curve. */
    public Tier[] tiers()
    {
        return tiers.clone();
    }

    /** Latest estimated hit ratio of tiers down to {@code tiers()[i]} with that tier at {@code SCALES[s]} x size. */
    public double hitRatio(final int tierIndex, final int scaleIndex)
    {
        return snapshot[tierIndex][scaleIndex];
    }

    /** Estimator memory at the latest snapshot. */
    public long memoryBytes()
    {
        return memoryBytes;
    }

    public double rate()
    {
        return mrc.rate();
    }

    /** A few lines for the demo summary (take a snapshot first). */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < tiers.length; i++)
        {
            sb.append(String.format(Locale.ROOT, "  %-22s", "LRU hit rate to " + tiers[i]));
            for (int s = 0; s < SCALES.length; s++)
            {
                sb.append(String.format(Locale.ROOT, " %sx %5.1f%%", SCALES[s] == 0.5 ? "0.5" : Integer.toString(
                    (int)SCALES[s]), 100 * snapshot[i][s]));
            }
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "  %-22s SHARDS rate %s, %,d KiB", "miss-ratio curves", rate(),
            memoryBytes / 1024));
        return sb.toString();
    }
}
