package io.kvbm4j.tiers.memory;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One off-heap region whose first byte sits on an {@code alignment} boundary, freed exactly once by
 * {@link #close()}.
 *
 * <p>Keeps the raw direct buffer it over-allocated (size + alignment) so that it can be freed at once:
 * an aligned slice cannot be, and leaving it to the garbage collector would hold large regions for an
 * unknown time. Not thread-safe; owned by whoever created it.
 */
public final class AlignedMemory implements AutoCloseable
{
    private final ByteBuffer raw;
    private final long address;
    private final int length;
    private boolean closed;

    /**
     * @param length    bytes, 1 .. Integer.MAX_VALUE - alignment.
     * @param alignment a power of two.
     */
    public AlignedMemory(final int length, final int alignment)
    {
        if (length <= 0 || alignment <= 0 || Integer.bitCount(alignment) != 1 ||
            length > Integer.MAX_VALUE - alignment)
        {
            throw new IllegalArgumentException("length " + length + " / alignment " + alignment + " out of range");
        }
        this.raw = ByteBuffer.allocateDirect(length + alignment);
        final long base = BufferUtil.address(raw);
        this.address = (base + alignment - 1) & -(long)alignment;
        this.length = length;
    }

    /** Address of the first aligned byte. */
    public long address()
    {
        if (closed)
        {
            throw new IllegalStateException("memory already freed");
        }
        return address;
    }

    public int length()
    {
        return length;
    }

    /** A new flyweight over the whole aligned region (allocates the flyweight; call once at set-up). */
    public UnsafeBuffer newBuffer()
    {
        return new UnsafeBuffer(address(), length);
    }

    public boolean isClosed()
    {
        return closed;
    }

    /** Frees the memory. Idempotent; any flyweight over it must not be used afterwards. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            BufferUtil.free(raw);
        }
    }
}
