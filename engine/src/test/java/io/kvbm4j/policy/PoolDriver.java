package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvbm4j.api.Tier;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.pool.PoolInvariants;

/**
 * Drives a policy through a real {@link BlockPool} the way the replay does, one prefix walk at a time,
 * so policy tests see exactly the calls the engine makes (onAccess, onEvictable with asOldest, onRemoved,
 * onEvicted). Ids are (0, id); a request's ids are its blocks at positions 0, 1, ... Nothing is evicted
 * unless the test asks.
 */
final class PoolDriver implements AutoCloseable
{
    final BlockPool pool;
    private long tick;

    PoolDriver(final EvictionPolicy policy, final int slots)
    {
        pool = new BlockPool(Tier.G1, slots, policy);
    }

    /**
     * One request: acquires its resident prefix, registers the rest, then releases last-first.
     *
     * @return the number of leading blocks that were resident (the hit).
     */
    int request(final long... ids)
    {
        final long t = ++tick;
        final int[] held = new int[ids.length];
        int hit = 0;
        while (hit < ids.length)
        {
            final int slot = pool.lookup(0, ids[hit]);
            if (slot < 0)
            {
                break;
            }
            pool.acquire(slot, t);
            held[hit++] = slot;
        }
        for (int j = hit; j < ids.length; j++)
        {
            final int slot = pool.allocate(0, t);
            assertTrue(slot >= 0, "driver pool is full");
            pool.fill(slot, 1, 1);
            pool.complete(slot, 0, ids[j], 0, j == 0 ? 0 : ids[j - 1], j, 1);
            held[j] = pool.register(slot, t);
        }
        for (int j = ids.length - 1; j >= 0; j--)
        {
            pool.release(held[j]);
        }
        assertNull(PoolInvariants.check(pool));
        return hit;
    }

    int slot(final long id)
    {
        return pool.lookup(0, id);
    }

    /** The id the pool's policy would evict next, or -1. */
    long victimId()
    {
        final int v = pool.victim();
        return v < 0 ? -1 : pool.table().idLo(v);
    }

    /** Evicts the policy's victim and returns its id. */
    long evictVictim()
    {
        final int v = pool.victim();
        assertTrue(v >= 0, "no victim");
        final long id = pool.table().idLo(v);
        assertEquals(0, pool.evict(v));
        assertNull(PoolInvariants.check(pool));
        return id;
    }

    /** Evicts a given resident leaf. */
    void evict(final long id)
    {
        assertEquals(0, pool.evict(slot(id)));
        assertNull(PoolInvariants.check(pool));
    }

    @Override
    public void close()
    {
        pool.close();
    }
}
