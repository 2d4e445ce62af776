package io.kvbm4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class TokenRingTest
{
    @Test
    void readsBackWhatWasWrittenAcrossTheWrap()
    {
        final TokenRing ring = new TokenRing(64);
        final int[] tokens = new int[48];
        for (int i = 0; i < tokens.length; i++)
        {
            tokens[i] = 1000 + i;
        }
        assertEquals(0, ring.write(tokens, 0, 40));
        final long p = ring.write(tokens, 8, 40); // 40..80: wraps at 64
        assertEquals(40, p);
        final int[] got = new int[40];
        assertTrue(ring.read(p, 40, got, 0));
        assertArrayEquals(Arrays.copyOfRange(tokens, 8, 48), got);
    }

    @Test
    void aReaderLappedByTheWriterIsToldSo()
    {
        final TokenRing ring = new TokenRing(32);
        final int[] tokens = new int[16];
        final long first = ring.write(tokens, 0, 16);
        ring.write(tokens, 0, 16);
        assertTrue(ring.read(first, 16, new int[16], 0), "exactly the capacity written since: still there");
        ring.write(tokens, 0, 1);
        assertFalse(ring.read(first, 16, new int[16], 0), "one token more overwrote the first one");
    }

    @Test
    void tokensLongerThanTheRingAreRefusedAndCounted()
    {
        final TokenRing ring = new TokenRing(16);
        assertEquals(-1, ring.write(new int[17], 0, 17));
        assertEquals(1, ring.refused());
        assertEquals(0, ring.written());
    }

    @Test
    void capacityIsAPowerOfTwo()
    {
        assertThrows(IllegalArgumentException.class, () -> new TokenRing(48));
        assertEquals(262_144, TokenRing.capacityFor(16_384L * 16));
        assertEquals(16, TokenRing.capacityFor(3));
        assertEquals(1024, TokenRing.capacityFor(1000));
    }

    /** A reader racing the writer either gets the exact tokens of its position or is told it was lapped. */
    @Test
    void aRacingReaderNeverTakesTornTokens() throws InterruptedException
    {
        final TokenRing ring = new TokenRing(64);
        final int block = 16;
        final int writes = 200_000;
        final java.util.concurrent.atomic.AtomicLong published = new java.util.concurrent.atomic.AtomicLong(-1);
        final Thread writer = new Thread(() ->
        {
            final int[] t = new int[block];
            for (int w = 0; w < writes; w++)
            {
                Arrays.fill(t, w); // every token of write w is w
                final long p = ring.write(t, 0, block);
                published.setRelease(p); // stands in for the event ring's publish
            }
        });
        writer.start();
        final int[] got = new int[block];
        long good = 0;
        long lapped = 0;
        final Random random = new Random(5);
        while (writer.isAlive() || good + lapped == 0)
        {
            final long p = published.getAcquire();
            if (p < 0)
            {
                continue;
            }
            if (random.nextInt(4) == 0)
            {
                Thread.onSpinWait();
            }
            if (ring.read(p, block, got, 0))
            {
                final int w = (int)(p / block);
                for (final int token : got)
                {
                    assertEquals(w, token, "torn read at position " + p);
                }
                good++;
            }
            else
            {
                lapped++;
            }
        }
        writer.join();
        assertTrue(good > 0, "some reads succeeded (lapped " + lapped + ")");
    }
}
