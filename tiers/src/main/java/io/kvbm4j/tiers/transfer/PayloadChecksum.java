package io.kvbm4j.tiers.transfer;

import org.agrona.UnsafeApi;

import net.openhft.hashing.LongHashFunction;

/**
 * The 64-bit checksum of a block payload: XXH3-64 (seed 0) over its bytes in host memory. Taken when a
 * block is written to a lower tier, verified when it is read back. Allocation-free, thread-safe.
 */
public final class PayloadChecksum
{
    private static final LongHashFunction XXH3 = LongHashFunction.xx3();

    private PayloadChecksum()
    {
    }

    /** Checksum of {@code bytes} bytes at host address {@code address}. */
    public static long of(final long address, final long bytes)
    {
        return XXH3.hashMemory(address, bytes);
    }

    /**
     * Whether the {@code bytes} bytes at host addresses {@code a} and {@code b} are equal: how a copy is checked
     * against a source whose checksum is already established (several times faster than hashing the copy).
     */
    public static boolean sameBytes(final long a, final long b, final long bytes)
    {
        long o = 0;
        final long words = bytes & ~7L;
        for (; o < words; o += 8)
        {
            if (UnsafeApi.getLong(a + o) != UnsafeApi.getLong(b + o))
            {
                return false;
            }
        }
        for (; o < bytes; o++)
        {
            if (UnsafeApi.getByte(a + o) != UnsafeApi.getByte(b + o))
            {
                return false;
            }
        }
        return true;
    }
}
