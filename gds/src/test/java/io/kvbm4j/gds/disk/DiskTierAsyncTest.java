package io.kvbm4j.gds.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * The asynchronous G3 path: many I/Os in flight on the I/O threads, blocks cut into parts, failures of
 * single parts injected by {@link FaultySlotIoDouble}, eviction and shutdown with I/Os in flight. The
 * test thread is the owner; it waits for the I/O threads by polling completions (no clock).
 */
class DiskTierAsyncTest
{
    private static final int MIB = 1 << 20;
    /** 3.5 MiB + a bit: four 1 MiB parts, the last one short and not 4 KiB aligned. */
    private static final int MAX = 3 * MIB + MIB / 2 + 100;
    private static final int BUFFERS = 12;

    @TempDir
    Path root;

    private AlignedMemory[] buffers;
    private AlignedMemory scratch;

    @BeforeEach
    void allocate()
    {
        buffers = new AlignedMemory[BUFFERS];
        for (int i = 0; i < BUFFERS; i++)
        {
            buffers[i] = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096);
        }
        scratch = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096);
    }

    @AfterEach
    void release()
    {
        for (final AlignedMemory b : buffers)
        {
            b.close();
        }
        scratch.close();
    }

    private DiskTierConfig config(final int slots, final int depth)
    {
        return DiskTierConfig.posix(root.resolve("g3"), slots, MAX).withQueueDepth(depth, MIB)
            .withDegradeAfterFailures(1_000_000);
    }

    private static int length(final long i)
    {
        return Blocks.length(i, MAX);
    }

    /** Completions recorded per tag (tag = buffer index << 32 | block). */
    private static final class Recorder implements DiskCompletionHandler
    {
        final DiskStatus[] writes = new DiskStatus[4096];
        final DiskStatus[] reads = new DiskStatus[4096];
        final long[] callerChecksums = new long[4096];
        int completed;

        @Override
        public void onComplete(final long tag, final boolean write, final DiskStatus status, final long callerChecksum)
        {
            (write ? writes : reads)[(int)tag & 0xFFFF] = status;
            if (!write)
            {
                callerChecksums[(int)tag & 0xFFFF] = callerChecksum;
            }
            completed++;
        }
    }

    private static void drain(final DiskTier tier, final Recorder r, final int expected)
    {
        while (r.completed < expected)
        {
            if (tier.pollCompletions(r, Integer.MAX_VALUE) == 0)
            {
                Thread.yield();
            }
        }
    }

    @Test
    void manyBlocksInFlightRoundTripThroughTheIoThreadsInParts() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config(32, 8)))
        {
            final Recorder r = new Recorder();
            int submitted = 0;
            int maxInFlight = 0;
            for (int i = 0; i < 24; i++)
            {
                final AlignedMemory b = buffers[i % BUFFERS];
                if (i % BUFFERS == 0)
                {
                    drain(tier, r, submitted); // the buffers' earlier writes have completed
                }
                Blocks.fill(b.newBuffer(), i, length(i));
                DiskStatus s;
                while ((s = tier.submitWrite(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, b.address(), length(i), i)) ==
                    DiskStatus.BUSY)
                {
                    tier.pollCompletions(r, Integer.MAX_VALUE);
                }
                assertEquals(DiskStatus.SUBMITTED, s);
                submitted++;
                maxInFlight = Math.max(maxInFlight, tier.inFlight());
            }
            drain(tier, r, submitted);
            assertTrue(maxInFlight > 1, "several I/Os were in flight at once: " + maxInFlight);
            for (int i = 0; i < 24; i++)
            {
                assertEquals(DiskStatus.OK, r.writes[i], "write " + i);
                assertTrue(tier.contains(Blocks.idHi(i), Blocks.idLo(i)));
            }
            assertEquals(0, tier.inFlight());
            // Reads, many in flight, each into its own buffer.
            final Recorder rr = new Recorder();
            for (int i = 0; i < BUFFERS; i++)
            {
                assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, i, buffers[i]));
            }
            drain(tier, rr, BUFFERS);
            for (int i = 0; i < BUFFERS; i++)
            {
                assertEquals(DiskStatus.OK, rr.reads[i], "read " + i);
                assertTrue(Blocks.matches(buffers[i].newBuffer(), i, length(i), scratch.newBuffer()), "block " + i);
            }
            // The synchronous path reads what the asynchronous one wrote (same checksum), and vice versa.
            final DiskStatus sync = tier.read(Blocks.idHi(20), Blocks.idLo(20), Blocks.SALT, buffers[0].address(),
                buffers[0].length());
            assertEquals(DiskStatus.OK, sync);
            assertTrue(Blocks.matches(buffers[0].newBuffer(), 20, length(20), scratch.newBuffer()));
            assertEquals(24, tier.counter(DiskCounter.WRITES));
        }
    }

    private static DiskStatus submitReadUntilAccepted(final DiskTier tier, final Recorder r, final int i,
                                                      final AlignedMemory into)
    {
        DiskStatus s;
        while ((s = tier.submitRead(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, into.address(), into.length(), i)) ==
            DiskStatus.BUSY)
        {
            tier.pollCompletions(r, Integer.MAX_VALUE);
        }
        return s;
    }

    @Test
    void aFailedOrTornPartFailsTheWholeBlockAndNothingWrongIsServed() throws Exception
    {
        final long seed = System.nanoTime();
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(seed, 60, 60, 60);
        final String why = "seed " + seed;
        final int blocks = 60;
        try (DiskTier tier = DiskTier.open(config(blocks, 8), io -> new FaultySlotIoDouble(io, faults)))
        {
            final Recorder w = new Recorder();
            for (int i = 0; i < blocks; i++)
            {
                if (i % BUFFERS == 0)
                {
                    drain(tier, w, i); // the buffers' earlier writes have completed
                }
                final AlignedMemory b = buffers[i % BUFFERS];
                Blocks.fill(b.newBuffer(), i, length(i));
                submitWrite(tier, w, i, b);
            }
            drain(tier, w, blocks);
            int failedWrites = 0;
            for (int i = 0; i < blocks; i++)
            {
                final boolean ok = w.writes[i] == DiskStatus.OK;
                failedWrites += ok ? 0 : 1;
                assertEquals(ok, tier.contains(Blocks.idHi(i), Blocks.idLo(i)), "a failed write is a miss, " + why);
            }
            // Read every block several times, a batch of BUFFERS in flight: each OK carries exactly its bytes.
            int served = 0;
            int refused = 0;
            for (int round = 0; round < 3; round++)
            {
                for (int first = 0; first < blocks; first += BUFFERS)
                {
                    final Recorder r = new Recorder();
                    final int n = Math.min(BUFFERS, blocks - first);
                    for (int k = 0; k < n; k++)
                    {
                        final int i = first + k;
                        buffers[k].newBuffer().setMemory(0, buffers[k].length(), (byte)0);
                        final DiskStatus s = submitReadUntilAccepted(tier, r, i, buffers[k]);
                        if (s != DiskStatus.SUBMITTED)
                        {
                            assertEquals(DiskStatus.MISS, s, why);
                            r.reads[i] = DiskStatus.MISS;
                            r.completed++;
                        }
                    }
                    drain(tier, r, n);
                    for (int k = 0; k < n; k++)
                    {
                        final int i = first + k;
                        if (r.reads[i] == DiskStatus.OK)
                        {
                            served++;
                            assertTrue(Blocks.matches(buffers[k].newBuffer(), i, length(i), scratch.newBuffer()),
                                "block " + i + " was served with wrong bytes, " + why);
                        }
                        else
                        {
                            refused++;
                        }
                    }
                }
            }
            assertTrue(faults.injected.get() > 0, "faults were injected, " + why);
            assertTrue(failedWrites > 0 || tier.counter(DiskCounter.CORRUPT_SLOTS) > 0 || refused > 0, why);
            assertTrue(served > 0, "some blocks were served, " + why);
            assertEquals(0, tier.inFlight());
        }
        assertFalse(faults.closedUnderRunningIo, why);
    }

    @Test
    void everyServedBlockCarriesItsOwnBytesUnderInjectedFaults() throws Exception
    {
        // One block per buffer, read in flight together, verified as each completes.
        final long seed = System.nanoTime() ^ 0x5EED;
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(seed, 50, 50, 100);
        final String why = "seed " + seed;
        try (DiskTier tier = DiskTier.open(config(BUFFERS, 8), io -> new FaultySlotIoDouble(io, faults)))
        {
            int served = 0;
            for (int round = 0; round < 6; round++)
            {
                final Recorder w = new Recorder();
                for (int i = 0; i < BUFFERS; i++)
                {
                    if (!tier.contains(Blocks.idHi(i), Blocks.idLo(i)))
                    {
                        Blocks.fill(buffers[i].newBuffer(), i, length(i));
                        submitWrite(tier, w, i, buffers[i]);
                    }
                    else
                    {
                        w.completed++;
                    }
                }
                drain(tier, w, BUFFERS);
                final Recorder r = new Recorder();
                for (int i = 0; i < BUFFERS; i++)
                {
                    buffers[i].newBuffer().setMemory(0, buffers[i].length(), (byte)0);
                    final DiskStatus s = submitReadUntilAccepted(tier, r, i, buffers[i]);
                    if (s != DiskStatus.SUBMITTED)
                    {
                        r.reads[i] = s;
                        r.completed++;
                    }
                }
                drain(tier, r, BUFFERS);
                for (int i = 0; i < BUFFERS; i++)
                {
                    if (r.reads[i] == DiskStatus.OK)
                    {
                        served++;
                        assertTrue(Blocks.matches(buffers[i].newBuffer(), i, length(i), scratch.newBuffer()),
                            "block " + i + " was served with wrong bytes, " + why);
                    }
                }
            }
            assertTrue(served > 0, why);
            assertTrue(faults.injected.get() > 0, why);
        }
        assertFalse(faults.closedUnderRunningIo, why);
    }

    private static void submitWrite(final DiskTier tier, final Recorder r, final int i, final AlignedMemory b)
    {
        DiskStatus s;
        while ((s = tier.submitWrite(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, b.address(), length(i), i)) ==
            DiskStatus.BUSY)
        {
            tier.pollCompletions(r, Integer.MAX_VALUE);
        }
        assertEquals(DiskStatus.SUBMITTED, s);
    }

    @Test
    void closeWaitsForRunningIosBeforeReleasingTheirContexts() throws Exception
    {
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(1, 0, 0, 0);
        final DiskTier tier = DiskTier.open(config(8, 4), io -> new FaultySlotIoDouble(io, faults));
        final Recorder r = new Recorder();
        final CountDownLatch gate = new CountDownLatch(1);
        faults.started = new CountDownLatch(4);
        faults.gate = gate;
        for (int i = 0; i < 4; i++)
        {
            Blocks.fill(buffers[i].newBuffer(), i, MIB / 2);
            assertEquals(DiskStatus.SUBMITTED,
                tier.submitWrite(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, buffers[i].address(), MIB / 2, i));
        }
        assertEquals(DiskStatus.BUSY,
            tier.submitWrite(Blocks.idHi(9), Blocks.idLo(9), Blocks.SALT, buffers[5].address(), MIB / 2, 9));
        faults.started.await(); // all four I/Os are inside the SlotIo, held at the gate
        final Thread closer = new Thread(tier::close, "closer");
        closer.start();
        while (closer.getState() != Thread.State.WAITING && closer.isAlive())
        {
            Thread.onSpinWait(); // until close() waits for the I/O threads
        }
        assertTrue(closer.isAlive(), "close returned while four I/Os were running");
        assertEquals(4, faults.running.get());
        gate.countDown();
        closer.join();
        assertFalse(faults.closedUnderRunningIo, "an I/O context was closed under a running I/O");
        assertEquals(0, faults.running.get());
        // The completions stay collectable after close: the writes landed but are not acknowledged.
        tier.pollCompletions(r, Integer.MAX_VALUE);
        assertEquals(4, r.completed);
        for (int i = 0; i < 4; i++)
        {
            assertEquals(DiskStatus.CLOSED, r.writes[i]);
        }
    }

    @Test
    void anEvictionDuringAReadFreesTheSlotOnlyAfterTheReadCompleted() throws Exception
    {
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(1, 0, 0, 0);
        try (DiskTier tier = DiskTier.open(config(4, 4), io -> new FaultySlotIoDouble(io, faults)))
        {
            final Recorder w = new Recorder();
            Blocks.fill(buffers[0].newBuffer(), 0, length(0));
            submitWrite(tier, w, 0, buffers[0]);
            drain(tier, w, 1);
            assertEquals(DiskStatus.OK, w.writes[0]);
            final int free = tier.freeSlots();
            final CountDownLatch gate = new CountDownLatch(1);
            faults.started = new CountDownLatch(1);
            faults.gate = gate;
            final Recorder r = new Recorder();
            assertEquals(DiskStatus.SUBMITTED, tier.submitRead(Blocks.idHi(0), Blocks.idLo(0), Blocks.SALT,
                buffers[1].address(), buffers[1].length(), 0));
            faults.started.await();
            assertTrue(tier.evict(Blocks.idHi(0), Blocks.idLo(0)));
            assertFalse(tier.contains(Blocks.idHi(0), Blocks.idLo(0)));
            assertEquals(free, tier.freeSlots(), "the slot stays out of the free stack while a read runs into it");
            assertEquals(0, tier.size());
            faults.gate = null;
            gate.countDown();
            drain(tier, r, 1);
            assertEquals(DiskStatus.OK, r.reads[0], "the read that started before the eviction completes");
            assertEquals(free + 1, tier.freeSlots());
        }
    }

    @Test
    void queueDepthAndPartSizeAreValidatedNamingTheKey()
    {
        final IllegalArgumentException depth = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> config(4, 0));
        assertTrue(depth.getMessage().startsWith("g3.queue-depth"), depth.getMessage());
        final IllegalArgumentException part = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> DiskTierConfig.posix(root, 4, MAX).withQueueDepth(4, 12345));
        assertTrue(part.getMessage().startsWith("g3.part-bytes"), part.getMessage());
        assertEquals(16, DiskTierConfig.fromMap(java.util.Map.of("g3.root", root.toString(), "g3.slot-count", "4",
            "g3.max-payload-bytes", "4096", "g3.queue-depth", "16")).queueDepth());
    }

    @Test
    void aVerifiedReadHandsBackTheCallerChecksumItsWriteStoredAndAFormat2SlotStillReadsWithNone() throws Exception
    {
        final long callerSum;
        try (DiskTier tier = DiskTier.open(config(8, 4)))
        {
            final Recorder r = new Recorder();
            for (int i = 1; i <= 2; i++)
            {
                Blocks.fill(buffers[i].newBuffer(), i, length(i));
            }
            callerSum = SlotHeaderLayout.checksum(buffers[1].address(), length(1));
            assertEquals(DiskStatus.SUBMITTED, tier.submitWrite(Blocks.idHi(1), Blocks.idLo(1), Blocks.SALT,
                buffers[1].address(), length(1), callerSum, 1));
            assertEquals(DiskStatus.SUBMITTED, tier.submitWrite(Blocks.idHi(2), Blocks.idLo(2), Blocks.SALT,
                buffers[2].address(), length(2), 2));
            drain(tier, r, 2);
            final Recorder rr = new Recorder();
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 1, buffers[3]));
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 2, buffers[4]));
            drain(tier, rr, 2);
            assertEquals(DiskStatus.OK, rr.reads[1]);
            assertEquals(DiskStatus.OK, rr.reads[2]);
            assertEquals(callerSum, rr.callerChecksums[1], "the checksum the write was given comes back");
            assertEquals(0, rr.callerChecksums[2], "a write without one reads back with none");
        }
        // Rewrite block 2's header in the previous layout (format 2: header checksum at 64 over bytes 0..63,
        // 72 header bytes, chunked payload checksum, no caller checksum), as a tier of the previous version left it.
        final Path file = root.resolve("g3").resolve("g3-slots.dat");
        final long stride = DiskTier.strideOf(MAX);
        boolean rewritten = false;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer h = java.nio.ByteBuffer.allocateDirect(SlotHeaderLayout.HEADER_BLOCK)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (long off = 0; off + SlotHeaderLayout.HEADER_BLOCK <= ch.size() && !rewritten; off += stride)
            {
                h.clear();
                ch.read(h, off);
                final UnsafeBuffer u = new UnsafeBuffer(h);
                if (u.getLong(SlotHeaderLayout.MAGIC_OFFSET, java.nio.ByteOrder.LITTLE_ENDIAN) != SlotHeaderLayout.MAGIC ||
                    SlotHeaderLayout.idLo(u) != Blocks.idLo(2) || SlotHeaderLayout.idHi(u) != Blocks.idHi(2))
                {
                    continue;
                }
                assertEquals(0, SlotHeaderLayout.callerChecksum(u), "written without a caller checksum");
                assertFalse(SlotHeaderLayout.wholePayloadSum(u), "so with the chunked payload checksum");
                u.putInt(SlotHeaderLayout.VERSION_OFFSET, SlotHeaderLayout.FORMAT_VERSION_2, java.nio.ByteOrder.LITTLE_ENDIAN);
                u.putInt(SlotHeaderLayout.HEADER_BYTES_OFFSET, SlotHeaderLayout.HEADER_BYTES_2, java.nio.ByteOrder.LITTLE_ENDIAN);
                u.putLong(SlotHeaderLayout.HEADER_CHECKSUM_OFFSET, 0, java.nio.ByteOrder.LITTLE_ENDIAN);
                u.putLong(SlotHeaderLayout.HEADER_CHECKSUM_OFFSET_2,
                    SlotHeaderLayout.checksum(u.addressOffset(), SlotHeaderLayout.HEADER_CHECKSUM_OFFSET_2),
                    java.nio.ByteOrder.LITTLE_ENDIAN);
                h.clear();
                ch.write(h, off);
                ch.force(true);
                rewritten = true;
            }
        }
        assertTrue(rewritten, "block 2's slot found in the file");
        try (DiskTier tier = DiskTier.open(config(8, 4)))
        {
            assertTrue(tier.contains(Blocks.idHi(2), Blocks.idLo(2)), "a format 2 slot is restored at open");
            final Recorder rr = new Recorder();
            rr.callerChecksums[2] = -1;
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 2, buffers[5]));
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 1, buffers[6]));
            drain(tier, rr, 2);
            assertEquals(DiskStatus.OK, rr.reads[2], "a format 2 slot still reads");
            assertEquals(0, rr.callerChecksums[2], "with no caller checksum");
            assertTrue(Blocks.matches(buffers[5].newBuffer(), 2, length(2), scratch.newBuffer()), "its own bytes");
            assertEquals(DiskStatus.OK, rr.reads[1], "a block written in parts with its whole checksum");
            assertEquals(callerSum, rr.callerChecksums[1]);
            assertTrue(Blocks.matches(buffers[6].newBuffer(), 1, length(1), scratch.newBuffer()), "its own bytes");
        }
    }

    @Test
    void aWriteWithItsWholeChecksumKnownIsVerifiedByItInOneOrManyPartsAndAWrongOneReadsCorruptNeverWrongBytes()
        throws Exception
    {
        final int small = MIB / 2 + 100; // one part
        final DiskTierConfig onePart = DiskTierConfig.posix(root.resolve("g3"), 8, MAX).withQueueDepth(4, 4L * MIB)
            .withDegradeAfterFailures(1_000_000);
        try (DiskTier tier = DiskTier.open(onePart))
        {
            final Recorder r = new Recorder();
            Blocks.fill(buffers[1].newBuffer(), 1, small);
            Blocks.fill(buffers[2].newBuffer(), 2, small);
            Blocks.fill(buffers[3].newBuffer(), 3, MAX);
            final long sum1 = SlotHeaderLayout.checksum(buffers[1].address(), small);
            final long sum3 = SlotHeaderLayout.checksum(buffers[3].address(), MAX);
            assertEquals(DiskStatus.SUBMITTED, tier.submitWrite(Blocks.idHi(1), Blocks.idLo(1), Blocks.SALT,
                buffers[1].address(), small, sum1, 1));
            assertEquals(DiskStatus.SUBMITTED, tier.submitWrite(Blocks.idHi(2), Blocks.idLo(2), Blocks.SALT,
                buffers[2].address(), small, sum1 ^ 1, 2)); // a wrong caller checksum
            assertEquals(DiskStatus.SUBMITTED, tier.submitWrite(Blocks.idHi(3), Blocks.idLo(3), Blocks.SALT,
                buffers[3].address(), MAX, sum3, 3)); // 3.5 MiB in one 4 MiB part
            drain(tier, r, 3);
            final Recorder rr = new Recorder();
            for (int i = 1; i <= 2; i++)
            {
                assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, i, buffers[3 + i]));
            }
            drain(tier, rr, 2);
            assertEquals(DiskStatus.OK, rr.reads[1], "verified against the whole-payload checksum");
            assertEquals(sum1, rr.callerChecksums[1]);
            assertTrue(Blocks.matches(buffers[4].newBuffer(), 1, small, scratch.newBuffer()), "its own bytes");
            assertEquals(DiskStatus.CORRUPT, rr.reads[2], "a wrong caller checksum makes a miss, not wrong bytes");
            assertFalse(tier.contains(Blocks.idHi(2), Blocks.idLo(2)), "and the block is dropped");
        }
        // Reopened with 1 MiB parts: the block written in one part is read in four, hashed whole once they landed.
        try (DiskTier tier = DiskTier.open(config(8, 4)))
        {
            final Recorder rr = new Recorder();
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 3, buffers[6]));
            drain(tier, rr, 1);
            assertEquals(DiskStatus.OK, rr.reads[3]);
            assertTrue(Blocks.matches(buffers[6].newBuffer(), 3, MAX, scratch.newBuffer()), "its own bytes");
            // A byte flipped on disk in the last part fails the whole-payload check.
            final Path file = root.resolve("g3").resolve("g3-slots.dat");
            flipLastPayloadByteOf(file, 3, MAX);
        }
        try (DiskTier tier = DiskTier.open(config(8, 4)))
        {
            final Recorder rr = new Recorder();
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 3, buffers[7]));
            drain(tier, rr, 1);
            assertEquals(DiskStatus.CORRUPT, rr.reads[3], "a flipped byte in a later part is caught");
        }
    }

    /** Flips the last payload byte of block {@code i}'s slot in the file (found by its header). */
    private static void flipLastPayloadByteOf(final Path file, final int i, final int length) throws Exception
    {
        final long stride = DiskTier.strideOf(MAX);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
            java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE))
        {
            final java.nio.ByteBuffer h = java.nio.ByteBuffer.allocateDirect(SlotHeaderLayout.HEADER_BLOCK);
            for (long off = 0; off + SlotHeaderLayout.HEADER_BLOCK <= ch.size(); off += stride)
            {
                h.clear();
                ch.read(h, off);
                final UnsafeBuffer u = new UnsafeBuffer(h);
                if (SlotHeaderLayout.idHi(u) == Blocks.idHi(i) && SlotHeaderLayout.idLo(u) == Blocks.idLo(i))
                {
                    final long at = off + SlotHeaderLayout.HEADER_BLOCK + length - 1;
                    final java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                    ch.read(one, at);
                    one.put(0, (byte)~one.get(0)).clear();
                    ch.write(one, at);
                    ch.force(true);
                    return;
                }
            }
        }
        throw new AssertionError("block " + i + " not found in " + file);
    }

    @Test
    void aPartReadThatThrowsFailsItsWholeSummedBlockAndPart0DoesNotWaitForItForever() throws Exception
    {
        final FaultySlotIoDouble.Faults faults = new FaultySlotIoDouble.Faults(3, 0, 0, 0);
        try (DiskTier tier = DiskTier.open(config(8, 4), io -> new FaultySlotIoDouble(io, faults)))
        {
            Blocks.fill(buffers[1].newBuffer(), 1, MAX);
            final Recorder r = new Recorder();
            assertEquals(DiskStatus.SUBMITTED, tier.submitWrite(Blocks.idHi(1), Blocks.idLo(1), Blocks.SALT,
                buffers[1].address(), MAX, SlotHeaderLayout.checksum(buffers[1].address(), MAX), 1));
            drain(tier, r, 1);
            assertEquals(DiskStatus.OK, r.writes[1]);
            faults.throwOnPartRead = true; // parts 1-3 of the read throw; part 0 waits for them to hash the whole
            final Recorder rr = new Recorder();
            assertEquals(DiskStatus.SUBMITTED, submitReadUntilAccepted(tier, rr, 1, buffers[2]));
            final long deadline = System.nanoTime() + 30_000_000_000L; // a liveness bound, not a speed claim
            while (rr.completed < 1 && System.nanoTime() - deadline < 0)
            {
                if (tier.pollCompletions(rr, Integer.MAX_VALUE) == 0)
                {
                    Thread.yield();
                }
            }
            assertEquals(1, rr.completed, "the read completed instead of hanging part 0");
            assertEquals(DiskStatus.IO_ERROR, rr.reads[1], "a part that threw fails the block: a miss");
            assertTrue(faults.injected.get() > 0);
            assertEquals(0, tier.inFlight(), "every I/O thread is back");
        }
    }

    @Test
    void partSumsOfAnyTilingAddUpToThePayloadChecksum()
    {
        final UnsafeBuffer b = buffers[0].newBuffer();
        Blocks.fill(b, 7, MAX);
        final long whole = SlotHeaderLayout.payloadSum(buffers[0].address(), MAX);
        final long a = SlotHeaderLayout.partSum(buffers[0].address(), 0, MIB);
        final long c = SlotHeaderLayout.partSum(buffers[0].address(), MIB, MAX - MIB);
        assertEquals(whole, a + c);
        final long d = SlotHeaderLayout.partSum(buffers[0].address(), 0, 2L * MIB);
        final long e = SlotHeaderLayout.partSum(buffers[0].address(), 2L * MIB, MAX - 2L * MIB);
        assertEquals(whole, d + e);
        b.putByte(MIB + 5, (byte)~b.getByte(MIB + 5));
        assertFalse(whole == SlotHeaderLayout.payloadSum(buffers[0].address(), MAX), "a flipped byte changes the sum");
    }
}
