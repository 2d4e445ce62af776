package io.kvbm4j.registry;

import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * Off-heap open-addressing hash index from a 128-bit block id to a slot number, for one tier.
 *
 * <p>Each bucket is 8 bytes: the id's 32-bit hash and the slot. The id itself lives once, in the slot's
 * record ({@link Keys}), and is compared there only when the 32-bit hashes match, which the caller
 * reads next anyway (a match acquires the block). Buckets three times smaller than a (hi, lo, slot)
 * layout keep more of the index in cache (measured: index probes were most of a replay's time).
 * <pre>
 *   0                 4                 8
 *   +-----------------+-----------------+
 *   | hash32          | slot + 1 (0 = empty)
 *   +-----------------+-----------------+
 * </pre>
 * Linear probing over a power-of-two table at load factor at most 1/2, with backward-shift deletion
 * (no tombstones), which needs only the stored hash to find each entry's home bucket. Ids are hashes
 * already, but ids from traces can be small integers, so the hash is a full 64-bit mix of both halves.
 *
 * <p>Contract: a slot's id must not change while the slot is indexed (the pool removes a block from the
 * index before its slot is reused). Concurrency: owned by the tier's owning thread. No allocation after
 * construction; every operation is O(1) expected.
 */
public final class BlockIndex implements AutoCloseable
{
    /** Where the ids of indexed slots are read from (the tier's block table). */
    public interface Keys
    {
        long idHi(int slot);

        long idLo(int slot);
    }

    public static final int BUCKET_BYTES = 8;

    private final int maxEntries;
    private final int mask;
    private final Keys keys;
    private final AlignedMemory memory;
    private final UnsafeBuffer table;
    private int size;

    /** @param maxEntries the most ids the index will hold (the tier's slot count). */
    public BlockIndex(final int maxEntries, final Keys keys)
    {
        if (maxEntries <= 0 || maxEntries > (1 << 26))
        {
            throw new IllegalArgumentException("maxEntries must be in 1.." + (1 << 26) + ": " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.keys = keys;
        final int buckets = BitUtil.findNextPositivePowerOfTwo(Math.max(16, maxEntries * 2));
        this.mask = buckets - 1;
        this.memory = new AlignedMemory(buckets * BUCKET_BYTES, 64);
        this.table = memory.newBuffer();
        table.setMemory(0, buckets * BUCKET_BYTES, (byte)0);
    }

    /** Number of ids indexed. */
    public int size()
    {
        return size;
    }

    /** Number of buckets. */
    public int buckets()
    {
        return mask + 1;
    }

    static int hash(final long hi, final long lo)
    {
        return (int)IdHash.mix(hi, lo);
    }

    private boolean matches(final long bucket, final int hash, final long hi, final long lo)
    {
        if ((int)(bucket >>> 32) != hash)
        {
            return false;
        }
        final int slot = (int)bucket - 1;
        return keys.idLo(slot) == lo && keys.idHi(slot) == hi;
    }

    /** @return the slot holding id (hi, lo), or -1. */
    public int get(final long hi, final long lo)
    {
        final int hash = hash(hi, lo);
        int i = hash & mask;
        while (true)
        {
            final long bucket = table.getLong(i * BUCKET_BYTES);
            if (bucket == 0)
            {
                return -1;
            }
            if (matches(bucket, hash, hi, lo))
            {
                return (int)bucket - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Indexes id (hi, lo) at {@code slot}, whose record must already hold that id.
     *
     * @return -1 when added; the existing slot (unchanged) when the id is already indexed;
     * {@code -2} when the index already holds {@code maxEntries} ids.
     */
    public int putIfAbsent(final long hi, final long lo, final int slot)
    {
        final int hash = hash(hi, lo);
        int i = hash & mask;
        while (true)
        {
            final long bucket = table.getLong(i * BUCKET_BYTES);
            if (bucket == 0)
            {
                if (size == maxEntries)
                {
                    return -2;
                }
                table.putLong(i * BUCKET_BYTES, ((long)hash << 32) | (slot + 1L));
                size++;
                return -1;
            }
            if (matches(bucket, hash, hi, lo))
            {
                return (int)bucket - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Removes id (hi, lo). @return the slot it was at, or -1 when absent. */
    public int remove(final long hi, final long lo)
    {
        final int hash = hash(hi, lo);
        int i = hash & mask;
        while (true)
        {
            final long bucket = table.getLong(i * BUCKET_BYTES);
            if (bucket == 0)
            {
                return -1;
            }
            if (matches(bucket, hash, hi, lo))
            {
                shiftBack(i);
                size--;
                return (int)bucket - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Backward-shift deletion: pulls later entries of the probe chain into the hole. */
    private void shiftBack(final int removed)
    {
        int hole = removed;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            final long bucket = table.getLong(j * BUCKET_BYTES);
            if (bucket == 0)
            {
                break;
            }
            final int home = (int)(bucket >>> 32) & mask;
            // Move j into the hole unless its home lies cyclically in (hole, j].
            final boolean homeBetween = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!homeBetween)
            {
                table.putLong(hole * BUCKET_BYTES, bucket);
                hole = j;
            }
        }
        table.putLong(hole * BUCKET_BYTES, 0L);
    }

    /** Calls {@code visitor} for every entry; for invariant checks, not the hot path. */
    public void forEach(final EntryVisitor visitor)
    {
        for (int i = 0; i <= mask; i++)
        {
            final long bucket = table.getLong(i * BUCKET_BYTES);
            if (bucket != 0)
            {
                final int slot = (int)bucket - 1;
                if (slot < 0 || slot >= maxEntries)
                {
                    visitor.accept(0, 0, slot, false);
                    continue;
                }
                final long hi = keys.idHi(slot);
                final long lo = keys.idLo(slot);
                visitor.accept(hi, lo, slot, (int)(bucket >>> 32) == hash(hi, lo));
            }
        }
    }

    /** Receives index entries. */
    @FunctionalInterface
    public interface EntryVisitor
    {
        /** @param hashConsistent whether the stored hash is the hash of the slot's current id. */
        void accept(long hi, long lo, int slot, boolean hashConsistent);
    }

    @Override
    public void close()
    {
        memory.close();
    }
}
