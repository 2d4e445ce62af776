package io.kvbm4j.policy;

/**
 * LFU with dynamic aging (LFUDA): evicts the candidate with the smallest key {@code K = L + F}, where
 * {@code F} is the block's access count while cached and {@code L} the cache age, raised to the key of
 * each evicted block. Older popularity therefore loses to recent accesses without any periodic decay.
 * Reference: Arlitt, Cherkasova, Dilley, Friedrich, Jin, "Evaluating Content Management Techniques for
 * Web Proxy Caches", ACM SIGMETRICS PER 27(4), 2000 (GDSF with unit size and cost is LFUDA).
 *
 * <p>Owns: per slot the in-cache access count {@code F} and the key fixed at the last access (the pool
 * never accesses a candidate, so a candidate's key never changes: a min-heap with fixed keys suffices),
 * the access stamp used to break ties least-recently-used first, and the age {@code L}. Owned by the
 * tier's owning thread. O(1) {@link #onAccess}, O(log n) candidate changes, no allocation after
 * construction.
 *
 * <p>Invariants: a slot is in the heap iff it is a candidate; {@code F[s] == 0} iff slot s holds no block
 * the policy has seen (never accessed, or evicted since: slots are reused, so {@link #onEvicted} clears
 * them); {@code L} never decreases.
 *
 * <p>Time: the policy ignores the pool's tick and counts its own accesses for the LRU tie-break, so it
 * works the same whatever one tick means. The pool's {@code asOldest} hint is not used: a parent exposed
 * by an eviction ranks by its own key and, among equal keys, by its own last access (a parent is reached
 * before its children, so it is older than the child whose eviction exposed it).
 */
public final class LfudaEvictionPolicy implements EvictionPolicy
{
    private final SlotHeap heap;
    private final long[] count;
    private final double[] key;
    private final long[] stamp;
    private long clock;
    private double age;

    public LfudaEvictionPolicy(final int capacity)
    {
        heap = new SlotHeap(capacity);
        count = new long[capacity];
        key = new double[capacity];
        stamp = new long[capacity];
    }

    @Override
    public void onAccess(final int slot, final long tick)
    {
        final long f = ++count[slot];
        key[slot] = age + f;
        stamp[slot] = ++clock;
    }

    @Override
    public void onEvicted(final int slot)
    {
        age = Math.max(age, key[slot]);
        count[slot] = 0;
    }

    @Override
    public void onEvictable(final int slot, final boolean asOldest)
    {
        heap.add(slot, key[slot], stamp[slot]);
    }

    @Override
    public void onRemoved(final int slot)
    {
        heap.remove(slot);
    }

    @Override
    public int victim()
    {
        return heap.peek();
    }

    @Override
    public int size()
    {
        return heap.size();
    }

    @Override
    public boolean contains(final int slot)
    {
        return heap.contains(slot);
    }

    /** The cache age L (for tests and diagnostics). */
    public double age()
    {
        return age;
    }
}
