package io.kvbm4j.perf.workload;

import java.util.SplittableRandom;

/**
 * A precomputed, repeating sequence of Zipf-distributed choices among {@code n} items: item of rank r
 * (1-based) is drawn with probability proportional to {@code 1 / r^s}. Ranks are mapped to items through
 * a seeded shuffle, so the popular items are spread over the item range (and over slot numbers) rather
 * than being items 0, 1, 2...
 *
 * <p>Built in a benchmark's {@code @Setup}: sampling happens here, once, by inverse CDF; {@link #next()}
 * is an array read, so the choice costs the measured operation nothing but a load. Not thread-safe: one
 * sequence per benchmark thread. The same seed gives the same sequence in every run and every benchmark.
 */
public final class ZipfSequence
{
    private final int[] draws;
    private final int mask;
    private int cursor;

    /**
     * @param items    number of items, at least 1.
     * @param exponent Zipf exponent s, at least 0 (0 is uniform; ~1 is typical of prefix popularity).
     * @param length   draws kept before the sequence repeats; a power of two.
     * @param seed     seeds both the rank-to-item shuffle and the draws.
     */
    public ZipfSequence(final int items, final double exponent, final int length, final long seed)
    {
        if (items < 1 || exponent < 0 || Integer.bitCount(length) != 1)
        {
            throw new IllegalArgumentException("items=" + items + " (>= 1), exponent=" + exponent + " (>= 0), " +
                "length=" + length + " (a power of two)");
        }
        final double[] cdf = new double[items];
        double sum = 0;
        for (int r = 0; r < items; r++)
        {
            sum += 1.0 / Math.pow(r + 1, exponent);
            cdf[r] = sum;
        }
        final SplittableRandom random = new SplittableRandom(seed);
        final int[] itemOfRank = new int[items];
        for (int i = 0; i < items; i++)
        {
            itemOfRank[i] = i;
        }
        for (int i = items - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final int t = itemOfRank[i];
            itemOfRank[i] = itemOfRank[j];
            itemOfRank[j] = t;
        }
        draws = new int[length];
        for (int d = 0; d < length; d++)
        {
            final double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = items - 1;
            while (lo < hi) // first rank whose cumulative weight exceeds u
            {
                final int mid = (lo + hi) >>> 1;
                if (cdf[mid] > u)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }
            draws[d] = itemOfRank[lo];
        }
        mask = length - 1;
    }

    /** The next item of the sequence, {@code 0 .. items-1}. */
    public int next()
    {
        return draws[cursor++ & mask];
    }
}
