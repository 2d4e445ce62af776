package io.kvbm4j.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import net.openhft.chronicle.core.time.SetTimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;

class JournalTest
{
    private static BlockEvent event(final BlockEventType type, final long id, final long request)
    {
        final BlockEvent e = new BlockEvent();
        e.type = type;
        e.tier = Tier.G1.ordinal();
        e.requestId = request;
        e.tick = id;
        e.timeNanos = 1_000_000L * id;
        e.count = 1;
        e.slot[0] = (int)id;
        e.idHi[0] = 7;
        e.idLo[0] = id;
        e.parentHi[0] = 7;
        e.parentLo[0] = id - 1;
        e.position[0] = (int)id;
        e.refCount[0] = 1;
        e.aux[0] = 0;
        e.flags[0] = 0;
        return e;
    }

    @Test
    void recordsRoundTripAcrossARollAndAReopenAndATailerFollowsNewOnes(@TempDir final Path dir)
    {
        final SetTimeProvider time = new SetTimeProvider("2026-11-23T10:00:00").autoIncrement(1, TimeUnit.MILLISECONDS);
        try (Journal journal = new Journal(dir, Journal.Roll.HOURLY, time, false))
        {
            final JournalHandler handler = new JournalHandler(journal);
            handler.onStart();
            for (int i = 1; i <= 10; i++)
            {
                handler.onEvent(event(BlockEventType.STORED, i, 100 + i), i, false);
            }
            time.advanceMillis(TimeUnit.HOURS.toMillis(1)); // next hour: a new cycle file
            for (int i = 11; i <= 20; i++)
            {
                handler.onEvent(event(BlockEventType.MATCH, i, 100 + i), i, false);
            }
            handler.onEvent(event(BlockEventType.NOOP, 99, 0), 21, false); // fillers are not journaled
            handler.onShutdown();
            assertEquals(2, journal.cycles(), "rolled once");
        }
        try (Journal reopened = new Journal(dir, Journal.Roll.HOURLY, null, false);
            JournalTailer tailer = reopened.tailer().toStart())
        {
            final JournalRecord r = new JournalRecord();
            for (int i = 1; i <= 20; i++)
            {
                assertTrue(tailer.next(r), "record " + i);
                assertEquals(i <= 10 ? JournalKind.STORED : JournalKind.MATCH_HIT, r.type);
                assertEquals(7, r.idHi);
                assertEquals(i, r.idLo);
                assertEquals(100 + i, r.requestId);
                assertEquals(i, r.position);
                assertEquals(1_000_000L * i, r.timeNanos);
            }
            assertFalse(tailer.next(r), "nothing more, NOOP skipped");

            final JournalHandler more = new JournalHandler(reopened);
            more.onStart();
            more.onEvent(event(BlockEventType.REMOVED, 21, 5), 0, true);
            assertTrue(tailer.next(r), "the tailer sees a record appended after it caught up");
            assertEquals(JournalKind.REMOVED, r.type);
            more.onShutdown();
        }
    }

    @Test
    void aRunEventIsJournaledAsOneRecordPerBlockWithItsKindAndFlags(@TempDir final Path dir)
    {
        try (Journal journal = new Journal(dir, Journal.Roll.DAILY))
        {
            final BlockEvent e = event(BlockEventType.MATCH, 1, 9);
            e.count = 3;
            for (int i = 0; i < 3; i++)
            {
                e.idHi[i] = 7;
                e.idLo[i] = 10 + i;
                e.position[i] = i;
                e.flags[i] = 0;
            }
            e.flags[2] = BlockEvent.MISS;
            e.slot[2] = -1;
            e.aux[2] = 4;
            final JournalHandler handler = new JournalHandler(journal);
            handler.onStart();
            handler.onEvent(e, 0, true);
            handler.onShutdown();
            final JournalRecord r = new JournalRecord();
            try (JournalTailer tailer = journal.tailer().toStart())
            {
                for (int i = 0; i < 3; i++)
                {
                    assertTrue(tailer.next(r));
                    assertEquals(i < 2 ? JournalKind.MATCH_HIT : JournalKind.MATCH_MISS, r.type);
                    assertEquals(10 + i, r.idLo);
                    assertEquals(i, r.position);
                }
                assertEquals(4, r.aux, "blocks missed");
                assertEquals(BlockEvent.MISS, r.flags);
                assertFalse(tailer.next(r));
            }
        }
    }

    @Test
    void aJournalOfFormatVersionOneStillReadsAndItsObsoleteRecordsAreSkipped(@TempDir final Path dir)
    {
        try (Journal journal = new Journal(dir, Journal.Roll.DAILY))
        {
            try (ExcerptAppender old = journal.newAppender())
            {
                writeV1(old, 1, 0, 11);  // FILL: a private change, skipped
                writeV1(old, 1, 3, 12);  // REGISTER → STORED
                writeV1(old, 1, 10, 13); // EVICT → REMOVED
                writeV1(old, 9, 3, 14);  // a version this build does not know
            }
            final JournalRecord r = new JournalRecord();
            try (JournalTailer tailer = journal.tailer().toStart())
            {
                assertTrue(tailer.next(r));
                assertEquals(JournalKind.STORED, r.type);
                assertEquals(12, r.idLo);
                assertTrue(tailer.next(r));
                assertEquals(JournalKind.REMOVED, r.type);
                final JournalFormatException ex = assertThrows(JournalFormatException.class, () -> tailer.next(r));
                assertTrue(ex.getMessage().contains("format version 9, this build reads versions 1 to 2"), ex.getMessage());
            }
        }
    }

    /** A record as the version-1 journal wrote it: the old per-block event type in the type byte. */
    private static void writeV1(final ExcerptAppender appender, final int version, final int type, final long idLo)
    {
        try (net.openhft.chronicle.wire.DocumentContext dc = appender.writingDocument())
        {
            final net.openhft.chronicle.bytes.Bytes<?> b = dc.wire().bytes();
            b.writeByte((byte)version);
            b.writeByte((byte)type);
            b.writeByte((byte)0);
            b.writeByte((byte)0);
            b.writeInt(3);
            b.writeLong(1_000L);
            b.writeLong(7);
            b.writeLong(idLo);
            b.writeLong(5);
            b.writeLong(1);
            b.writeInt(0);
            b.writeInt(1);
            b.writeInt(0);
        }
    }

    @Test
    void openingReadOnlyNeverCreatesAMissingDirectory(@TempDir final Path dir)
    {
        final Path missing = dir.resolve("absent");
        assertThrows(JournalFormatException.class, () -> new Journal(missing, Journal.Roll.HOURLY, null, true));
        assertFalse(java.nio.file.Files.exists(missing));
    }

    @Test
    void anExcerptWeDidNotWriteIsRefusedWithItsIndex(@TempDir final Path dir)
    {
        try (Journal journal = new Journal(dir, Journal.Roll.DAILY))
        {
            try (ExcerptAppender foreign = journal.newAppender())
            {
                foreign.writeText("not a kvbm4j record");
            }
            final JournalFormatException ex = assertThrows(JournalFormatException.class,
                () -> journal.tailer().toStart().next(new JournalRecord()));
            assertTrue(ex.getMessage().startsWith("journal record at index "), ex.getMessage());
            assertTrue(ex.getMessage().contains("expected 60"), ex.getMessage());
        }
    }

    @Test
    void aRestartRebuildsAccessHistorySoHotBlocksKeepTheirScore(@TempDir final Path dir)
    {
        final EngineConfig config = ConfigLoader.withOverrides(null, Map.of("model", "tiny-test",
            "tiers.g1-blocks", "64", "tiers.g2-blocks", "0", "journal.dir", dir.toString()));
        final BlockIds hot = new BlockIds(1);
        hot.add(1, 1);
        final BlockIds cold = new BlockIds(1);
        cold.add(2, 2);
        try (DefaultKvBlockManager m = JournaledEngines.open(config))
        {
            final int[] s = new int[1];
            storeAndRelease(m, hot, s);
            storeAndRelease(m, cold, s);
            for (int i = 0; i < 20; i++)
            {
                assertEquals(1, m.match(hot, 1, i, s));
                m.release(s[0]);
            }
            assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
            assertNull(m.checkInvariants());
        }
        try (DefaultKvBlockManager restarted = JournaledEngines.open(config))
        {
            final int hotScore = restarted.history().estimate(1, 1);
            final int coldScore = restarted.history().estimate(2, 2);
            assertTrue(hotScore >= 21, "hot block remembered: " + hotScore);
            assertEquals(1, coldScore);
            final int[] s = new int[1];
            storeAndRelease(restarted, hot, s);
            assertTrue(restarted.pool(Tier.G1).table().accessCount(s[0]) > 20,
                "a hot block registered again starts with its earned score");
            assertNull(restarted.checkInvariants());
        }
    }

    private static void storeAndRelease(final DefaultKvBlockManager m, final BlockIds ids, final int[] s)
    {
        assertEquals(1, m.allocate(1, 0, s));
        m.fill(s[0], m.blockTokens());
        m.complete(s[0], ids, 0);
        s[0] = m.register(s[0]);
        assertEquals(0, m.release(s[0]));
    }
}
