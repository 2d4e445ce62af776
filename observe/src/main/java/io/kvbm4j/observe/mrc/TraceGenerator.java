package io.kvbm4j.observe.mrc;

import java.util.SplittableRandom;

/**
 * Seeded synthetic block-id traces with reuse at every scale: each reference is a new id with probability
 * {@code pNew}, else a re-reference of the id that was new {@code k} new-ids ago, k log-uniform in
 * 1..(ids so far). So {@code n x pNew} distinct ids, and an LRU curve that rises over the whole range.
 */
public final class TraceGenerator
{
    private TraceGenerator()
    {
    }

    public static long[] trace(final int n, final double pNew, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long[] out = new long[n];
        long ids = 0;
        for (int i = 0; i < n; i++)
        {
            if (ids == 0 || random.nextDouble() < pNew)
            {
                out[i] = id(seed, ids++);
            }
            else
            {
                final long back = (long)Math.floor(Math.exp(random.nextDouble() * Math.log(ids))); // 1..ids
                out[i] = id(seed, ids - Math.max(1, Math.min(ids, back)));
            }
        }
        return out;
    }

    /** The id of the k-th new block: a 64-bit mix (ids are hashes in the engine too). */
    static long id(final long seed, final long k)
    {
        long z = k * 0x9e3779b97f4a7c15L + seed;
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
