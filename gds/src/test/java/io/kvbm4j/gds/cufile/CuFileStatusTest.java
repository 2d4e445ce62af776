package io.kvbm4j.gds.cufile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CuFileStatusTest
{
    @Test
    void opErrorNumbersMapToNvidiaNames()
    {
        assertEquals(CuFileStatus.CU_FILE_SUCCESS, CuFileStatus.ofOpError(0));
        assertEquals(CuFileStatus.CU_FILE_DRIVER_NOT_INITIALIZED, CuFileStatus.ofOpError(5001));
        assertEquals(CuFileStatus.CU_FILE_NVFS_SETUP_ERROR, CuFileStatus.ofOpError(5033));
        assertEquals(CuFileStatus.CU_FILE_IO_MAX_ERROR, CuFileStatus.ofOpError(5039));
        for (final CuFileStatus s : CuFileStatus.values())
        {
            if (s.code() >= 5000)
            {
                assertEquals(s, CuFileStatus.ofOpError(s.code()));
            }
        }
    }

    @Test
    void unnamedCodesAreUnknownNotAnotherName()
    {
        assertEquals(CuFileStatus.UNKNOWN_ERROR, CuFileStatus.ofOpError(5021));
        assertEquals(CuFileStatus.UNKNOWN_ERROR, CuFileStatus.ofOpError(5032));
        assertEquals(CuFileStatus.UNKNOWN_ERROR, CuFileStatus.ofOpError(42));
        assertEquals(CuFileStatus.UNKNOWN_ERROR, CuFileStatus.ofReturn(Long.MIN_VALUE));
    }

    @Test
    void negativeReadWriteReturnsAreErrnoOrNegatedOpError()
    {
        assertEquals(CuFileStatus.POSIX_ERROR, CuFileStatus.ofReturn(-1));
        assertEquals(CuFileStatus.CU_FILE_INTERNAL_ERROR, CuFileStatus.ofReturn(-5030));
        assertEquals(CuFileStatus.CU_FILE_SUCCESS, CuFileStatus.ofReturn(4096));
    }
}
