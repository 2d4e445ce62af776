package io.kvbm4j.policy;

import io.kvbm4j.registry.IdHash;

/**
 * Count-min sketch of 4-bit counters with periodic halving: the approximate, aging access history of
 * TinyLFU (Einziger, Friedman, Manes, "TinyLFU: A Highly Efficient Cache Admission Policy", ACM TOS
 * 2017), laid out as in Caffeine's {@code FrequencySketch}.
 *
 * <p>Owns one {@code long[]} of {@code 16 * length} counters (a power-of-two number of longs). An item
 * (a 128-bit block id) picks one group of 4 counters by its hash and one long per row for each of 4
 * rows; its estimate is the minimum of its 4 counters (0..15). Counters saturate at 15. After
 * {@link #sampleSize()} increments that changed a counter, every counter is halved ("reset" in the
 * paper), so the sketch estimates recent frequency and forgets old popularity.
 *
 * <p>Owned by the policy that holds it (the tier's owning thread). O(1) increment and estimate; the
 * halving is O(length) once per sample, amortised O(1) per increment. No allocation after construction.
 */
final class FrequencySketch
{
    private static final long[] SEED = {
        0xc3a5c85c97cb3127L, 0xb492b66fbe98f273L, 0x9ae16a3b2f90404fL, 0xcbf29ce484222325L};
    private static final long RESET_MASK = 0x7777777777777777L;
    private static final long ONE_MASK = 0x1111111111111111L;

    private final long[] table;
    private final int tableMask;
    private int sampleSize;
    private int additions;

    /** @param expectedItems the number of distinct items to count with few collisions (the tier size). */
    FrequencySketch(final int expectedItems)
    {
        final int length = Integer.highestOneBit(Math.max(2, expectedItems) - 1) << 1;
        table = new long[length];
        tableMask = length - 1;
        sampleSize = 10 * Math.max(1, expectedItems);
    }

    /** Increments between halvings. */
    int sampleSize()
    {
        return sampleSize;
    }

    /** Changes the halving period (clamped to at least 16); applies from the next increment. */
    void sampleSize(final int increments)
    {
        sampleSize = Math.max(16, increments);
    }

    private int indexOf(final long hash, final int row)
    {
        long h = (hash + SEED[row]) * SEED[row];
        h += h >>> 32;
        return (int)h & tableMask;
    }

    /** Estimated recent count of the id, 0..15. */
    int frequency(final long hi, final long lo)
    {
        final long hash = IdHash.mix(hi, lo);
        final int start = ((int)hash & 3) << 2;
        int min = 15;
        for (int row = 0; row < 4; row++)
        {
            final int shift = (start + row) << 2;
            final int count = (int)((table[indexOf(hash, row)] >>> shift) & 0xfL);
            min = Math.min(min, count);
        }
        return min;
    }

    /** Counts one access to the id. */
    void increment(final long hi, final long lo)
    {
        final long hash = IdHash.mix(hi, lo);
        final int start = ((int)hash & 3) << 2;
        boolean added = false;
        for (int row = 0; row < 4; row++)
        {
            added |= incrementAt(indexOf(hash, row), start + row);
        }
        if (added && ++additions >= sampleSize)
        {
            halve();
        }
    }

    private boolean incrementAt(final int i, final int counter)
    {
        final int shift = counter << 2;
        final long mask = 0xfL << shift;
        if ((table[i] & mask) != mask)
        {
            table[i] += 1L << shift;
            return true;
        }
        return false;
    }

    /** Halves every counter (the aging step). */
    void halve()
    {
        int odd = 0;
        for (int i = 0; i < table.length; i++)
        {
            odd += Long.bitCount(table[i] & ONE_MASK);
            table[i] = (table[i] >>> 1) & RESET_MASK;
        }
        additions = (additions - (odd >>> 2)) >>> 1;
    }
}
