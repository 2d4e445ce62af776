package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LruEvictionPolicyTest
{
    @Test
    void victimIsTheLeastRecentlyAddedAndAsOldestJumpsTheQueue()
    {
        final LruEvictionPolicy lru = new LruEvictionPolicy(8);
        lru.onEvictable(3, false);
        lru.onEvictable(5, false);
        lru.onEvictable(1, false);
        assertEquals(3, lru.victim());
        lru.onRemoved(3);
        assertEquals(5, lru.victim());
        lru.onEvictable(7, true);
        assertEquals(7, lru.victim());
        lru.onRemoved(5);
        lru.onRemoved(7);
        assertEquals(1, lru.victim());
        lru.onRemoved(1);
        assertEquals(-1, lru.victim());
        assertEquals(0, lru.size());
        assertFalse(lru.contains(1));
    }

    @Test
    void doubleInsertOrRemoveIsABug()
    {
        final LruEvictionPolicy lru = new LruEvictionPolicy(4);
        lru.onEvictable(2, false);
        assertThrows(IllegalStateException.class, () -> lru.onEvictable(2, false));
        lru.onRemoved(2);
        assertThrows(IllegalStateException.class, () -> lru.onRemoved(2));
    }
}
