package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

class NextUseEvictionPolicyTest
{
    @Test
    void withoutTrustItEvictsExactlyWhatLruEvicts()
    {
        final long seed = 91L;
        final Random rnd = new Random(seed);
        final NextUseEvictionPolicy p = new NextUseEvictionPolicy(256, 0);
        int checked = 0;
        try (PoolDriver d = new PoolDriver(p, 256); PoolDriver lru = new PoolDriver(new LruEvictionPolicy(256), 256))
        {
            for (int r = 0; r < 400 && p.trust() == 0; r++)
            {
                final long[] ids = randomWalk(rnd);
                assertEquals(lru.request(ids), d.request(ids), "seed " + seed + " request " + r);
                while (d.pool.inactiveCount() > 24 && p.trust() == 0)
                {
                    assertEquals(lru.evictVictim(), d.evictVictim(), "seed " + seed + " request " + r);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 10, "seed " + seed + ": only " + checked + " evictions checked");
    }

    @Test
    void blocksWalkedMoreOftenLearnAHigherReuseProbabilityAndOutliveOlderOnceUsedOnes()
    {
        final NextUseEvictionPolicy p = new NextUseEvictionPolicy(4096);
        try (PoolDriver d = new PoolDriver(p, 4096))
        {
            final long first = 100_000;
            long oneOff = first;
            for (int round = 0; round < 400; round++) // 1,200 accesses: past the first refit (1,024)
            {
                d.request(1 + round % 4);          // four hot blocks, walked every fourth request
                d.request(oneOff++);               // and a stream of blocks nobody walks again
                d.request(oneOff++);
            }
            assertTrue(p.reuseProbability(3) > 0.9, "hot class: " + p.reuseProbability(3));
            assertTrue(p.reuseProbability(0) < 0.05, "once-used class: " + p.reuseProbability(0));
            for (long id = first; id < oneOff; id++)
            {
                d.evict(id);
            }
            d.request(1);
            assertEquals(3, p.classOfSlot(d.slot(1)));
            final long once = oneOff++;
            d.request(once);
            d.request(oneOff++);
            d.request(oneOff++);
            d.request(oneOff++);
            d.request(2);
            d.request(3);
            d.request(4);
            // LRU would evict block 1 (4 stores old); the once-used block, 3 stores old, is expected later
            assertTrue(p.estimatedTimeToNextUse(d.slot(once)) > p.estimatedTimeToNextUse(d.slot(1)));
            assertEquals(once, d.victimId(), "the block expected to be needed last goes first");
        }
    }

    @Test
    void anEvictedBlockThatComesBackKeepsItsReuseClass()
    {
        final NextUseEvictionPolicy p = new NextUseEvictionPolicy(16);
        try (PoolDriver d = new PoolDriver(p, 16))
        {
            d.request(1);
            assertEquals(0, p.classOfSlot(d.slot(1)));
            d.request(1);
            assertEquals(1, p.classOfSlot(d.slot(1)));
            d.request(1);
            assertEquals(2, p.classOfSlot(d.slot(1)));
            d.request(2);
            d.evict(1);
            d.request(1);                          // back from the eviction history: 3 walks before, 4 now
            assertEquals(2, p.classOfSlot(d.slot(1)));
            d.request(1);
            assertEquals(3, p.classOfSlot(d.slot(1)));
            d.request(3);
            assertEquals(0, p.classOfSlot(d.slot(3)));
        }
    }

    @Test
    void aLiveConversationNextToStaleReusedBlocksCostsAtMostThreePercentOfLrusHits()
    {
        // Conversations whose newest turn (walked once) is what the next turn reuses, next to blocks that
        // were walked twice and are never used again: a fixed "more walks first" order would lose here.
        final int resident = 64;
        final NextUseEvictionPolicy p = new NextUseEvictionPolicy(2 * resident);
        long hits = 0;
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
                    grown[grown.length - 1] = next++;
                    turns[c] = grown;
                    hits += d.request(grown);
                    lruHits += lru.request(grown);
                    for (final PoolDriver x : new PoolDriver[] {d, lru})
                    {
                        while (x.pool.inactiveCount() > resident)
                        {
                            x.evictVictim();
                        }
                    }
                }
            }
        }
        assertTrue(hits >= 0.97 * lruHits, "nextuse " + hits + " hits, LRU " + lruHits);
    }

    @Test
    void theCandidateSetFollowsThePoolAcrossSlotReuseAndRejectsDoubleCalls()
    {
        final long seed = 5L;
        final Random rnd = new Random(seed);
        final NextUseEvictionPolicy p = new NextUseEvictionPolicy(128);
        try (PoolDriver d = new PoolDriver(p, 128))
        {
            for (int r = 0; r < 2000; r++)
            {
                d.request(randomWalk(rnd));
                while (d.pool.inactiveCount() > 40)
                {
                    d.evictVictim();
                }
                int members = 0;
                for (int s = 0; s < 128; s++)
                {
                    members += p.contains(s) ? 1 : 0;
                }
                assertEquals(p.size(), members, "seed " + seed + " request " + r);
                assertEquals(d.pool.evictableCount(), p.size(), "seed " + seed + " request " + r);
            }
            final int v = d.pool.victim();
            assertThrows(IllegalStateException.class, () -> p.onEvictable(v, false));
            p.onRemoved(v);
            assertThrows(IllegalStateException.class, () -> p.onRemoved(v));
            p.onEvictable(v, true);
        }
    }

    private static long[] randomWalk(final Random rnd)
    {
        final long[] ids = new long[1 + rnd.nextInt(4)];
        ids[0] = rnd.nextInt(40);
        for (int j = 1; j < ids.length; j++)
        {
            ids[j] = ids[j - 1] * 31 + rnd.nextInt(3);
        }
        return ids;
    }
}
