package io.kvbm4j.gds.cufile;

import com.sun.jna.Native;

/**
 * A file registered with cuFile. Reads and writes run on the calling thread and return a status, never
 * throw: a short transfer is {@link CuFileStatus#SHORT_IO}, -1 is {@link CuFileStatus#POSIX_ERROR}
 * with {@link #lastErrno()} (EIO = 5, ENOSPC = 28), a negated {@code CUfileOpError} its named status.
 *
 * <p>Owned by one thread (it keeps the last errno); open one handle per I/O thread.
 */
public final class CuFileHandle implements AutoCloseable
{
    private final CuFileDriver driver;
    private final CuFileLibrary lib;
    private final long handle;
    private int lastErrno;
    private long lastBytes;
    private boolean closed;

    CuFileHandle(final CuFileDriver driver, final long handle)
    {
        this.driver = driver;
        this.lib = driver.lib();
        this.handle = handle;
    }

    /** Reads exactly {@code size} bytes at {@code fileOffset} into {@code buffer + bufferOffset}. */
    public CuFileStatus read(final long buffer, final long size, final long fileOffset, final long bufferOffset)
    {
        if (closed || driver.abandonedBy() != null)
        {
            return closed ? CuFileStatus.CU_FILE_HANDLE_NOT_REGISTERED : CuFileStatus.TIMED_OUT;
        }
        return outcome(lib.cuFileRead(handle, buffer, size, fileOffset, bufferOffset), size);
    }

    /** Writes exactly {@code size} bytes from {@code buffer + bufferOffset} at {@code fileOffset}. */
    public CuFileStatus write(final long buffer, final long size, final long fileOffset, final long bufferOffset)
    {
        if (closed || driver.abandonedBy() != null)
        {
            return closed ? CuFileStatus.CU_FILE_HANDLE_NOT_REGISTERED : CuFileStatus.TIMED_OUT;
        }
        return outcome(lib.cuFileWrite(handle, buffer, size, fileOffset, bufferOffset), size);
    }

    private CuFileStatus outcome(final long ret, final long size)
    {
        lastBytes = ret;
        if (ret == size)
        {
            lastErrno = 0;
            return CuFileStatus.CU_FILE_SUCCESS;
        }
        if (ret >= 0)
        {
            return CuFileStatus.SHORT_IO;
        }
        final CuFileStatus s = CuFileStatus.ofReturn(ret);
        lastErrno = s == CuFileStatus.POSIX_ERROR ? Native.getLastError() : 0;
        return s;
    }

    /** The native {@code CUfileHandle_t}, for {@link CuFileBatch}. */
    long nativeHandle()
    {
        return handle;
    }

    boolean isClosed()
    {
        return closed;
    }

    /** errno of the last {@link CuFileStatus#POSIX_ERROR}, 0 otherwise. */
    public int lastErrno()
    {
        return lastErrno;
    }

    /** What the last read or write returned (bytes, or the negative code). */
    public long lastReturn()
    {
        return lastBytes;
    }

    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            driver.deregisterHandle(handle);
        }
    }
}
