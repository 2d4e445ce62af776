package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.gds.disk.FaultySlotIoDouble;

/**
 * The engine's G3 path on the disk tier's asynchronous API: up to {@code g3.queue-depth} I/Os in flight through
 * the transfer engine, the serving thread never waiting for them, failures of single parts injected by the
 * gds module's {@link FaultySlotIoDouble} (a named TEST DOUBLE around the real O_DIRECT I/O), and a stop with
 * I/Os held in flight. The transfer engine runs on the test's thread (invoker); the disk tier's I/O threads
 * are real. Every test ends with the fixture's pool invariants and {@link ResidencyChecker}.
 */
class G3DepthTest extends EngineFixture
{
    private static final long WAIT = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    Path root;

    private EngineConfig tiered(final int g1, final int g2, final int g3, final String... extra)
    {
        final String[] base = {"tiers.g2-blocks", Integer.toString(g2), "tiers.g1-memory", "host",
            "transfers.admission", "always", "g3.slot-count", Integer.toString(g3), "g3.root",
            root.resolve("g3").toString(), "g3.degrade-after-failures", "1000000"};
        final String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return config(g1, all);
    }

    @Test
    void aG3OnboardKeepsQueueDepthReadsInFlightWhileTheServingThreadGoesOn() throws InterruptedException
    {
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(1, 0, 0, 0);
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(16, 8, 32, "g3.queue-depth", "4"))
            .g3Io(io -> new FaultySlotIoDouble(io, faults)));
        final BlockIds a = chain(1, 8);
        G3TransfersTest.onlyInG3(m, a, chain(2, 8), 1);
        for (int i = 0; i < 8; i++)
        {
            assertTrue(m.pool(Tier.G3).lookup(a.hi(i), a.lo(i)) >= 0 && m.pool(Tier.G2).lookup(a.hi(i), a.lo(i)) < 0);
        }
        final CountDownLatch gate = new CountDownLatch(1);
        faults.started = new CountDownLatch(4);
        faults.gate = gate; // every I/O from now on is held until the test opens the gate
        final int[] slots = new int[8];
        final Onboard onboard = new Onboard();
        assertEquals(8, m.matchOnboard(a, 8, 7, slots, onboard));
        m.invokeTransfers(); // the G3→G2 record: 4 reads submitted, 4 wait in the copier for an I/O thread
        assertTrue(faults.started.await(10, TimeUnit.SECONDS), "queue-depth reads reached the disk");
        assertEquals(4, faults.running.get(), "g3.queue-depth I/Os in flight at once");
        for (int k = 0; k < 3; k++)
        {
            m.invokeTransfers(); // the transfer thread's duty cycle returns with the reads held
            assertEquals(Status.NOT_READY, m.pollOnboard(onboard, slots), "the serving thread does not wait");
        }
        assertEquals(8, m.pool(Tier.G2).partialCount(), "the G2 slots being read into stay allocated");
        assertEquals(4, faults.running.get(), "no more than g3.queue-depth");
        faults.gate = null;
        gate.countDown();
        assertEquals(8, m.awaitOnboard(onboard, slots, WAIT));
        for (int i = 0; i < 8; i++)
        {
            assertTrue(G3TransfersTest.hasPayload(m.g1Memory(), slots[i], a.hi(i), a.lo(i)), "block " + i + " bytes");
        }
        releaseAll(m, slots, 8);
        assertEquals(4, faults.maxRunning.get(), "the depth the disk saw");
        assertEquals(8, m.counters().get(Counter.G3_ONBOARDED_BLOCKS));
    }

    @Test
    void manyG3IosInFlightWithSinglePartsFailingAreMissesAndNeverWrongBytes()
    {
        final long seed = System.nanoTime();
        final String why = "seed " + seed;
        // 2 MiB blocks cut into two 1 MiB parts, 8 I/O threads; 5% errors, 5% silent tears, 5% silent flips.
        // G2 checksums off: the disk tier's own checks are the only line between a bad part and G1.
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(seed, 50, 50, 50);
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(16, 8, 64, "model", "llama-3.1-8b",
            "block-tokens", "16", "g3.queue-depth", "8", "g3.part-bytes", "1048576", "transfers.verify-g2", "false"))
            .g3Io(io -> new FaultySlotIoDouble(io, faults)));
        int served = 0;
        int servedFromG3 = 0;
        // At these rates a chain's first block fails about half the time (4 part I/Os, 15 % each), so 4 rounds
        // served nothing about once in 20 runs: rounds go on (up to 16) until something was served.
        for (int round = 0; round < 4 || served == 0 && round < 16; round++)
        {
            final BlockIds a = chain(10 + round, 8);
            G3TransfersTest.onlyInG3(m, a, chain(100 + round, 8), 10 * round + 1);
            final long before = m.counters().get(Counter.G3_ONBOARDED_BLOCKS);
            final int[] slots = new int[8];
            final Onboard onboard = new Onboard();
            final int available = m.matchOnboard(a, 8, 7, slots, onboard);
            int got = onboard.hits();
            if (onboard.pending())
            {
                final int r = m.awaitOnboard(onboard, slots, WAIT);
                assertTrue(r >= 0, why + ": await answered " + r);
                got += r;
            }
            assertTrue(got <= available, why);
            for (int i = 0; i < got; i++)
            {
                assertTrue(G3TransfersTest.hasPayload(m.g1Memory(), slots[i], a.hi(i), a.lo(i)),
                    why + ": round " + round + " block " + i + " handed back is its own bytes");
            }
            releaseAll(m, slots, got);
            served += got;
            servedFromG3 += (int)(m.counters().get(Counter.G3_ONBOARDED_BLOCKS) - before);
        }
        final long failed = m.counters().get(Counter.G3_WRITE_FAILED_BLOCKS) +
            m.counters().get(Counter.G3_READ_FAILED_BLOCKS);
        assertTrue(faults.injected.get() > 0, why + ": faults injected");
        assertTrue(failed > 0, why + ": failed parts failed their blocks (" + failed + ")");
        assertTrue(servedFromG3 > 0, why + ": blocks still come back from G3 between the faults");
        assertTrue(served > 0, why);
        assertTrue(faults.maxRunning.get() > 1, why + ": more than one I/O in flight (" + faults.maxRunning + ")");
        assertFalse(faults.closedUnderRunningIo, why);
    }

    @Test
    void writeBacksBeyondTheOutstandingRecordsAndTheOneFillingAreDroppedSoG1G2KeepsAPlace()
    {
        // K = 2 places: one write-back record outstanding at most, one more filling; batches of 2 blocks.
        final DefaultKvBlockManager m = openInvoked(tiered(16, 8, 32, "transfers.max-in-flight", "2",
            "transfers.batch-blocks", "2"));
        final BlockIds a = chain(1, 6);
        G3TransfersTest.storeWithPayloads(m, a, 1);
        final int[] one = new int[1];
        m.match(a, 0, 2, one); // submits the G1→G2 batches
        m.invokeTransfers(); // two G1→G2 records (K = 2)
        m.invokeTransfers(); // the third
        m.fill(-1, 0); // applies them: blocks 1-2 go out, blocks 3-4 fill the next record, blocks 5-6 find both full
        assertEquals(6, m.counters().get(Counter.OFFLOADED_BLOCKS));
        assertEquals(2, m.counters().get(Counter.G3_OFFLOAD_DROPPED),
            "one write-back record outstanding and one filling at most");
        assertEquals(4, m.pool(Tier.G2).activeCount(), "the four write-backs still owed pin their G2 blocks");
        settle(m);
        assertEquals(4, m.counters().get(Counter.G3_OFFLOADED_BLOCKS));
        for (int i = 0; i < 6; i++)
        {
            assertEquals(i < 4, m.pool(Tier.G3).lookup(a.hi(i), a.lo(i)) >= 0, "block " + i + " in G3");
        }
        assertEquals(0, m.pool(Tier.G2).activeCount(), "every G2 pin dropped");
    }

    @Test
    void whileTheDiskIsBusyWriteBacksGatherIntoOneBatchInsteadOfBeingDropped() throws InterruptedException
    {
        // One write-back record may be outstanding (K = 2) and the disk moves one block at a time (queue depth 1):
        // the first write-back goes out alone at once; the next three, stored one by one while it is held on the
        // disk, gather in one record that goes out when the first is applied. Sent one block per record, all three
        // would have found the place taken and been dropped.
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(1, 0, 0, 0);
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(16, 8, 32, "transfers.max-in-flight", "2",
            "transfers.batch-blocks", "4", "g3.queue-depth", "1"))
            .g3Io(io -> new FaultySlotIoDouble(io, faults)));
        final CountDownLatch gate = new CountDownLatch(1);
        faults.started = new CountDownLatch(1);
        faults.gate = gate;
        final int[] one = new int[1];
        final BlockIds first = chain(1, 1);
        G3TransfersTest.storeWithPayloads(m, first, 1);
        m.match(first, 0, 2, one); // submits the G1→G2 batch
        m.invokeTransfers(); // G1→G2
        m.match(first, 0, 2, one); // applies it: the write-back is staged and, the disk being idle, submitted
        m.invokeTransfers(); // the transfer thread hands it to the disk
        assertTrue(faults.started.await(10, TimeUnit.SECONDS), "the first write held at the disk");
        for (int k = 0; k < 3; k++)
        {
            final BlockIds next = chain(10 + k, 1);
            G3TransfersTest.storeWithPayloads(m, next, 10 + k);
            m.match(next, 0, 2, one);
            m.invokeTransfers();
            m.match(next, 0, 2, one); // applies the G1→G2 copy: the write-back waits in the filling record
        }
        assertEquals(0, m.counters().get(Counter.G3_OFFLOAD_DROPPED), "nothing dropped while the disk was busy");
        assertEquals(1, faults.running.get(), "only the first write on the disk");
        faults.gate = null;
        gate.countDown();
        // No settling: plain serving calls apply the first write, see the disk's room and submit the batch.
        final long until = System.nanoTime() + WAIT;
        while (m.counters().get(Counter.G3_OFFLOADED_BLOCKS) < 4 && System.nanoTime() - until < 0)
        {
            m.invokeTransfers();
            m.match(first, 0, 2, one);
        }
        assertEquals(4, m.counters().get(Counter.G3_OFFLOADED_BLOCKS), "all four written, by serving calls alone");
        settle(m);
        assertEquals(0, m.counters().get(Counter.G3_OFFLOAD_DROPPED));
        for (int k = 0; k < 3; k++)
        {
            final BlockIds next = chain(10 + k, 1);
            assertTrue(m.pool(Tier.G3).lookup(next.hi(0), next.lo(0)) >= 0, "block " + k + " of the batch in G3");
        }
        assertEquals(0, m.pool(Tier.G2).activeCount(), "every G2 pin dropped");
    }

    @Test
    void stoppingWithG3ReadsHeldInFlightFreesNothingUnderThem() throws InterruptedException
    {
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(1, 0, 0, 0);
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(16, 8, 32, "g3.queue-depth", "4"))
            .g3Io(io -> new FaultySlotIoDouble(io, faults)));
        final BlockIds a = chain(1, 8);
        G3TransfersTest.onlyInG3(m, a, chain(2, 8), 1);
        final CountDownLatch gate = new CountDownLatch(1);
        faults.started = new CountDownLatch(4);
        faults.gate = gate;
        final int[] slots = new int[8];
        final Onboard onboard = new Onboard();
        assertEquals(8, m.matchOnboard(a, 8, 7, slots, onboard));
        m.invokeTransfers();
        assertTrue(faults.started.await(10, TimeUnit.SECONDS), "reads held at the disk");
        final AtomicBoolean stopReturned = new AtomicBoolean();
        final AtomicBoolean heldDuringStop = new AtomicBoolean();
        final Thread opener = new Thread(() ->
        {
            final long until = System.nanoTime() + WAIT;
            while (!m.transfersStopping() && System.nanoTime() - until < 0)
            {
                Thread.onSpinWait();
            }
            // The stop is under way with the reads still running: it must not have returned.
            heldDuringStop.set(m.transfersStopping() && faults.running.get() == 4 && !stopReturned.get());
            faults.gate = null;
            gate.countDown();
        }, "gate-opener");
        opener.start();
        assertTrue(m.stopTransfers(10, TimeUnit.SECONDS), "the transfer engine stopped once the reads returned");
        stopReturned.set(true);
        opener.join();
        assertTrue(heldDuringStop.get(), "stop waited for the running reads");
        assertFalse(faults.closedUnderRunningIo, "no I/O context closed under a running I/O");
        assertEquals(0, faults.running.get());
        assertEquals(0, m.pool(Tier.G1).activeCount(), "no G1 reference left");
        assertEquals(0, m.pool(Tier.G2).activeCount(), "no G2 pin left");
        assertEquals(0, m.pool(Tier.G3).activeCount(), "no G3 pin left");
        assertEquals(0, m.pool(Tier.G1).partialCount() + m.pool(Tier.G2).partialCount() +
            m.pool(Tier.G3).partialCount());
        assertNull(m.checkInvariants());
    }
}
