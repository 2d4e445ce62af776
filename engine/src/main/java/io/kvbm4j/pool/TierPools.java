package io.kvbm4j.pool;

import io.kvbm4j.api.Tier;

/**
 * The pools of every configured tier, by {@link Tier}: what the serving thread knows of residency. A tier
 * that is not configured has no pool; a new tier is one more entry, not a special case.
 *
 * <p>Owned by the serving thread, like the pools.
 */
public final class TierPools
{
    private static final Tier[] TIERS = Tier.values();
    private final BlockPool[] pools = new BlockPool[TIERS.length];
    private final int present;

    /** @param pools the configured pools (nulls ignored); each goes under its own tier. */
    public TierPools(final BlockPool... pools)
    {
        int bits = 0;
        for (final BlockPool pool : pools)
        {
            if (pool != null)
            {
                if (this.pools[pool.tier().ordinal()] != null)
                {
                    throw new IllegalArgumentException("two pools for " + pool.tier());
                }
                this.pools[pool.tier().ordinal()] = pool;
                bits |= pool.tier().bit();
            }
        }
        this.present = bits;
    }

    /** The pool of {@code tier}, or null when that tier is not configured. */
    public BlockPool get(final Tier tier)
    {
        return pools[tier.ordinal()];
    }

    /**
     * Residency bits ({@link Tier#bit()}) of the tiers other than {@code except} whose pool has the block
     * registered: one index probe per other configured tier.
     */
    public int otherTiers(final long hi, final long lo, final Tier except)
    {
        int bits = 0;
        for (int t = 0; t < pools.length; t++)
        {
            final BlockPool pool = pools[t];
            if (pool != null && t != except.ordinal() && pool.lookup(hi, lo) >= 0)
            {
                bits |= 1 << t;
            }
        }
        return bits;
    }

    /** {@link #otherTiers(long, long, Tier)} for the block at {@code slot} of {@code pool}. */
    public int otherTiers(final BlockPool pool, final int slot)
    {
        if ((present & ~pool.tier().bit()) == 0)
        {
            return 0;
        }
        return otherTiers(pool.table().idHi(slot), pool.table().idLo(slot), pool.tier());
    }
}
