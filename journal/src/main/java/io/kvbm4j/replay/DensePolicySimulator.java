package io.kvbm4j.replay;

import static io.kvbm4j.block.BlockTableLayout.FLAG_EVICTABLE;
import static io.kvbm4j.block.BlockTableLayout.FLAG_HAS_PARENT;

import java.util.Arrays;
import java.util.function.IntFunction;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.policy.EvictionPolicy;

/**
 * {@link PolicySimulator}'s replay of one (policy, capacity), specialised for a {@link CompactTrace}: the same
 * request semantics and the same calls into the same {@link EvictionPolicy} as the engine's
 * {@link io.kvbm4j.pool.BlockPool}, in the same order, on slot records of the engine's own {@link BlockTable}
 * (so a policy that reads ids, parents, positions or access counts reads what it reads in the engine), but
 * without the pool's 128-bit id index: a trace's ids are dense (0..D-1), so "which slot holds this id" is one
 * array load ({@code slotOf}) instead of a hash probe. The probes were half of a replay's time at production
 * sizes (JFR, docs/PERF.md, issue 16).
 *
 * <p><b>What is mirrored.</b> Exactly the transitions of {@code BlockPool} the replay uses: allocate (lowest
 * free slot first, freed slots reused last-in first-out, so even slot numbers match the pool's), fill and
 * complete in one step, register (a parent found before the block is indexed; an id already registered
 * deduplicates to its slot, the new slot going back to the free stack), acquire, release (a block without
 * children becomes a candidate), evict (a parent left without children becomes a candidate, ranked oldest).
 * The checks that guard the engine against bad callers are left out: this class is its own only caller.
 * {@code DensePolicySimulatorTest} checks the hits equal {@link PolicySimulator}'s for every policy on the
 * shipped and synthetic traces.
 *
 * <p><b>Owns</b> the table of 2C records, the free stack, {@code slotOf} (per dense id: its registered slot or
 * -1) and {@code idOf} (per slot: the dense id it holds). Invariants: {@code slotOf[d] == s} iff slot s is
 * REGISTERED holding d, and then {@code idOf[s] == d}; a slot is a policy candidate iff it carries
 * {@code FLAG_EVICTABLE}, iff it is registered with no references and no children. Single-threaded; no
 * allocation per request after warm-up. Memory: 4 bytes per distinct id, 128 + 8 per slot (2C slots), plus
 * the policy's own.
 */
public final class DensePolicySimulator implements AutoCloseable
{
    private static final int REGISTERED = BlockState.REGISTERED.code();

    private final String policyName;
    private final int capacity;
    private final CompactTrace trace;
    private final BlockTable table;
    private final EvictionPolicy policy;
    private final OptEvictionPolicy opt;
    private final NextUseIndex nextUse;
    private final int[] slotOf;
    private final int[] idOf;
    private final int[] freeStack;
    private int freeCount;
    private int inactive;
    private int[] held = new int[1024];
    private long tick;
    private long hits;
    private long accesses;
    private long requests;

    /**
     * @param policyForSlots makes the policy for a pool of the given number of slots.
     * @param nextUse        required when the policy is an {@link OptEvictionPolicy}, else ignored.
     */
    public DensePolicySimulator(final String policyName, final int capacity, final CompactTrace trace,
        final IntFunction<EvictionPolicy> policyForSlots, final NextUseIndex nextUse)
    {
        if (capacity <= 0 || capacity > (1 << 25))
        {
            throw new IllegalArgumentException("capacity must be in 1.." + (1 << 25) + ": " + capacity);
        }
        this.policyName = policyName;
        this.capacity = capacity;
        this.trace = trace;
        final int slots = 2 * capacity;
        this.policy = policyForSlots.apply(slots);
        this.opt = policy instanceof OptEvictionPolicy o ? o : null;
        if (opt != null && nextUse == null)
        {
            throw new IllegalArgumentException("OPT needs the trace's next-use index");
        }
        this.nextUse = nextUse;
        this.table = new BlockTable(slots);
        this.slotOf = new int[trace.distinct()];
        Arrays.fill(slotOf, -1);
        this.idOf = new int[slots];
        this.freeStack = new int[slots];
        for (int s = 0; s < slots; s++)
        {
            table.clear(s);
            freeStack[slots - 1 - s] = s; // lowest slot numbers are handed out first, as in BlockPool
        }
        this.freeCount = slots;
        policy.bind(table);
    }

    public String policyName()
    {
        return policyName;
    }

    public int capacity()
    {
        return capacity;
    }

    /**
     * Replays request {@code r} of the trace (requests must come in order: OPT's next uses are by position).
     *
     * @return k, the length of the request's leading run found resident.
     */
    public int access(final int r)
    {
        final int from = trace.start(r);
        final int n = trace.length(r);
        final int limit = Math.min(n, capacity);
        if (held.length < limit)
        {
            held = new int[Math.max(limit, held.length * 2)];
        }
        final long t = ++tick;
        int k = 0;
        while (k < limit)
        {
            final int slot = slotOf[trace.id(from + k)];
            if (slot < 0)
            {
                break;
            }
            acquire(slot, t);
            held[k++] = slot;
        }
        hits += k;
        accesses += n;
        for (int j = k; j < limit; j++)
        {
            held[j] = store(trace.id(from + j), j == 0 ? -1 : trace.id(from + j - 1), j, t);
        }
        for (int j = limit - 1; j >= 0; j--)
        {
            if (opt != null)
            {
                opt.nextUse(held[j], nextUse.nextUse(from + j));
            }
            release(held[j]);
        }
        while (inactive > capacity)
        {
            evict(policy.victim()); // every block is inactive between requests: a victim always exists
        }
        requests++;
        return k;
    }

    /** BlockPool's allocate, fill, complete and register of dense id {@code d} at {@code position}. */
    private int store(final int d, final int parent, final int position, final long t)
    {
        final int slot = freeStack[--freeCount]; // never empty: at most C resident + at most C new
        table.clear(slot);
        table.touch(slot, t);
        table.tokens(slot, 1);
        table.id(slot, trace.idHi(d), trace.idLo(d));
        if (parent >= 0)
        {
            table.parentId(slot, trace.idHi(parent), trace.idLo(parent));
        }
        table.position(slot, position);
        table.setFlag(slot, FLAG_HAS_PARENT, position > 0);
        // Register: the parent is found before this block is indexed (a block is never its own parent).
        final int parentSlot = parent >= 0 ? slotOf[parent] : -1;
        final int existing = slotOf[d];
        if (existing >= 0)
        {
            acquire(existing, t);
            toFree(slot);
            return existing;
        }
        slotOf[d] = slot;
        idOf[slot] = d;
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
        table.state(slot, REGISTERED);
        table.refCount(slot, 1);
        table.touch(slot, t);
        policy.onAccess(slot, t);
        return slot;
    }

    private void acquire(final int slot, final long t)
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
        }
        table.refCount(slot, refs + 1);
        table.touch(slot, t);
        policy.onAccess(slot, t);
    }

    private void release(final int slot)
    {
        final int refs = table.refCount(slot);
        table.refCount(slot, refs - 1);
        if (refs == 1)
        {
            inactive++;
            if (table.childCount(slot) == 0)
            {
                policy.onEvictable(slot, false);
                table.setFlag(slot, FLAG_EVICTABLE, true);
            }
        }
    }

    private void evict(final int slot)
    {
        if (slot < 0 || !table.hasFlag(slot, FLAG_EVICTABLE))
        {
            throw new IllegalStateException(policyName + " at " + capacity + ": victim " + slot +
                " is not an eviction candidate");
        }
        policy.onRemoved(slot);
        table.setFlag(slot, FLAG_EVICTABLE, false);
        slotOf[idOf[slot]] = -1;
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
    }

    private void toFree(final int slot)
    {
        table.state(slot, BlockState.RESET.code());
        table.refCount(slot, 0);
        freeStack[freeCount++] = slot;
    }

    /** Blocks hit so far. */
    public long hits()
    {
        return hits;
    }

    /** Blocks requested so far. */
    public long accesses()
    {
        return accesses;
    }

    public long requests()
    {
        return requests;
    }

    @Override
    public void close()
    {
        table.close();
    }
}
