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
        e.set(type, Tier.G1.ordinal(), (int)id, 7, id, 7, id - 1, (int)id, request, id, 1_000_000L * id, 1, 0);
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
                handler.onEvent(event(BlockEventType.REGISTER, i, 100 + i), i, false);
            }
            time.advanceMillis(TimeUnit.HOURS.toMillis(1)); // next hour: a new cycle file
            for (int i = 11; i <= 20; i++)
            {
                handler.onEvent(event(BlockEventType.MATCH_HIT, i, 100 + i), i, false);
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
                assertEquals(i <= 10 ? BlockEventType.REGISTER : BlockEventType.MATCH_HIT, r.type);
                assertEquals(7, r.idHi);
                assertEquals(i, r.idLo);
                assertEquals(100 + i, r.requestId);
                assertEquals(i, r.position);
                assertEquals(1_000_000L * i, r.timeNanos);
            }
            assertFalse(tailer.next(r), "nothing more, NOOP skipped");

            final JournalHandler more = new JournalHandler(reopened);
            more.onStart();
            more.onEvent(event(BlockEventType.EVICT, 21, 5), 0, true);
            assertTrue(tailer.next(r), "the tailer sees a record appended after it caught up");
            assertEquals(BlockEventType.EVICT, r.type);
            more.onShutdown();
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
