package io.kvbm4j.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccessHistoryTest
{
    @Test
    void estimatesNeverUnderCountAndSeparateHotFromCold()
    {
        final AccessHistory h = new AccessHistory(10_000);
        for (int i = 0; i < 5_000; i++)
        {
            h.record(0, i); // cold: once each
        }
        for (int r = 0; r < 50; r++)
        {
            h.record(1, 42); // hot
        }
        assertTrue(h.estimate(1, 42) >= 50);
        int overCounted = 0;
        for (int i = 0; i < 5_000; i++)
        {
            final int e = h.estimate(0, i);
            assertTrue(e >= 1, "never under-counts");
            if (e > 2)
            {
                overCounted++;
            }
        }
        assertTrue(overCounted < 50, "collisions inflate few estimates: " + overCounted);
        assertEquals(0, h.estimate(9, 9), "an id never seen (almost surely) reads 0");
    }

    @Test
    void agingHalvesOldPopularityAndCountersSaturate()
    {
        final AccessHistory h = new AccessHistory(64);
        for (int r = 0; r < 600; r++)
        {
            h.record(7, 7);
        }
        assertEquals(0, h.resets());
        assertEquals(255, h.estimate(7, 7), "saturates at 255");
        for (int r = 0; r < 40; r++)
        {
            h.record(7, 7);
        }
        assertEquals(1, h.resets(), "the 640th access of a 64-block history ages it");
        final int before = h.estimate(7, 7);
        assertTrue(before <= 128, "halved: " + before);
        for (int r = 0; r < 700; r++)
        {
            h.record(8, r);
        }
        assertTrue(h.estimate(7, 7) < before, "an id no longer accessed fades");
    }
}
