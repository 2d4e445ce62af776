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
