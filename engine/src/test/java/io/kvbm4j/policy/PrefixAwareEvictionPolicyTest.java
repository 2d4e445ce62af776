package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PrefixAwareEvictionPolicyTest
{
    private static final int PROVEN = 2;
    private static final int BRANCH = 1;

    @Test
    void startsAsLruEvictingTheLeastRecentlyAccessedLeafUntilItHasEarnedTrust()
    {
        final long seed = 77L;
        final Random rnd = new Random(seed);
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(256);
        final Map<Long, Long> lastAccess = new HashMap<>();
        long clock = 0;
        int checked = 0;
        try (PoolDriver d = new PoolDriver(p, 256))
        {
            for (int r = 0; r < 300; r++)
            {
                final long[] ids = new long[1 + rnd.nextInt(4)];
                ids[0] = rnd.nextInt(12);
                for (int j = 1; j < ids.length; j++)
                {
                    ids[j] = ids[j - 1] * 31 + rnd.nextInt(3);
                }
                d.request(ids);
                for (final long id : ids)
                {
                    lastAccess.put(id, ++clock);      // the pool accesses a walk root first
                }
                while (d.pool.inactiveCount() > 24)
                {
                    if (p.trust() > 0)
                    {
                        assertTrue(checked >= 10, "seed " + seed + ": only " + checked + " evictions checked");
                        return;
                    }
                    checked++;
                    long oldest = -1;
                    for (int s = 0; s < 256; s++)
                    {
                        if (p.contains(s) && (oldest < 0 ||
                            lastAccess.get(d.pool.table().idLo(s)) < lastAccess.get(oldest)))
                        {
                            oldest = d.pool.table().idLo(s);
                        }
                    }
                    assertEquals(oldest, d.evictVictim(), "seed " + seed + " request " + r);
                }
            }
            assertTrue(checked >= 10, "seed " + seed);
        }
    }

    @Test
    void aBlockWithTwoDistinctChildrenIsABranchPoint()
    {
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(16);
        try (PoolDriver d = new PoolDriver(p, 16))
        {
            d.request(1, 2);
            assertEquals(0, p.classOfSlot(d.slot(1)) & BRANCH);
            d.request(1, 3);
            assertEquals(BRANCH, p.classOfSlot(d.slot(1)) & BRANCH);
            assertEquals(0, p.classOfSlot(d.slot(3)) & BRANCH);
        }
    }

    @Test
    void aHitOrAReturnFromTheGhostHistoryProvesABlock()
    {
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(16);
        try (PoolDriver d = new PoolDriver(p, 16))
        {
            d.request(1);
            d.request(2);
            assertEquals(0, p.classOfSlot(d.slot(1)) & PROVEN);
            d.request(1);
            assertEquals(PROVEN, p.classOfSlot(d.slot(1)) & PROVEN);
            d.evict(2);
            d.request(2);                          // back from the ghost history
            assertEquals(PROVEN, p.classOfSlot(d.slot(2)) & PROVEN);
            d.request(3);
            assertEquals(0, p.classOfSlot(d.slot(3)) & PROVEN);
        }
    }

    @Test
    void anExposedParentRanksByItsOwnLastAccessNotAsOldest()
    {
        try (PoolDriver prefix = new PoolDriver(new PrefixAwareEvictionPolicy(16), 16);
            PoolDriver lru = new PoolDriver(new LruEvictionPolicy(16), 16))
        {
            for (final PoolDriver d : new PoolDriver[] {prefix, lru})
            {
                d.request(3);
                d.request(1, 2);
                d.evict(2);                        // exposes 1, used after 3
            }
            assertEquals(1, lru.victimId(), "the reference LRU ranks the exposed parent oldest");
            assertEquals(3, prefix.victimId(), "3 was used before 1");
        }
    }

    @Test
    void everyCandidateIsInExactlyOneClassHeapAcrossSlotReuse()
    {
        final long seed = 5L;
        final Random rnd = new Random(seed);
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(64);
        try (PoolDriver d = new PoolDriver(p, 64))
        {
            for (int r = 0; r < 2000; r++)
            {
                final int n = 1 + rnd.nextInt(5);
                final long[] ids = new long[n];
                ids[0] = rnd.nextInt(6);
                for (int j = 1; j < n; j++)
                {
                    ids[j] = ids[j - 1] * 7 + 1 + rnd.nextInt(3);
                }
                d.request(ids);
                while (d.pool.inactiveCount() > 32)
                {
                    d.evictVictim();               // the driver checks PoolInvariants, incl. contains()
                }
                assertTrue(p.trust() >= 0 && p.trust() <= 1, "seed " + seed);
            }
        }
    }
}
