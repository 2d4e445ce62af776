package io.kvbm4j.torture.soak;

import org.agrona.UnsafeApi;

/**
 * Payloads derived from the block id, so a checker needs no copy of what was written: the bytes of block
 * (hi, lo) are an xorshift stream seeded from both halves of the id. A block served under the wrong id, torn,
 * stale or zeroed fails {@link #matches}.
 */
public final class BlockPayload
{
    private BlockPayload()
    {
    }

    private static long seed(final long idHi, final long idLo)
    {
        long x = idHi * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(idLo, 29) ^ 0x2545F4914F6CDD1DL;
        return x == 0 ? 1 : x;
    }

    private static long next(final long v)
    {
        long x = v;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        return x;
    }

    /** Writes block (idHi, idLo)'s payload: {@code length} bytes (a multiple of 8) at {@code address}. */
    public static void fill(final long address, final int length, final long idHi, final long idLo)
    {
        long x = seed(idHi, idLo);
        for (int p = 0; p < length; p += 8)
        {
            x = next(x);
            UnsafeApi.putLong(address + p, x);
        }
    }

    /** True if the {@code length} bytes at {@code address} are block (idHi, idLo)'s payload. */
    public static boolean matches(final long address, final int length, final long idHi, final long idLo)
    {
        long x = seed(idHi, idLo);
        for (int p = 0; p < length; p += 8)
        {
            x = next(x);
            if (UnsafeApi.getLong(address + p) != x)
            {
                return false;
            }
        }
        return true;
    }
}
