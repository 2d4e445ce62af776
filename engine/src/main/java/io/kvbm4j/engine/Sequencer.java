package io.kvbm4j.engine;

import org.agrona.concurrent.EpochNanoClock;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.RingWriter;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.pool.TierPools;
import io.kvbm4j.metrics.CounterArray;

/**
 * What the serving thread's two halves (the manager's API calls and the transfers it applies) share: the
 * tier pools, the ring writer, the logical clock, the counters, and the one piece of logic both run on G1,
 * allocation with eviction. Built first, so the manager and its transfers are each constructed in one step
 * on top of it, neither calling back into the other.
 *
 * <p>Owned by the serving thread.
 */
final class Sequencer
{
    final TierPools pools;
    final BlockPool g1;
    final RingWriter writer;
    final CounterArray counters;
    final int blockTokens;
    final long maxRegistered;
    private final EpochNanoClock clock;
    private long tick;

    Sequencer(
        final TierPools pools, final RingWriter writer, final CounterArray counters, final EpochNanoClock clock,
        final int blockTokens, final long maxRegistered)
    {
        this.pools = pools;
        this.g1 = pools.get(Tier.G1);
        this.writer = writer;
        this.counters = counters;
        this.clock = clock;
        this.blockTokens = blockTokens;
        this.maxRegistered = maxRegistered;
    }

    /** The next logical tick (one per call or applied transfer). */
    long nextTick()
    {
        return ++tick;
    }

    /** Event time stamp now. */
    long now()
    {
        return clock.nanoTime();
    }

    /** Counts a refusal and returns it. */
    int fail(final int status)
    {
        switch (status)
        {
            case Status.BACK_PRESSURED:
                counters.increment(Counter.BACK_PRESSURED);
                break;
            case Status.NO_SPACE:
                counters.increment(Counter.NO_SPACE);
                break;
            case Status.INVALID_STATE:
                counters.increment(Counter.INVALID_STATE);
                break;
            case Status.INVALID_ARGUMENT:
                counters.increment(Counter.INVALID_ARGUMENT);
                break;
            default:
                break;
        }
        return status;
    }

    /** Room left in the metadata store, which is sized for {@link #maxRegistered} G1 records. */
    long registrationRoom()
    {
        return maxRegistered - g1.activeCount() - g1.inactiveCount();
    }

    /**
     * Hands out {@code n} G1 slots (PARTIAL), evicting inactive leaves when the free list is short: one
     * REMOVED run for the evictions, nothing for the private slots. All or nothing, except the documented
     * NO_SPACE of a cascade that ran into a block in use.
     */
    int allocateG1(final int n, final long requestId, final int[] slotsOut)
    {
        if (n <= 0 || n > slotsOut.length)
        {
            return n == 0 ? 0 : fail(Status.INVALID_ARGUMENT);
        }
        final int evictions = Math.max(0, n - g1.freeCount());
        // Inactive blocks bound what eviction can free: a parent becomes a candidate once its last child
        // goes, so up to `inactive` blocks can go, unless a block in use sits below one of them.
        if (evictions > g1.inactiveCount())
        {
            return fail(Status.NO_SPACE);
        }
        final long t = nextTick();
        if (evictions > 0)
        {
            if (!writer.claim(RingWriter.entriesFor(evictions)))
            {
                return fail(Status.BACK_PRESSURED);
            }
            final int evicted = evict(g1, evictions, requestId, t);
            writer.publish();
            counters.add(Counter.EVICTED_BLOCKS, evicted);
            if (evicted < evictions)
            {
                // Ran out: the remaining inactive blocks are ancestors of blocks in use. What was evicted
                // stays evicted (cached copies only, now misses).
                return fail(Status.NO_SPACE);
            }
        }
        else
        {
            writer.flushDeferred();
        }
        for (int i = 0; i < n; i++)
        {
            slotsOut[i] = g1.allocate(requestId, t);
        }
        counters.add(Counter.ALLOCATED_BLOCKS, n);
        return n;
    }

    /**
     * Evicts up to {@code count} of {@code pool}'s candidates as one REMOVED run in the current claim
     * (which must have room for it). @return how many went (fewer when candidates ran out).
     */
    int evict(final BlockPool pool, final int count, final long requestId, final long t)
    {
        writer.run(BlockEventType.REMOVED, pool.tier(), requestId, t, now());
        for (int e = 0; e < count; e++)
        {
            final int victim = pool.victim();
            if (victim < 0)
            {
                return e;
            }
            final int earned = pool.table().accessCount(victim);
            pool.evict(victim); // id fields stay readable until the slot is allocated again
            writer.add(pool.table(), victim, earned, 0, pools.otherTiers(pool, victim));
        }
        return count;
    }
}
