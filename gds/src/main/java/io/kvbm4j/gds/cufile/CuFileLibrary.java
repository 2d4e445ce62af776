package io.kvbm4j.gds.cufile;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * JNA interface mapping of the libcufile subset kvbm4j uses (cufile.h, CUDA 12.x). Pointers the data
 * path passes every call ({@code CUfileHandle_t}, buffer addresses) are declared {@code long}: on LP64
 * Linux a pointer and an int64 travel in the same register, and no {@link Pointer} is allocated per
 * call.
 *
 * <p>Only {@link CuFileDriver} calls this; nothing outside the package sees JNA types.
 */
interface CuFileLibrary extends Library
{
    /** {@code CUfileError_t}: {@code { CUfileOpError err; CUresult cu_err; }}, returned by value. */
    @Structure.FieldOrder({"err", "cuErr"})
    class CUfileError extends Structure implements Structure.ByValue
    {
        public int err;
        public int cuErr;
    }

    CUfileError cuFileDriverOpen();

    CUfileError cuFileDriverClose();

    /** @param props a {@code CUfileDrvProps_t}; see {@link DriverProperties} for the layout. */
    CUfileError cuFileDriverGetProperties(Pointer props);

    CUfileError cuFileGetVersion(IntByReference version);

    /** @param descr a {@code CUfileDescr_t}; see {@link CuFileDriver#registerHandle(int)} for the layout. */
    CUfileError cuFileHandleRegister(PointerByReference fh, Pointer descr);

    void cuFileHandleDeregister(long fh);

    CUfileError cuFileBufRegister(long base, long length, int flags);

    CUfileError cuFileBufDeregister(long base);

    long cuFileRead(long fh, long buf, long size, long fileOffset, long bufOffset);

    long cuFileWrite(long fh, long buf, long size, long fileOffset, long bufOffset);

    // Batch API (cufile.h, CUDA 12.x); layouts of CUfileIOParams_t / CUfileIOEvents_t in CuFileBatch.

    CUfileError cuFileBatchIOSetUp(PointerByReference batch, int nr);

    CUfileError cuFileBatchIOSubmit(long batch, int nr, long params, int flags);

    CUfileError cuFileBatchIOGetStatus(long batch, int minNr, long nr, long events, long timeout);

    CUfileError cuFileBatchIOCancel(long batch);

    void cuFileBatchIODestroy(long batch);
}
