package io.kvbm4j.gds.disk;

import org.agrona.concurrent.UnsafeBuffer;

/** Deterministic test payloads: the bytes of block i are a function of i, so a wrong block is visible. */
final class Blocks
{
    static final long SALT = 0x5A17L;

    private Blocks()
    {
    }

    static long idHi(final long i)
    {
        return 0x1000_0000_0000_0000L | i;
    }

    /** Inverse of {@link #idHi}. */
    static long number(final long idHi)
    {
        return idHi & ~0x1000_0000_0000_0000L;
    }

    static long idLo(final long i)
    {
        return i * 0x9E3779B97F4A7C15L + 1;
    }

    /** Length of block i's payload, between min and max, not a multiple of 4 KiB in general. */
    static int length(final long i, final int max)
    {
        return max / 2 + Math.floorMod(i * 7919, max / 2);
    }

    static void fill(final UnsafeBuffer b, final long i, final int length)
    {
        long x = i * 0x2545F4914F6CDD1DL + 0x1234567L;
        int p = 0;
        for (; p + 8 <= length; p += 8)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.putLong(p, x);
        }
        for (; p < length; p++)
        {
            b.putByte(p, (byte)(i + p));
        }
    }

    /** True if the first {@code length} bytes of {@code b} are block i's payload. */
    static boolean matches(final UnsafeBuffer b, final long i, final int length, final UnsafeBuffer scratch)
    {
        fill(scratch, i, length);
        for (int p = 0; p < length; p++)
        {
            if (b.getByte(p) != scratch.getByte(p))
            {
                return false;
            }
        }
        return true;
    }
}
