package io.kvbm4j.policy;

/**
 * How far a policy may trust its own order: an exact shadow LRU over the same accesses counts what LRU
 * would have hit, and a sequential test over windows of {@link #TURNOVERS} C accesses moves a trust level in
 * [0, max]: down by {@link #DOWN} when the policy's lead over the shadow falls below minus its noise, up by
 * {@link #UP} when it is above its noise; at 0 (the policy must return LRU's victim) it re-explores at
 * {@link #EXPLORE} after 1, 2, 4 ... {@link #MAX_BACKOFF} windows. The noise is {@code noiseScale} times the
 * square root of LRU's misses since trust last changed (Poisson). C, the resident count the pool trims to,
 * is learnt from eviction bursts (the lowest resident count seen during a burst of victim calls).
 *
 * <p>Owns the {@link ShadowLru} and the window counters. Owned by the policy that holds it (the tier's
 * owning thread). O(1) expected per access; no allocation after construction. Invariant: trust lies in
 * [0, max].
 */
final class LruGuard
{
    static final int TURNOVERS = 4;
    static final double EXPLORE = 0.25;
    static final double UP = 0.25;
    static final double DOWN = 0.5;
    static final int MAX_BACKOFF = 64;
    private static final int UNKNOWN = Integer.MAX_VALUE;

    private final ShadowLru shadow;
    private final int slots;
    private final double max;
    private final double noiseScale;

    private int maximum = UNKNOWN;
    private int burstMin = UNKNOWN;
    private double trust;
    private int backoff = 1;
    private int windowsAtZero;
    private long windowAccesses;
    private long windowHits;
    private long windowLruHits;
    private long levelLead;
    private long levelMisses;

    /**
     * @param slots      the pool's slot count (the bound on C).
     * @param max        the most trust the policy's order gets, in (0, 1].
     * @param initial    the starting trust, in [0, max].
     * @param noiseScale multiple of sqrt(LRU misses) that a lead or a loss must pass to move trust.
     */
    LruGuard(final int slots, final double max, final double initial, final double noiseScale)
    {
        if (!(max > 0 && max <= 1) || !(initial >= 0 && initial <= max) || !(noiseScale > 0))
        {
            throw new IllegalArgumentException("trust max must be in (0, 1], initial in [0, max], noise > 0: " +
                max + ", " + initial + ", " + noiseScale);
        }
        this.slots = slots;
        this.max = max;
        this.noiseScale = noiseScale;
        this.trust = initial;
        shadow = new ShadowLru(slots);
    }

    /** Current trust in [0, max]; 0 means the policy must evict LRU's victim. */
    double trust()
    {
        return trust;
    }

    /** The learnt resident limit C, or the slot count before the first eviction burst. */
    int limit()
    {
        return maximum == UNKNOWN ? slots : maximum;
    }

    /** Whether C has been seen (an eviction burst has ended). */
    boolean limitKnown()
    {
        return maximum != UNKNOWN;
    }

    /** A victim call while {@code resident} blocks are resident: part of an eviction burst. */
    void onVictimCall(final int resident)
    {
        burstMin = Math.min(burstMin, resident - 1);
    }

    /**
     * One block access, judged by the policy ({@code hit}: it was resident) and by the shadow LRU.
     * Call before the policy updates its own state for the access.
     */
    void onAccess(final long idHi, final long idLo, final long parentHi, final long parentLo, final int position,
        final boolean hit)
    {
        if (burstMin != UNKNOWN)
        {
            maximum = Math.max(1, burstMin);
            burstMin = UNKNOWN;
        }
        if (shadow.access(idHi, idLo, parentHi, parentLo, position, limit()))
        {
            windowLruHits++;
        }
        if (hit)
        {
            windowHits++;
        }
        if (maximum != UNKNOWN && ++windowAccesses >= (long)TURNOVERS * maximum)
        {
            endWindow();
        }
    }

    private void endWindow()
    {
        levelLead += windowHits - windowLruHits;
        levelMisses += windowAccesses - windowLruHits;
        final double noise = noiseScale * Math.sqrt(Math.max(1, levelMisses));
        if (levelLead < -noise)
        {
            setTrust(Math.max(0, trust - DOWN));
            windowsAtZero = 0;
        }
        else if (levelLead > noise)
        {
            setTrust(Math.min(max, trust + UP));
            backoff = 1;
        }
        else if (trust == 0 && ++windowsAtZero >= backoff)
        {
            setTrust(Math.min(max, EXPLORE));
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
}
