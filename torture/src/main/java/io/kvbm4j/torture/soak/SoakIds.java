package io.kvbm4j.torture.soak;

import io.kvbm4j.api.BlockIds;

/**
 * The soak's block ids: {@link #CHAINS} prefix chains of up to {@link #MAX_LENGTH} blocks; block p of chain c
 * has a fixed id, so a checker regenerates ids and payloads instead of remembering them. 4096 blocks in all,
 * four times the soak's G3, so G3 evicts as it runs.
 */
public final class SoakIds
{
    public static final int CHAINS = 512;
    public static final int MAX_LENGTH = 8;

    private SoakIds()
    {
    }

    public static long hi(final int chain, final int position)
    {
        return 0x7000_0000_0000_0000L | (long)chain << 16 | position;
    }

    public static long lo(final int chain, final int position)
    {
        long x = (long)chain * 0x9E3779B97F4A7C15L + position * 0xC2B2AE3D27D4EB4FL + 0x165667B19E3779F9L;
        x ^= x >>> 29;
        return x * 0xBF58476D1CE4E5B9L;
    }

    /** Writes the first {@code n} ids of chain {@code chain} into {@code out}. */
    public static void chain(final int chain, final int n, final BlockIds out)
    {
        out.clear();
        for (int p = 0; p < n; p++)
        {
            out.add(hi(chain, p), lo(chain, p));
        }
    }
}
