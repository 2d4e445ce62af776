package io.kvbm4j.policy;

import io.kvbm4j.block.BlockTable;

/**
 * Proven-prefix eviction with an LRU guard: among the evictable leaves, a prefix that has only been walked
 * once goes before one whose path has been walked again, unless it is much younger than LRU's victim; and
 * when that order stops paying against an exact shadow LRU, the policy falls back to LRU. CLI name
 * {@code prefix}; the design and its evaluation are in docs/POLICIES.md.
 *
 * <p><b>Principles.</b> (1) What is reused is prefixes: a KV block is worth keeping when the path from the
 * root to it is walked again (a second turn of a conversation, another request on the same system prompt or
 * document). Most blocks are walked once (in published traces over half of all distinct blocks are never
 * used again), and a long one-off prompt stores dozens of them at once; LRU lets each such prompt push out
 * the proven prefixes. So a block is <i>proven</i> once its path is walked again: hit while cached, or
 * stored again while its id is still in a bounded history of evicted ids (it was evicted too early: its
 * path came back). (2) The prefix rule: the pool only offers inactive leaves, so a proven parent is never
 * lost before its unproven tail, and a chain is trimmed from its end. (3) Recency still matters: an unproven
 * leaf is preferred as the victim only if it is at least {@code 1 - trust} times as old as LRU's victim
 * (ages in stores, the clock of cache turnover), so the newest turn of a live conversation is not thrown
 * out for a proven block nobody has touched for a long time. (4) Be safe: an exact shadow LRU over the same
 * accesses measures what LRU would have hit; a sequential test over windows of 4C accesses lowers trust
 * (to 0: exactly LRU's victim) when the policy's lead over the shadow falls below minus its noise, and raises
 * it when the lead is above its noise; at 0 it re-explores after 1, 2, 4 ... 64 windows.
 *
 * <p><b>Mechanics.</b> Candidates sit in two min-heaps (unproven, proven) ordered by last-access sequence,
 * so each class's oldest is its head; {@link #victim()} takes the older head (LRU's victim) and returns the
 * unproven head instead when it is old enough. The pool's {@code asOldest} hint is not used: a parent exposed
 * by an eviction ranks by its own last access. C, the resident count the pool trims to, is learnt from
 * eviction bursts (the minimum resident count seen during a burst of {@link #victim()} calls).
 *
 * <p><b>Owns:</b> per-slot last-access sequence, store stamp, proven flag and class; the two heaps; a
 * {@link GhostHistory} of up to 4C evicted ids (ring of twice the slots); an {@link LruGuard} (a
 * {@link ShadowLru} of C ids and the sequential test).
 * Owned by the tier's owning thread. Per call: {@link #onAccess} O(1) expected (shadow and ghost lookups),
 * candidate changes O(log n), {@link #victim()} O(1); no allocation after construction.
 *
 * <p><b>Invariants:</b> a slot is in exactly one heap iff it is a candidate, the heap of the class it had
 * when it became one; {@code tracked[s]} iff slot s holds a block the policy has seen registered and not
 * evicted (slots are reused: registration of a new id resets the slot's state); trust lies in
 * [0, {@link #TRUST_MAX}]; a ghost entry's id is never also resident.
 */
public final class PrefixAwareEvictionPolicy implements EvictionPolicy
{
    static final int UNPROVEN = 0;
    static final int PROVEN = 1;
    static final int GHOST_TURNOVERS = 4;
    /**
     * Most trust the order gets: an unproven victim is at least a quarter as old as LRU's. With full trust
     * the policy would evict the newest turn of a live conversation for any proven block, however stale.
     */
    static final double TRUST_MAX = 0.75;

    private final SlotHeap[] heaps = {null, null};
    private final long[] sequence;
    private final long[] lastStore;
    private final boolean[] tracked;
    private final boolean[] proven;
    private final byte[] cls;
    private final GhostHistory ghost;
    private final LruGuard guard;
    private final int slots;
    private BlockTable table;

    private long accessSequence;
    private long stores;
    private int resident;

    /** A policy for a pool of {@code capacity} slots that starts with full trust in its order. */
    public PrefixAwareEvictionPolicy(final int capacity)
    {
        this(capacity, TRUST_MAX);
    }

    /** For tests: a policy starting at the given trust (0: starts as LRU). */
    PrefixAwareEvictionPolicy(final int capacity, final double initialTrust)
    {
        if (initialTrust < 0 || initialTrust > TRUST_MAX)
        {
            throw new IllegalArgumentException("initial trust must be in [0, " + TRUST_MAX + "]: " + initialTrust);
        }
        guard = new LruGuard(capacity, TRUST_MAX, initialTrust, 1);
        slots = capacity;
        heaps[UNPROVEN] = new SlotHeap(capacity);
        heaps[PROVEN] = new SlotHeap(capacity);
        sequence = new long[capacity];
        lastStore = new long[capacity];
        tracked = new boolean[capacity];
        proven = new boolean[capacity];
        cls = new byte[capacity];
        ghost = new GhostHistory(2 * capacity);
    }

    @Override
    public void bind(final BlockTable table)
    {
        this.table = table;
    }

    @Override
    public void onAccess(final int slot, final long tick)
    {
        final long hi = table.idHi(slot);
        final long lo = table.idLo(slot);
        guard.onAccess(hi, lo, table.parentHi(slot), table.parentLo(slot), table.position(slot), tracked[slot]);
        if (tracked[slot])
        {
            proven[slot] = true;
        }
        else
        {
            tracked[slot] = true;
            resident++;
            stores++;
            proven[slot] = false;
            final int at = ghost.find(hi, lo);
            if (at >= 0)
            {
                ghost.remove(at);
                proven[slot] = true;
            }
        }
        sequence[slot] = ++accessSequence;
        lastStore[slot] = stores;
        cls[slot] = (byte)classOf(slot);
    }

    private int classOf(final int slot)
    {
        return proven[slot] ? PROVEN : UNPROVEN;
    }

    @Override
    public void onEvictable(final int slot, final boolean asOldest)
    {
        final int c = classOf(slot);
        cls[slot] = (byte)c;
        heaps[c].add(slot, sequence[slot], slot);
    }

    @Override
    public void onRemoved(final int slot)
    {
        heaps[cls[slot]].remove(slot);
    }

    @Override
    public void onEvicted(final int slot)
    {
        if (!tracked[slot])
        {
            return;
        }
        tracked[slot] = false;
        resident--;
        ghost.addWithin((long)GHOST_TURNOVERS * Math.min(guard.limit(), slots), table.idHi(slot), table.idLo(slot),
            cls[slot], lastStore[slot]);
    }

    @Override
    public int victim()
    {
        guard.onVictimCall(resident);
        final double trust = guard.trust();
        final int unproven = heaps[UNPROVEN].peek();
        final int provenHead = heaps[PROVEN].peek();
        if (unproven < 0 || provenHead < 0)
        {
            return unproven >= 0 ? unproven : provenHead;
        }
        if (sequence[unproven] < sequence[provenHead])
        {
            return unproven;                       // LRU's victim anyway
        }
        final double minAge = (1 - trust) * (stores - lastStore[provenHead]);
        return trust > 0 && stores - lastStore[unproven] >= minAge ? unproven : provenHead;
    }

    @Override
    public int size()
    {
        return heaps[UNPROVEN].size() + heaps[PROVEN].size();
    }

    @Override
    public boolean contains(final int slot)
    {
        return heaps[cls[slot]].contains(slot);
    }

    /** Current trust in the proven-first order, in [0, {@link #TRUST_MAX}] (0: LRU's victim). */
    public double trust()
    {
        return guard.trust();
    }

    /** Class of a tracked block: {@link #PROVEN} or {@link #UNPROVEN}. For tests. */
    int classOfSlot(final int slot)
    {
        return classOf(slot);
    }
}
