package io.kvbm4j.perf.gate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class PairedRatiosTest
{
    /** Where allocating sides put their arrays, so that the allocation cannot be optimised away. */
    private static volatile Object escaped;

    @Test
    void quantileInterpolatesBetweenTheClosestRanks()
    {
        assertEquals(2.5, PairedRatios.quantile(new double[] {4, 1, 3, 2}, 0.5), 1e-12);
        assertEquals(2.0, PairedRatios.median(new double[] {3, 1, 2}), 1e-12);
        assertEquals(1.75, PairedRatios.quantile(new double[] {1, 2, 3, 4}, 0.25), 1e-12);
    }

    @Test
    void allocationIsCountedExactlyPerInvocationAndHelpersAreLeftOut() throws Exception
    {
        // A side that allocates one long[2] per call (16-byte header + 16 bytes: 32 bytes with the
        // default compressed class pointers), and one that allocates only in its untimed helper.
        final Side allocating = Side.of("Test.allocating", 1, () ->
        {
            final long[] a = new long[2];
            escaped = a;
            return a.length;
        });
        final Side clean = new Side()
        {
            private int calls;

            @Override
            public String name()
            {
                return "Test.clean";
            }

            @Override
            public int opsPerInvocation()
            {
                return 1;
            }

            @Override
            public void before()
            {
                escaped = new long[8]; // a helper's allocation: not the benchmark's
            }

            @Override
            public int invoke()
            {
                return ++calls;
            }
        };
        final GatePairs.Group group = new GatePairs.Group("test", List.of(allocating, clean),
            List.of(new GatePairs.Pair(allocating, clean)), () -> { });

        final String json = new PairedRatios().run(group, new PairedRatios.Schedule(200, 200, 9, 5));

        assertEquals(32.0, PairedRatios.median(field(json, "Test.allocating", "allocBytesPerInvocation")), 0.0);
        assertEquals(0.0, PairedRatios.median(field(json, "Test.clean", "allocBytesPerInvocation")), 0.0);
        assertTrue(json.contains("\"Test.allocating/clean\""), json);
    }

    /** The per-round array {@code key} of side {@code side} in PairedRatios' JSON. */
    private static double[] field(final String json, final String side, final String key)
    {
        final int at = json.indexOf("\"" + side + "\": {");
        assertTrue(at >= 0, side + " not in " + json);
        final Matcher m = Pattern.compile("\"" + key + "\": \\[([^]]*)]").matcher(json);
        assertTrue(m.find(at), key + " not found for " + side);
        return Arrays.stream(m.group(1).split(",")).mapToDouble(v -> Double.parseDouble(v.trim())).toArray();
    }
}
