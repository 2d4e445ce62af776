package io.kvbm4j.policy;

/**
 * Chooses which evictable block of a tier goes first.
 *
 * <p>The pool decides what is evictable (an INACTIVE block with no cached child in the tier, so
 * leaves always go before their parents and no cached block loses its prefix); the policy only orders
 * that candidate set. Owned by the tier's owning thread; no allocation per call.
 */
public interface EvictionPolicy
{
    /**
     * Called once by the pool that owns the policy, before any other call, with the pool's slot records
     * (read-only for the policy: position, parent slot, child count, access tick and count, ids).
     */
    default void bind(final io.kvbm4j.block.BlockTable table)
    {
    }

    /**
     * A block was accessed: registered under a new id, matched, or acquired. Called while the block is
     * not a candidate (it holds a reference). Policies that learn from history count it here.
     *
     * @param tick the pool owner's logical clock.
     */
    default void onAccess(final int slot, final long tick)
    {
    }

    /** A block left the tier for good (evicted); its slot will be reused for another id. */
    default void onEvicted(final int slot)
    {
    }

    /**
     * A block joins the candidate set.
     *
     * @param asOldest true when the block should rank as least recently used (a parent that just became
     *                 a leaf because its last child was evicted: it was used no later than that child).
     */
    void onEvictable(int slot, boolean asOldest);

    /** A block leaves the candidate set (acquired again, gained a child, or evicted). */
    void onRemoved(int slot);

    /** The block to evict next, or -1 when the set is empty. Does not remove it. */
    int victim();

    /** Number of candidates. */
    int size();

    /** Whether the slot is a candidate (for invariant checks). */
    boolean contains(int slot);
}
