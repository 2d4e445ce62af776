package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.gds.disk.DiskTier;
import io.kvbm4j.tiers.memory.SlotMemory;

/** G1→G2→G3 write-back and G3→G2→G1 onboards with real bytes, a real slot file in a temp dir. */
class G3TransfersTest extends EngineFixture
{
    private static final long WAIT = TimeUnit.SECONDS.toNanos(10);

    @TempDir
    Path root;

    private EngineConfig tiered(final int g1, final int g2, final int g3, final String... extra)
    {
        final String[] all = new String[10 + extra.length];
        final String[] base = {"tiers.g2-blocks", Integer.toString(g2), "tiers.g1-memory", "host",
            "transfers.admission", "always", "g3.slot-count", Integer.toString(g3), "g3.root",
            root.resolve("g3").toString()};
        System.arraycopy(base, 0, all, 0, 10);
        System.arraycopy(extra, 0, all, 10, extra.length);
        return config(g1, all);
    }

    static long word(final long hi, final long lo, final long i)
    {
        return hi * 0x9E3779B97F4A7C15L + lo * 31 + i;
    }

    static boolean hasPayload(final SlotMemory memory, final int slot, final long hi, final long lo)
    {
        final long base = memory.address(slot);
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            if (UnsafeApi.getLong(base + i) != word(hi, lo, i))
            {
                return false;
            }
        }
        return true;
    }

    /** Stores a chain with real payloads and releases it (write-back to G2, then G3). */
    static void storeWithPayloads(final DefaultKvBlockManager m, final BlockIds ids, final long requestId)
    {
        final int n = ids.size();
        final int[] slots = new int[n];
        assertEquals(0, m.match(ids, n, requestId, slots));
        assertEquals(n, m.allocate(n, requestId, slots));
        for (int i = 0; i < n; i++)
        {
            final long base = m.g1Memory().address(slots[i]);
            for (long b = 0; b < m.g1Memory().payloadBytes(); b += 8)
            {
                UnsafeApi.putLong(base + b, word(ids.hi(i), ids.lo(i), b));
            }
            assertEquals(m.blockTokens(), m.fill(slots[i], m.blockTokens()));
            assertEquals(0, m.complete(slots[i], ids, i));
            assertEquals(slots[i], m.register(slots[i]));
        }
        releaseAll(m, slots, n);
    }

    /** Chain {@code a} written down to G3, then pushed out of G2 (by {@code b}) and out of G1: only in G3. */
    static void onlyInG3(final DefaultKvBlockManager m, final BlockIds a, final BlockIds b, final long request)
    {
        storeWithPayloads(m, a, request);
        settle(m);
        storeWithPayloads(m, b, request + 1);
        settle(m);
        evictG1(m);
        settle(m);
    }

    /** Fills G1 with throw-away allocations so every inactive block is evicted. */
    static void evictG1(final DefaultKvBlockManager m)
    {
        final int[] slots = new int[m.capacity()];
        assertEquals(m.capacity(), m.allocate(m.capacity(), 99, slots));
        releaseAll(m, slots, m.capacity());
    }

    /** Chain A written down to G3, then pushed out of G2 (by chain B) and out of G1: A is only in G3. */
    private static BlockIds onlyInG3(final DefaultKvBlockManager m)
    {
        final BlockIds a = chain(1, 4);
        onlyInG3(m, a, chain(2, 4), 1);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(m.pool(Tier.G1).lookup(a.hi(i), a.lo(i)) < 0, "not in G1");
            assertTrue(m.pool(Tier.G2).lookup(a.hi(i), a.lo(i)) < 0, "not in G2");
            assertTrue(m.pool(Tier.G3).lookup(a.hi(i), a.lo(i)) >= 0, "in G3");
        }
        return a;
    }

    private static void assertOnboardsByteForByte(final DefaultKvBlockManager m, final BlockIds ids)
    {
        final int n = ids.size();
        final int[] slots = new int[n];
        final Onboard onboard = new Onboard();
        assertEquals(n, m.matchOnboard(ids, n, 7, slots, onboard));
        assertEquals(0, onboard.hits());
        assertEquals(n, onboard.scheduled());
        assertEquals(n, m.awaitOnboard(onboard, slots, WAIT));
        for (int i = 0; i < n; i++)
        {
            assertEquals(BlockState.REGISTERED, m.state(slots[i]));
            assertEquals(1, m.pool(Tier.G1).table().refCount(slots[i]), "the caller's reference");
            assertTrue(hasPayload(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i)), "block " + i + " bytes");
        }
        releaseAll(m, slots, n);
        assertEquals(n, m.match(ids, n, 8, slots), "in G1 again");
        releaseAll(m, slots, n);
    }

    @Test
    void aG3OnboardIsReadIntoG2ThenCopiedToG1OnTheSameTicket()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16));
        final BlockIds a = onlyInG3(m);
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(a, 4, 7, slots, onboard));
        assertEquals(Status.NOT_READY, m.pollOnboard(onboard, slots), "staging: nothing has run");
        assertTrue(m.invokeTransfers() > 0, "the G3→G2 reads submitted to the disk tier's I/O threads");
        final long until = System.nanoTime() + WAIT; // a guard against a hang, not a timing claim
        while (m.pool(Tier.G2).lookup(a.hi(3), a.lo(3)) < 0 && System.nanoTime() - until < 0)
        {
            m.invokeTransfers(); // collects the reads' completions without waiting for them
            assertEquals(Status.NOT_READY, m.pollOnboard(onboard, slots),
                "the stage is applied (in G2 now) and the G2→G1 leg submitted on the same record");
        }
        for (int i = 0; i < 4; i++)
        {
            assertTrue(m.pool(Tier.G2).lookup(a.hi(i), a.lo(i)) >= 0, "block " + i + " staged in G2");
        }
        assertTrue(m.invokeTransfers() > 0, "the G2→G1 copy");
        assertEquals(4, m.pollOnboard(onboard, slots), "the same ticket hands the blocks out");
        for (int i = 0; i < 4; i++)
        {
            assertTrue(hasPayload(m.g1Memory(), slots[i], a.hi(i), a.lo(i)), "block " + i + " bytes");
        }
        assertEquals(0, m.pollOnboard(onboard, slots), "collected: nothing outstanding");
        releaseAll(m, slots, 4);
    }

    @Test
    void blocksGoDownToG3AndComeBackToG1ByteForByte()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16));
        final BlockIds a = onlyInG3(m);
        assertEquals(8, m.counters().get(Counter.G3_OFFLOADED_BLOCKS));
        assertEquals(8, m.g3Counter(DiskCounter.WRITES));
        assertOnboardsByteForByte(m, a);
        assertEquals(4, m.counters().get(Counter.G3_ONBOARDED_BLOCKS));
        assertEquals(4, m.g3Counter(DiskCounter.HITS));
        assertTrue(m.pool(Tier.G2).lookup(a.hi(0), a.lo(0)) >= 0, "staged through G2, cached there");
        settle(m);
        assertEquals(8, m.g3Counter(DiskCounter.WRITES), "what came up from G3 is not written again");
    }

    @Test
    void aMatchTakesG1ThenG2ThenG3InPrefixOrder()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16));
        final BlockIds a = onlyInG3(m);
        // Block 0 comes back to G1 and block 1 to G2; blocks 2 and 3 stay only in G3.
        final int[] two = new int[2];
        final Onboard first = new Onboard();
        assertEquals(2, m.matchOnboard(a, 2, 3, two, first));
        assertEquals(2, m.awaitOnboard(first, two, WAIT));
        releaseAll(m, two, 2);
        evictG1Except(m, a, 0);
        assertTrue(m.pool(Tier.G2).lookup(a.hi(1), a.lo(1)) >= 0);

        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(a, 4, 4, slots, onboard));
        assertEquals(1, onboard.hits());
        assertEquals(3, onboard.scheduled());
        assertEquals(3, m.awaitOnboard(onboard, slots, WAIT));
        for (int i = 0; i < 4; i++)
        {
            assertTrue(hasPayload(m.g1Memory(), slots[i], a.hi(i), a.lo(i)), "block " + i);
        }
        releaseAll(m, slots, 4);
    }

    /** Evicts every inactive G1 block but block {@code keep} of {@code ids} (held meanwhile). */
    private static void evictG1Except(final DefaultKvBlockManager m, final BlockIds ids, final int keep)
    {
        final int[] held = new int[keep + 1];
        assertEquals(keep + 1, m.match(ids, keep + 1, 5, held));
        final int[] slots = new int[m.capacity() - keep - 1];
        assertEquals(slots.length, m.allocate(slots.length, 99, slots));
        releaseAll(m, slots, slots.length);
        releaseAll(m, held, keep + 1);
    }

    @Test
    void aCorruptedSlotFileIsAMissNeverWrongBytes() throws IOException
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16));
        final BlockIds a = onlyInG3(m);
        final long stride = DiskTier.strideOf(m.hostMemory().payloadBytes());
        try (RandomAccessFile file = new RandomAccessFile(root.resolve("g3").resolve(DiskTier.SLOT_FILE).toFile(), "rw"))
        {
            for (long at = DiskTier.strideOf(m.hostMemory().payloadBytes()) - stride + 4096 + 100; at < file.length();
                 at += stride)
            {
                file.seek(at);
                final int b = file.read();
                file.seek(at);
                file.write(b ^ 0x5A);
            }
        }
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(a, 4, 7, slots, onboard));
        assertEquals(0, m.awaitOnboard(onboard, slots, WAIT), "every slot fails verification: nothing served");
        assertEquals(4, m.counters().get(Counter.G3_CORRUPT_BLOCKS));
        assertEquals(4, m.g3Counter(DiskCounter.CORRUPT_SLOTS));
        assertEquals(0, m.counters().get(Counter.G3_ONBOARDED_BLOCKS));
        for (int i = 0; i < 4; i++)
        {
            assertTrue(m.pool(Tier.G3).lookup(a.hi(i), a.lo(i)) < 0, "bad copy dropped from G3");
            assertTrue(m.pool(Tier.G1).lookup(a.hi(i), a.lo(i)) < 0, "never registered in G1");
        }
        assertEquals(0, m.matchOnboard(a, 4, 8, slots, onboard), "a miss now");
    }

    @Test
    void reopeningOnTheSameRootFindsTheBlocksInG3Again()
    {
        final DefaultKvBlockManager first = openInvoked(tiered(8, 4, 16));
        final BlockIds a = chain(1, 4);
        storeWithPayloads(first, a, 1);
        settle(first);
        assertEquals(4, first.counters().get(Counter.G3_OFFLOADED_BLOCKS));
        assertNull(first.checkInvariants());
        first.close();

        final DefaultKvBlockManager second = openInvoked(tiered(8, 4, 16));
        assertEquals(4, second.counters().get(Counter.G3_RESTORED_BLOCKS));
        assertEquals(4, second.pool(Tier.G3).inactiveCount());
        assertOnboardsByteForByte(second, a);
    }

    @Test
    void aManagerReopenedOnG3ByOneThreadServesFromAnotherAndTellsTheRingWhatDiskHolds() throws Exception
    {
        final DefaultKvBlockManager first = openInvoked(tiered(8, 4, 16));
        final BlockIds a = chain(1, 4);
        storeWithPayloads(first, a, 1);
        settle(first);
        first.close();
        // Opened on another thread (as a service's main thread would), then used only from this one: the ring
        // has a single producer, so the restored blocks are published on this thread's first call.
        final java.util.concurrent.atomic.AtomicReference<DefaultKvBlockManager> opened =
            new java.util.concurrent.atomic.AtomicReference<>();
        final Thread opener = new Thread(() -> opened.set(openInvoked(tiered(8, 4, 16))), "opener");
        opener.start();
        opener.join();
        final DefaultKvBlockManager second = opened.get();
        assertEquals(4, second.counters().get(Counter.G3_RESTORED_BLOCKS));
        assertOnboardsByteForByte(second, a);
        assertTrue(second.awaitHandlers(10, java.util.concurrent.TimeUnit.SECONDS));
        final io.kvbm4j.metadata.BlockRecord record = new io.kvbm4j.metadata.BlockRecord();
        assertTrue(second.metadata().read(a.hi(3), a.lo(3), record));
        assertTrue(record.residentIn(Tier.G3), "the restored block's record says G3");
    }

    @Test
    void aFullG3DropsWritesAndTheDroppedBlocksAreMisses()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 2));
        final BlockIds a = chain(1, 4);
        storeWithPayloads(m, a, 1);
        settle(m);
        assertEquals(2, m.counters().get(Counter.G3_OFFLOADED_BLOCKS), "A0 and A1");
        assertEquals(2, m.counters().get(Counter.G3_OFFLOAD_DROPPED), "A2, A3: G3 full of blocks being written");
        // B pushes A out of G2; B0 and B1 take G3 from A's blocks (its LRU leaves: A1, then A0); B2, B3 dropped.
        final BlockIds b = chain(2, 4);
        storeWithPayloads(m, b, 2);
        settle(m);
        assertEquals(2, m.counters().get(Counter.G3_EVICTED_BLOCKS));
        assertEquals(4, m.counters().get(Counter.G3_OFFLOAD_DROPPED));
        assertEquals(2, m.g3Counter(DiskCounter.EVICTIONS), "the disk freed the evicted blocks' slots too");
        assertTrue(m.pool(Tier.G3).lookup(b.hi(0), b.lo(0)) >= 0 && m.pool(Tier.G3).lookup(b.hi(1), b.lo(1)) >= 0);
        evictG1(m);
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(0, m.matchOnboard(a, 4, 7, slots, onboard), "A is gone from every tier: a miss");
        assertFalse(onboard.pending());
    }

    @Test
    void stoppingWithAG3OnboardNotCollectedLeavesNoPins()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16));
        final BlockIds a = onlyInG3(m);
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(a, 4, 7, slots, onboard));
        assertTrue(m.stopTransfers(10, TimeUnit.SECONDS));
        assertEquals(0, m.pool(Tier.G1).activeCount(), "no G1 reference left");
        assertEquals(0, m.pool(Tier.G2).activeCount(), "no G2 pin left");
        assertEquals(0, m.pool(Tier.G3).activeCount(), "no G3 pin left");
        assertEquals(0, m.pool(Tier.G1).partialCount() + m.pool(Tier.G2).partialCount() + m.pool(Tier.G3).partialCount());
        assertNull(m.checkInvariants());
    }

    @Test
    void aDiskThatFailsReadsIsAMissThenDegradedAndSkipped() throws IOException
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16, "g3.degrade-after-failures", "1"));
        final BlockIds a = onlyInG3(m);
        try (RandomAccessFile file = new RandomAccessFile(root.resolve("g3").resolve(DiskTier.SLOT_FILE).toFile(), "rw"))
        {
            file.setLength(0); // every read comes back short
        }
        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        assertEquals(4, m.matchOnboard(a, 4, 7, slots, onboard));
        assertEquals(0, m.awaitOnboard(onboard, slots, WAIT), "a failed read is a miss");
        assertEquals(4, m.counters().get(Counter.G3_READ_FAILED_BLOCKS));
        // The reads go out together (g3.queue-depth 8): every one in flight comes back short, then the tier degrades.
        assertTrue(m.g3Counter(DiskCounter.SHORT_IO) >= 1);
        assertEquals(1, m.g3Counter(DiskCounter.DEGRADED));
        assertEquals(0, m.matchOnboard(a, 4, 8, slots, onboard), "a degraded disk is not asked again");
        final long dropped = m.counters().get(Counter.G3_OFFLOAD_DROPPED);
        storeWithPayloads(m, chain(3, 2), 3);
        settle(m);
        assertEquals(dropped + 2, m.counters().get(Counter.G3_OFFLOAD_DROPPED), "nor written to");
    }

    /** A clock that stands still until told to jump an hour at every reading (so every deadline has passed). */
    private static final class JumpingClock implements NanoClock
    {
        private final AtomicLong now = new AtomicLong();
        volatile boolean jumping;

        @Override
        public long nanoTime()
        {
            return jumping ? now.addAndGet(TimeUnit.HOURS.toNanos(1)) : now.get();
        }
    }

    @Test
    void aG3WriteThatFailsLeavesTheBlockOutOfG3AndIsCounted()
    {
        final JumpingClock clock = new JumpingClock();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 4, 16)).transferClock(clock));
        final BlockIds a = chain(1, 2);
        storeWithPayloads(m, a, 1);
        final int[] one = new int[1];
        m.match(a, 0, 2, one); // submits the G1→G2 batch
        m.invokeTransfers(); // the G1→G2 copy
        m.fill(-1, 0); // applies finished transfers without submitting what that stages (G2→G3)
        assertEquals(2, m.counters().get(Counter.OFFLOADED_BLOCKS));
        clock.jumping = true; // the G2→G3 writes are submitted now and find their deadline passed
        settle(m);
        assertEquals(2, m.counters().get(Counter.G3_WRITE_FAILED_BLOCKS));
        assertEquals(2, m.counters().get(Counter.TRANSFER_TIMED_OUT_BLOCKS));
        assertEquals(0, m.counters().get(Counter.G3_OFFLOADED_BLOCKS));
        assertEquals(0, m.pool(Tier.G3).activeCount() + m.pool(Tier.G3).inactiveCount(), "nothing resident in G3");
        assertEquals(0, m.pool(Tier.G2).activeCount(), "G2 blocks unpinned");
        assertFalse(m.pool(Tier.G3).lookup(a.hi(0), a.lo(0)) >= 0);
    }

    @Test
    void aG2CopyCorruptedOnTheWayDownIsNeverWrittenToDiskSoNeverComesBack()
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        copier.corruptOffload = true; // every G1→G2 copy flips a byte after the G1 checksum was taken
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 4, 16)).copier(copier));
        final BlockIds a = chain(1, 4);
        storeWithPayloads(m, a, 1);
        settle(m);
        storeWithPayloads(m, chain(2, 4), 2);
        settle(m);
        evictG1(m);
        settle(m);
        assertEquals(0, m.counters().get(Counter.G3_OFFLOADED_BLOCKS), "no corrupt copy went down to disk");
        assertTrue(m.counters().get(Counter.CHECKSUM_MISMATCHES) >= 4, "each refused write is counted");
        assertEquals(0, m.g3Counter(DiskCounter.WRITES));

        final int[] slots = new int[4];
        final Onboard onboard = new Onboard();
        final int available = m.matchOnboard(a, 4, 7, slots, onboard);
        int got = onboard.hits();
        if (onboard.pending())
        {
            got += m.awaitOnboard(onboard, slots, WAIT);
        }
        for (int i = 0; i < got; i++)
        {
            assertTrue(hasPayload(m.g1Memory(), slots[i], a.hi(i), a.lo(i)), "block " + i + " handed back is right");
        }
        assertTrue(available >= got);
        releaseAll(m, slots, got);
    }

    /** matchOnboard then, if it went to a lower tier, awaitOnboard: the blocks handed back (their slots in {@code slots}). */
    private static int onboardAll(final DefaultKvBlockManager m, final BlockIds ids, final long request, final int[] slots)
    {
        final Onboard onboard = new Onboard();
        m.matchOnboard(ids, ids.size(), request, slots, onboard);
        int got = onboard.hits();
        if (onboard.pending())
        {
            got += m.awaitOnboard(onboard, slots, WAIT);
        }
        return got;
    }

    @Test
    void aBadG2ToG1CopyOfABlockJustReadFromDiskIsAMissAndARetryServesItsOwnBytes()
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(tiered(8, 4, 16)).copier(copier));
        final BlockIds a = onlyInG3(m);
        copier.corruptOnboard = true; // every G2→G1 copy flips a byte
        final long mismatches = m.counters().get(Counter.CHECKSUM_MISMATCHES);
        final int[] slots = new int[4];
        int got = onboardAll(m, a, 7, slots);
        assertEquals(0, got, "no bad copy handed back");
        assertTrue(m.counters().get(Counter.G3_ONBOARDED_BLOCKS) > 0, "the blocks were read from disk and verified");
        assertTrue(m.counters().get(Counter.CHECKSUM_MISMATCHES) > mismatches, "the bad G2→G1 copy is counted");
        // The G2 copies the disk verified are good: with a good copier they come up, byte for byte.
        copier.corruptOnboard = false;
        got = onboardAll(m, a, 8, slots);
        assertTrue(got > 0, "served on the second try");
        for (int i = 0; i < got; i++)
        {
            assertTrue(hasPayload(m.g1Memory(), slots[i], a.hi(i), a.lo(i)), "block " + i + " handed back is right");
        }
        releaseAll(m, slots, got);
    }

    @Test
    void aG2HitCorruptedInMemoryBeforeAnOnboardThatContinuesFromDiskIsHashedNotComparedAndNeverServed()
    {
        final DefaultKvBlockManager m = openInvoked(tiered(8, 4, 16));
        final BlockIds a = chain(1, 4);
        storeWithPayloads(m, a, 1);
        settle(m);
        storeWithPayloads(m, chain(2, 3), 2); // G2 evicts a's three leaves: a0 stays in G2, a1-a3 only on disk
        settle(m);
        evictG1(m);
        settle(m);
        final int a0 = m.pool(Tier.G2).lookup(a.hi(0), a.lo(0));
        assertTrue(a0 >= 0, "a0 in G2");
        assertTrue(m.pool(Tier.G2).lookup(a.hi(1), a.lo(1)) < 0 && m.pool(Tier.G3).lookup(a.hi(1), a.lo(1)) >= 0,
            "a1 only in G3");
        final long at = m.hostMemory().address(a0) + 100; // a0's G2 copy goes bad in memory
        UnsafeApi.putByte(at, (byte)(UnsafeApi.getByte(at) + 1));
        final long mismatches = m.counters().get(Counter.CHECKSUM_MISMATCHES);
        final int got = onboardAll(m, a, 7, new int[4]);
        // a0 is a G2 hit, not a block the disk just verified: its copy is hashed against its checksum and fails;
        // the prefix stops there. Compared with its (bad) G2 copy instead, it would have been served.
        assertEquals(0, got, "nothing past a bad first block");
        assertTrue(m.counters().get(Counter.CHECKSUM_MISMATCHES) > mismatches);
    }
}
