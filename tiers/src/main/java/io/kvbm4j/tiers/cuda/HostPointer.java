package io.kvbm4j.tiers.cuda;

import jcuda.Pointer;

/** A JCuda {@link Pointer} to a known host address, or receiving one from {@code cuMemHostAlloc}. */
final class HostPointer extends Pointer
{
    HostPointer()
    {
    }

    HostPointer(final long address)
    {
        super(address);
    }

    long address()
    {
        return getNativePointer() + getByteOffset();
    }
}
