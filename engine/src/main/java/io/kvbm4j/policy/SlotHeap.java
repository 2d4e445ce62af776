package io.kvbm4j.policy;

import java.util.Arrays;

/**
 * Indexed binary min-heap over slot numbers, ordered by a {@code double} key then a {@code long}
 * tie-break (smaller first). The eviction candidate set of the priority-based policies.
 *
 * <p>Owns: the heap array, each slot's position in it, and each member's key and tie-break. Owned by the
 * policy that holds it (the tier's owning thread). O(log n) add, remove and re-key; O(1) peek; no
 * allocation after construction. Invariants: {@code where[heap[i]] == i} for {@code i < size};
 * {@code where[s] == -1} iff s is not a member; every node orders no later than its children.
 */
public final class SlotHeap
{
    private final int[] heap;
    private final int[] where;
    private final double[] key;
    private final long[] tie;
    private int size;

    public SlotHeap(final int capacity)
    {
        heap = new int[capacity];
        where = new int[capacity];
        key = new double[capacity];
        tie = new long[capacity];
        Arrays.fill(where, -1);
    }

    public int size()
    {
        return size;
    }

    public boolean contains(final int slot)
    {
        return where[slot] >= 0;
    }

    /** The member ranked first, or -1 when empty. */
    public int peek()
    {
        return size == 0 ? -1 : heap[0];
    }

    /** The member at heap position {@code i} (0 = first), for bounded scans near the top. */
    int at(final int i)
    {
        return heap[i];
    }

    double key(final int slot)
    {
        return key[slot];
    }

    long tie(final int slot)
    {
        return tie[slot];
    }

    /** Adds a slot that is not a member. */
    public void add(final int slot, final double k, final long t)
    {
        if (where[slot] >= 0)
        {
            throw new IllegalStateException("slot " + slot + " is already a candidate");
        }
        key[slot] = k;
        tie[slot] = t;
        heap[size] = slot;
        where[slot] = size;
        siftUp(size++);
    }

    /** Removes a member. */
    public void remove(final int slot)
    {
        final int i = where[slot];
        if (i < 0)
        {
            throw new IllegalStateException("slot " + slot + " is not a candidate");
        }
        where[slot] = -1;
        final int last = heap[--size];
        if (i < size)
        {
            heap[i] = last;
            where[last] = i;
            siftDown(i);
            siftUp(where[last]);
        }
    }

    /** Changes a member's key and tie-break in place. */
    void update(final int slot, final double k, final long t)
    {
        final int i = where[slot];
        key[slot] = k;
        tie[slot] = t;
        siftDown(i);
        siftUp(where[slot]);
    }

    /** Sets a member's key without restoring heap order; call {@link #rebuild()} after a batch. */
    void rekeyUnordered(final int slot, final double k)
    {
        key[slot] = k;
    }

    /** Restores heap order after {@link #rekeyUnordered} calls: O(n) (Floyd). */
    void rebuild()
    {
        for (int i = (size >>> 1) - 1; i >= 0; i--)
        {
            siftDown(i);
        }
    }

    private boolean before(final int a, final int b)
    {
        final double ka = key[a];
        final double kb = key[b];
        return ka < kb || (ka == kb && tie[a] < tie[b]);
    }

    private void siftUp(final int start)
    {
        int i = start;
        final int slot = heap[i];
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            if (!before(slot, heap[parent]))
            {
                break;
            }
            heap[i] = heap[parent];
            where[heap[i]] = i;
            i = parent;
        }
        heap[i] = slot;
        where[slot] = i;
    }

    private void siftDown(final int start)
    {
        int i = start;
        final int slot = heap[i];
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= size)
            {
                break;
            }
            if (child + 1 < size && before(heap[child + 1], heap[child]))
            {
                child++;
            }
            if (!before(heap[child], slot))
            {
                break;
            }
            heap[i] = heap[child];
            where[heap[i]] = i;
            i = child;
        }
        heap[i] = slot;
        where[slot] = i;
    }
}
