package io.kvbm4j.gds.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.gds.cufile.CuFileDoubles;
import io.kvbm4j.gds.cufile.CuFileDriver;
import io.kvbm4j.tiers.memory.AlignedMemory;

class DiskTierTest
{
    private static final int MAX = 20_000;
    private static final int SLOTS = 16;

    @TempDir
    Path root;

    private AlignedMemory src;
    private AlignedMemory dst;
    private AlignedMemory scratch;
    private UnsafeBuffer srcBuf;
    private UnsafeBuffer dstBuf;
    private UnsafeBuffer scratchBuf;

    @BeforeEach
    void buffers()
    {
        src = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096);
        dst = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096);
        scratch = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096);
        srcBuf = src.newBuffer();
        dstBuf = dst.newBuffer();
        scratchBuf = scratch.newBuffer();
    }

    @AfterEach
    void free()
    {
        src.close();
        dst.close();
        scratch.close();
    }

    private DiskTierConfig config()
    {
        return DiskTierConfig.posix(root.resolve("g3"), SLOTS, MAX);
    }

    private DiskStatus put(final DiskTier tier, final long i)
    {
        final int len = Blocks.length(i, MAX);
        Blocks.fill(srcBuf, i, len);
        return tier.write(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, src.address(), len);
    }

    private DiskStatus get(final DiskTier tier, final long i)
    {
        final DiskStatus s = tier.read(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, dst.address(), dst.length());
        if (s == DiskStatus.OK)
        {
            assertTrue(Blocks.matches(dstBuf, i, Blocks.length(i, MAX), scratchBuf), "block " + i + " served wrong bytes");
        }
        return s;
    }

    private void poke(final DiskTier tier, final int slot, final long offsetInSlot, final byte[] bytes) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(tier.file().toFile(), "rw"))
        {
            raf.seek(slot * tier.stride() + offsetInSlot);
            raf.write(bytes);
        }
    }

    private void flipByte(final Path file, final long position) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
        {
            raf.seek(position);
            final int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0x10);
        }
    }

    private void deleteIndexFile() throws IOException
    {
        Files.delete(root.resolve("g3").resolve(SlotDirectory.FILE));
    }

    /** Slot of block i, found through its header on disk (the tier does not expose its index). */
    private int slotOf(final DiskTier tier, final long i) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(tier.file().toFile(), "r"))
        {
            for (int s = 0; s < tier.slotCount(); s++)
            {
                raf.seek(s * tier.stride() + SlotHeaderLayout.ID_LO_OFFSET);
                if (Long.reverseBytes(raf.readLong()) == Blocks.idLo(i))
                {
                    return s;
                }
            }
        }
        throw new AssertionError("block " + i + " not on disk");
    }

    @Test
    void aWrittenBlockReadsBackWithTheSameBytes() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            for (long i = 0; i < 5; i++)
            {
                assertEquals(DiskStatus.OK, put(tier, i));
            }
            for (long i = 0; i < 5; i++)
            {
                assertEquals(DiskStatus.OK, get(tier, i));
                assertEquals(Blocks.length(i, MAX), tier.payloadLength(Blocks.idHi(i), Blocks.idLo(i)));
            }
            assertEquals(5, tier.counter(DiskCounter.WRITES));
            assertEquals(5, tier.counter(DiskCounter.HITS));
            assertTrue(tier.ioDescription().startsWith("POSIX"), tier.ioDescription());
        }
    }

    @Test
    void anUnknownIdOrAnotherSaltIsAMiss() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertEquals(DiskStatus.MISS, get(tier, 2));
            assertEquals(DiskStatus.MISS, tier.read(Blocks.idHi(1), Blocks.idLo(1), Blocks.SALT + 1, dst.address(), dst.length()));
            assertEquals(2, tier.counter(DiskCounter.MISSES));
        }
    }

    @Test
    void writingAStoredIdAgainIsAlreadyPresent() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertEquals(DiskStatus.ALREADY_PRESENT, put(tier, 1));
            assertEquals(1, tier.size());
        }
    }

    @Test
    void aFullTierRefusesWithNoSlotUntilABlockIsEvicted() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            for (long i = 0; i < SLOTS; i++)
            {
                assertEquals(DiskStatus.OK, put(tier, i));
            }
            assertEquals(DiskStatus.NO_SLOT, put(tier, 100));
            assertTrue(tier.evict(Blocks.idHi(3), Blocks.idLo(3)));
            assertFalse(tier.evict(Blocks.idHi(3), Blocks.idLo(3)));
            assertEquals(DiskStatus.OK, put(tier, 100));
            assertEquals(DiskStatus.MISS, get(tier, 3));
            for (long i = 0; i < SLOTS; i++)
            {
                assertEquals(i == 3 ? DiskStatus.MISS : DiskStatus.OK, get(tier, i), "block " + i);
            }
            assertEquals(DiskStatus.OK, get(tier, 100));
        }
    }

    @Test
    void misalignedOrOversizedBuffersAreRefusedWithoutIo() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.INVALID, tier.write(1, 2, 3, src.address() + 8, 100));
            assertEquals(DiskStatus.TOO_LARGE, tier.write(1, 2, 3, src.address(), MAX + 1));
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertEquals(DiskStatus.TOO_LARGE, tier.read(Blocks.idHi(1), Blocks.idLo(1), Blocks.SALT, dst.address(), 4096));
            assertEquals(0, tier.counter(DiskCounter.WRITES) - 1);
        }
    }

    @Test
    void reopeningAfterACleanCloseFindsEveryBlockAgainFromThePersistedIndex() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertFalse(tier.recoveredFromIndexFile(), "a new tier has no index file yet");
            for (long i = 0; i < 10; i++)
            {
                assertEquals(DiskStatus.OK, put(tier, i));
            }
            assertTrue(tier.evict(Blocks.idHi(9), Blocks.idLo(9)));
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertTrue(tier.recoveredFromIndexFile());
            assertEquals(9, tier.counter(DiskCounter.RECOVERED_BLOCKS));
            for (long i = 0; i < 9; i++)
            {
                assertEquals(DiskStatus.OK, get(tier, i), "block " + i);
            }
            assertEquals(DiskStatus.MISS, get(tier, 9), "an evicted block stays evicted");
            assertEquals(DiskStatus.OK, put(tier, 50), "the next generation continues after the recovered ones");
        }
    }

    @Test
    void aMissingIndexFileIsRebuiltByScanningTheSlotHeaders() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            for (long i = 0; i < 7; i++)
            {
                assertEquals(DiskStatus.OK, put(tier, i));
            }
        }
        deleteIndexFile();
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertFalse(tier.recoveredFromIndexFile());
            assertEquals(7, tier.size());
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertTrue(tier.recoveredFromIndexFile(), "the scan wrote the index again");
            for (long i = 0; i < 7; i++)
            {
                assertEquals(DiskStatus.OK, get(tier, i), "block " + i);
            }
        }
    }

    @Test
    void aDamagedIndexEntryIsSettledByItsSlotHeader() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 3));
            assertEquals(DiskStatus.OK, put(tier, 4));
        }
        final Path index = root.resolve("g3").resolve(SlotDirectory.FILE);
        final int slot;
        try (DiskTier tier = DiskTier.open(config()))
        {
            slot = slotOf(tier, 3);
        }
        flipByte(index, SlotDirectory.FILE_HEADER + (long)slot * SlotDirectory.ENTRY + SlotDirectory.LENGTH);
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(2, tier.size());
            assertEquals(0, tier.counter(DiskCounter.CORRUPT_SLOTS));
            assertEquals(DiskStatus.OK, get(tier, 3));
            assertEquals(DiskStatus.OK, get(tier, 4));
        }
    }

    @Test
    void anIndexEntryWhoseSlotWasOverwrittenIsAMissNeverAnotherBlock() throws Exception
    {
        final int slotOf5;
        final int slotOf6;
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 5));
            assertEquals(DiskStatus.OK, put(tier, 6));
            slotOf5 = slotOf(tier, 5);
            slotOf6 = slotOf(tier, 6);
            // Block 6's whole slot (header and payload) lands where the index says block 5 is.
            final byte[] copy = new byte[(int)tier.stride()];
            try (RandomAccessFile raf = new RandomAccessFile(tier.file().toFile(), "rw"))
            {
                raf.seek(slotOf6 * tier.stride());
                raf.readFully(copy);
                raf.seek(slotOf5 * tier.stride());
                raf.write(copy);
            }
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.CORRUPT, get(tier, 5));
            assertEquals(DiskStatus.OK, get(tier, 6));
            assertEquals(1, tier.counter(DiskCounter.CORRUPT_SLOTS));
        }
    }

    @Test
    void ofTwoSlotsHoldingOneIdTheNewerGenerationWinsAtRestart() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertTrue(tier.evict(Blocks.idHi(1), Blocks.idLo(1)));
            assertEquals(DiskStatus.OK, put(tier, 2)); // takes the slot block 1 left, on top of the stack
            assertEquals(DiskStatus.OK, put(tier, 1)); // block 1 again, in another slot, newer generation
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(2, tier.size());
            assertEquals(DiskStatus.OK, get(tier, 1));
            assertEquals(DiskStatus.OK, get(tier, 2));
        }
        // Same id in two slots with valid headers: make one by copying block 1's slot over a free slot.
        final int s1;
        final byte[] copy;
        try (DiskTier tier = DiskTier.open(config()))
        {
            s1 = slotOf(tier, 1);
            copy = new byte[(int)tier.stride()];
            try (RandomAccessFile raf = new RandomAccessFile(tier.file().toFile(), "rw"))
            {
                raf.seek(s1 * tier.stride());
                raf.readFully(copy);
                final int other = s1 == SLOTS - 1 ? 0 : SLOTS - 1;
                raf.seek(other * tier.stride());
                raf.write(copy);
            }
        }
        deleteIndexFile(); // the index names one slot per id: only a header scan meets both copies
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(1, tier.counter(DiskCounter.DUPLICATE_SLOTS));
            assertEquals(2, tier.size());
            assertEquals(DiskStatus.OK, get(tier, 1));
        }
        deleteIndexFile();
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(0, tier.counter(DiskCounter.DUPLICATE_SLOTS), "the losing copy was cleared on disk");
        }
    }

    @Test
    void aBitFlippedPayloadIsAMissAndItsSlotIsFreed() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 4));
            assertEquals(DiskStatus.OK, put(tier, 5));
            final int slot = slotOf(tier, 4);
            flipByte(tier.file(), slot * tier.stride() + SlotHeaderLayout.HEADER_BLOCK + 1234);
            assertEquals(DiskStatus.CORRUPT, get(tier, 4));
            assertEquals(1, tier.counter(DiskCounter.CORRUPT_SLOTS));
            assertEquals(DiskStatus.MISS, get(tier, 4), "a corrupt slot is dropped from the index");
            assertEquals(1, tier.size());
            assertEquals(DiskStatus.OK, get(tier, 5));
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(1, tier.size(), "the corrupt slot's header was cleared");
            assertEquals(DiskStatus.MISS, get(tier, 4));
        }
    }

    @Test
    void aBitFlippedHeaderIsAMissThroughTheIndexAndDroppedByAHeaderScan() throws Exception
    {
        final long position;
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 6));
            assertEquals(DiskStatus.OK, put(tier, 7));
            position = slotOf(tier, 6) * tier.stride() + SlotHeaderLayout.LENGTH_OFFSET;
        }
        flipByte(root.resolve("g3").resolve(DiskTier.SLOT_FILE), position);
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(2, tier.size(), "index entries are hints until a read verifies the slot");
            assertEquals(DiskStatus.CORRUPT, get(tier, 6));
            assertEquals(DiskStatus.OK, get(tier, 7));
            assertEquals(1, tier.size());
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(1, tier.size(), "the corrupt slot left the index file");
        }
        flipByte(root.resolve("g3").resolve(DiskTier.SLOT_FILE), position + SlotHeaderLayout.HEADER_BLOCK); // harmless: slot free
        final long position7;
        try (DiskTier tier = DiskTier.open(config()))
        {
            position7 = slotOf(tier, 7) * tier.stride() + SlotHeaderLayout.ID_HI_OFFSET;
        }
        flipByte(root.resolve("g3").resolve(DiskTier.SLOT_FILE), position7);
        deleteIndexFile();
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(1, tier.counter(DiskCounter.CORRUPT_SLOTS), "the scan checks each header's checksum");
            assertEquals(0, tier.size());
            assertEquals(DiskStatus.MISS, get(tier, 7));
        }
    }

    @Test
    void aTornWriteWhoseHeaderLandedButPayloadDidNotIsAMiss() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, put(tier, 8));
            final int slot = slotOf(tier, 8);
            // The second half of the payload still holds an older block's bytes.
            poke(tier, slot, SlotHeaderLayout.HEADER_BLOCK + 8192, new byte[4096]);
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(1, tier.size(), "the header is intact, so the restart indexes the slot");
            assertEquals(DiskStatus.CORRUPT, get(tier, 8));
            assertEquals(0, tier.size());
        }
    }

    private int fillAndCut(final boolean alsoTheIndex) throws Exception
    {
        final int cutSlot = SLOTS / 2;
        try (DiskTier tier = DiskTier.open(config()))
        {
            for (long i = 0; i < SLOTS; i++)
            {
                assertEquals(DiskStatus.OK, put(tier, i));
            }
            try (RandomAccessFile raf = new RandomAccessFile(tier.file().toFile(), "rw"))
            {
                raf.setLength(cutSlot * tier.stride() + SlotHeaderLayout.HEADER_BLOCK + 100); // mid-payload
            }
        }
        if (alsoTheIndex)
        {
            try (RandomAccessFile raf = new RandomAccessFile(root.resolve("g3").resolve(SlotDirectory.FILE).toFile(), "rw"))
            {
                raf.setLength(raf.length() / 2);
            }
        }
        return cutSlot;
    }

    private int[] readAll(final DiskTier tier)
    {
        final int[] byStatus = new int[DiskStatus.values().length];
        for (long i = 0; i < SLOTS; i++)
        {
            byStatus[get(tier, i).ordinal()]++;
        }
        return byStatus;
    }

    @Test
    void aTruncatedSlotFileLosesOnlyTheBlocksPastTheCut() throws Exception
    {
        final int cutSlot = fillAndCut(false);
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertTrue(tier.recoveredFromIndexFile());
            final int[] byStatus = readAll(tier);
            assertEquals(cutSlot, byStatus[DiskStatus.OK.ordinal()]);
            assertEquals(SLOTS - cutSlot, byStatus[DiskStatus.CORRUPT.ordinal()], "past the cut: zeros, caught by the checks");
            assertEquals(cutSlot, tier.size());
            assertEquals(tier.stride() * SLOTS, Files.size(tier.file()), "reopen reserves the full size again");
        }
    }

    @Test
    void aTruncatedSlotFileAndIndexFileAreRebuiltByAScanThatKeepsTheBlocksBeforeTheCut() throws Exception
    {
        final int cutSlot = fillAndCut(true);
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertFalse(tier.recoveredFromIndexFile(), "an index file of the wrong size is rebuilt");
            assertEquals(cutSlot + 1, tier.size(), "headers before the cut survive, the cut slot's too");
            final int[] byStatus = readAll(tier);
            assertEquals(cutSlot, byStatus[DiskStatus.OK.ordinal()]);
            assertEquals(1, byStatus[DiskStatus.CORRUPT.ordinal()], "the slot cut mid-payload fails its checksum");
            assertEquals(SLOTS - cutSlot - 1, byStatus[DiskStatus.MISS.ordinal()]);
        }
    }

    @Test
    void theSlotFileIsCreatedOwnerOnlyInsideTheRoot() throws Exception
    {
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(root.resolve("g3").resolve(DiskTier.SLOT_FILE), tier.file());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tier.file())));
            assertEquals(SLOTS * tier.stride(), Files.size(tier.file()));
            assertEquals(0, tier.stride() % 4096);
        }
    }

    @Test
    void aSymbolicLinkInPlaceOfTheSlotFileIsRefused() throws Exception
    {
        final Path g3 = Files.createDirectories(root.resolve("g3"));
        Files.createSymbolicLink(g3.resolve(DiskTier.SLOT_FILE), root.resolve("elsewhere"));
        final DiskTierException e = assertThrows(DiskTierException.class, () -> DiskTier.open(config()));
        assertTrue(e.getMessage().contains("symbolic links are refused"), e.getMessage());
    }

    @Test
    void notEnoughFreeSpaceFailsAtOpenNamingTheSettings() throws Exception
    {
        final DiskTierConfig huge = DiskTierConfig.posix(root.resolve("g3"), DiskTierConfig.MAX_SLOTS, DiskTierConfig.MAX_PAYLOAD);
        final DiskTierException e = assertThrows(DiskTierException.class, () -> DiskTier.open(huge));
        assertTrue(e.getMessage().contains("bytes free") && e.getMessage().contains("g3.slot-count"), e.getMessage());
        assertFalse(Files.exists(root.resolve("g3").resolve(DiskTier.SLOT_FILE)), "no partial file is left");
    }

    @Test
    void contradictorySettingsAreRejectedNamingTheKey()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new DiskTierConfig(root, 0, 4096, IoPath.POSIX, null, Duration.ofSeconds(1), 8, 4, 8, 0));
        assertTrue(e.getMessage().startsWith("g3.slot-count"), e.getMessage());
        final IllegalArgumentException lib = assertThrows(IllegalArgumentException.class,
            () -> new DiskTierConfig(root, 1, 4096, IoPath.POSIX, root.resolve("libcufile.so"), Duration.ofSeconds(1), 8, 4, 8, 0));
        assertTrue(lib.getMessage().startsWith("g3.cufile-library"), lib.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IoPath.parse("gds"));
    }

    @Test
    void idsWithCorrelatedHalvesSpreadOverTheBuckets()
    {
        final int mask = (1 << 16) - 1;
        final int[] load = new int[mask + 1];
        int worst = 0;
        for (int b = 0; b < 1 << 15; b++)
        {
            // hi = K | b and lo = b * golden ratio: the pattern that defeated hi * C ^ lo.
            final int bucket = DiskTier.bucket(0x4733L << 48 | b, b * 0x9E3779B97F4A7C15L, mask);
            worst = Math.max(worst, ++load[bucket]);
        }
        assertTrue(worst <= 8, "a bucket took " + worst + " of 32768 ids");
    }

    @Test
    void settingsFromFlatKeysTakeDefaultsAndNameTheKeyThatIsWrong()
    {
        final DiskTierConfig c = DiskTierConfig.fromMap(Map.of("g3.root", root.toString(), "g3.slot-count", "64",
            "g3.max-payload-bytes", "2_097_152", "g3.io", "gds-preferred"));
        assertEquals(64, c.slotCount());
        assertEquals(2L << 20, c.maxPayloadBytes());
        assertEquals(IoPath.GDS_PREFERRED, c.io());
        assertEquals(Duration.ofSeconds(2), c.driverTimeout());
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
            () -> DiskTierConfig.fromMap(Map.of("g3.root", "/x", "g3.slots", "4")));
        assertTrue(unknown.getMessage().startsWith("unknown setting g3.slots"), unknown.getMessage());
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> DiskTierConfig.fromMap(Map.of("g3.root", "/x", "g3.slot-count", "many", "g3.max-payload-bytes", "1")));
        assertEquals("g3.slot-count must be an integer: many", bad.getMessage());
        final IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
            () -> DiskTierConfig.fromMap(Map.of("g3.root", "/x", "g3.slot-count", "4")));
        assertEquals("g3.max-payload-bytes must be set", missing.getMessage());
    }

    @Test
    void aFileSystemThatRefusesODirectFallsBackToBufferedIoAndSaysSo() throws Exception
    {
        final Path shm = Path.of("/dev/shm");
        Assumptions.assumeTrue(Files.isDirectory(shm) && Files.isWritable(shm), "needs a writable tmpfs at /dev/shm");
        final Path dir = Files.createTempDirectory(shm, "kvbm4j-g3-");
        try (DiskTier tier = DiskTier.open(DiskTierConfig.posix(dir, 4, MAX)))
        {
            Assumptions.assumeFalse(tier.directIo(), "/dev/shm accepted O_DIRECT here");
            assertEquals(1, tier.counter(DiskCounter.DIRECT_IO_REFUSED));
            assertTrue(tier.ioDescription().contains("O_DIRECT refused"), tier.ioDescription());
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertEquals(DiskStatus.OK, get(tier, 1));
        }
        finally
        {
            Files.deleteIfExists(dir.resolve(DiskTier.SLOT_FILE));
            Files.deleteIfExists(dir.resolve(SlotDirectory.FILE));
            Files.deleteIfExists(dir);
        }
    }

    // ------------------------------------------------------------------ cuFile path (through the C double)

    /** A driver that hangs: a short open deadline, so the test sees it expire. */
    private DiskTierConfig gdsHanging(final IoPath path, final Path library)
    {
        return config().withIo(path, library, Duration.ofMillis(300));
    }

    /**
     * A working driver (the C double): a generous open deadline, so a loaded machine that takes long to load the
     * library is not mistaken for a hanging driver.
     */
    private DiskTierConfig gds(final IoPath path, final Path library)
    {
        return config().withIo(path, library, Duration.ofSeconds(20));
    }

    @Test
    void gdsRequiredWithADriverThatHangsFailsToStartWithTheReason()
    {
        final Path hang = CuFileDoubles.hangingDouble();
        final DiskTierException e = assertThrows(DiskTierException.class, () -> DiskTier.open(gdsHanging(IoPath.GDS_REQUIRED, hang)));
        assertEquals("G3 cannot start: g3.io=gds-required but GDS unavailable: driver open timed out after 300 ms",
            e.getMessage());
    }

    @Test
    void gdsPreferredWithADriverThatHangsFallsBackToPosixAndSaysWhy() throws Exception
    {
        final Path hang = CuFileDoubles.hangingDouble();
        try (DiskTier tier = DiskTier.open(gdsHanging(IoPath.GDS_PREFERRED, hang)))
        {
            assertFalse(tier.usesCuFile());
            assertTrue(tier.ioDescription().contains("driver open timed out"), tier.ioDescription());
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertEquals(DiskStatus.OK, get(tier, 1));
        }
    }

    @Test
    void theCuFilePathWritesReadsAndRestartsLikeThePosixPath() throws Exception
    {
        final Path lib = CuFileDoubles.healthyDouble();
        try (DiskTier tier = DiskTier.open(gds(IoPath.GDS_REQUIRED, lib)))
        {
            assertTrue(tier.usesCuFile());
            assertTrue(tier.ioDescription().startsWith("cuFile: libcufile 1.18"), tier.ioDescription());
            for (long i = 0; i < 6; i++)
            {
                assertEquals(DiskStatus.OK, put(tier, i));
            }
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            for (long i = 0; i < 6; i++)
            {
                assertEquals(DiskStatus.OK, get(tier, i), "written by cuFile, read by POSIX: block " + i);
            }
        }
        try (DiskTier tier = DiskTier.open(gds(IoPath.GDS_REQUIRED, lib)))
        {
            assertEquals(6, tier.size());
            for (long i = 0; i < 6; i++)
            {
                assertEquals(DiskStatus.OK, get(tier, i), "block " + i);
            }
        }
    }

    @Test
    void onARealLibcufileEitherCuFileIsInUseOrTheTierSaysWhyNot() throws Exception
    {
        final String real = System.getenv(CuFileDriver.LIBRARY_ENV);
        Assumptions.assumeTrue(real != null && !real.isBlank(), "needs a real libcufile named by KVBM_CUFILE_LIBRARY");
        try (DiskTier tier = DiskTier.open(config().withIo(IoPath.GDS_PREFERRED, Path.of(real), Duration.ofSeconds(20))))
        {
            assertTrue(tier.usesCuFile() || tier.ioDescription().contains("GDS unavailable"), tier.ioDescription());
            assertEquals(DiskStatus.OK, put(tier, 1));
            assertEquals(DiskStatus.OK, get(tier, 1));
        }
    }

    @Test
    void eioEnospcAndShortIoAreFailuresAndRepeatedFailuresDegradeTheTier() throws Exception
    {
        final Path lib = CuFileDoubles.healthyDouble();
        try (DiskTier tier = DiskTier.open(gds(IoPath.GDS_REQUIRED, lib).withDegradeAfterFailures(3)))
        {
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_ERRNO, 5);
            assertEquals(DiskStatus.IO_ERROR, put(tier, 1));
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_ERRNO, 28);
            assertEquals(DiskStatus.NO_SPACE_ON_DEVICE, put(tier, 1));
            assertEquals(DiskStatus.OK, put(tier, 1), "a success resets the run of failures");
            assertEquals(DiskStatus.MISS, get(tier, 2));
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_SHORT, 0);
            assertEquals(DiskStatus.SHORT_IO, get(tier, 1));
            assertFalse(tier.isDegraded());
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_OP_ERROR, 5011);
            assertEquals(DiskStatus.IO_ERROR, put(tier, 2));
            CuFileDoubles.injectFault(lib, CuFileDoubles.FAULT_ERRNO, 5);
            assertEquals(DiskStatus.IO_ERROR, put(tier, 3));
            assertTrue(tier.isDegraded());
            assertEquals(DiskStatus.DEGRADED, get(tier, 1));
            assertEquals(DiskStatus.DEGRADED, put(tier, 4));
            assertEquals(1, tier.size(), "failed writes never enter the index");
            assertEquals(3, tier.counter(DiskCounter.IO_ERRORS));
            assertEquals(1, tier.counter(DiskCounter.NO_SPACE_ERRORS));
            assertEquals(1, tier.counter(DiskCounter.SHORT_IO));
            assertEquals(1, tier.counter(DiskCounter.DEGRADED));
            assertEquals(2, tier.counter(DiskCounter.DEGRADED_REFUSALS));
        }
        try (DiskTier tier = DiskTier.open(config()))
        {
            assertEquals(DiskStatus.OK, get(tier, 1), "a reopened tier serves what was written");
        }
    }
}
