package io.kvbm4j.policy;

/** 64-bit mix of a 128-bit block id, for the policy package's hash tables (ids from traces can be small). */
final class IdHash
{
    private IdHash()
    {
    }

    static long mix(final long hi, final long lo)
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
