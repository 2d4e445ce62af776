package io.kvbm4j.gds.cufile;

import com.sun.jna.Pointer;

/**
 * What {@code cuFileDriverGetProperties} reported, decoded from {@code CUfileDrvProps_t}:
 *
 * <pre>
 *  offset  field
 *   0      nvfs.major_version          u32   nvidia-fs kernel module version (0: module absent)
 *   4      nvfs.minor_version          u32
 *   8      nvfs.poll_thresh_size       u64   KiB
 *  16      nvfs.max_direct_io_size     u64   KiB
 *  24      nvfs.dstatusflags           u32   bit per supported file system (NVMe = bit 4, ...)
 *  28      nvfs.dcontrolflags          u32   bit 0 poll mode, bit 1 compat mode allowed
 *  32      fflags                      u32   bit 0 dynamic routing, bit 1 batch I/O, bit 2 streams
 *  36..55  cache sizes, max batch size, batch timeout (u32 each)
 * </pre>
 *
 * @param version        {@code cuFileGetVersion}, e.g. 1180 for 1.18 (0 if the call failed).
 * @param nvfsMajor      nvidia-fs major version; 0 means the kernel module is absent (compat mode only).
 * @param compatAllowed  {@code CU_FILE_ALLOW_COMPAT_MODE} is set: I/O falls back to POSIX inside libcufile.
 * @param batchIo        {@code CU_FILE_BATCH_IO_SUPPORTED}.
 * @param maxDirectIoKib largest single direct I/O the driver issues.
 * @param library        which library answered (path or name); says "double" for the test double.
 */
public record DriverProperties(int version, int nvfsMajor, int nvfsMinor, boolean compatAllowed,
                               boolean pollMode, boolean batchIo, long maxDirectIoKib, String library)
{
    /** Bytes to allocate for {@code CUfileDrvProps_t} (56 used; room for later fields). */
    static final int STRUCT_BYTES = 256;

    static DriverProperties decode(final int version, final Pointer p, final String library)
    {
        final int dcontrol = p.getInt(28);
        final int fflags = p.getInt(32);
        return new DriverProperties(version, p.getInt(0), p.getInt(4), (dcontrol & 2) != 0, (dcontrol & 1) != 0,
            (fflags & 2) != 0, p.getLong(16), library);
    }

    /** True when nvidia-fs is loaded, so reads and writes can move data GPU-direct. */
    public boolean nvidiaFsPresent()
    {
        return nvfsMajor > 0;
    }

    /** One line for the start-up log. */
    public String describe()
    {
        return "libcufile " + version / 1000 + "." + (version % 1000) / 10 + " (" + library + "), nvidia-fs " +
            (nvidiaFsPresent() ? nvfsMajor + "." + nvfsMinor : "absent") + ", compat mode " +
            (compatAllowed ? "allowed" : "off") + (batchIo ? ", batch I/O" : "");
    }
}
