package io.kvbm4j.gds.cufile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Assumptions;

import com.sun.jna.Library;
import com.sun.jna.Native;

/**
 * Where the tests find libcufile: the C doubles the test build compiles with gcc
 * (src/test/c/cufile_double.c), and a real libcufile when {@value CuFileDriver#LIBRARY_ENV} names one.
 */
public final class CuFileDoubles
{
    /** Fault kinds of {@code kvbm4jCuFileDoubleInjectFault}. */
    public static final int FAULT_ERRNO = 1;
    public static final int FAULT_OP_ERROR = 2;
    public static final int FAULT_SHORT = 3;

    /** The double's fault-injection entry point (exists only in the double). */
    public interface DoubleControl extends Library
    {
        void kvbm4jCuFileDoubleInjectFault(int kind, int value);
    }

    private CuFileDoubles()
    {
    }

    private static Path nativeDir()
    {
        return Path.of(System.getProperty("kvbm.test.native.dir", "target/native"));
    }

    /** The healthy double, or the test is skipped saying gcc did not build it. */
    public static Path healthyDouble()
    {
        final Path p = nativeDir().resolve("libcufile_double.so");
        Assumptions.assumeTrue(Files.isRegularFile(p),
            "needs gcc: the libcufile test double " + p + " was not built");
        return p;
    }

    /** The double whose cuFileDriverOpen never returns, or the test is skipped. */
    public static Path hangingDouble()
    {
        final Path p = nativeDir().resolve("libcufile_hang_double.so");
        Assumptions.assumeTrue(Files.isRegularFile(p),
            "needs gcc: the hanging libcufile test double " + p + " was not built");
        return p;
    }

    /** Makes the next cuFileRead/cuFileWrite of the double fail once. */
    public static void injectFault(final Path doubleLibrary, final int kind, final int value)
    {
        Native.load(doubleLibrary.toAbsolutePath().toString(), DoubleControl.class).kvbm4jCuFileDoubleInjectFault(kind, value);
    }

    /** Libraries the binding's I/O tests run against: the double, and a real libcufile if one is named. */
    public static List<Path> libraries()
    {
        final List<Path> out = new ArrayList<>();
        final Path d = nativeDir().resolve("libcufile_double.so");
        if (Files.isRegularFile(d))
        {
            out.add(d);
        }
        final String real = System.getenv(CuFileDriver.LIBRARY_ENV);
        if (real != null && !real.isBlank())
        {
            out.add(Path.of(real));
        }
        return out;
    }
}
