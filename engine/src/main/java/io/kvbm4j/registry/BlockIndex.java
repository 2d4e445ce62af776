package io.kvbm4j.registry;

import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * Off-heap open-addressing hash index from a 128-bit block id to a slot number, for one tier.
 *
 * <p>Linear probing over a power-of-two table sized for a load factor of at most 1/2, with backward-shift
 * deletion (no tombstones, so probe chains never degrade). Entry layout, {@link #ENTRY_BYTES} each:
 * <pre>
 *   0                8                16               24
 *   +----------------+----------------+----------------+
 *   | idHi           | idLo           | slot + 1 (0=empty)
 *   +----------------+----------------+----------------+
 * </pre>
 * Ids are hashes already, but ids from traces can be small integers, so the probe start is a full 64-bit
 * mix of both halves.
 *
 * <p>Concurrency: owned by the tier's owning thread. No allocation after construction; every operation
 * is O(1) expected.
 */
public final class BlockIndex implements AutoCloseable
{
    public static final int ENTRY_BYTES = 24;
    private static final int HI = 0;
    private static final int LO = 8;
    private static final int VALUE = 16;

    private final int maxEntries;
    private final int mask;
    private final AlignedMemory memory;
    private final UnsafeBuffer table;
    private int size;

    /** @param maxEntries the most ids the index will hold (the tier's slot count). */
    public BlockIndex(final int maxEntries)
    {
        if (maxEntries <= 0 || maxEntries > (1 << 26))
        {
            throw new IllegalArgumentException("maxEntries must be in 1.." + (1 << 26) + ": " + maxEntries);
        }
        this.maxEntries = maxEntries;
        final int buckets = BitUtil.findNextPositivePowerOfTwo(Math.max(16, maxEntries * 2));
        this.mask = buckets - 1;
        this.memory = new AlignedMemory(buckets * ENTRY_BYTES, 64);
        this.table = memory.newBuffer();
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

    private static int home(final long hi, final long lo, final int mask)
    {
        long h = hi * 0x9E3779B97F4A7C15L ^ lo;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return (int)h & mask;
    }

    /** @return the slot holding id (hi, lo), or -1. */
    public int get(final long hi, final long lo)
    {
        int i = home(hi, lo, mask);
        while (true)
        {
            final int at = i * ENTRY_BYTES;
            final long value = table.getLong(at + VALUE);
            if (value == 0)
            {
                return -1;
            }
            if (table.getLong(at + LO) == lo && table.getLong(at + HI) == hi)
            {
                return (int)(value - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Indexes id (hi, lo) at {@code slot}.
     *
     * @return -1 when added; the existing slot (unchanged) when the id is already indexed;
     * {@code -2} when the index already holds {@code maxEntries} ids.
     */
    public int putIfAbsent(final long hi, final long lo, final int slot)
    {
        int i = home(hi, lo, mask);
        while (true)
        {
            final int at = i * ENTRY_BYTES;
            final long value = table.getLong(at + VALUE);
            if (value == 0)
            {
                if (size == maxEntries)
                {
                    return -2;
                }
                table.putLong(at + HI, hi);
                table.putLong(at + LO, lo);
                table.putLong(at + VALUE, slot + 1L);
                size++;
                return -1;
            }
            if (table.getLong(at + LO) == lo && table.getLong(at + HI) == hi)
            {
                return (int)(value - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /** Removes id (hi, lo). @return the slot it was at, or -1 when absent. */
    public int remove(final long hi, final long lo)
    {
        int i = home(hi, lo, mask);
        while (true)
        {
            final int at = i * ENTRY_BYTES;
            final long value = table.getLong(at + VALUE);
            if (value == 0)
            {
                return -1;
            }
            if (table.getLong(at + LO) == lo && table.getLong(at + HI) == hi)
            {
                shiftBack(i);
                size--;
                return (int)(value - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /** Backward-shift deletion: pulls later entries of the probe chain into the hole at {@code hole}. */
    private void shiftBack(final int removed)
    {
        int hole = removed;
        int j = hole;
        while (true)
        {
            j = (j + 1) & mask;
            final int at = j * ENTRY_BYTES;
            final long value = table.getLong(at + VALUE);
            if (value == 0)
            {
                break;
            }
            final long hi = table.getLong(at + HI);
            final long lo = table.getLong(at + LO);
            final int k = home(hi, lo, mask);
            // Move j into the hole unless its home lies cyclically in (hole, j].
            final boolean homeBetween = hole <= j ? (hole < k && k <= j) : (hole < k || k <= j);
            if (!homeBetween)
            {
                final int to = hole * ENTRY_BYTES;
                table.putLong(to + HI, hi);
                table.putLong(to + LO, lo);
                table.putLong(to + VALUE, value);
                hole = j;
            }
        }
        table.putLong(hole * ENTRY_BYTES + VALUE, 0L);
    }

    /** Calls {@code visitor} for every entry; for invariant checks, not the hot path. */
    public void forEach(final EntryVisitor visitor)
    {
        for (int i = 0; i <= mask; i++)
        {
            final int at = i * ENTRY_BYTES;
            final long value = table.getLong(at + VALUE);
            if (value != 0)
            {
                visitor.accept(table.getLong(at + HI), table.getLong(at + LO), (int)(value - 1));
            }
        }
    }

    /** Receives index entries. */
    @FunctionalInterface
    public interface EntryVisitor
    {
        void accept(long hi, long lo, int slot);
    }

    @Override
    public void close()
    {
        memory.close();
    }
}
