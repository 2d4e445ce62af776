package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BlockIdSetTest
{
    @Test
    void countsDistinctIdsExactlyAcrossGrowthLikeAHashSet()
    {
        final SplittableRandom random = new SplittableRandom(11);
        final BlockIdSet set = new BlockIdSet(4);
        final Set<List<Long>> reference = new HashSet<>();
        for (int i = 0; i < 50_000; i++)
        {
            // Small integers as well as hashes: trace ids can be 1, 2, 3 ...
            final long hi = random.nextInt(4) == 0 ? random.nextInt(8) : random.nextLong();
            final long lo = random.nextInt(2) == 0 ? random.nextInt(20_000) : random.nextLong();
            assertEquals(reference.add(List.of(hi, lo)), set.add(hi, lo), "add #" + i);
        }
        assertEquals(reference.size(), set.size());
    }

    @Test
    void theZeroIdIsAnIdLikeAnyOther()
    {
        final BlockIdSet set = new BlockIdSet(0);
        assertTrue(set.add(0, 0));
        assertFalse(set.add(0, 0));
        assertTrue(set.add(0, 1));
        assertTrue(set.add(1, 0));
        assertEquals(3, set.size());
    }
}
