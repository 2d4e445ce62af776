package io.kvbm4j.api;

/**
 * A reusable, growable list of 128-bit block ids for one token sequence: position {@code i} holds the id
 * of block {@code i}, whose parent is the id at {@code i - 1} (block 0's parent is the root).
 *
 * <p>Stored as two longs per id in one array, so filling and reading it allocates nothing once its
 * capacity is reached. Not thread-safe: one owner at a time.
 */
public final class BlockIds
{
    private long[] words;
    private int size;

    public BlockIds(final int initialCapacity)
    {
        words = new long[Math.max(1, initialCapacity) * 2];
    }

    /** Number of ids. */
    public int size()
    {
        return size;
    }

    /** Empties the list, keeping its capacity. */
    public void clear()
    {
        size = 0;
    }

    /** Appends an id computed elsewhere (a trace, another process). */
    public void add(final long hi, final long lo)
    {
        if (size * 2 == words.length)
        {
            words = java.util.Arrays.copyOf(words, words.length * 2);
        }
        words[size * 2] = hi;
        words[size * 2 + 1] = lo;
        size++;
    }

    /** Drops ids from {@code newSize} on. */
    public void truncate(final int newSize)
    {
        if (newSize < 0 || newSize > size)
        {
            throw new IndexOutOfBoundsException("newSize " + newSize + " not in 0.." + size);
        }
        size = newSize;
    }

    /** High 64 bits of id {@code i}. */
    public long hi(final int i)
    {
        return words[checkIndex(i) * 2];
    }

    /** Low 64 bits of id {@code i}. */
    public long lo(final int i)
    {
        return words[checkIndex(i) * 2 + 1];
    }

    private int checkIndex(final int i)
    {
        if (i < 0 || i >= size)
        {
            throw new IndexOutOfBoundsException("id index " + i + " not in 0.." + (size - 1));
        }
        return i;
    }

    /** Readable form of id {@code i}: 32 hex digits. */
    public String toHex(final int i)
    {
        return String.format("%016x%016x", hi(i), lo(i));
    }
}
