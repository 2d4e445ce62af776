package io.kvbm4j.registry;

/**
 * 64-bit mix of a 128-bit block id for the engine's hash tables (the block index, the policies' id tables
 * and sketch): ids from traces can be small integers, so both halves go through a full avalanche.
 */
public final class IdHash
{
    private IdHash()
    {
    }

    public static long mix(final long hi, final long lo)
    {
        long h = hi * 0x9E3779B97F4A7C15L ^ lo;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
