package io.kvbm4j.tiers.cuda;

import jcuda.driver.CUdeviceptr;

/** A {@link CUdeviceptr} whose numeric address can be read (JCuda keeps it protected). */
final class DevicePointer extends CUdeviceptr
{
    DevicePointer()
    {
    }

    DevicePointer(final DevicePointer base, final long byteOffset)
    {
        super(base, byteOffset);
    }

    long address()
    {
        return getNativePointer() + getByteOffset();
    }
}
