package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.metadata.BlockRecord;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.PayloadChecksum;

/** G1↔G2 transfers with real bytes through host-backed tiers. */
class TransfersTest extends EngineFixture
{
    private static final long WAIT = TimeUnit.SECONDS.toNanos(10);

    private static EngineConfig tiered(final int g1, final int g2, final String... extra)
    {
        final String[] all = new String[extra.length + 6];
        all[0] = "tiers.g2-blocks";
        all[1] = Integer.toString(g2);
        all[2] = "tiers.g1-memory";
        all[3] = "host";
        all[4] = "transfers.admission";
        all[5] = "always";
        System.arraycopy(extra, 0, all, 6, extra.length);
        return config(g1, all);
    }

    /** Writes the payload a block with this id must carry. */
    private static void writePayload(final SlotMemory memory, final int slot, final long hi, final long lo)
    {
        final long base = memory.address(slot);
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            UnsafeApi.putLong(base + i, hi * 0x9E3779B97F4A7C15L + lo * 31 + i);
        }
    }

    private static boolean hasPayload(final SlotMemory memory, final int slot, final long hi, final long lo)
    {
        final long base = memory.address(slot);
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            if (UnsafeApi.getLong(base + i) != hi * 0x9E3779B97F4A7C15L + lo * 31 + i)
            {
                return false;
            }
        }
        return true;
    }

    /** Stores a chain with real payloads and releases it; returns the G1 slots. */
    private static int[] storeWithPayloads(final DefaultKvBlockManager m, final BlockIds ids, final long requestId)
    {
        final int n = ids.size();
        final int[] slots = new int[n];
        assertEquals(0, m.match(ids, n, requestId, slots));
        assertEquals(n, m.allocate(n, requestId, slots));
        for (int i = 0; i < n; i++)
        {
            writePayload(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i));
            assertEquals(m.blockTokens(), m.fill(slots[i], m.blockTokens()));
            assertEquals(0, m.complete(slots[i], ids, i));
            assertEquals(slots[i], m.register(slots[i]));
        }
        releaseAll(m, slots, n);
        return slots;
    }

    /** Fills G1 with throw-away allocations so every inactive block is evicted. */
    private static void evictG1(final DefaultKvBlockManager m)
    {
        final int[] slots = new int[m.capacity()];
        assertEquals(m.capacity(), m.allocate(m.capacity(), 99, slots));
        releaseAll(m, slots, m.capacity());
    }

    private static void corruptG2(final DefaultKvBlockManager m, final BlockIds ids, final int index)
    {
        final int slot = m.pool(Tier.G2).lookup(ids.hi(index), ids.lo(index));
        final long at = m.hostMemory().address(slot) + 100;
        UnsafeApi.putByte(at, (byte)(UnsafeApi.getByte(at) + 1));
    }

    @Test
    void releasedBlocksAreCopiedToG2WithTheirChecksums()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        assertTrue(m.transfersEnabled());
        final BlockIds ids = chain(1, 4);
        storeWithPayloads(m, ids, 1);
        settle(m);
        final BlockPool g2 = m.pool(Tier.G2);
        for (int i = 0; i < 4; i++)
        {
            final int slot = g2.lookup(ids.hi(i), ids.lo(i));
            assertTrue(slot >= 0, "block " + i + " resident in G2");
            assertEquals(BlockState.REGISTERED, g2.state(slot));
            assertEquals(0, g2.table().refCount(slot), "cached, not held");
            assertTrue(hasPayload(m.hostMemory(), slot, ids.hi(i), ids.lo(i)));
            assertEquals(PayloadChecksum.of(m.hostMemory().address(slot), m.hostMemory().payloadBytes()),
                g2.table().checksum(slot));
        }
        assertEquals(4, m.counters().get(Counter.OFFLOADED_BLOCKS));
        assertEquals(0, m.pool(Tier.G1).activeCount(), "no pins left");
    }

    @Test
    void blocksWithPaddedSlotsGoOneCopyEach()
    {
        // 16 tokens of tiny-test are 2 KiB in 4 KiB-aligned slots: no two payloads are adjacent.
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        storeWithPayloads(m, chain(1, 4), 1);
        settle(m);
        assertEquals(4, m.transferCopies());
    }

    @Test
    void theMetadataRecordFollowsTheBlockIntoG2AndOutOfG1()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        final BlockIds ids = chain(1, 2);
        storeWithPayloads(m, ids, 1);
        settle(m);
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        final BlockRecord record = new BlockRecord();
        assertTrue(m.metadata().read(ids.hi(1), ids.lo(1), record));
        assertTrue(record.residentIn(Tier.G1) && record.residentIn(Tier.G2), "in both tiers");
        assertEquals(m.pool(Tier.G2).lookup(ids.hi(1), ids.lo(1)), record.slot(Tier.G2));
        evictG1(m);
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        assertTrue(m.metadata().read(ids.hi(1), ids.lo(1), record), "the G2 copy keeps the record");
        assertFalse(record.residentIn(Tier.G1));
        assertTrue(record.residentIn(Tier.G2));
    }

    @Test
    void adjacentBlocksOfASequenceGoInOneCopy()
    {
        // 32 tokens of tiny-test are 4 KiB: slots back to back, so runs can be merged.
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16, "block-tokens", "32"));
        final BlockIds ids = chain(1, 4);
        storeWithPayloads(m, ids, 1);
        settle(m);
        assertEquals(1, m.transferCopies(), "G1 slots 0..3 to G2 slots 0..3: one run");
        evictG1(m);
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        m.matchOnboard(ids, 4, 2, slots, onboard);
        assertEquals(4, m.awaitOnboard(onboard, slots, WAIT));
        assertEquals(2, m.transferCopies(), "and one run back up");
        releaseAll(m, slots, 4);
    }

    @Test
    void anEvictedPrefixComesBackFromG2ByteForByte()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        final BlockIds ids = chain(1, 4);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        assertTrue(m.pool(Tier.G1).lookup(ids.hi(0), ids.lo(0)) < 0, "evicted from G1");

        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(ids, 4, 2, slots, onboard));
        assertEquals(0, onboard.hits());
        assertEquals(4, onboard.scheduled());
        assertEquals(4, m.awaitOnboard(onboard, slots, WAIT));
        assertFalse(onboard.pending());
        for (int i = 0; i < 4; i++)
        {
            assertEquals(BlockState.REGISTERED, m.state(slots[i]));
            assertEquals(1, m.pool(Tier.G1).table().refCount(slots[i]), "the caller's reference");
            assertTrue(hasPayload(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i)), "block " + i + " bytes");
        }
        assertEquals(4, m.counters().get(Counter.ONBOARDED_BLOCKS));
        // A plain match now finds them in G1.
        releaseAll(m, slots, 4);
        assertEquals(4, m.match(ids, 4, 3, slots));
        releaseAll(m, slots, 4);
    }

    @Test
    void aMatchFindsTheG1PartThenOnboardsTheRest()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        final BlockIds ids = chain(1, 4);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        // Put block 0 back in G1 by hand, so only 1..3 come from G2.
        final int[] one = new int[1];
        m.allocate(1, 5, one);
        writePayload(m.g1Memory(), one[0], ids.hi(0), ids.lo(0));
        m.fill(one[0], m.blockTokens());
        m.complete(one[0], ids, 0);
        m.register(one[0]);
        m.release(one[0]);

        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(ids, 4, 2, slots, onboard));
        assertEquals(1, onboard.hits());
        assertEquals(3, onboard.scheduled());
        assertEquals(3, m.awaitOnboard(onboard, slots, WAIT));
        for (int i = 0; i < 4; i++)
        {
            assertTrue(hasPayload(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i)), "block " + i);
        }
        releaseAll(m, slots, 4);
    }

    @Test
    void pollAnswersNotReadyWhileTheCopyRunsAndTheResultOnce() throws Exception
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 16)).copier(copier));
        final BlockIds ids = chain(1, 2);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        final int[] slots = new int[2];
        final Onboard onboard = new Onboard();
        assertEquals(2, m.matchOnboard(ids, 2, 2, slots, onboard));
        assertEquals(Status.NOT_READY, m.pollOnboard(onboard, slots), "submitted, the duty cycle has not run");
        assertEquals(Status.INVALID_STATE, m.matchOnboard(ids, 2, 2, slots, onboard), "collect it first");
        assertTrue(m.invokeTransfers() > 0, "one duty cycle copies it");
        assertEquals(2, m.pollOnboard(onboard, slots));
        assertEquals(0, m.pollOnboard(onboard, slots), "collected: nothing outstanding");
        releaseAll(m, slots, 2);
    }

    @Test
    void aCorruptedG2CopyIsAMissAndIsDropped()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        final BlockIds ids = chain(1, 4);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        corruptG2(m, ids, 3);

        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(ids, 4, 2, slots, onboard));
        assertEquals(3, m.awaitOnboard(onboard, slots, WAIT), "blocks 0..2 only");
        for (int i = 0; i < 3; i++)
        {
            assertTrue(hasPayload(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i)));
        }
        assertTrue(m.pool(Tier.G1).lookup(ids.hi(3), ids.lo(3)) < 0, "never resident in G1");
        assertTrue(m.pool(Tier.G2).lookup(ids.hi(3), ids.lo(3)) < 0, "the bad copy is dropped from G2");
        assertEquals(1, m.counters().get(Counter.CHECKSUM_MISMATCHES));
        assertEquals(1, m.counters().get(Counter.TRANSFER_FAILED_BLOCKS));
        releaseAll(m, slots, 3);
    }

    @Test
    void aCorruptedMiddleBlockCutsThePrefixThere()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16));
        final BlockIds ids = chain(1, 4);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        corruptG2(m, ids, 1);
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        m.matchOnboard(ids, 4, 2, slots, onboard);
        assertEquals(1, m.awaitOnboard(onboard, slots, WAIT), "only block 0 is handed out");
        assertTrue(m.pool(Tier.G1).lookup(ids.hi(1), ids.lo(1)) < 0, "the corrupt block never enters G1");
        final int cached = m.pool(Tier.G1).lookup(ids.hi(2), ids.lo(2));
        assertTrue(cached >= 0 && hasPayload(m.g1Memory(), cached, ids.hi(2), ids.lo(2)),
            "a good block past the gap is cached with its own bytes");
        assertEquals(0, m.pool(Tier.G1).table().refCount(cached), "but nobody holds it");
        releaseAll(m, slots, 1);
    }

    @Test
    void aCopyCorruptedOnTheWayDownIsCaughtByComparingItWithG1AndNeverEntersG2()
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        copier.corruptOffload = true; // each G1→G2 copy flips a byte after the G1 checksum was taken
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 16)).copier(copier));
        final BlockIds ids = chain(1, 2);
        storeWithPayloads(m, ids, 1);
        settle(m);
        assertEquals(2, m.counters().get(Counter.CHECKSUM_MISMATCHES), "both copies differ from their G1 bytes");
        assertEquals(0, m.counters().get(Counter.OFFLOADED_BLOCKS));
        assertTrue(m.pool(Tier.G2).lookup(ids.hi(0), ids.lo(0)) < 0 && m.pool(Tier.G2).lookup(ids.hi(1), ids.lo(1)) < 0,
            "neither bad copy is in G2");
        copier.corruptOffload = false;
        evictG1(m);
        final int[] slots = new int[2];
        final Onboard onboard = new Onboard();
        assertEquals(0, m.matchOnboard(ids, 2, 2, slots, onboard), "a miss, nothing to onboard");
        assertFalse(onboard.pending());
        assertEquals(0, m.pool(Tier.G1).activeCount() + m.pool(Tier.G1).partialCount());
    }

    @Test
    void aCopyThatFailsLeavesAMissAndTheG2CopyInPlace()
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 16)).copier(copier));
        final BlockIds ids = chain(1, 3);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        copier.failOnboard = true;
        final int[] slots = new int[3];
        final Onboard onboard = new Onboard();
        assertEquals(3, m.matchOnboard(ids, 3, 2, slots, onboard));
        assertEquals(0, m.awaitOnboard(onboard, slots, WAIT));
        assertEquals(3, m.counters().get(Counter.TRANSFER_FAILED_BLOCKS));
        assertEquals(0, m.counters().get(Counter.CHECKSUM_MISMATCHES));
        for (int i = 0; i < 3; i++)
        {
            assertTrue(m.pool(Tier.G1).lookup(ids.hi(i), ids.lo(i)) < 0);
            assertTrue(m.pool(Tier.G2).lookup(ids.hi(i), ids.lo(i)) >= 0, "a failed read leaves G2 as it was");
        }
        copier.failOnboard = false;
        assertEquals(3, m.matchOnboard(ids, 3, 3, slots, onboard));
        assertEquals(3, m.awaitOnboard(onboard, slots, WAIT), "the next try succeeds");
        releaseAll(m, slots, 3);
    }

    @Test
    void aCopyThatTimesOutIsAMiss()
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 16)).copier(copier)
            .transferClock(copier.clock));
        final BlockIds ids = chain(1, 2);
        storeWithPayloads(m, ids, 1);
        settle(m);
        evictG1(m);
        copier.lateOnboard = true;
        final int[] slots = new int[2];
        final Onboard onboard = new Onboard();
        m.matchOnboard(ids, 2, 2, slots, onboard);
        assertEquals(0, m.awaitOnboard(onboard, slots, WAIT));
        assertEquals(2, m.counters().get(Counter.TRANSFER_TIMED_OUT_BLOCKS));
        assertTrue(m.pool(Tier.G1).lookup(ids.hi(0), ids.lo(0)) < 0);
    }

    @Test
    void offloadsBeyondTheLimitAreDroppedAndOnboardsAnswerNotNow() throws Exception
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(32, 64, "transfers.max-in-flight", "1",
            "transfers.max-queued", "1", "transfers.batch-blocks", "1")).copier(copier));
        final BlockIds seen = chain(7, 2);
        storeWithPayloads(m, seen, 1);
        settle(m);
        // Flood: 20 single-block sequences released, each an offload of its own (nothing runs meanwhile).
        for (int s = 0; s < 20; s++)
        {
            final BlockIds ids = chain(100 + s, 1);
            storeWithPayloads(m, ids, 10 + s);
            final int[] probe = new int[1];
            m.match(ids, 0, 0, probe); // a call that submits the staged batch
        }
        assertEquals(18, m.counters().get(Counter.OFFLOAD_DROPPED), "1 in flight + 1 queued, the rest dropped");
        evictG1Except(m);
        final int[] slots = new int[2];
        final Onboard onboard = new Onboard();
        assertEquals(0, m.matchOnboard(seen, 2, 3, slots, onboard), "not now: the caller recomputes");
        assertEquals(1, m.counters().get(Counter.ONBOARD_NOT_NOW));
        assertFalse(onboard.pending());
        settle(m);
        assertEquals(2 + 2, m.counters().get(Counter.OFFLOADED_BLOCKS));
    }

    private static void evictG1Except(final DefaultKvBlockManager m)
    {
        final int free = m.pool(Tier.G1).freeCount() + m.pool(Tier.G1).evictableCount();
        final int[] slots = new int[free];
        assertEquals(free, m.allocate(free, 99, slots));
        releaseAll(m, slots, free);
    }

    @Test
    void shutdownWithTransfersInFlightCancelsTheQueueAndLeavesNoPins() throws Exception
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        copier.gate = new CountDownLatch(1);
        final DefaultKvBlockManager m = open(Engines.builder(tiered(32, 64, "transfers.max-in-flight", "1",
            "transfers.max-queued", "8", "transfers.batch-blocks", "1")).copier(copier));
        for (int s = 0; s < 6; s++)
        {
            final BlockIds ids = chain(100 + s, 1);
            storeWithPayloads(m, ids, 10 + s);
            m.match(ids, 0, 0, new int[1]); // submit
        }
        assertTrue(copier.entered.await(10, TimeUnit.SECONDS));
        final Thread opener = new Thread(() ->
        {
            final long deadline = System.nanoTime() + WAIT;
            while (m.transferCopies() == 0 && !m.transfersStopping() && System.nanoTime() < deadline)
            {
                Thread.onSpinWait();
            }
            copier.gate.countDown();
        });
        opener.start();
        assertTrue(m.stopTransfers(10, TimeUnit.SECONDS), "stopped within the deadline");
        opener.join();
        assertEquals(1, m.counters().get(Counter.OFFLOADED_BLOCKS), "the copy in flight finished");
        assertEquals(5, m.counters().get(Counter.TRANSFER_CANCELLED_BLOCKS), "the queue was cancelled");
        assertNull(m.checkInvariants());
        assertEquals(0, m.pool(Tier.G1).activeCount(), "no G1 pins left");
        assertEquals(0, m.pool(Tier.G2).partialCount(), "no half-written G2 slots left");
        final int[] slots = new int[1];
        final Onboard onboard = new Onboard();
        assertEquals(1, m.matchOnboard(chain(100, 1), 1, 1, slots, onboard), "G1 still serves");
        assertFalse(onboard.pending(), "but schedules nothing after shutdown");
        releaseAll(m, slots, 1);
    }

    @Test
    void aStopThatAbandonedAStuckCopyKeepsSayingSoSoCloseLeavesItsMemoryAlone() throws Exception
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        copier.gate = new CountDownLatch(1);
        final DefaultKvBlockManager m = open(Engines.builder(tiered(32, 64, "transfers.max-in-flight", "1",
            "transfers.batch-blocks", "1")).copier(copier));
        final BlockIds ids = chain(300, 1);
        storeWithPayloads(m, ids, 30);
        m.match(ids, 0, 0, new int[1]); // submit the write-back
        assertTrue(copier.entered.await(10, TimeUnit.SECONDS), "the copy started and is stuck");
        try
        {
            assertFalse(m.stopTransfers(50, TimeUnit.MILLISECONDS), "the stuck copy is abandoned");
            assertFalse(m.stopTransfers(50, TimeUnit.MILLISECONDS),
                "asked again, stop still says the thread was abandoned (close must not free its memory)");
        }
        finally
        {
            copier.gate.countDown();
        }
    }

    @Test
    void writeThroughCopiesOnRegister()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 16, "transfers.offload", "write-through"));
        final BlockIds ids = chain(1, 3);
        final int[] held = new int[3];
        store(m, ids, 1, held);
        settle(m);
        assertEquals(3, m.counters().get(Counter.OFFLOADED_BLOCKS), "copied while still held");
        assertEquals(1, m.pool(Tier.G1).table().refCount(held[0]), "only the caller's reference left");
        releaseAll(m, held, 3);
    }

    @Test
    void seenTwiceAdmissionCopiesOnlyBlocksUsedAgain()
    {
        final DefaultKvBlockManager m = openInvoked(config(8, "tiers.g2-blocks", "16", "tiers.g1-memory", "host"));
        final BlockIds ids = chain(1, 2);
        final int[] held = new int[2];
        store(m, ids, 1, held);
        releaseAll(m, held, 2);
        settle(m);
        assertEquals(0, m.counters().get(Counter.OFFLOADED_BLOCKS), "seen once: not admitted");
        assertEquals(2, m.match(ids, 2, 2, held));
        releaseAll(m, held, 2);
        settle(m);
        assertEquals(2, m.counters().get(Counter.OFFLOADED_BLOCKS), "seen twice: copied");
    }

    @Test
    void whenG2IsFullItsOwnPolicyEvictsItsInactiveLeaves()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4));
        final BlockIds a = chain(1, 4);
        storeWithPayloads(m, a, 1);
        settle(m);
        final BlockIds b = chain(2, 2);
        storeWithPayloads(m, b, 2);
        settle(m);
        assertEquals(2, m.counters().get(Counter.G2_EVICTED_BLOCKS));
        final BlockPool g2 = m.pool(Tier.G2);
        assertTrue(g2.lookup(a.hi(0), a.lo(0)) >= 0 && g2.lookup(a.hi(1), a.lo(1)) >= 0, "parents kept");
        assertTrue(g2.lookup(a.hi(3), a.lo(3)) < 0 && g2.lookup(a.hi(2), a.lo(2)) < 0, "leaves went first");
        assertTrue(g2.lookup(b.hi(1), b.lo(1)) >= 0);
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        final BlockRecord record = new BlockRecord();
        assertTrue(m.metadata().read(a.hi(3), a.lo(3), record));
        assertTrue(record.residentIn(Tier.G1) && !record.residentIn(Tier.G2), "evicted from G2 only");
    }

    @Test
    void aLayerSeparateRuntimeG1RoundTripsThroughG2() throws Exception
    {
        // The runtime's memory: tiny-test has 2 layers, so 4 regions (layer x K/V) of 512 bytes per block.
        final int slots = 8;
        final long piece = 512;
        try (io.kvbm4j.tiers.memory.AlignedMemory raw =
                 new io.kvbm4j.tiers.memory.AlignedMemory((int)(4 * slots * piece), 4096))
        {
            final long[] bases = new long[4];
            for (int r = 0; r < 4; r++)
            {
                bases[r] = raw.address() + r * slots * piece;
            }
            final io.kvbm4j.tiers.memory.LayerSeparateSlotMemory g1 =
                new io.kvbm4j.tiers.memory.LayerSeparateSlotMemory(bases, piece, slots, 4 * piece);
            final DefaultKvBlockManager m = openInvoked(Engines.builder(config(slots, "tiers.g2-blocks", "16",
                "transfers.admission", "always")).g1Memory(g1));
            assertTrue(m.transfersEnabled());
            final BlockIds ids = chain(1, 3);
            final int[] held = new int[3];
            assertEquals(3, m.allocate(3, 1, held));
            for (int i = 0; i < 3; i++)
            {
                for (int r = 0; r < 4; r++)
                {
                    UnsafeApi.putLong(g1.pieceAddress(held[i], r, 4), ids.lo(i) * 100 + r);
                }
                m.fill(held[i], m.blockTokens());
                m.complete(held[i], ids, i);
                m.register(held[i]);
            }
            releaseAll(m, held, 3);
            settle(m);
            assertEquals(3, m.counters().get(Counter.OFFLOADED_BLOCKS));
            evictG1(m);
            final Onboard onboard = new Onboard();
            assertEquals(3, m.matchOnboard(ids, 3, 2, held, onboard));
            assertEquals(3, m.awaitOnboard(onboard, held, WAIT));
            for (int i = 0; i < 3; i++)
            {
                for (int r = 0; r < 4; r++)
                {
                    assertEquals(ids.lo(i) * 100 + r, UnsafeApi.getLong(g1.pieceAddress(held[i], r, 4)),
                        "block " + i + " region " + r);
                }
            }
            releaseAll(m, held, 3);
            assertNull(m.checkInvariants());
            m.close(); // before the runtime's memory goes
        }
    }

    @Test
    void withoutG1MemoryNothingMovesAndMatchOnboardIsMatch()
    {
        final DefaultKvBlockManager m = openInvoked(config(8, "tiers.g2-blocks", "16"));
        assertFalse(m.transfersEnabled());
        final BlockIds ids = chain(1, 2);
        final int[] held = new int[2];
        store(m, ids, 1, held);
        releaseAll(m, held, 2);
        final Onboard onboard = new Onboard();
        assertEquals(2, m.matchOnboard(ids, 2, 2, held, onboard));
        assertEquals(2, onboard.hits());
        assertEquals(0, m.pollOnboard(onboard, held));
        releaseAll(m, held, 2);
        settle(m);
    }

    @Test
    void deviceG1WithoutCudaSaysUnavailableAndRunsWithSlotNumbersOnly()
    {
        final String reason = io.kvbm4j.tiers.cuda.CudaDevice.unavailableReason();
        org.junit.jupiter.api.Assumptions.assumeTrue(reason != null,
            "a CUDA device is present here; this test covers machines without one");
        final DefaultKvBlockManager m = openInvoked(config(8, "tiers.g2-blocks", "16", "tiers.g1-memory", "device"));
        assertFalse(m.transfersEnabled());
        final int[] held = new int[2];
        store(m, chain(1, 2), 1, held);
        releaseAll(m, held, 2);
        assertNotEquals(null, m.pool(Tier.G2));
    }
}
