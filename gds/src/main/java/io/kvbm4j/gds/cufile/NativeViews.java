package io.kvbm4j.gds.cufile;

import java.nio.ByteBuffer;

import com.sun.jna.Pointer;

/**
 * Direct {@link ByteBuffer} views of native addresses, for the POSIX path's FileChannel I/O.
 *
 * <p>A small direct-mapped cache keyed by (address, length): the G2 slots a transfer thread copies to
 * and from have fixed addresses, so after the first use of each slot no view is allocated. Owned by
 * one thread (the I/O context that holds it).
 */
public final class NativeViews
{
    private static final int ENTRIES = 256;

    private final long[] addresses = new long[ENTRIES];
    private final int[] lengths = new int[ENTRIES];
    private final ByteBuffer[] views = new ByteBuffer[ENTRIES];

    /** A view of {@code length} bytes at {@code address}, position 0, limit {@code length}. */
    public ByteBuffer view(final long address, final int length)
    {
        final int i = (int)((address >>> 12) ^ (address >>> 24)) & (ENTRIES - 1);
        ByteBuffer b = views[i];
        if (b == null || addresses[i] != address || lengths[i] != length)
        {
            b = new Pointer(address).getByteBuffer(0, length);
            views[i] = b;
            addresses[i] = address;
            lengths[i] = length;
        }
        b.clear();
        return b;
    }
}
