package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LfudaEvictionPolicyTest
{
    @Test
    void evictsTheLeastFrequentlyAccessedLeaf()
    {
        try (PoolDriver d = new PoolDriver(new LfudaEvictionPolicy(16), 16))
        {
            d.request(1);
            d.request(2);
            d.request(1);
            d.request(1);
            assertEquals(2, d.victimId());
        }
    }

    @Test
    void equalKeysGoLeastRecentlyAccessedFirst()
    {
        try (PoolDriver d = new PoolDriver(new LfudaEvictionPolicy(16), 16))
        {
            d.request(3);
            d.request(1);
            d.request(2);
            assertEquals(3, d.evictVictim());
            assertEquals(1, d.evictVictim());
        }
    }

    @Test
    void ageRisesToEachEvictedKeySoNewBlocksCatchUpWithStalePopularOnes()
    {
        final LfudaEvictionPolicy lfuda = new LfudaEvictionPolicy(16);
        try (PoolDriver d = new PoolDriver(lfuda, 16))
        {
            d.request(1);
            d.request(1);
            d.request(1);                 // K(1) = 3
            d.request(2);                 // K(2) = 0 + 1
            assertEquals(2, d.evictVictim());
            assertEquals(1.0, lfuda.age());
            d.request(3);                 // K(3) = 1 + 1
            assertEquals(3, d.evictVictim());
            assertEquals(2.0, lfuda.age());
            d.request(4);                 // K(4) = 2 + 1 = K(1): the older one goes
            assertEquals(1, d.victimId());
        }
    }

    @Test
    void aReusedSlotStartsItsCountFromZero()
    {
        try (PoolDriver d = new PoolDriver(new LfudaEvictionPolicy(2), 2))
        {
            for (int i = 0; i < 5; i++)
            {
                d.request(1);
            }
            d.evict(1);                   // age is now 5
            d.request(2);                 // takes the freed slot: K = 5 + 1, not 5 + 6
            d.request(3);
            d.request(3);                 // K(3) = 5 + 2
            assertEquals(2, d.victimId());
        }
    }
}
