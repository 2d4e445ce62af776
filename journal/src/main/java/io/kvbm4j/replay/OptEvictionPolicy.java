package io.kvbm4j.replay;

import java.util.Arrays;

import io.kvbm4j.block.BlockTable;
import io.kvbm4j.policy.EvictionPolicy;

/**
 * Belady's OPT, the offline upper bound: evicts the candidate whose next use is farthest in the future
 * (never used again = infinitely far), the deeper block first on a tie.
 *
 * <p>The replay sets each block's next use with {@link #nextUse(int, long)} before releasing it. A
 * candidate's next use cannot change while it is a candidate (a use would acquire it first), so the keys
 * in the heap are fixed: an indexed binary max-heap over slots, O(log n) per call, no allocation after
 * construction. Leaves-only candidates cost OPT nothing: a block's next use is never earlier than its
 * parent's, so the farthest block is always a leaf (ties go deeper by the rule).
 */
public final class OptEvictionPolicy implements EvictionPolicy
{
    /** Next use of a block never used again. */
    public static final long NEVER = Long.MAX_VALUE;

    private final long[] nextUse;
    private final int[] heap;
    private final int[] where;
    private BlockTable table;
    private int size;

    public OptEvictionPolicy(final int capacity)
    {
        nextUse = new long[capacity];
        heap = new int[capacity];
        where = new int[capacity];
        Arrays.fill(where, -1);
    }

    @Override
    public void bind(final BlockTable table)
    {
        this.table = table;
    }

    /** Sets when a block is next used (a request index, or {@link #NEVER}). Not while it is a candidate. */
    public void nextUse(final int slot, final long when)
    {
        if (where[slot] >= 0)
        {
            throw new IllegalStateException("slot " + slot + " is a candidate; its next use is fixed");
        }
        nextUse[slot] = when;
    }

    /** a ranks before b (evicted first). */
    private boolean before(final int a, final int b)
    {
        if (nextUse[a] != nextUse[b])
        {
            return nextUse[a] > nextUse[b];
        }
        return table.position(a) > table.position(b);
    }

    @Override
    public void onEvictable(final int slot, final boolean asOldest)
    {
        if (where[slot] >= 0)
        {
            throw new IllegalStateException("slot " + slot + " is already a candidate");
        }
        heap[size] = slot;
        where[slot] = size;
        siftUp(size++);
    }

    @Override
    public void onRemoved(final int slot)
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

    @Override
    public int victim()
    {
        return size == 0 ? -1 : heap[0];
    }

    @Override
    public int size()
    {
        return size;
    }

    @Override
    public boolean contains(final int slot)
    {
        return where[slot] >= 0;
    }
}
