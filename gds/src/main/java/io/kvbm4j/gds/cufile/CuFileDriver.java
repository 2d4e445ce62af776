package io.kvbm4j.gds.cufile;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * An opened cuFile driver: the JNA binding of libcufile (real, or the test double) and the deadline
 * every driver call runs under.
 *
 * <p>Design: libcufile can hang inside a call (the cuda-redist 1.18 build spins for ever in
 * {@code cuFileDriverOpen} on a machine without a GPU). So every driver call (load, open, close,
 * properties, version, handle and buffer registration) runs on a fresh daemon thread and the caller
 * waits at most the configured deadline. A call that misses its deadline leaves its thread behind (a
 * daemon: it cannot keep the JVM alive) and marks the driver abandoned: no later call enters the
 * library again, each answers {@link CuFileStatus#TIMED_OUT} at once. Reads and writes
 * ({@link CuFileHandle}) run on the calling transfer thread, whose deadline is the transfer engine's.
 *
 * <p>Concurrency: set-up calls may come from any thread; {@code abandoned} is volatile. libcufile is
 * thread-safe for I/O on registered handles.
 */
public final class CuFileDriver implements AutoCloseable
{
    /** Environment variable naming a libcufile to use when the configuration names none. */
    public static final String LIBRARY_ENV = "KVBM_CUFILE_LIBRARY";

    private static final AtomicInteger CALLS = new AtomicInteger();

    private final CuFileLibrary lib;
    private final String libraryName;
    private final long deadlineNanos;
    private final DriverProperties properties;
    private volatile String abandonedBy;
    private boolean closed;

    private CuFileDriver(final CuFileLibrary lib, final String libraryName, final long deadlineNanos,
                         final DriverProperties properties)
    {
        this.lib = lib;
        this.libraryName = libraryName;
        this.deadlineNanos = deadlineNanos;
        this.properties = properties;
    }

    /**
     * Loads libcufile, opens the driver and reads its version and properties, each step under
     * {@code deadline}.
     *
     * @param library a libcufile file, or null to take {@value #LIBRARY_ENV} and then the system
     *                library path ({@code libcufile.so}, {@code libcufile.so.0}).
     * @throws CuFileException naming the step and reason: {@link CuFileStatus#LIBRARY_NOT_FOUND},
     *                         {@link CuFileStatus#TIMED_OUT} ("driver open timed out after 2000 ms"),
     *                         or the driver's own status.
     */
    public static CuFileDriver open(final Path library, final Duration deadline) throws CuFileException
    {
        final long deadlineNanos = deadline.toNanos();
        if (deadlineNanos <= 0)
        {
            throw new IllegalArgumentException("cuFile deadline must be > 0: " + deadline);
        }
        final String[] candidates = candidates(library);
        CuFileLibrary lib = null;
        String loaded = null;
        final StringBuilder tried = new StringBuilder();
        for (final String name : candidates)
        {
            try
            {
                lib = withDeadline("library load", deadlineNanos, () -> Native.load(name, CuFileLibrary.class));
                loaded = name;
                break;
            }
            catch (final CuFileException e)
            {
                if (e.status() == CuFileStatus.TIMED_OUT)
                {
                    throw e;
                }
                tried.append(tried.length() == 0 ? "" : ", ").append(name);
            }
        }
        if (lib == null)
        {
            throw new CuFileException(CuFileStatus.LIBRARY_NOT_FOUND, "libcufile not found (tried " + tried + ")");
        }
        final CuFileLibrary l = lib;
        final String label = isDouble(loaded) ? loaded + ", test double" : loaded;
        final CuFileLibrary.CUfileError opened = withDeadline("driver open", deadlineNanos, l::cuFileDriverOpen);
        check("cuFileDriverOpen", opened);
        try
        {
            final IntByReference version = new IntByReference();
            final CuFileLibrary.CUfileError v = withDeadline("version", deadlineNanos, () -> l.cuFileGetVersion(version));
            final Memory props = new Memory(DriverProperties.STRUCT_BYTES);
            props.clear();
            final CuFileLibrary.CUfileError p = withDeadline("properties", deadlineNanos,
                () -> l.cuFileDriverGetProperties(props));
            check("cuFileDriverGetProperties", p);
            final DriverProperties properties = DriverProperties.decode(v.err == 0 ? version.getValue() : 0, props, label);
            return new CuFileDriver(l, label, deadlineNanos, properties);
        }
        catch (final CuFileException e)
        {
            if (e.status() != CuFileStatus.TIMED_OUT)
            {
                withDeadline("driver close", deadlineNanos, l::cuFileDriverClose);
            }
            throw e;
        }
    }

    private static String[] candidates(final Path library)
    {
        if (library != null)
        {
            return new String[] {library.toAbsolutePath().toString()};
        }
        final String env = System.getenv(LIBRARY_ENV);
        if (env != null && !env.isBlank())
        {
            return new String[] {Path.of(env).toAbsolutePath().toString()};
        }
        return new String[] {"cufile", "libcufile.so.0"};
    }

    private static boolean isDouble(final String name)
    {
        try
        {
            NativeLibrary.getInstance(name).getFunction("kvbm4jCuFileDouble");
            return true;
        }
        catch (final UnsatisfiedLinkError e)
        {
            return false;
        }
    }

    public DriverProperties properties()
    {
        return properties;
    }

    public String libraryName()
    {
        return libraryName;
    }

    /** Null while the driver answers; otherwise the call that timed out. */
    public String abandonedBy()
    {
        return abandonedBy;
    }

    /**
     * Registers an open file descriptor ({@code CU_FILE_HANDLE_TYPE_OPAQUE_FD}). The descriptor should
     * be opened with O_DIRECT for GPU-direct I/O; compat mode accepts any.
     */
    public CuFileHandle registerHandle(final int fd) throws CuFileException
    {
        // CUfileDescr_t: int type @0 (1 = OPAQUE_FD), union { int fd; void *handle; } @8, fs_ops* @16.
        final Memory descr = new Memory(32);
        descr.clear();
        descr.setInt(0, 1);
        descr.setInt(8, fd);
        final PointerByReference fh = new PointerByReference();
        check("cuFileHandleRegister", call("handle register", () -> lib.cuFileHandleRegister(fh, descr)));
        return new CuFileHandle(this, Pointer.nativeValue(fh.getValue()));
    }

    void deregisterHandle(final long handle)
    {
        if (abandonedBy == null)
        {
            try
            {
                call("handle deregister", () ->
                {
                    lib.cuFileHandleDeregister(handle);
                    return null;
                });
            }
            catch (final CuFileException e)
            {
                // The handle is gone either way; a timeout has marked the driver abandoned.
            }
        }
    }

    /** Registers (pins) a buffer for GPU-direct I/O; optional, unregistered buffers go through bounce buffers. */
    public void registerBuffer(final long address, final long length) throws CuFileException
    {
        check("cuFileBufRegister", call("buffer register", () -> lib.cuFileBufRegister(address, length, 0)));
    }

    public void deregisterBuffer(final long address) throws CuFileException
    {
        check("cuFileBufDeregister", call("buffer deregister", () -> lib.cuFileBufDeregister(address)));
    }

    /**
     * Sets up a batch of at most {@code capacity} I/Os in flight ({@code cuFileBatchIOSetUp}, under the
     * deadline); {@code capacity} at most the driver's {@code max_batch_io_size}.
     */
    public CuFileBatch newBatch(final int capacity) throws CuFileException
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("cuFile batch capacity must be > 0: " + capacity);
        }
        final PointerByReference id = new PointerByReference();
        check("cuFileBatchIOSetUp", call("batch set-up", () -> lib.cuFileBatchIOSetUp(id, capacity)));
        return new CuFileBatch(this, Pointer.nativeValue(id.getValue()), capacity);
    }

    void destroyBatch(final long batch)
    {
        if (abandonedBy == null)
        {
            try
            {
                call("batch destroy", () ->
                {
                    lib.cuFileBatchIODestroy(batch);
                    return null;
                });
            }
            catch (final CuFileException e)
            {
                // Gone either way; a timeout has marked the driver abandoned.
            }
        }
    }

    CuFileLibrary lib()
    {
        return lib;
    }

    /** Closes the driver (under the deadline). Idempotent; an abandoned driver is not called again. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (abandonedBy == null)
        {
            try
            {
                call("driver close", lib::cuFileDriverClose);
            }
            catch (final CuFileException e)
            {
                // Timed out (now abandoned) or failed: nothing more to release from Java.
            }
        }
    }

    private <T> T call(final String what, final Callable<T> body) throws CuFileException
    {
        final String abandoned = abandonedBy;
        if (abandoned != null)
        {
            throw new CuFileException(CuFileStatus.TIMED_OUT,
                "GDS unavailable: driver abandoned after " + abandoned + " timed out");
        }
        try
        {
            return withDeadline(what, deadlineNanos, body);
        }
        catch (final CuFileException e)
        {
            if (e.status() == CuFileStatus.TIMED_OUT)
            {
                abandonedBy = what;
            }
            throw e;
        }
    }

    private static <T> T withDeadline(final String what, final long deadlineNanos, final Callable<T> body)
        throws CuFileException
    {
        final FutureTask<T> task = new FutureTask<>(body);
        final Thread thread = new Thread(task, "cufile-" + what.replace(' ', '-') + "-" + CALLS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
        try
        {
            return task.get(deadlineNanos, TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException e)
        {
            task.cancel(true);
            throw new CuFileException(CuFileStatus.TIMED_OUT, "GDS unavailable: " + what + " timed out after " +
                TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms");
        }
        catch (final ExecutionException e)
        {
            final Throwable cause = e.getCause();
            final CuFileStatus status = cause instanceof UnsatisfiedLinkError ?
                CuFileStatus.LIBRARY_NOT_FOUND : CuFileStatus.UNKNOWN_ERROR;
            throw new CuFileException(status, "GDS unavailable: " + what + " failed: " + cause);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new CuFileException(CuFileStatus.TIMED_OUT, "GDS unavailable: interrupted waiting for " + what);
        }
    }

    private static void check(final String call, final CuFileLibrary.CUfileError e) throws CuFileException
    {
        if (e.err != 0)
        {
            final CuFileStatus s = CuFileStatus.ofOpError(e.err);
            throw new CuFileException(s, "GDS unavailable: " + call + " returned " + s + " (" + e.err +
                (e.cuErr != 0 ? ", CUresult " + e.cuErr : "") + ")");
        }
    }
}
