package io.kvbm4j.tools;

import org.agrona.BitUtil;
import org.agrona.collections.Hashing;

/**
 * A growable set of 128-bit block ids on the heap, to count distinct ids exactly ({@code journal stats}).
 *
 * <p>Open addressing with linear probing over one {@code long[]} of (hi, lo) pairs, at most half full, doubled
 * when it would be fuller: 16 bytes a bucket, so 32 to 64 bytes of heap per distinct id. The id (0, 0) marks an
 * empty bucket and is kept aside in a flag. Ids are hashes already, but ids from traces can be small integers,
 * so the probe start mixes both halves. Nothing is ever removed.
 *
 * <p>Owned by one thread.
 */
final class BlockIdSet
{
    /** Most buckets: the table is a {@code long[]} of twice as many entries. */
    private static final int MAX_BUCKETS = 1 << 29;

    private long[] table;
    private int size;
    private boolean hasZero;

    /** @param expected ids expected; the set grows past it. */
    BlockIdSet(final int expected)
    {
        table = new long[2 * bucketsFor(expected)];
    }

    private static int bucketsFor(final int ids)
    {
        return BitUtil.findNextPositivePowerOfTwo((int)Math.min(MAX_BUCKETS, Math.max(16L, 2L * ids)));
    }

    /** @return true when the id was not in the set yet. */
    boolean add(final long hi, final long lo)
    {
        if (hi == 0 && lo == 0)
        {
            if (hasZero)
            {
                return false;
            }
            hasZero = true;
            return true;
        }
        if (!insert(table, hi, lo))
        {
            return false;
        }
        if (++size > table.length / 4)
        {
            grow();
        }
        return true;
    }

    /** Distinct ids added. */
    long size()
    {
        return size + (hasZero ? 1 : 0);
    }

    private static boolean insert(final long[] t, final long hi, final long lo)
    {
        final int mask = t.length - 1;
        int i = Hashing.evenHash(hi * 0x9E3779B97F4A7C15L ^ lo, mask);
        while (t[i] != 0 || t[i + 1] != 0)
        {
            if (t[i] == hi && t[i + 1] == lo)
            {
                return false;
            }
            i = (i + 2) & mask;
        }
        t[i] = hi;
        t[i + 1] = lo;
        return true;
    }

    private void grow()
    {
        if (table.length / 2 >= MAX_BUCKETS)
        {
            throw new IllegalStateException("more than " + MAX_BUCKETS / 2 + " distinct block ids");
        }
        final long[] bigger = new long[table.length * 2];
        for (int i = 0; i < table.length; i += 2)
        {
            if (table[i] != 0 || table[i + 1] != 0)
            {
                insert(bigger, table[i], table[i + 1]);
            }
        }
        table = bigger;
    }
}
