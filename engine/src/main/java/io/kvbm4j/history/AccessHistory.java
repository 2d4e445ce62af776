package io.kvbm4j.history;

import org.agrona.BitUtil;

/**
 * How often each block id was accessed, remembered beyond the life of a cached copy: a count-min sketch
 * (4 rows of int counters) with aging. When the total recorded reaches {@code 8 x width} every counter is
 * halved, so old popularity fades (as in TinyLFU's reset). Estimates never under-count between resets
 * and over-count only by collisions, which the minimum over rows keeps small.
 *
 * <p>Feeds hot/cold scores: a block registered again (after eviction, or after a restart whose history
 * was rebuilt from the journal) starts with the access count it has earned instead of 1.
 *
 * <p>Owned by the manager's serving thread (or a replay thread); no allocation per call.
 */
public final class AccessHistory
{
    private static final int ROWS = 4;
    private static final long[] SEEDS = {0x9E3779B97F4A7C15L, 0xC2B2AE3D27D4EB4FL, 0x165667B19E3779F9L,
        0xD6E8FEB86659FD93L};

    private final int[] counters;
    private final int mask;
    private final int width;
    private final long resetAt;
    private long recorded;
    private long resets;

    /** @param expectedBlocks the number of distinct blocks worth remembering (sizes the sketch). */
    public AccessHistory(final int expectedBlocks)
    {
        this.width = BitUtil.findNextPositivePowerOfTwo(Math.max(64, expectedBlocks));
        this.mask = width - 1;
        this.counters = new int[ROWS * width];
        this.resetAt = 8L * width;
    }

    private int index(final int row, final long hi, final long lo)
    {
        long h = (hi ^ SEEDS[row]) * 0x9E3779B97F4A7C15L + lo;
        h ^= h >>> 29;
        h *= SEEDS[(row + 1) & 3] | 1;
        h ^= h >>> 32;
        return row * width + ((int)h & mask);
    }

    /** Counts one access to id (hi, lo). */
    public void record(final long hi, final long lo)
    {
        for (int row = 0; row < ROWS; row++)
        {
            final int i = index(row, hi, lo);
            if (counters[i] != Integer.MAX_VALUE)
            {
                counters[i]++;
            }
        }
        if (++recorded >= resetAt)
        {
            age();
        }
    }

    /** Estimated accesses of id (hi, lo) (aged). */
    public int estimate(final long hi, final long lo)
    {
        int min = Integer.MAX_VALUE;
        for (int row = 0; row < ROWS; row++)
        {
            min = Math.min(min, counters[index(row, hi, lo)]);
        }
        return min;
    }

    private void age()
    {
        for (int i = 0; i < counters.length; i++)
        {
            counters[i] >>>= 1;
        }
        recorded >>>= 1;
        resets++;
    }

    /** Number of agings so far. */
    public long resets()
    {
        return resets;
    }

    /** Accesses recorded since the last aging (halved at each aging). */
    public long recorded()
    {
        return recorded;
    }
}
