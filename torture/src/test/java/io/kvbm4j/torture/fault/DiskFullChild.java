package io.kvbm4j.torture.fault;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import io.kvbm4j.api.Counter;

/**
 * Runs inside a private mount namespace on a small tmpfs ({@link DiskFullTest}): first a G3 bigger than the
 * file system (refused at open, with the reason), then one that fits, with the rest of the file system filled
 * up before any block is written, a workload, a warm restart on the full disk and a check of every block.
 * Prints one line per phase.
 */
public final class DiskFullChild
{
    private DiskFullChild()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final Path mount = Path.of(args[0]);
        try (EngineUnderTest e = new EngineUnderTest(mount.resolve("too-big"), UnaryOperator.identity(),
            "g3.slot-count", "4096"))
        {
            System.out.println("OPENED_TOO_BIG (unexpected) " + e.counter(Counter.G3_RESTORED_BLOCKS));
        }
        catch (final IllegalStateException ex)
        {
            System.out.println("REFUSED " + ex.getMessage().replace('\n', ' '));
        }
        final Path g3 = mount.resolve("g3");
        long filled = 0;
        try (EngineUnderTest e = new EngineUnderTest(g3, UnaryOperator.identity(), "g3.slot-count", "512"))
        {
            final byte[] chunk = new byte[64 * 1024];
            try (OutputStream out = Files.newOutputStream(mount.resolve("filler")))
            {
                while (true)
                {
                    out.write(chunk);
                    filled += chunk.length;
                }
            }
            catch (final IOException full)
            {
                System.out.println("FILLED bytes=" + filled + " usable=" + Files.getFileStore(mount).getUsableSpace() +
                    " error=" + full.getMessage());
            }
            e.store(0, 64);
            e.lookUp(0, 64, Long.MAX_VALUE);
            System.out.println("SERVED written=" + e.counter(Counter.G3_OFFLOADED_BLOCKS) + " failed=" +
                e.counter(Counter.G3_WRITE_FAILED_BLOCKS) + " served=" + e.served + " wrong=" + e.wrong);
        }
        try (EngineUnderTest e = new EngineUnderTest(g3, UnaryOperator.identity(), "g3.slot-count", "512"))
        {
            e.lookUp(0, 64, Long.MAX_VALUE);
            System.out.println("RESTARTED restored=" + e.counter(Counter.G3_RESTORED_BLOCKS) + " onboarded=" +
                e.counter(Counter.G3_ONBOARDED_BLOCKS) + " corrupt=" + e.counter(Counter.G3_CORRUPT_BLOCKS) + " served=" +
                e.served + " asked=" + e.asked + " wrong=" + e.wrong);
        }
    }
}
