package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WTinyLfuEvictionPolicyTest
{
    /** Ten one-block requests: all in the window, nothing evicted yet. */
    private static void fill(final PoolDriver d)
    {
        for (long id = 1; id <= 10; id++)
        {
            d.request(id);
        }
    }

    @Test
    void windowOverflowEntersProbationForFreeWhileTheMainSpaceHasRoom()
    {
        final WTinyLfuEvictionPolicy p = new WTinyLfuEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            fill(d);
            d.victimId();
            for (long id = 1; id <= WTinyLfuEvictionPolicy.MAX_TRANSFERS_PER_CALL; id++)
            {
                assertEquals(WTinyLfuEvictionPolicy.PROBATION, p.segmentOf(d.slot(id)), "block " + id);
            }
            assertEquals(WTinyLfuEvictionPolicy.WINDOW, p.segmentOf(d.slot(10)));
        }
    }

    @Test
    void aNewBlockWithoutHistoryDoesNotDisplaceAnEquallyFrequentAdmittedOne()
    {
        final WTinyLfuEvictionPolicy p = new WTinyLfuEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            fill(d);
            // 1..4 are admitted for free; 5, the window's least recent, contests 1 and loses the tie.
            assertEquals(5, d.evictVictim());
        }
    }

    /** Requests 1..10 trimmed to 8 blocks as the replay trims: the pool's limit is learnt, main is full. */
    private static void steadyState(final PoolDriver d)
    {
        for (long id = 1; id <= 10; id++)
        {
            d.request(id);
            while (d.pool.inactiveCount() > 8)
            {
                d.evictVictim();
            }
        }
    }

    @Test
    void onceTheMainSpaceIsFullTiesGoAgainstTheNewcomer()
    {
        final WTinyLfuEvictionPolicy p = new WTinyLfuEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            steadyState(d);
            d.request(11);
            assertEquals(11, d.evictVictim(), "11 contests the probation head 1 with equal frequency");
        }
    }

    @Test
    void aFrequentNewcomerIsAdmittedAndTheColdMainVictimGoes()
    {
        final WTinyLfuEvictionPolicy p = new WTinyLfuEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            steadyState(d);
            d.request(11);
            d.request(11);                 // a hit keeps 11 in the window, seen twice
            assertEquals(1, d.evictVictim());
            assertEquals(WTinyLfuEvictionPolicy.PROBATION, p.segmentOf(d.slot(11)));
        }
    }

    @Test
    void aHitInProbationPromotesToProtected()
    {
        final WTinyLfuEvictionPolicy p = new WTinyLfuEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            fill(d);
            d.victimId();
            assertEquals(WTinyLfuEvictionPolicy.PROBATION, p.segmentOf(d.slot(2)));
            d.request(2);
            assertEquals(WTinyLfuEvictionPolicy.PROTECTED, p.segmentOf(d.slot(2)));
        }
    }

    @Test
    void theSketchRemembersEvictedBlocksSoAReturningOneIsAdmitted()
    {
        final WTinyLfuEvictionPolicy p = new WTinyLfuEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            d.request(20);
            d.request(20);
            d.evict(20);                   // gone from the pool, still counted twice in the sketch
            steadyState(d);
            d.request(20);
            assertEquals(1, d.evictVictim());
            assertEquals(WTinyLfuEvictionPolicy.PROBATION, p.segmentOf(d.slot(20)));
        }
    }
}
