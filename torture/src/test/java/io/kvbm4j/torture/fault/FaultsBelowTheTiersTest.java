package io.kvbm4j.torture.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.Counter;
import io.kvbm4j.torture.fault.FaultySlotIo.Fault;

/**
 * Faults below G3 with the whole engine above it, through the {@link FaultySlotIo} double: EIO on writes and
 * on reads, torn (short) writes, short reads that say so and short reads that lie, and a stalled transfer
 * thread. After each: no wrong block, every call answered (a count or a status), and the counters say what
 * happened. Blocks 0..1023 are stored in chains 0..127; G1 (128) and G2 (256) keep only the newest, so
 * looking up chains 0..31 reads from G3. Each test appends a row to {@code target/fault-report.txt}.
 */
class FaultsBelowTheTiersTest
{
    @TempDir
    Path root;

    private static void report(final String kind, final long injected, final String outcome)
    {
        final String row = String.format("| %s | %d | %s |%n", kind, injected, outcome);
        System.out.print(row);
        try
        {
            Files.writeString(Path.of("target", "fault-report.txt"), row, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private static String g3(final EngineUnderTest e)
    {
        return "G3 written " + e.counter(Counter.G3_OFFLOADED_BLOCKS) + ", write failed " +
            e.counter(Counter.G3_WRITE_FAILED_BLOCKS) + ", offload dropped " + e.counter(Counter.G3_OFFLOAD_DROPPED) +
            ", onboarded " + e.counter(Counter.G3_ONBOARDED_BLOCKS) + ", read failed " +
            e.counter(Counter.G3_READ_FAILED_BLOCKS) + ", corrupt " + e.counter(Counter.G3_CORRUPT_BLOCKS) +
            "; served " + e.served + " of " + e.asked + ", wrong " + e.wrong;
    }

    @Test
    void eioOnEveryWriteBecomesFailedG3WritesThenADegradedTierAndMisses()
    {
        final FaultySlotIo.Switch faults = new FaultySlotIo.Switch();
        final String outcome;
        try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3"), faults::wrap))
        {
            faults.set(Fault.EIO_WRITE);
            e.store(0, 128);
            faults.set(Fault.NONE);
            e.lookUp(0, 128, Long.MAX_VALUE);
            assertTrue(e.counter(Counter.G3_WRITE_FAILED_BLOCKS) > 0, g3(e));
            assertEquals(0, e.counter(Counter.G3_OFFLOADED_BLOCKS), g3(e));
            assertEquals(0, e.wrong, g3(e));
            outcome = g3(e);
        }
        // A restart after the faults: nothing was written, nothing comes back, nothing is wrong.
        try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3"), faults::wrap))
        {
            e.lookUp(0, 128, Long.MAX_VALUE);
            assertEquals(0, e.wrong);
            report("EIO on writes (double)", faults.injected.get(), outcome + "; after restart: restored " +
                e.counter(Counter.G3_RESTORED_BLOCKS) + ", served " + e.served + ", wrong " + e.wrong);
        }
    }

    @Test
    void eioOnReadsBecomesMissesNeverWrongBlocks()
    {
        final FaultySlotIo.Switch faults = new FaultySlotIo.Switch();
        try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3"), faults::wrap))
        {
            e.store(0, 128);
            assertTrue(e.counter(Counter.G3_OFFLOADED_BLOCKS) > 0, g3(e));
            faults.set(Fault.EIO_READ);
            e.lookUp(0, 32, Long.MAX_VALUE);
            faults.set(Fault.NONE);
            assertTrue(e.counter(Counter.G3_READ_FAILED_BLOCKS) > 0, g3(e));
            assertEquals(0, e.wrong, g3(e));
            report("EIO on reads (double)", faults.injected.get(), g3(e));
        }
    }

    @Test
    void tornWritesAreNeverServedEvenWhenAHeaderScanFindsThem() throws IOException
    {
        final FaultySlotIo.Switch faults = new FaultySlotIo.Switch();
        final String outcome;
        try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3"), faults::wrap, "g3.degrade-after-failures",
            "1000000"))
        {
            e.store(0, 64);
            faults.set(Fault.SHORT_WRITE);
            e.store(64, 128);
            faults.set(Fault.NONE);
            assertTrue(e.counter(Counter.G3_WRITE_FAILED_BLOCKS) > 0, g3(e));
            outcome = g3(e);
        }
        // Lose the index so the restart scans every slot header: the torn slots have valid headers over
        // stale payloads, and must read back as corrupt (a miss), never as the block.
        Files.delete(root.resolve("g3").resolve("g3-index.dat"));
        try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3"), faults::wrap))
        {
            e.lookUp(0, 128, Long.MAX_VALUE);
            assertEquals(0, e.wrong, g3(e));
            report("short (torn) writes (double), then a header scan", faults.injected.get(), outcome +
                "; after restart without the index: restored " + e.counter(Counter.G3_RESTORED_BLOCKS) + ", " + g3(e));
        }
    }

    @Test
    void shortReadsThatSaySoAndShortReadsThatLieAreBothMisses()
    {
        for (final Fault f : new Fault[] {Fault.SHORT_READ, Fault.SILENT_SHORT_READ})
        {
            final FaultySlotIo.Switch faults = new FaultySlotIo.Switch();
            try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3-" + f), faults::wrap))
            {
                e.store(0, 128);
                faults.set(f);
                e.lookUp(0, 32, Long.MAX_VALUE);
                faults.set(Fault.NONE);
                assertTrue(e.counter(Counter.G3_READ_FAILED_BLOCKS) + e.counter(Counter.G3_CORRUPT_BLOCKS) > 0, g3(e));
                assertEquals(0, e.wrong, g3(e));
                report(f == Fault.SHORT_READ ? "short reads, reported (double)" :
                    "short reads, silent: zeros returned as OK (double)", faults.injected.get(), g3(e));
            }
        }
    }

    @Test
    void aStalledTransferThreadLeavesServingCallsAnsweringWithStatuses() throws InterruptedException
    {
        final FaultySlotIo.Switch faults = new FaultySlotIo.Switch();
        try (EngineUnderTest e = new EngineUnderTest(root.resolve("g3"), faults::wrap))
        {
            e.store(0, 128);
            faults.set(Fault.STALL);
            // A G3 read is scheduled and stalls the transfer thread; the caller's bounded wait answers NOT_READY.
            final Thread releaser = new Thread(() ->
            {
                try
                {
                    if (faults.awaitStalled(TimeUnit.SECONDS.toMillis(60)))
                    {
                        Thread.sleep(1500);
                    }
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                faults.release();
            }, "stall-releaser");
            releaser.start();
            e.lookUp(0, 1, TimeUnit.MILLISECONDS.toNanos(200));
            releaser.join();
            final long dropped = e.counter(Counter.OFFLOAD_DROPPED) + e.counter(Counter.G3_OFFLOAD_DROPPED);
            e.lookUp(0, 32, Long.MAX_VALUE);
            assertTrue(e.settle(), "transfers settle once the stall ends");
            assertTrue(e.notReady > 0, "a bounded wait on a stalled onboard answers NOT_READY");
            assertEquals(0, e.wrong, g3(e));
            report("transfer thread stalled (G3 I/O blocked 1.5 s)", faults.injected.get(), "onboard waits that " +
                "answered NOT_READY " + e.notReady + ", offloads dropped " + dropped + ", onboards refused not-now " +
                e.counter(Counter.ONBOARD_NOT_NOW) + ", timed out " + e.counter(Counter.TRANSFER_TIMED_OUT_BLOCKS) + "; " + g3(e));
        }
    }
}
