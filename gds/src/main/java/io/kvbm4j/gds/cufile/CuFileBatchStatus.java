package io.kvbm4j.gds.cufile;

/**
 * State of one I/O of a cuFile batch: NVIDIA's {@code CUfileStatus_t} (cufile.h, CUDA 12.x) under its own
 * names and values, as {@code cuFileBatchIOGetStatus} reports it per event.
 */
public enum CuFileBatchStatus
{
    CUFILE_WAITING(0x1),
    CUFILE_PENDING(0x2),
    CUFILE_INVALID(0x4),
    CUFILE_CANCELED(0x8),
    CUFILE_COMPLETE(0x10),
    CUFILE_TIMEOUT(0x20),
    CUFILE_FAILED(0x40),
    /** A value cufile.h does not name. */
    UNKNOWN(0);

    private static final CuFileBatchStatus[] VALUES = values();

    private final int code;

    CuFileBatchStatus(final int code)
    {
        this.code = code;
    }

    public int code()
    {
        return code;
    }

    /** True once the I/O is over, well or not (complete, failed, canceled, timed out, invalid). */
    public boolean isFinal()
    {
        return this != CUFILE_WAITING && this != CUFILE_PENDING;
    }

    /** Maps a {@code CUfileStatus_t} value without allocating. */
    public static CuFileBatchStatus of(final int code)
    {
        for (final CuFileBatchStatus s : VALUES)
        {
            if (s.code == code)
            {
                return s;
            }
        }
        return UNKNOWN;
    }
}
