package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServingTimelineTest
{
    @Test
    void windowsAre500RequestsWidenedForLongRunsAndATenthOfShortOnes()
    {
        assertEquals(500, ServingTimeline.windowFor(16_000));
        assertEquals(500, ServingTimeline.windowFor(5_000));
        assertEquals(500, ServingTimeline.windowFor(500_000));
        assertEquals(1_000, ServingTimeline.windowFor(500_001));
        assertEquals(499, ServingTimeline.windowFor(4_999));
        assertEquals(20, ServingTimeline.windowFor(200));
        assertEquals(1, ServingTimeline.windowFor(3));
        for (final long n : new long[] {1, 9, 10, 4_999, 5_000, 123_457, 10_000_000, Long.MAX_VALUE / 2})
        {
            final long windows = (n + ServingTimeline.windowFor(n) - 1) / ServingTimeline.windowFor(n);
            assertTrue(windows >= 1 && windows <= ServingTimeline.MAX_WINDOWS, n + " requests: " + windows);
        }
    }

    @Test
    void windowRatesAreDifferencesOfTheRunningTotalsAndExtraSamplesAreDropped()
    {
        final ServingTimeline t = new ServingTimeline(30); // windows of 3: 10 samples
        t.sample(3, 10, 5, 0);
        t.sample(6, 30, 5, 7);
        for (int i = 3; i <= 10; i++)
        {
            t.sample(3L * i, 30 + i, 5, 7);
        }
        t.sample(33, 100, 100, 100); // past the plan
        assertEquals(10, t.size());
        assertEquals(0.5, t.windowHitRate(0));
        assertEquals(0.0, t.windowHitRate(1));
        assertEquals(5.0 / 30, t.cumulativeHitRate(1));
        assertEquals(7, t.windowEvictions(1));
        assertEquals(0, t.windowEvictions(2));
        assertEquals(30, t.requests(9));
    }
}
