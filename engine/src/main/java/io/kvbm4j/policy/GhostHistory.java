package io.kvbm4j.policy;

/**
 * The ids of recently evicted blocks, oldest first, each with the class it was evicted from and the time
 * of its last access: lets a policy see reuse that happens after an eviction (a "ghost hit") and the
 * blocks that never came back before they were forgotten.
 *
 * <p>Owns a ring of entries (id, class, stamp) in eviction order, indexed by id through an
 * {@link IdEntries}. A ghost hit unindexes its entry and marks it dead; dead entries are skipped when
 * the ring advances. Owned by the policy that holds it (the tier's owning thread). O(1) expected per
 * call; no allocation after construction.
 *
 * <p>Invariants: the {@code live} entries are the indexed ones and the ring entries with a class
 * {@code >= 0}; {@code used <= capacity}.
 */
final class GhostHistory
{
    private static final byte DEAD = -1;

    private final IdEntries ids;
    private final long[] stamp;
    private final byte[] cls;
    private final int capacity;
    private int oldest;
    private int used;
    private int live;

    GhostHistory(final int capacity)
    {
        this.capacity = Math.max(1, capacity);
        ids = new IdEntries(this.capacity);
        stamp = new long[this.capacity];
        cls = new byte[this.capacity];
    }

    int capacity()
    {
        return capacity;
    }

    /** Entries neither hit nor forgotten yet. */
    int live()
    {
        return live;
    }

    /** Whether the ring has no room for {@link #add} (call {@link #pollOldest} first). */
    boolean isFull()
    {
        return used == capacity;
    }

    /** Ring position of the id's live entry, or -1. */
    int find(final long idHi, final long idLo)
    {
        return ids.find(idHi, idLo);
    }

    /** Class of the entry at ring position {@code at}. */
    int cls(final int at)
    {
        return cls[at];
    }

    /** Last-access stamp of the entry at ring position {@code at}. */
    long stamp(final int at)
    {
        return stamp[at];
    }

    /** Records an evicted id; it must not be live in the history already, and the ring must not be full. */
    void add(final long idHi, final long idLo, final int entryClass, final long lastAccess)
    {
        if (used == capacity)
        {
            throw new IllegalStateException("ghost ring is full");
        }
        final int at = (oldest + used) % capacity;
        ids.put(at, idHi, idLo);
        cls[at] = (byte)entryClass;
        stamp[at] = lastAccess;
        used++;
        live++;
    }

    /**
     * Records an evicted id after forgetting the oldest entries until there is room and fewer than
     * {@code liveLimit} stay live (a bound below the ring's capacity, e.g. a few turnovers of the cache).
     */
    void addWithin(final long liveLimit, final long idHi, final long idLo, final int entryClass, final long lastAccess)
    {
        final long limit = Math.min(capacity, liveLimit);
        while (isFull() || (live > 0 && live >= limit))
        {
            pollOldest();
        }
        add(idHi, idLo, entryClass, lastAccess);
    }

    /** Consumes a live entry (the block came back). Its fields stay readable until the ring reuses it. */
    void remove(final int at)
    {
        ids.remove(at);
        cls[at] = DEAD;
        live--;
    }

    /**
     * Drops the oldest ring entry.
     *
     * @return its ring position when it was live (forgotten without coming back; its fields stay readable
     * until the next {@link #add}), or -1 when it was dead already or the ring is empty.
     */
    int pollOldest()
    {
        if (used == 0)
        {
            return -1;
        }
        final int at = oldest;
        oldest = (oldest + 1) % capacity;
        used--;
        if (cls[at] == DEAD)
        {
            return -1;
        }
        ids.remove(at);
        live--;
        return at;
    }
}
