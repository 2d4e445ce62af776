package io.kvbm4j.gds.cufile;

import java.nio.file.Path;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The few libc calls the disk tier needs that Java does not offer: a raw file descriptor for
 * {@code cuFileHandleRegister}, and {@code fallocate} to reserve slot files up front. Linux only.
 */
public final class PosixFiles
{
    private static final int O_RDWR = 2;
    /** O_DIRECT differs by architecture: 0x4000 on x86_64, 0x10000 on aarch64. */
    private static final int O_DIRECT = Platform.isARM() ? 0x10000 : 0x4000;
    private static final int O_CLOEXEC = 0x80000;

    interface LibC extends Library
    {
        int open(String path, int flags, int mode);

        int close(int fd);

        int fallocate(int fd, int mode, long offset, long length);
    }

    private static final class Holder
    {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private PosixFiles()
    {
    }

    /** Opens an existing file read-write, with O_DIRECT when {@code direct}; returns the fd or -errno. */
    public static int openReadWrite(final Path path, final boolean direct)
    {
        final int fd = Holder.LIBC.open(path.toString(), O_RDWR | O_CLOEXEC | (direct ? O_DIRECT : 0), 0);
        return fd >= 0 ? fd : -Native.getLastError();
    }

    public static void close(final int fd)
    {
        Holder.LIBC.close(fd);
    }

    /**
     * Reserves {@code length} bytes of {@code path} on disk (mode 0: allocate and extend). Returns 0,
     * or the errno (ENOSPC = 28; EOPNOTSUPP = 95 where the file system cannot).
     */
    public static int fallocate(final Path path, final long length)
    {
        final int fd = Holder.LIBC.open(path.toString(), O_RDWR | O_CLOEXEC, 0);
        if (fd < 0)
        {
            return Native.getLastError();
        }
        try
        {
            return Holder.LIBC.fallocate(fd, 0, 0, length) == 0 ? 0 : Native.getLastError();
        }
        finally
        {
            Holder.LIBC.close(fd);
        }
    }
}
