package io.kvbm4j.tiers.transfer;

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
}
