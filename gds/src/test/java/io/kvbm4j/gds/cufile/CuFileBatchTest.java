package io.kvbm4j.gds.cufile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * The batch API binding ({@code cuFileBatchIOSetUp/Submit/GetStatus/Destroy}) against the C double,
 * which does each I/O with pread/pwrite at submit. No GPU was lent to this work: on a machine with GDS,
 * KVBM_CUFILE_LIBRARY pointing at the real libcufile runs {@code aBatchOfWritesThenReadsRoundTrips}
 * against it through {@link CuFileDoubles#libraries()} in CuFileDriverTest's manner (not done here).
 */
class CuFileBatchTest
{
    private static final int IO = 64 * 1024;
    private static final int N = 8;

    @TempDir
    Path dir;

    @Test
    void aBatchOfWritesThenReadsRoundTripsWithEveryEventComplete() throws Exception
    {
        final Path lib = CuFileDoubles.healthyDouble();
        final Path file = dir.resolve("batch.dat");
        Files.write(file, new byte[IO * N]);
        final int fd = PosixFiles.openReadWrite(file, false);
        try (CuFileDriver driver = CuFileDriver.open(lib, Duration.ofSeconds(20));
             CuFileHandle handle = driver.registerHandle(fd);
             CuFileBatch batch = driver.newBatch(N);
             AlignedMemory out = new AlignedMemory(IO * N, 4096);
             AlignedMemory in = new AlignedMemory(IO * N, 4096))
        {
            final UnsafeBuffer o = out.newBuffer();
            for (int p = 0; p < IO * N; p += 8)
            {
                o.putLong(p, p * 0x9E3779B97F4A7C15L);
            }
            for (int i = 0; i < N; i++)
            {
                assertTrue(batch.add(handle, true, out.address(), IO, (long)i * IO, (long)i * IO, 100 + i));
            }
            assertFalse(batch.add(handle, true, out.address(), IO, 0, 0, 0), "a full batch refuses more");
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.submit());
            assertEquals(N, batch.inFlight());
            final boolean[] seen = new boolean[N];
            collect(batch, seen, IO);
            for (int i = 0; i < N; i++)
            {
                assertTrue(batch.add(handle, false, in.address(), IO, (long)i * IO, (long)i * IO, 100 + i));
            }
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.submit());
            collect(batch, new boolean[N], IO);
            final UnsafeBuffer r = in.newBuffer();
            for (int p = 0; p < IO * N; p += 8)
            {
                assertEquals(o.getLong(p), r.getLong(p), "byte " + p);
            }
        }
        finally
        {
            PosixFiles.close(fd);
        }
    }

    private static void collect(final CuFileBatch batch, final boolean[] seen, final long size)
    {
        int got = 0;
        while (got < seen.length)
        {
            final int n = batch.poll();
            assertTrue(n >= 0, "cuFileBatchIOGetStatus failed: " + batch.lastError());
            for (int e = 0; e < n; e++)
            {
                assertEquals(CuFileBatchStatus.CUFILE_COMPLETE, batch.status(e));
                assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.outcome(e, size));
                final int i = (int)batch.cookie(e) - 100;
                assertFalse(seen[i], "event " + i + " reported twice");
                seen[i] = true;
                got++;
            }
        }
        assertEquals(0, batch.inFlight());
    }

    @Test
    void aFailedOrShortEntryIsReportedUnderItsNameAndTheOthersComplete() throws Exception
    {
        final Path lib = CuFileDoubles.healthyDouble();
        final Path file = dir.resolve("batch.dat");
        Files.write(file, new byte[IO * 4]);
        final int fd = PosixFiles.openReadWrite(file, false);
        try (CuFileDriver driver = CuFileDriver.open(lib, Duration.ofSeconds(20));
             CuFileHandle handle = driver.registerHandle(fd);
             CuFileBatch batch = driver.newBatch(4);
             AlignedMemory buf = new AlignedMemory(IO * 4, 4096))
        {
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_ERRNO, 5); // EIO on the first entry
            for (int i = 0; i < 2; i++)
            {
                assertTrue(batch.add(handle, true, buf.address(), IO, (long)i * IO, 0, i));
            }
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.submit());
            assertEquals(2, batch.poll());
            assertEquals(CuFileBatchStatus.CUFILE_FAILED, batch.status(0));
            assertEquals(-5, batch.result(0));
            assertEquals(CuFileStatus.POSIX_ERROR, batch.outcome(0, IO));
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.outcome(1, IO));
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_SHORT, 0);
            assertTrue(batch.add(handle, false, buf.address(), IO, 0, 0, 7));
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.submit());
            assertEquals(1, batch.poll());
            assertEquals(CuFileBatchStatus.CUFILE_COMPLETE, batch.status(0));
            assertEquals(CuFileStatus.SHORT_IO, batch.outcome(0, IO), "a short transfer is a failure, not a success");
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_OP_ERROR, CuFileStatus.CU_FILE_IO_NOT_SUPPORTED.code());
            assertTrue(batch.add(handle, false, buf.address(), IO, 0, 0, 8));
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, batch.submit());
            assertEquals(1, batch.poll());
            assertEquals(CuFileStatus.CU_FILE_IO_NOT_SUPPORTED, batch.outcome(0, IO));
        }
        finally
        {
            PosixFiles.close(fd);
        }
    }

    @Test
    void batchStatusesKeepNvidiasNamesAndValues()
    {
        assertEquals(0x10, CuFileBatchStatus.CUFILE_COMPLETE.code());
        assertEquals(CuFileBatchStatus.CUFILE_FAILED, CuFileBatchStatus.of(0x40));
        assertEquals(CuFileBatchStatus.UNKNOWN, CuFileBatchStatus.of(0x1234));
        assertFalse(CuFileBatchStatus.CUFILE_PENDING.isFinal());
        assertEquals(5037, CuFileStatus.CU_FILE_BATCH_FULL.code());
    }
}
