package io.kvbm4j.remote.testing;

import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.tiers.memory.AlignedMemory;

/** Off-heap block buffers for the tests: {@code count} blocks of {@code bytes}, filled with seeded random bytes. */
public final class Blocks implements AutoCloseable
{
    private final AlignedMemory memory;
    private final int bytes;
    private final int count;

    public Blocks(final int count, final int bytes)
    {
        this.memory = new AlignedMemory(count * bytes, 4096);
        this.bytes = bytes;
        this.count = count;
    }

    public long address(final int i)
    {
        return memory.address() + (long)i * bytes;
    }

    public int bytes()
    {
        return bytes;
    }

    /** Fills block i with bytes derived from {@code seed}. */
    public void fill(final int i, final long seed)
    {
        final UnsafeBuffer b = new UnsafeBuffer(address(i), bytes);
        final SplittableRandom r = new SplittableRandom(seed);
        for (int k = 0; k + 8 <= bytes; k += 8)
        {
            b.putLong(k, r.nextLong());
        }
        for (int k = bytes & ~7; k < bytes; k++)
        {
            b.putByte(k, (byte)r.nextInt());
        }
    }

    public void zero(final int i)
    {
        new UnsafeBuffer(address(i), bytes).setMemory(0, bytes, (byte)0);
    }

    /** Whether block a equals block b. */
    public boolean same(final int a, final int b)
    {
        return new UnsafeBuffer(address(a), bytes).compareTo(new UnsafeBuffer(address(b), bytes)) == 0;
    }

    public int count()
    {
        return count;
    }

    @Override
    public void close()
    {
        memory.close();
    }
}
