package io.kvbm4j.pool;

import static io.kvbm4j.block.BlockTableLayout.FLAG_EVICTABLE;
import static io.kvbm4j.block.BlockTableLayout.FLAG_HAS_PARENT;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.history.AccessHistory;
import io.kvbm4j.policy.EvictionPolicy;
import io.kvbm4j.registry.BlockIndex;

/**
 * The block slots of one tier and their lifecycle state machine (see {@link BlockState}).
 *
 * <p>Owns: the slot table, the id index, the free stack and the eviction candidate set (through its
 * {@link EvictionPolicy}). Concurrency: owned by one thread, the manager's serving thread; nothing here
 * is safe to call from another thread. No allocation and no exceptions on any path below: a refused
 * transition returns a negative {@link Status} and changes nothing.
 *
 * <p>Invariants (checked by {@link PoolInvariants}):
 * <ul>
 *   <li>{@code free + partial + complete + active + inactive == capacity};</li>
 *   <li>a slot is in the index iff it is REGISTERED, under its own id, exactly once;</li>
 *   <li>reference counts are never negative; only REGISTERED slots hold references;</li>
 *   <li>{@code childCount(s)} equals the number of registered slots whose parent slot is s;</li>
 *   <li>a slot is an eviction candidate iff it is REGISTERED, has no references and no children
 *       (leaves go before their parents, so a cached block never loses its cached prefix).</li>
 * </ul>
 */
public final class BlockPool implements AutoCloseable
{
    private final Tier tier;
    private final int capacity;
    private final BlockTable table;
    private final BlockIndex index;
    private final EvictionPolicy policy;
    private final int[] freeStack;
    private final AccessHistory history;
    private int freeCount;
    private int partial;
    private int complete;
    private int active;
    private int inactive;

    public BlockPool(final Tier tier, final int capacity, final EvictionPolicy policy)
    {
        this(tier, capacity, policy, null);
    }

    /**
     * @param history remembers access counts across evictions and restarts (shared by the manager's
     *                pools, same owner thread); null for none.
     */
    public BlockPool(final Tier tier, final int capacity, final EvictionPolicy policy, final AccessHistory history)
    {
        this.history = history;
        this.tier = tier;
        this.capacity = capacity;
        this.table = new BlockTable(capacity);
        this.index = new BlockIndex(capacity, table);
        this.policy = policy;
        this.freeStack = new int[capacity];
        // Lowest slot numbers are handed out first.
        for (int s = 0; s < capacity; s++)
        {
            table.clear(s);
            freeStack[capacity - 1 - s] = s;
        }
        this.freeCount = capacity;
        policy.bind(table);
    }

    public Tier tier()
    {
        return tier;
    }

    public int capacity()
    {
        return capacity;
    }

    public int freeCount()
    {
        return freeCount;
    }

    public int partialCount()
    {
        return partial;
    }

    public int completeCount()
    {
        return complete;
    }

    public int activeCount()
    {
        return active;
    }

    public int inactiveCount()
    {
        return inactive;
    }

    /** Number of blocks that could be evicted right now (INACTIVE leaves). */
    public int evictableCount()
    {
        return policy.size();
    }

    /** The slot records, for reading ids and fields; writes go through this pool only. */
    public BlockTable table()
    {
        return table;
    }

    BlockIndex index()
    {
        return index;
    }

    EvictionPolicy policy()
    {
        return policy;
    }

    int[] freeStack()
    {
        return freeStack;
    }

    /** True when {@code slot} is a valid slot number. */
    public boolean isSlot(final int slot)
    {
        return slot >= 0 && slot < capacity;
    }

    /** State of a valid slot. */
    public BlockState state(final int slot)
    {
        return BlockState.fromCode(table.state(slot));
    }

    /** @return the registered slot holding id (hi, lo), or -1. */
    public int lookup(final long hi, final long lo)
    {
        return index.get(hi, lo);
    }

    /** RESET → PARTIAL. @return the slot, or -1 when no slot is free. */
    public int allocate(final long requestId, final long tick)
    {
        if (freeCount == 0)
        {
            return -1;
        }
        final int slot = freeStack[--freeCount];
        table.clear(slot);
        table.state(slot, BlockState.PARTIAL.code());
        table.requestId(slot, requestId);
        table.touch(slot, tick);
        partial++;
        return slot;
    }

    /** Whether {@link #fill} would succeed: 0 or the status it would return. Changes nothing. */
    public int checkFill(final int slot, final int tokens, final int blockTokens)
    {
        if (!isSlot(slot) || tokens <= 0)
        {
            return Status.INVALID_ARGUMENT;
        }
        if (table.state(slot) != BlockState.PARTIAL.code())
        {
            return Status.INVALID_STATE;
        }
        final int filled = table.tokens(slot) + tokens;
        return filled > blockTokens || filled < 0 ? Status.INVALID_ARGUMENT : 0;
    }

    /** PARTIAL: adds tokens. @return the new token count or a negative status. */
    public int fill(final int slot, final int tokens, final int blockTokens)
    {
        final int check = checkFill(slot, tokens, blockTokens);
        if (check < 0)
        {
            return check;
        }
        final int filled = table.tokens(slot) + tokens;
        table.tokens(slot, filled);
        return filled;
    }

    /** Whether {@link #complete} would succeed: 0 or the status it would return. Changes nothing. */
    public int checkComplete(final int slot, final int position, final int blockTokens)
    {
        if (!isSlot(slot) || position < 0)
        {
            return Status.INVALID_ARGUMENT;
        }
        if (table.state(slot) != BlockState.PARTIAL.code() || table.tokens(slot) != blockTokens)
        {
            return Status.INVALID_STATE;
        }
        return 0;
    }

    /** PARTIAL (full) → COMPLETE with its id. @return 0 or a negative status. */
    public int complete(
        final int slot, final long hi, final long lo, final long parentHi, final long parentLo, final int position,
        final int blockTokens)
    {
        final int check = checkComplete(slot, position, blockTokens);
        if (check < 0)
        {
            return check;
        }
        table.id(slot, hi, lo);
        table.parentId(slot, parentHi, parentLo);
        table.position(slot, position);
        table.setFlag(slot, FLAG_HAS_PARENT, position > 0);
        table.state(slot, BlockState.COMPLETE.code());
        partial--;
        complete++;
        return 0;
    }

    /**
     * PARTIAL → REGISTERED in one step: fills the block to {@code blockTokens}, completes it with its id and
     * registers it (deduplicating as {@link #register} does). The caller checked the state.
     *
     * @return the slot holding the id, or a negative status.
     */
    public int commit(
        final int slot, final long hi, final long lo, final long parentHi, final long parentLo, final int position,
        final int blockTokens, final long tick)
    {
        if (!isSlot(slot) || table.state(slot) != BlockState.PARTIAL.code())
        {
            return Status.INVALID_STATE;
        }
        table.tokens(slot, blockTokens);
        final int completed = complete(slot, hi, lo, parentHi, parentLo, position, blockTokens);
        return completed < 0 ? completed : register(slot, tick);
    }

    /** Whether {@link #register} would succeed: 0 or the status it would return. Changes nothing. */
    public int checkRegister(final int slot)
    {
        if (!isSlot(slot))
        {
            return Status.INVALID_ARGUMENT;
        }
        return table.state(slot) != BlockState.COMPLETE.code() ? Status.INVALID_STATE : 0;
    }

    /**
     * For a COMPLETE slot, the registered slot that already holds its id (a registration would
     * deduplicate to it), or -1. Lets the caller plan its events before changing anything.
     */
    public int duplicateOf(final int slot)
    {
        return index.get(table.idHi(slot), table.idLo(slot));
    }

    /**
     * COMPLETE → REGISTERED (ACTIVE, one reference), or deduplication to the block already holding the id,
     * in which case {@code slot} goes back to the free pool.
     *
     * @return the slot holding the id, or a negative status.
     */
    public int register(final int slot, final long tick)
    {
        final int check = checkRegister(slot);
        if (check < 0)
        {
            return check;
        }
        final long hi = table.idHi(slot);
        final long lo = table.idLo(slot);
        // Find the parent before indexing this block, so a block can never become its own parent.
        final int parentSlot = table.hasFlag(slot, FLAG_HAS_PARENT) ?
            index.get(table.parentHi(slot), table.parentLo(slot)) : -1;
        // One probe both detects a duplicate and inserts; never full: at most capacity registered blocks.
        final int existing = index.putIfAbsent(hi, lo, slot);
        if (existing >= 0)
        {
            if (table.refCount(existing) == Integer.MAX_VALUE)
            {
                return Status.INVALID_STATE; // nothing changed: the existing block cannot take one more reference
            }
            acquireRegistered(existing, tick);
            complete--;
            toFree(slot);
            return existing;
        }
        table.parentSlot(slot, parentSlot);
        if (parentSlot >= 0)
        {
            final int children = table.childCount(parentSlot);
            if (children == 0 && table.hasFlag(parentSlot, FLAG_EVICTABLE))
            {
                policy.onRemoved(parentSlot);
                table.setFlag(parentSlot, FLAG_EVICTABLE, false);
            }
            table.childCount(parentSlot, children + 1);
        }
        table.state(slot, BlockState.REGISTERED.code());
        table.refCount(slot, 1);
        table.touch(slot, tick);
        if (history != null)
        {
            // A block registered again starts with the accesses it earned before (capped, never below 1).
            table.accessCount(slot, Math.max(1, Math.min(Integer.MAX_VALUE - 1, history.estimate(hi, lo) + 1)));
            history.record(hi, lo);
        }
        policy.onAccess(slot, tick);
        complete--;
        active++;
        return slot;
    }

    /** REGISTERED: one more reference. @return the new count or a negative status. */
    public int acquire(final int slot, final long tick)
    {
        final int check = checkAcquire(slot);
        if (check < 0)
        {
            return check;
        }
        return acquireRegistered(slot, tick);
    }

    /**
     * REGISTERED: one more reference that is not an access (a transfer holding the block while it copies):
     * no recency, no history. The block leaves the eviction candidates until {@link #release} drops it.
     *
     * @return the new count or a negative status.
     */
    public int pin(final int slot)
    {
        final int check = checkAcquire(slot);
        if (check < 0)
        {
            return check;
        }
        final int refs = table.refCount(slot);
        if (refs == 0)
        {
            if (table.hasFlag(slot, FLAG_EVICTABLE))
            {
                policy.onRemoved(slot);
                table.setFlag(slot, FLAG_EVICTABLE, false);
            }
            inactive--;
            active++;
        }
        table.refCount(slot, refs + 1);
        return refs + 1;
    }

    /** Whether {@link #acquire} would succeed: 0 or the status it would return. Changes nothing. */
    public int checkAcquire(final int slot)
    {
        if (!isSlot(slot))
        {
            return Status.INVALID_ARGUMENT;
        }
        if (table.state(slot) != BlockState.REGISTERED.code() || table.refCount(slot) == Integer.MAX_VALUE)
        {
            return Status.INVALID_STATE;
        }
        return 0;
    }

    /** Whether {@link #release} would succeed: 0 or the status it would return. Changes nothing. */
    public int checkRelease(final int slot)
    {
        if (!isSlot(slot))
        {
            return Status.INVALID_ARGUMENT;
        }
        final int state = table.state(slot);
        if (state == BlockState.PARTIAL.code() || state == BlockState.COMPLETE.code() ||
            (state == BlockState.REGISTERED.code() && table.refCount(slot) > 0))
        {
            return 0;
        }
        return Status.INVALID_STATE;
    }

    /** Callers have checked that the count is below Integer.MAX_VALUE (see checkAcquire, register). */
    /**
     * {@link #acquire} for a slot the caller has just checked with {@link #checkAcquire} in the same call
     * (the match loop): skips the second check. @return the new reference count.
     */
    public int acquireChecked(final int slot, final long tick)
    {
        assert checkAcquire(slot) == 0 : "slot " + slot + " not acquirable";
        return acquireRegistered(slot, tick);
    }

    private int acquireRegistered(final int slot, final long tick)
    {
        final int refs = table.refCount(slot);
        if (refs == 0)
        {
            if (table.hasFlag(slot, FLAG_EVICTABLE))
            {
                policy.onRemoved(slot);
                table.setFlag(slot, FLAG_EVICTABLE, false);
            }
            inactive--;
            active++;
        }
        table.refCount(slot, refs + 1);
        table.touch(slot, tick);
        if (history != null)
        {
            history.record(table.idHi(slot), table.idLo(slot));
        }
        policy.onAccess(slot, tick);
        return refs + 1;
    }

    /**
     * Drops a reference (REGISTERED) or frees an unregistered block (PARTIAL/COMPLETE → RESET).
     *
     * @return the remaining references, or a negative status.
     */
    public int release(final int slot)
    {
        final int check = checkRelease(slot);
        if (check < 0)
        {
            return check;
        }
        final int state = table.state(slot);
        if (state == BlockState.REGISTERED.code())
        {
            final int refs = table.refCount(slot);
            table.refCount(slot, refs - 1);
            if (refs == 1)
            {
                active--;
                inactive++;
                if (table.childCount(slot) == 0)
                {
                    policy.onEvictable(slot, false);
                    table.setFlag(slot, FLAG_EVICTABLE, true);
                }
            }
            return refs - 1;
        }
        if (state == BlockState.PARTIAL.code())
        {
            partial--;
            toFree(slot);
            return 0;
        }
        complete--;
        toFree(slot);
        return 0;
    }

    /** The eviction candidate the policy picks, or -1 when none. */
    public int victim()
    {
        return policy.victim();
    }

    /**
     * Evicts an INACTIVE leaf: drops it from the index and gives the slot back to the free pool. Its id
     * fields stay readable until the slot is allocated again. A parent left without children becomes a
     * candidate, ranked oldest.
     *
     * @return 0 or a negative status (the slot is not an eviction candidate).
     */
    public int evict(final int slot)
    {
        if (!isSlot(slot))
        {
            return Status.INVALID_ARGUMENT;
        }
        if (!table.hasFlag(slot, FLAG_EVICTABLE))
        {
            return Status.INVALID_STATE;
        }
        policy.onRemoved(slot);
        table.setFlag(slot, FLAG_EVICTABLE, false);
        index.remove(table.idHi(slot), table.idLo(slot));
        final int parentSlot = table.parentSlot(slot);
        if (parentSlot >= 0)
        {
            final int children = table.childCount(parentSlot) - 1;
            table.childCount(parentSlot, children);
            if (children == 0 && table.refCount(parentSlot) == 0)
            {
                policy.onEvictable(parentSlot, true);
                table.setFlag(parentSlot, FLAG_EVICTABLE, true);
            }
        }
        inactive--;
        policy.onEvicted(slot);
        toFree(slot);
        return 0;
    }

    private void toFree(final int slot)
    {
        table.state(slot, BlockState.RESET.code());
        table.refCount(slot, 0);
        freeStack[freeCount++] = slot;
    }

    @Override
    public void close()
    {
        table.close();
        index.close();
    }
}
