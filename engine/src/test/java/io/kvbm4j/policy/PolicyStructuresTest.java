package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The building blocks of the policies: heap, id table, ghost history, shadow LRU, frequency sketch. */
class PolicyStructuresTest
{
    @Test
    void heapYieldsMembersByKeyThenTieAndSurvivesRemovalsFromTheMiddle()
    {
        final long seed = 20240611L;
        final Random rnd = new Random(seed);
        final SlotHeap heap = new SlotHeap(200);
        final List<Integer> members = new ArrayList<>();
        for (int s = 0; s < 200; s++)
        {
            heap.add(s, rnd.nextInt(20), rnd.nextInt(1000));
            members.add(s);
        }
        for (int i = 0; i < 60; i++)
        {
            final int s = members.remove(rnd.nextInt(members.size()));
            heap.remove(s);
            assertFalse(heap.contains(s));
        }
        members.sort(Comparator.<Integer>comparingDouble(heap::key).thenComparingLong(heap::tie));
        for (final int expected : members)
        {
            final int top = heap.peek();
            assertEquals(heap.key(expected), heap.key(top), "seed " + seed);
            assertEquals(heap.tie(expected), heap.tie(top), "seed " + seed);
            heap.remove(top);
        }
        assertEquals(-1, heap.peek());
        assertEquals(0, heap.size());
    }

    @Test
    void heapRejectsDoubleInsertAndRemovalOfNonMembers()
    {
        final SlotHeap heap = new SlotHeap(4);
        heap.add(1, 1, 1);
        assertThrows(IllegalStateException.class, () -> heap.add(1, 2, 2));
        heap.remove(1);
        assertThrows(IllegalStateException.class, () -> heap.remove(1));
    }

    @Test
    void idEntriesFindWhatWasPutAndForgetWhatWasRemovedUnderCollisions()
    {
        final IdEntries ids = new IdEntries(64);
        for (int e = 0; e < 64; e++)
        {
            ids.put(e, e % 3, 1000 + e);
        }
        for (int e = 0; e < 64; e += 2)
        {
            ids.remove(e);
        }
        for (int e = 0; e < 64; e++)
        {
            assertEquals(e % 2 == 0 ? -1 : e, ids.find(e % 3, 1000 + e));
        }
    }

    @Test
    void ghostHistoryForgetsOldestFirstAndSkipsEntriesThatCameBack()
    {
        final GhostHistory ghost = new GhostHistory(3);
        ghost.add(0, 1, 0, 10);
        ghost.add(0, 2, 1, 20);
        ghost.add(0, 3, 2, 30);
        assertTrue(ghost.isFull());
        final int two = ghost.find(0, 2);
        assertEquals(1, ghost.cls(two));
        assertEquals(20, ghost.stamp(two));
        ghost.remove(two);
        assertEquals(2, ghost.live());
        final int first = ghost.pollOldest();
        assertEquals(0, ghost.cls(first));
        assertEquals(10, ghost.stamp(first));
        assertEquals(-1, ghost.find(0, 1));
        assertEquals(-1, ghost.pollOldest(), "the entry that came back is skipped");
        ghost.add(0, 4, 3, 40);
        assertEquals(2, ghost.live());
        assertTrue(ghost.find(0, 3) >= 0);
        assertTrue(ghost.find(0, 4) >= 0);
    }

    @Test
    void shadowLruHitsOnlyAlongAResidentPrefixAndEvictsTheDeepestOldBlockFirst()
    {
        final ShadowLru lru = new ShadowLru(8);
        assertFalse(walk(lru, 4, 1, 2, 3)[0]);
        assertTrue(allHit(walk(lru, 4, 1, 2, 3)));
        walk(lru, 4, 7);            // 4 ids now: 1,2,3 and 7; the next new id trims the oldest
        walk(lru, 4, 8);            // evicts 3: within a walk ancestors are newer than descendants
        final boolean[] again = walk(lru, 4, 1, 2, 3);
        assertTrue(again[0] && again[1]);
        assertFalse(again[2]);
        assertEquals(4, lru.size());
    }

    @Test
    void shadowLruCountsNoHitBelowAMissingParent()
    {
        final ShadowLru lru = new ShadowLru(8);
        walk(lru, 8, 1, 2);
        final boolean[] first = walk(lru, 8, 5, 2);
        assertFalse(first[1], "2 is cached, but its parent in this walk missed");
        assertTrue(allHit(walk(lru, 8, 5, 2)));
    }

    private static boolean[] walk(final ShadowLru lru, final int limit, final long... ids)
    {
        final boolean[] hits = new boolean[ids.length];
        for (int j = 0; j < ids.length; j++)
        {
            hits[j] = lru.access(0, ids[j], 0, j == 0 ? 0 : ids[j - 1], j, limit);
        }
        return hits;
    }

    private static boolean allHit(final boolean[] hits)
    {
        for (final boolean h : hits)
        {
            if (!h)
            {
                return false;
            }
        }
        return true;
    }

    @Test
    void sketchNeverUnderestimatesSaturatesAtFifteenAndHalvesWhenTheSampleIsFull()
    {
        final FrequencySketch sketch = new FrequencySketch(64);
        for (int i = 0; i < 5; i++)
        {
            sketch.increment(0, 42);
        }
        assertTrue(sketch.frequency(0, 42) >= 5);
        for (int i = 0; i < 20; i++)
        {
            sketch.increment(0, 7);
        }
        assertEquals(15, sketch.frequency(0, 7));
        sketch.halve();
        assertEquals(7, sketch.frequency(0, 7));
        final FrequencySketch small = new FrequencySketch(16);
        small.sampleSize(16);
        for (int i = 0; i < 16; i++)
        {
            small.increment(0, i);
        }
        assertTrue(small.frequency(0, 3) <= 1, "counters were halved after 16 increments");
    }
}
