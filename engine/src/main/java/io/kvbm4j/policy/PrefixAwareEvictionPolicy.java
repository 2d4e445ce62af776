package io.kvbm4j.policy;

import io.kvbm4j.block.BlockTable;

/**
 * Prefix-aware hit density with an LRU guard: evicts the candidate leaf with the lowest expected hits per
 * unit of cache space-time, learnt online per class of block, and never strays from LRU for long when
 * that does not pay. CLI name {@code prefix}; the design and its evaluation are in docs/POLICIES.md.
 *
 * <p><b>Principles.</b> (1) Rank by hit density, as LHD does (Beckmann, Chen, Cidon, "LHD: Improving Cache
 * Hit Rate by Maximizing Hit Density", NSDI 2018): for a block of class c and age a (time since its last
 * access), {@code density(c, a) = E[hits still to come] / E[space-time still to spend]}, estimated from
 * what happened to earlier blocks of the class that reached age a. (2) What is reused is prefixes, so the
 * classes are prefix facts: whether the block has proven itself (hit while cached, or back from the ghost
 * history: its path was walked again) and whether it is a branch point (at least two distinct children
 * were stored under it: a shared system prompt, tool preamble or document that conversations fork from).
 * Age is the time since the block's conversation last walked through it. (3) See past the eviction: a
 * bounded history of evicted ids records when they come back, so a class the policy evicts early is still
 * observed (no self-fulfilling prophecy) and the statistics cover ages beyond the eviction age. (4) Be
 * safe: an exact shadow LRU over the same accesses measures what LRU would have hit; a trust level in
 * [0, 1] bounds how much younger than LRU's victim the chosen victim may be, and falls when the policy
 * loses to the shadow over a window. With little evidence the densities shrink to a pooled curve made
 * non-increasing in age, which ranks like LRU.
 *
 * <p><b>Mechanics.</b> Time is counted in stores (blocks registered under a new id), the clock of cache
 * turnover, never in pool ticks: the policy works the same whatever a tick means. Ages are bucketed in
 * widths of C/16 stores over 128 buckets (8 turnovers), C being the resident count the pool trims to,
 * learnt from eviction bursts. Per class and age bucket the policy counts reuses (hits while cached and
 * ghost hits, at the age they happened) and censorings (ghost entries forgotten unused, at that age);
 * counts decay by 0.75 and densities are recomputed every C/2 stores (O(classes x buckets), amortised
 * O(1) per store). Candidates sit in one min-heap per class ordered by last-access sequence, so the
 * oldest of each class is its head; {@link #victim()} finds the LRU candidate among the heads, then
 * returns the head of lowest density among those at least {@code (1 - trust)} times as old (ties: the
 * older). Only heads are scored: within a class density is assumed to fall with age. The pool's
 * {@code asOldest} hint is not used: a parent exposed by an eviction ranks by its own last access, which
 * a multi-class order needs (the hint would put a just-used parent first in its class).
 *
 * <p><b>Guard.</b> Every 4C accesses the policy adds its block hits minus the shadow LRU's to a lead
 * accumulated since trust last changed, a sequential test: trust -0.5 once the lead is below minus its
 * noise (the square root of LRU's misses over the same accesses, taken as Poisson), +0.25 once it is
 * above; the lead restarts at every change. Trust starts at 0: the policy begins as LRU and earns trust.
 * At trust 0 the victim is LRU's and the policy cannot win, so it explores (trust 0.25) after 1, 2, 4 ...
 * 64 windows (the wait doubles per try, reset by a win): where the learnt order does not pay, the
 * windows it costs are few.
 *
 * <p><b>Owns:</b> per-slot last-access sequence and store stamp, proven flag, branch counter, class;
 * the class heaps; the statistics; a {@link GhostHistory} of up to 4C evicted ids (ring of twice the
 * slots); a {@link ShadowLru} of C ids (nodes = slots). Owned by the tier's owning thread. Per call:
 * {@link #onAccess} O(1) expected (shadow and ghost lookups), candidate changes O(log n),
 * {@link #victim()} O(classes); no allocation after construction.
 *
 * <p><b>Invariants:</b> a slot is in exactly one class heap iff it is a candidate, the heap of the class
 * it had when it became one; {@code tracked[s]} iff slot s holds a block the policy has seen registered
 * and not evicted (slots are reused: registration of a new id resets the slot's state); trust lies in
 * [0, 1]; a ghost entry's id is never also resident.
 */
public final class PrefixAwareEvictionPolicy implements EvictionPolicy
{
    static final int CLASSES = 4;
    static final int AGE_BUCKETS = 128;
    static final int BUCKETS_PER_TURNOVER = 16;
    static final double RECOMPUTE_PER_TURNOVER = 0.5;
    static final double DECAY = 0.75;
    static final double PRIOR_WEIGHT = 64;
    static final int GHOST_TURNOVERS = 4;
    static final int GUARD_TURNOVERS = 4;
    static final double TRUST_START = 0;
    static final double TRUST_EXPLORE = 0.25;
    static final double TRUST_UP = 0.25;
    static final double TRUST_DOWN = 0.5;
    static final int MAX_BACKOFF = 64;
    private static final int PROVEN = 2;
    private static final int BRANCH = 1;
    private static final int UNKNOWN = Integer.MAX_VALUE;

    private final SlotHeap[] heaps = new SlotHeap[CLASSES];
    private final long[] sequence;
    private final long[] lastStore;
    private final boolean[] tracked;
    private final boolean[] proven;
    private final byte[] children;
    private final byte[] cls;
    private final double[] reuses = new double[CLASSES * AGE_BUCKETS];
    private final double[] censored = new double[CLASSES * AGE_BUCKETS];
    private final double[] density = new double[CLASSES * AGE_BUCKETS];
    private final double[] pooled = new double[AGE_BUCKETS];
    private final GhostHistory ghost;
    private final ShadowLru shadow;
    private final int slots;
    private BlockTable table;

    private long accessSequence;
    private long stores;
    private int resident;
    private int maximum = UNKNOWN;
    private int burstMin = UNKNOWN;
    private long bucketWidth = 1;
    private long nextRecompute = 64;

    private double trust = TRUST_START;
    private int backoff = 1;
    private int windowsAtZero;
    private long windowAccesses;
    private long windowHits;
    private long windowLruHits;
    private long levelLead;
    private long levelMisses;

    public PrefixAwareEvictionPolicy(final int capacity)
    {
        slots = capacity;
        for (int c = 0; c < CLASSES; c++)
        {
            heaps[c] = new SlotHeap(capacity);
        }
        sequence = new long[capacity];
        lastStore = new long[capacity];
        tracked = new boolean[capacity];
        proven = new boolean[capacity];
        children = new byte[capacity];
        cls = new byte[capacity];
        ghost = new GhostHistory(2 * capacity);
        shadow = new ShadowLru(capacity);
    }

    @Override
    public void bind(final BlockTable table)
    {
        this.table = table;
    }

    @Override
    public void onAccess(final int slot, final long tick)
    {
        endBurst();
        final long hi = table.idHi(slot);
        final long lo = table.idLo(slot);
        if (shadow.access(hi, lo, table.parentHi(slot), table.parentLo(slot), table.position(slot),
            maximum == UNKNOWN ? slots : maximum))
        {
            windowLruHits++;
        }
        if (tracked[slot])
        {
            windowHits++;
            reuses[cls[slot] * AGE_BUCKETS + bucket(stores - lastStore[slot])] += 1;
            proven[slot] = true;
        }
        else
        {
            tracked[slot] = true;
            resident++;
            stores++;
            children[slot] = 0;
            proven[slot] = false;
            final int parent = table.parentSlot(slot);
            if (parent >= 0 && children[parent] < 2)
            {
                children[parent]++;
            }
            final int at = ghost.find(hi, lo);
            if (at >= 0)
            {
                reuses[ghost.cls(at) * AGE_BUCKETS + bucket(stores - ghost.stamp(at))] += 1;
                ghost.remove(at);
                proven[slot] = true;
            }
        }
        sequence[slot] = ++accessSequence;
        lastStore[slot] = stores;
        cls[slot] = (byte)classOf(slot);
        if (stores >= nextRecompute)
        {
            recompute();
        }
        if (maximum != UNKNOWN && ++windowAccesses >= (long)GUARD_TURNOVERS * maximum)
        {
            guard();
        }
    }

    private int classOf(final int slot)
    {
        return (proven[slot] ? PROVEN : 0) + (children[slot] >= 2 ? BRANCH : 0);
    }

    private int bucket(final long age)
    {
        return (int)Math.min(AGE_BUCKETS - 1, age / bucketWidth);
    }

    /** The first access after a burst of victim() calls: the burst ended at the pool's limit. */
    private void endBurst()
    {
        if (burstMin != UNKNOWN)
        {
            maximum = Math.max(1, burstMin);
            burstMin = UNKNOWN;
            bucketWidth = Math.max(1, maximum / BUCKETS_PER_TURNOVER);
        }
    }

    /**
     * Densities from the decayed counts: for each class, from the oldest bucket down, hits still to come
     * over space-time still to spend; shrunk towards the pooled curve, made non-increasing in age.
     */
    private void recompute()
    {
        nextRecompute = stores + Math.max(32, (long)(RECOMPUTE_PER_TURNOVER * Math.min(maximum, Math.max(resident,
            1))));
        double hitsUp = 0;
        double alive = 0;
        double life = 0;
        for (int a = AGE_BUCKETS - 1; a >= 0; a--)
        {
            double r = 0;
            double x = 0;
            for (int c = 0; c < CLASSES; c++)
            {
                r += reuses[c * AGE_BUCKETS + a];
                x += censored[c * AGE_BUCKETS + a];
            }
            hitsUp += r;
            alive += r + x;
            life += alive;
            pooled[a] = life > 0 ? hitsUp / life : 0;
        }
        for (int a = 1; a < AGE_BUCKETS; a++)
        {
            pooled[a] = Math.min(pooled[a], pooled[a - 1]);
        }
        for (int c = 0; c < CLASSES; c++)
        {
            hitsUp = 0;
            alive = 0;
            life = 0;
            for (int a = AGE_BUCKETS - 1; a >= 0; a--)
            {
                final int i = c * AGE_BUCKETS + a;
                hitsUp += reuses[i];
                alive += reuses[i] + censored[i];
                life += alive;
                final double own = life > 0 ? hitsUp / life : 0;
                density[i] = (alive * own + PRIOR_WEIGHT * pooled[a]) / (alive + PRIOR_WEIGHT);
                reuses[i] *= DECAY;
                censored[i] *= DECAY;
            }
        }
    }

    /** One guard window ended: the sequential test of the lead over the shadow LRU (see the class note). */
    private void guard()
    {
        levelLead += windowHits - windowLruHits;
        levelMisses += windowAccesses - windowLruHits;
        final double noise = Math.sqrt(Math.max(1, levelMisses));
        if (levelLead < -noise)
        {
            setTrust(Math.max(0, trust - TRUST_DOWN));
            windowsAtZero = 0;
        }
        else if (levelLead > noise)
        {
            setTrust(Math.min(1, trust + TRUST_UP));
            backoff = 1;
        }
        else if (trust == 0 && ++windowsAtZero >= backoff)
        {
            setTrust(TRUST_EXPLORE);
            backoff = Math.min(MAX_BACKOFF, 2 * backoff);
        }
        windowAccesses = 0;
        windowHits = 0;
        windowLruHits = 0;
    }

    private void setTrust(final double value)
    {
        trust = value;
        levelLead = 0;
        levelMisses = 0;
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
        final long limit = Math.min(ghost.capacity(), (long)GHOST_TURNOVERS * Math.min(maximum, slots));
        while (ghost.isFull() || (ghost.live() > 0 && ghost.live() >= limit))
        {
            final int at = ghost.pollOldest();
            if (at >= 0)
            {
                censored[ghost.cls(at) * AGE_BUCKETS + bucket(stores - ghost.stamp(at))] += 1;
            }
        }
        ghost.add(table.idHi(slot), table.idLo(slot), cls[slot], lastStore[slot]);
    }

    @Override
    public int victim()
    {
        burstMin = Math.min(burstMin, resident - 1);
        int lru = -1;
        for (int c = 0; c < CLASSES; c++)
        {
            final int h = heaps[c].peek();
            if (h >= 0 && (lru < 0 || sequence[h] < sequence[lru]))
            {
                lru = h;
            }
        }
        if (lru < 0 || trust <= 0)
        {
            return lru;
        }
        final double minAge = (1 - trust) * (stores - lastStore[lru]);
        int best = -1;
        double bestDensity = Double.MAX_VALUE;
        for (int c = 0; c < CLASSES; c++)
        {
            final int h = heaps[c].peek();
            if (h < 0)
            {
                continue;
            }
            final long age = stores - lastStore[h];
            if (age < minAge)
            {
                continue;
            }
            final double d = density[c * AGE_BUCKETS + bucket(age)];
            if (best < 0 || d < bestDensity || (d == bestDensity && sequence[h] < sequence[best]))
            {
                best = h;
                bestDensity = d;
            }
        }
        return best >= 0 ? best : lru;
    }

    @Override
    public int size()
    {
        int n = 0;
        for (int c = 0; c < CLASSES; c++)
        {
            n += heaps[c].size();
        }
        return n;
    }

    @Override
    public boolean contains(final int slot)
    {
        return heaps[cls[slot]].contains(slot);
    }

    /** Current trust in the learnt order, in [0, 1] (0: LRU's victim). For tests and diagnostics. */
    public double trust()
    {
        return trust;
    }

    /** Class of a tracked block: 2 if proven, plus 1 if a branch point. For tests. */
    int classOfSlot(final int slot)
    {
        return classOf(slot);
    }
}
