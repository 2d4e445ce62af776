package io.kvbm4j.observe.events;

import java.util.concurrent.atomic.AtomicLongArray;

import io.kvbm4j.api.Tier;

/**
 * Blocks resident in each tier, as the event stream says (stored minus removed), and the blocks stored and
 * removed per tier. Written by the ring handler thread (release stores), read by any thread (the metrics).
 */
public final class ResidencyCounts implements KvEventSink
{
    private static final int TIERS = Tier.values().length;
    private final AtomicLongArray stored = new AtomicLongArray(TIERS);
    private final AtomicLongArray removed = new AtomicLongArray(TIERS);

    @Override
    public void stored(
        final Tier tier, final long[] idHi, final long[] idLo, final int n, final boolean hasParent,
        final long parentHi, final long parentLo, final int[] tokens, final int tokenCount, final long timeNanos)
    {
        final int i = tier.ordinal();
        stored.setRelease(i, stored.getPlain(i) + n);
    }

    @Override
    public void removed(final Tier tier, final long[] idHi, final long[] idLo, final int n, final long timeNanos)
    {
        final int i = tier.ordinal();
        removed.setRelease(i, removed.getPlain(i) + n);
    }

    @Override
    public void cleared(final long timeNanos)
    {
        for (int i = 0; i < TIERS; i++)
        {
            removed.setRelease(i, stored.getPlain(i));
        }
    }

    public long resident(final Tier tier)
    {
        final long r = removed.getAcquire(tier.ordinal());
        return stored.getAcquire(tier.ordinal()) - r;
    }

    public long storedBlocks(final Tier tier)
    {
        return stored.getAcquire(tier.ordinal());
    }

    public long removedBlocks(final Tier tier)
    {
        return removed.getAcquire(tier.ordinal());
    }
}
