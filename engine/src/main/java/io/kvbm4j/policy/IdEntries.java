package io.kvbm4j.policy;

import io.kvbm4j.registry.IdHash;

/**
 * A fixed number of numbered entries, each holding a 128-bit block id, and an index from id to entry:
 * the one id table behind {@link GhostHistory} and {@link ShadowLru}.
 *
 * <p>Owns the ids and an open-addressing table of {@code entry + 1} (0 = empty), a power of two at least
 * twice the entry count, probed linearly, with backward-shift deletion (no tombstones, so probe chains do
 * not degrade). Each bucket also keeps the low 32 bits of its id's hash (bucket = hash &lt;&lt; 32 | entry + 1):
 * a probe skips other ids and a deletion finds each neighbour's home without reading the ids (the deletion's
 * reads of two id arrays per neighbour were half of the prefix policy's time in replay, issue 16). Owned by
 * the policy that holds it (the tier's owning thread). O(1) expected per call; no allocation after
 * construction. Invariant: an entry is indexed iff it was {@link #put} and not yet {@link #remove}d, and then
 * exactly once, under its id; ids of indexed entries are distinct.
 */
final class IdEntries
{
    private final long[] hi;
    private final long[] lo;
    private final long[] index;
    private final int mask;

    IdEntries(final int entries)
    {
        hi = new long[entries];
        lo = new long[entries];
        final int buckets = Integer.highestOneBit(Math.max(16, 2 * entries) - 1) << 1;
        index = new long[buckets];
        mask = buckets - 1;
    }

    long hi(final int entry)
    {
        return hi[entry];
    }

    long lo(final int entry)
    {
        return lo[entry];
    }

    /** The indexed entry holding the id, or -1. */
    int find(final long idHi, final long idLo)
    {
        final int hash = (int)IdHash.mix(idHi, idLo);
        int i = hash & mask;
        while (true)
        {
            final long bucket = index[i];
            if (bucket == 0)
            {
                return -1;
            }
            if ((int)(bucket >>> 32) == hash)
            {
                final int entry = (int)bucket - 1;
                if (lo[entry] == idLo && hi[entry] == idHi)
                {
                    return entry;
                }
            }
            i = (i + 1) & mask;
        }
    }

    /** Stores the id in an unindexed entry and indexes it; the id must not be indexed already. */
    void put(final int entry, final long idHi, final long idLo)
    {
        hi[entry] = idHi;
        lo[entry] = idLo;
        final int hash = (int)IdHash.mix(idHi, idLo);
        int i = hash & mask;
        while (index[i] != 0)
        {
            i = (i + 1) & mask;
        }
        index[i] = (long)hash << 32 | (entry + 1);
    }

    /** Unindexes an indexed entry; its id stays readable. */
    void remove(final int entry)
    {
        int i = (int)IdHash.mix(hi[entry], lo[entry]) & mask;
        while ((int)index[i] - 1 != entry)
        {
            i = (i + 1) & mask;
        }
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            final long bucket = index[j];
            if (bucket == 0)
            {
                break;
            }
            final int home = (int)(bucket >>> 32) & mask;
            // Move j into the hole unless its home lies cyclically in (hole, j].
            final boolean homeBetween = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!homeBetween)
            {
                index[hole] = bucket;
                hole = j;
            }
        }
        index[hole] = 0;
    }
}
