package io.kvbm4j.identity;

/**
 * A 128-bit salt mixed into every block id, so that blocks of different models, dtypes, block sizes,
 * layouts, tenants or LoRA adapters never share an id. Made by {@link SaltRecord#salt(HashAlgorithm)}.
 * Immutable.
 */
public final class Salt
{
    private final long hi;
    private final long lo;

    public Salt(final long hi, final long lo)
    {
        this.hi = hi;
        this.lo = lo;
    }

    public long hi()
    {
        return hi;
    }

    public long lo()
    {
        return lo;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof Salt && ((Salt)o).hi == hi && ((Salt)o).lo == lo;
    }

    @Override
    public int hashCode()
    {
        return Long.hashCode(hi * 31 + lo);
    }

    @Override
    public String toString()
    {
        return String.format("%016x%016x", hi, lo);
    }
}
