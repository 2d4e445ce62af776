package io.kvbm4j.gds.cufile;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A cuFile batch: up to {@code capacity} reads and writes submitted in one {@code cuFileBatchIOSubmit},
 * their completions collected by {@code cuFileBatchIOGetStatus} without blocking (a zero timeout) — the
 * GDS way to keep many I/Os in flight from one thread.
 *
 * <p>Native layouts (cufile.h, CUDA 12.x, LP64), written and read here through {@link Memory}:
 * <pre>
 *  CUfileIOParams_t, 64 bytes per entry           CUfileIOEvents_t, 24 bytes per event
 *  +-----+------------------------------------+   +-----+---------------------------------+
 *  |  0  | mode           i32  CUFILE_BATCH=1 |   |  0  | cookie      void*               |
 *  |  8  | u.batch.devPtr_base   void*        |   |  8  | status      i32 CUfileStatus_t  |
 *  | 16  | u.batch.file_offset   off_t        |   | 16  | ret         size_t: bytes, or   |
 *  | 24  | u.batch.devPtr_offset off_t        |   |     |             a negative error    |
 *  | 32  | u.batch.size          size_t       |   +-----+---------------------------------+
 *  | 40  | fh             CUfileHandle_t      |
 *  | 48  | opcode         i32  READ=0 WRITE=1 |
 *  | 56  | cookie         void*               |
 *  +-----+------------------------------------+
 * </pre>
 * The C double (src/test/c/cufile_double.c) asserts the same sizes at compile time.
 *
 * <p>Owned by one thread. {@link #add} fills entries, {@link #submit} hands them to the driver,
 * {@link #poll} collects finished ones into the event array ({@link #cookie}, {@link #status},
 * {@link #result}). JNA boxes the call arguments (a few dozen bytes per call, not per I/O).
 */
public final class CuFileBatch implements AutoCloseable
{
    static final int PARAMS_BYTES = 64;
    static final int EVENT_BYTES = 24;
    private static final int CUFILE_BATCH = 1;
    private static final int CUFILE_READ = 0;
    private static final int CUFILE_WRITE = 1;

    private final CuFileDriver driver;
    private final CuFileLibrary lib;
    private final long batch;
    private final int capacity;
    private final Memory params;
    private final Memory events;
    private final Memory count;
    private final Memory timeout;
    private int pending;
    private int inFlight;
    private int lastErr;
    private boolean closed;

    CuFileBatch(final CuFileDriver driver, final long batch, final int capacity)
    {
        this.driver = driver;
        this.lib = driver.lib();
        this.batch = batch;
        this.capacity = capacity;
        this.params = new Memory((long)PARAMS_BYTES * capacity);
        this.events = new Memory((long)EVENT_BYTES * capacity);
        this.count = new Memory(8);
        this.timeout = new Memory(16);
        params.clear();
        events.clear();
        timeout.clear(); // {0 s, 0 ns}: getStatus never waits
    }

    public int capacity()
    {
        return capacity;
    }

    /** I/Os submitted and not yet collected. */
    public int inFlight()
    {
        return inFlight;
    }

    /** Entries added and not yet submitted. */
    public int pending()
    {
        return pending;
    }

    /**
     * Adds a read or write of {@code size} bytes at {@code fileOffset} from/into {@code buffer + bufferOffset}
     * (device or host memory). False when the batch is full ({@code pending + inFlight == capacity}).
     */
    public boolean add(final CuFileHandle handle, final boolean write, final long buffer, final long size,
                       final long fileOffset, final long bufferOffset, final long cookie)
    {
        if (pending + inFlight >= capacity || handle.isClosed())
        {
            return false;
        }
        final long o = (long)PARAMS_BYTES * pending;
        params.setInt(o, CUFILE_BATCH);
        params.setLong(o + 8, buffer);
        params.setLong(o + 16, fileOffset);
        params.setLong(o + 24, bufferOffset);
        params.setLong(o + 32, size);
        params.setLong(o + 40, handle.nativeHandle());
        params.setInt(o + 48, write ? CUFILE_WRITE : CUFILE_READ);
        params.setLong(o + 56, cookie);
        pending++;
        return true;
    }

    /** Submits the added entries ({@code cuFileBatchIOSubmit}); on failure nothing is in flight and they stay added. */
    public CuFileStatus submit()
    {
        if (pending == 0)
        {
            return CuFileStatus.CU_FILE_SUCCESS;
        }
        final CuFileStatus s = guard();
        if (s != null)
        {
            return s;
        }
        final CuFileLibrary.CUfileError e = lib.cuFileBatchIOSubmit(batch, pending, Pointer.nativeValue(params), 0);
        lastErr = e.err;
        if (e.err != 0)
        {
            return CuFileStatus.ofOpError(e.err);
        }
        inFlight += pending;
        pending = 0;
        return CuFileStatus.CU_FILE_SUCCESS;
    }

    /**
     * Collects finished I/Os without waiting ({@code cuFileBatchIOGetStatus} with a zero timeout, min 0):
     * returns how many events were written (read them with {@link #cookie}, {@link #status},
     * {@link #result} for 0 .. n-1), or -1 if the call failed ({@link #lastError}).
     */
    public int poll()
    {
        if (inFlight == 0 || guard() != null)
        {
            return 0;
        }
        count.setInt(0, inFlight);
        final CuFileLibrary.CUfileError e = lib.cuFileBatchIOGetStatus(batch, 0, Pointer.nativeValue(count),
            Pointer.nativeValue(events), Pointer.nativeValue(timeout));
        lastErr = e.err;
        if (e.err != 0)
        {
            return -1;
        }
        final int n = count.getInt(0);
        int finished = 0;
        for (int i = 0; i < n; i++)
        {
            finished += status(i).isFinal() ? 1 : 0;
        }
        inFlight -= finished;
        return n;
    }

    public long cookie(final int event)
    {
        return events.getLong((long)EVENT_BYTES * event);
    }

    public CuFileBatchStatus status(final int event)
    {
        return CuFileBatchStatus.of(events.getInt((long)EVENT_BYTES * event + 8));
    }

    /** Bytes moved, or a negative error (-errno or -CUfileOpError). */
    public long result(final int event)
    {
        return events.getLong((long)EVENT_BYTES * event + 16);
    }

    /**
     * The outcome of event {@code event} for an I/O of {@code size} bytes, in the terms of a single
     * cuFileRead/Write: success, {@link CuFileStatus#SHORT_IO}, or the named failure.
     */
    public CuFileStatus outcome(final int event, final long size)
    {
        final CuFileBatchStatus s = status(event);
        final long r = result(event);
        if (s == CuFileBatchStatus.CUFILE_COMPLETE)
        {
            return r == size ? CuFileStatus.CU_FILE_SUCCESS : CuFileStatus.SHORT_IO;
        }
        if (r < 0 && r > -5000)
        {
            return CuFileStatus.POSIX_ERROR;
        }
        return r < 0 ? CuFileStatus.ofReturn(r) : CuFileStatus.UNKNOWN_ERROR;
    }

    /** The {@code CUfileOpError} of the last submit or poll (0 when it succeeded). */
    public int lastError()
    {
        return lastErr;
    }

    private CuFileStatus guard()
    {
        if (closed)
        {
            return CuFileStatus.CU_FILE_INVALID_VALUE;
        }
        return driver.abandonedBy() != null ? CuFileStatus.TIMED_OUT : null;
    }

    /** Destroys the batch ({@code cuFileBatchIODestroy}); call only once nothing is in flight. Idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            driver.destroyBatch(batch);
        }
    }
}
