package io.kvbm4j.history;

import org.agrona.BitUtil;

/**
 * How often each block id was accessed, remembered beyond the life of a cached copy: a count-min sketch
 * with aging.
 *
 * <p>Layout, after Caffeine's frequency sketch: the table is an array of 64-byte blocks (one cache line
 * each) of byte counters. A key hashes to one block and to four counters inside it, so recording or
 * estimating touches one cache line, not four (measured: four scattered counters cost a third of the
 * serving thread's time per hit). Counters saturate at 255. When {@code 10 x expectedBlocks} accesses
 * have been recorded every counter is halved, so old popularity fades (TinyLFU's reset). The estimate is
 * the minimum of the four counters: it never under-counts between agings and over-counts only by
 * collisions.
 *
 * <p>Feeds hot/cold scores: a block registered again (after eviction, or after a restart whose history was
 * rebuilt from the journal) starts with the access count it has earned instead of 1.
 *
 * <p>Owned by the manager's serving thread (or a replay thread); no allocation per call.
 */
public final class AccessHistory
{
    private static final int BLOCK_BYTES = 64;

    private final byte[] table;
    private final int blockMask;
    private final long resetAt;
    private long recorded;
    private long resets;

    /** @param expectedBlocks the number of distinct blocks worth remembering (sizes the sketch: ~4 B each). */
    public AccessHistory(final int expectedBlocks)
    {
        final int blocks = BitUtil.findNextPositivePowerOfTwo(Math.max(16, expectedBlocks / 16));
        this.table = new byte[blocks * BLOCK_BYTES];
        this.blockMask = blocks - 1;
        this.resetAt = 10L * Math.max(expectedBlocks, 64);
    }

    private static long mix(final long hi, final long lo)
    {
        long h = hi * 0x9E3779B97F4A7C15L + lo;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        h *= 0x94D049BB133111EBL;
        return h ^ (h >>> 32);
    }

    /** Counts one access to id (hi, lo). */
    public void record(final long hi, final long lo)
    {
        final long h = mix(hi, lo);
        final int base = ((int)h & blockMask) * BLOCK_BYTES;
        final int bits = (int)(h >>> 32);
        for (int i = 0; i < 4; i++)
        {
            // Four counters in the block, one in each 16-byte quarter, so they are always distinct.
            final int at = base + (i << 4) + ((bits >>> (i << 2)) & 15);
            final int v = table[at] & 0xFF;
            if (v != 0xFF)
            {
                table[at] = (byte)(v + 1);
            }
        }
        if (++recorded >= resetAt)
        {
            age();
        }
    }

    /** Estimated accesses of id (hi, lo), aged, at most 255. */
    public int estimate(final long hi, final long lo)
    {
        final long h = mix(hi, lo);
        final int base = ((int)h & blockMask) * BLOCK_BYTES;
        final int bits = (int)(h >>> 32);
        int min = 0xFF;
        for (int i = 0; i < 4; i++)
        {
            min = Math.min(min, table[base + (i << 4) + ((bits >>> (i << 2)) & 15)] & 0xFF);
        }
        return min;
    }

    private void age()
    {
        for (int i = 0; i < table.length; i++)
        {
            table[i] = (byte)((table[i] & 0xFF) >>> 1);
        }
        recorded >>>= 1;
        resets++;
    }

    /** Number of agings so far. */
    public long resets()
    {
        return resets;
    }

    /** Accesses recorded since start, halved at each aging. */
    public long recorded()
    {
        return recorded;
    }
}
