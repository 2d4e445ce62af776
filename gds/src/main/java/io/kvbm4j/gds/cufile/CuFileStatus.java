package io.kvbm4j.gds.cufile;

/**
 * Outcome of a cuFile call: NVIDIA's {@code CUfileOpError} values under their own names (cufile.h,
 * CUDA 12.x), and the few outcomes the binding adds ({@link #POSIX_ERROR}, {@link #SHORT_IO},
 * {@link #TIMED_OUT}, {@link #LIBRARY_NOT_FOUND}, {@link #UNKNOWN_ERROR}).
 *
 * <p>{@code cuFileRead}/{@code cuFileWrite} return a byte count, {@code -1} with {@code errno} set
 * ({@link #POSIX_ERROR}), or the negated {@code CUfileOpError}; {@link #ofReturn(long)} maps the
 * negative ones without allocating.
 */
public enum CuFileStatus
{
    CU_FILE_SUCCESS(0),
    CU_FILE_DRIVER_NOT_INITIALIZED(5001),
    CU_FILE_DRIVER_INVALID_PROPS(5002),
    CU_FILE_DRIVER_UNSUPPORTED_LIMIT(5003),
    CU_FILE_DRIVER_VERSION_MISMATCH(5004),
    CU_FILE_DRIVER_VERSION_READ_ERROR(5005),
    CU_FILE_DRIVER_CLOSING(5006),
    CU_FILE_PLATFORM_NOT_SUPPORTED(5007),
    CU_FILE_IO_NOT_SUPPORTED(5008),
    CU_FILE_DEVICE_NOT_SUPPORTED(5009),
    CU_FILE_NVFS_DRIVER_ERROR(5010),
    CU_FILE_CUDA_DRIVER_ERROR(5011),
    CU_FILE_CUDA_POINTER_INVALID(5012),
    CU_FILE_CUDA_MEMORY_TYPE_INVALID(5013),
    CU_FILE_CUDA_POINTER_RANGE_ERROR(5014),
    CU_FILE_CUDA_CONTEXT_MISMATCH(5015),
    CU_FILE_INVALID_MAPPING_SIZE(5016),
    CU_FILE_INVALID_MAPPING_RANGE(5017),
    CU_FILE_INVALID_FILE_TYPE(5018),
    CU_FILE_INVALID_FILE_OPEN_FLAG(5019),
    CU_FILE_DIO_NOT_SET(5020),
    CU_FILE_INVALID_VALUE(5022),
    CU_FILE_MEMORY_ALREADY_REGISTERED(5023),
    CU_FILE_MEMORY_NOT_REGISTERED(5024),
    CU_FILE_PERMISSION_DENIED(5025),
    CU_FILE_DRIVER_ALREADY_OPEN(5026),
    CU_FILE_HANDLE_NOT_REGISTERED(5027),
    CU_FILE_HANDLE_ALREADY_REGISTERED(5028),
    CU_FILE_DEVICE_NOT_FOUND(5029),
    CU_FILE_INTERNAL_ERROR(5030),
    CU_FILE_GETNEWFD_FAILED(5031),
    CU_FILE_NVFS_SETUP_ERROR(5033),
    CU_FILE_IO_DISABLED(5034),
    CU_FILE_BATCH_SUBMIT_FAILED(5035),
    CU_FILE_GPU_MEMORY_PINNING_FAILED(5036),
    CU_FILE_BATCH_FULL(5037),
    CU_FILE_ASYNC_NOT_SUPPORTED(5038),
    CU_FILE_IO_MAX_ERROR(5039),

    /** The call returned -1 and set errno (EIO, ENOSPC, ...); the binding keeps the errno. */
    POSIX_ERROR(-1),
    /** Fewer bytes moved than asked: a failure, never a partial success. */
    SHORT_IO(-2),
    /** The call did not return within its deadline; the driver is abandoned (never called again). */
    TIMED_OUT(-3),
    /** No libcufile on the library path or at the configured path. */
    LIBRARY_NOT_FOUND(-4),
    /** A negative return or error code that cufile.h does not name. */
    UNKNOWN_ERROR(-5);

    private static final CuFileStatus[] BY_OP_ERROR = new CuFileStatus[CU_FILE_IO_MAX_ERROR.code - 5000 + 1];

    static
    {
        for (final CuFileStatus s : values())
        {
            if (s.code >= 5000)
            {
                BY_OP_ERROR[s.code - 5000] = s;
            }
        }
    }

    private final int code;

    CuFileStatus(final int code)
    {
        this.code = code;
    }

    /** NVIDIA's numeric {@code CUfileOpError}, or a negative number for the binding's own outcomes. */
    public int code()
    {
        return code;
    }

    public boolean isSuccess()
    {
        return this == CU_FILE_SUCCESS;
    }

    /** Maps a {@code CUfileOpError} value (as returned in {@code CUfileError_t.err}). */
    public static CuFileStatus ofOpError(final int err)
    {
        if (err == 0)
        {
            return CU_FILE_SUCCESS;
        }
        final int i = err - 5000;
        if (i >= 0 && i < BY_OP_ERROR.length && BY_OP_ERROR[i] != null)
        {
            return BY_OP_ERROR[i];
        }
        return UNKNOWN_ERROR;
    }

    /** Maps a negative return of {@code cuFileRead}/{@code cuFileWrite}: -1 is errno, -N a CUfileOpError. */
    public static CuFileStatus ofReturn(final long ret)
    {
        if (ret >= 0)
        {
            return CU_FILE_SUCCESS;
        }
        if (ret == -1)
        {
            return POSIX_ERROR;
        }
        return ret >= -Integer.MAX_VALUE ? ofOpError((int)-ret) : UNKNOWN_ERROR;
    }
}
