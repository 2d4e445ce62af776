package io.kvbm4j.gds.cufile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * The binding against the C double (always, when gcc built it) and against a real libcufile when
 * KVBM_CUFILE_LIBRARY names one. Fault-injection tests need the double.
 */
class CuFileDriverTest
{
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    static List<Path> libraries()
    {
        final List<Path> libs = CuFileDoubles.libraries();
        Assumptions.assumeFalse(libs.isEmpty(), "needs gcc (to build the libcufile double) or KVBM_CUFILE_LIBRARY");
        return libs;
    }

    private static CuFileDriver open(final Path library)
    {
        try
        {
            return CuFileDriver.open(library, DEADLINE);
        }
        catch (final CuFileException e)
        {
            Assumptions.abort("needs a GPU with GDS for " + library + ": " + e.getMessage());
            throw new AssertionError(e);
        }
    }

    private int openFd(final Path file, final long size) throws IOException
    {
        Files.write(file, new byte[(int)size]);
        final int fd = PosixFiles.openReadWrite(file, true);
        return fd >= 0 ? fd : PosixFiles.openReadWrite(file, false);
    }

    @ParameterizedTest
    @MethodSource("libraries")
    void driverOpenReportsVersionAndProperties(final Path library)
    {
        try (CuFileDriver driver = open(library))
        {
            final DriverProperties p = driver.properties();
            assertTrue(p.version() > 0, p.describe());
            assertTrue(p.describe().startsWith("libcufile "), p.describe());
            if (library.getFileName().toString().contains("double"))
            {
                assertTrue(p.library().endsWith("test double"), p.library());
                assertFalse(p.nvidiaFsPresent());
                assertTrue(p.compatAllowed());
                assertEquals(1180, p.version());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("libraries")
    void writeThenReadMovesTheSameBytesThroughARegisteredHandle(final Path library) throws Exception
    {
        final int size = 64 * 1024;
        final Path file = dir.resolve("data");
        final int fd = openFd(file, 4 * size);
        try (CuFileDriver driver = open(library);
             CuFileHandle handle = driver.registerHandle(fd);
             AlignedMemory src = new AlignedMemory(size, 4096);
             AlignedMemory dst = new AlignedMemory(size, 4096))
        {
            final byte[] bytes = new byte[size];
            new Random(7).nextBytes(bytes);
            src.newBuffer().putBytes(0, bytes);
            driver.registerBuffer(dst.address(), size);
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, handle.write(src.address(), size, 2L * size, 0));
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, handle.read(dst.address(), size, 2L * size, 0));
            final byte[] back = new byte[size];
            new UnsafeBuffer(dst.address(), size).getBytes(0, back);
            assertArrayEquals(bytes, back);
            driver.deregisterBuffer(dst.address());
        }
        finally
        {
            PosixFiles.close(fd);
        }
    }

    @ParameterizedTest
    @MethodSource("libraries")
    void aReadPastTheEndOfTheFileIsAShortReadFailure(final Path library) throws Exception
    {
        final Path file = dir.resolve("short");
        final int fd = openFd(file, 8192);
        try (CuFileDriver driver = open(library);
             CuFileHandle handle = driver.registerHandle(fd);
             AlignedMemory dst = new AlignedMemory(16384, 4096))
        {
            assertEquals(CuFileStatus.SHORT_IO, handle.read(dst.address(), 16384, 0, 0));
            assertEquals(8192, handle.lastReturn());
        }
        finally
        {
            PosixFiles.close(fd);
        }
    }

    @Test
    void errnoFromTheDriverBecomesPosixErrorKeepingTheErrno() throws Exception
    {
        final Path library = CuFileDoubles.healthyDouble();
        final Path file = dir.resolve("eio");
        final int fd = openFd(file, 8192);
        try (CuFileDriver driver = open(library);
             CuFileHandle handle = driver.registerHandle(fd);
             AlignedMemory buf = new AlignedMemory(4096, 4096))
        {
            CuFileDoubles.injectFault(library, CuFileDoubles.FAULT_ERRNO, 5);
            assertEquals(CuFileStatus.POSIX_ERROR, handle.write(buf.address(), 4096, 0, 0));
            assertEquals(5, handle.lastErrno());
            CuFileDoubles.injectFault(library, CuFileDoubles.FAULT_ERRNO, 28);
            assertEquals(CuFileStatus.POSIX_ERROR, handle.write(buf.address(), 4096, 0, 0));
            assertEquals(28, handle.lastErrno());
            assertEquals(CuFileStatus.CU_FILE_SUCCESS, handle.write(buf.address(), 4096, 0, 0));
        }
        finally
        {
            PosixFiles.close(fd);
        }
    }

    @Test
    void aNegatedOpErrorFromReadIsReportedUnderNvidiasName() throws Exception
    {
        final Path library = CuFileDoubles.healthyDouble();
        final Path file = dir.resolve("op");
        final int fd = openFd(file, 8192);
        try (CuFileDriver driver = open(library);
             CuFileHandle handle = driver.registerHandle(fd);
             AlignedMemory buf = new AlignedMemory(4096, 4096))
        {
            CuFileDoubles.injectFault(library, CuFileDoubles.FAULT_OP_ERROR, 5030);
            assertEquals(CuFileStatus.CU_FILE_INTERNAL_ERROR, handle.read(buf.address(), 4096, 0, 0));
            CuFileDoubles.injectFault(library, CuFileDoubles.FAULT_SHORT, 0);
            assertEquals(CuFileStatus.SHORT_IO, handle.read(buf.address(), 4096, 0, 0));
        }
        finally
        {
            PosixFiles.close(fd);
        }
    }

    @Test
    void registeringABufferTwiceIsMemoryAlreadyRegistered() throws Exception
    {
        final Path library = CuFileDoubles.healthyDouble();
        try (CuFileDriver driver = open(library);
             AlignedMemory buf = new AlignedMemory(4096, 4096))
        {
            driver.registerBuffer(buf.address(), 4096);
            final CuFileException e = assertThrows(CuFileException.class, () -> driver.registerBuffer(buf.address(), 4096));
            assertEquals(CuFileStatus.CU_FILE_MEMORY_ALREADY_REGISTERED, e.status());
            assertTrue(e.getMessage().contains("CU_FILE_MEMORY_ALREADY_REGISTERED"), e.getMessage());
            driver.deregisterBuffer(buf.address());
        }
    }

    @Test
    void aDriverOpenThatNeverReturnsBecomesGdsUnavailable()
    {
        final Path library = CuFileDoubles.hangingDouble();
        final CuFileException e = assertThrows(CuFileException.class,
            () -> CuFileDriver.open(library, Duration.ofMillis(300)));
        assertEquals(CuFileStatus.TIMED_OUT, e.status());
        assertEquals("GDS unavailable: driver open timed out after 300 ms", e.getMessage());
    }

    @Test
    void aMissingLibraryIsLibraryNotFoundNamingThePath()
    {
        final Path missing = dir.resolve("libcufile.so.0");
        final CuFileException e = assertThrows(CuFileException.class,
            () -> CuFileDriver.open(missing, Duration.ofSeconds(5)));
        assertEquals(CuFileStatus.LIBRARY_NOT_FOUND, e.status());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }
}
