package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

class PrefixAwareEvictionPolicyTest
{
    @Test
    void withoutTrustItEvictsTheLeastRecentlyAccessedLeaf()
    {
        final long seed = 77L;
        final Random rnd = new Random(seed);
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(256, 0);
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
    void aTrustedPolicyEvictsAnUnprovenLeafBeforeAnOlderProvenOne()
    {
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(16);
        try (PoolDriver d = new PoolDriver(p, 16))
        {
            d.request(1);
            d.request(1);                          // walked again: proven
            d.request(10);
            d.request(11);
            d.request(12);
            d.request(13);
            // LRU's victim would be block 1, the least recently used
            assertEquals(10, p.trust() > 0 ? d.victimId() : -1, "the oldest unproven leaf goes first");
            d.evictVictim();
            assertEquals(11, d.victimId());
        }
    }

    @Test
    void anUnprovenLeafMuchYoungerThanLrusVictimIsKept()
    {
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(32);
        try (PoolDriver d = new PoolDriver(p, 32))
        {
            for (long id = 1; id <= 9; id++)
            {
                d.request(id);
                d.request(id);
            }
            d.request(50);                         // age 0; LRU's victim (block 1) has age 8 stores
            assertEquals(1, d.victimId(), "a quarter of LRU's victim's age is the least an unproven victim has");
            d.request(51);
            d.request(52);
            assertEquals(1, d.victimId(), "age 2 of 11: still too young");
            d.request(53);
            assertEquals(50, d.victimId(), "age 3 of 12: old enough");
        }
    }

    @Test
    void losingToTheShadowLruLowersTrustAndBoundsTheLoss()
    {
        // Conversations whose newest turn (unproven) is what the next turn reuses, next to proven blocks
        // that are never used again: the proven-first order loses, the guard must notice.
        final int resident = 64;
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(2 * resident);
        double lowest = p.trust();
        long prefixHits = 0;
        long lruHits = 0;
        try (PoolDriver d = new PoolDriver(p, 2 * resident);
            PoolDriver lru = new PoolDriver(new LruEvictionPolicy(2 * resident), 2 * resident))
        {
            for (long id = 1; id <= 48; id++)
            {
                for (final PoolDriver x : new PoolDriver[] {d, lru})
                {
                    x.request(id);
                    x.request(id);
                }
            }
            final int conversations = 12;
            final long[][] turns = new long[conversations][0];
            long next = 1000;
            for (int turn = 0; turn < 200; turn++)
            {
                for (int c = 0; c < conversations; c++)
                {
                    final long[] grown = turns[c].length == 6 ? new long[1] :
                        java.util.Arrays.copyOf(turns[c], turns[c].length + 1);
                    grown[grown.length - 1] = next++;   // a new turn; after six, a new conversation
                    turns[c] = grown;
                    prefixHits += d.request(grown);
                    lruHits += lru.request(grown);
                    for (final PoolDriver x : new PoolDriver[] {d, lru})
                    {
                        while (x.pool.inactiveCount() > resident)
                        {
                            x.evictVictim();
                        }
                    }
                    lowest = Math.min(lowest, p.trust());
                }
            }
        }
        assertTrue(lowest < PrefixAwareEvictionPolicy.TRUST_MAX, "trust never fell though the order lost");
        assertTrue(prefixHits >= 0.97 * lruHits, "prefix " + prefixHits + " hits, LRU " + lruHits);
    }

    @Test
    void aHitOrAReturnFromTheGhostHistoryProvesABlock()
    {
        final PrefixAwareEvictionPolicy p = new PrefixAwareEvictionPolicy(16);
        try (PoolDriver d = new PoolDriver(p, 16))
        {
            d.request(1);
            d.request(2);
            assertEquals(PrefixAwareEvictionPolicy.UNPROVEN, p.classOfSlot(d.slot(1)));
            d.request(1);
            assertEquals(PrefixAwareEvictionPolicy.PROVEN, p.classOfSlot(d.slot(1)));
            d.evict(2);
            d.request(2);                          // back from the ghost history
            assertEquals(PrefixAwareEvictionPolicy.PROVEN, p.classOfSlot(d.slot(2)));
            d.request(3);
            assertEquals(PrefixAwareEvictionPolicy.UNPROVEN, p.classOfSlot(d.slot(3)));
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
                assertTrue(p.trust() >= 0 && p.trust() <= PrefixAwareEvictionPolicy.TRUST_MAX, "seed " + seed);
            }
        }
    }
}
