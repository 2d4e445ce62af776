package io.kvbm4j.replay;

import io.kvbm4j.block.BlockTable;
import io.kvbm4j.policy.EvictionPolicy;
import io.kvbm4j.policy.SlotHeap;

/**
 * Belady's OPT, the offline upper bound: evicts the candidate whose next use is farthest in the future
 * (never used again = infinitely far), the deeper block first on a tie.
 *
 * <p>The replay sets each block's next use with {@link #nextUse(int, long)} before releasing it. A
 * candidate's next use cannot change while it is a candidate (a use would acquire it first), so the keys
 * in the heap are fixed: the policies' indexed {@link SlotHeap}, O(log n) per call, no allocation after
 * construction. Leaves-only candidates cost OPT nothing: a block's next use is never earlier than its
 * parent's, so the farthest block is always a leaf (ties go deeper by the rule).
 */
public final class OptEvictionPolicy implements EvictionPolicy
{
    /** Next use of a block never used again. */
    public static final long NEVER = Long.MAX_VALUE;

    private final long[] nextUse;
    private final SlotHeap candidates;
    private BlockTable table;

    public OptEvictionPolicy(final int capacity)
    {
        nextUse = new long[capacity];
        candidates = new SlotHeap(capacity);
    }

    @Override
    public void bind(final BlockTable table)
    {
        this.table = table;
    }

    /** Sets when a block is next used (a request index, or {@link #NEVER}). Not while it is a candidate. */
    public void nextUse(final int slot, final long when)
    {
        if (candidates.contains(slot))
        {
            throw new IllegalStateException("slot " + slot + " is a candidate; its next use is fixed");
        }
        nextUse[slot] = when;
    }

    /**
     * The min-heap ranks the farthest next use first (key = -next use; request indices are far below 2^53, so
     * the double is exact) and, on a tie, the deeper block (tie-break = -position).
     */
    @Override
    public void onEvictable(final int slot, final boolean asOldest)
    {
        if (candidates.contains(slot))
        {
            throw new IllegalStateException("slot " + slot + " is already a candidate");
        }
        candidates.add(slot, -(double)nextUse[slot], -table.position(slot));
    }

    @Override
    public void onRemoved(final int slot)
    {
        if (!candidates.contains(slot))
        {
            throw new IllegalStateException("slot " + slot + " is not a candidate");
        }
        candidates.remove(slot);
    }

    @Override
    public int victim()
    {
        return candidates.peek();
    }

    @Override
    public int size()
    {
        return candidates.size();
    }

    @Override
    public boolean contains(final int slot)
    {
        return candidates.contains(slot);
    }
}
