package io.kvbm4j.tools;

import static io.kvbm4j.tools.CommandRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.EngineCounters;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.journal.JournaledEngines;
import io.kvbm4j.journal.JournalKind;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

/**
 * {@code journal dump} and {@code journal stats} on a journal written by a real manager serving a small chat
 * workload: what they print must agree with the manager's own counters.
 */
class JournalCommandTest
{
    private static final int REQUESTS = 120;

    @TempDir
    static Path journal;

    /** The manager's counters once the journal was complete; what each record type must add up to. */
    private static final Map<JournalKind, Long> EXPECTED = new EnumMap<>(JournalKind.class);
    private static long matchCalls;
    private static long missedBlocks;
    private static long eventsPublished;

    @BeforeAll
    static void writeJournal()
    {
        final Map<String, String> set = new LinkedHashMap<>();
        set.put("journal.dir", journal.toString());
        set.put("model", "tiny-test");
        set.put("tiers.g1-blocks", "256");
        set.put("tiers.g2-blocks", "0");
        set.put("ring.size", "4096");
        final EngineConfig config = ConfigLoader.withOverrides(null, set);
        final ChatWorkload.Shape shape = ChatWorkload.Shape.defaults().withActiveConversations(16);
        try (DefaultKvBlockManager m = JournaledEngines.open(config))
        {
            final ServingLoop loop = new ServingLoop(m, config.saltRecord().salt(config.hash()), shape, 4, true);
            loop.serve(new ChatWorkload(shape, 3), REQUESTS);
            assertTrue(m.awaitHandlers(30, TimeUnit.SECONDS), "the journal caught up");
            assertEquals(0, loop.unexpected(), loop.firstUnexpected());
            final EngineCounters c = m.counters();
            // One record per block of each run; private changes (allocate, fill, complete, reset) have none.
            EXPECTED.put(JournalKind.STORED, c.get(Counter.REGISTERED_BLOCKS));
            EXPECTED.put(JournalKind.DEDUP, c.get(Counter.DEDUPLICATED_BLOCKS));
            EXPECTED.put(JournalKind.MATCH_HIT, c.get(Counter.MATCH_HIT_BLOCKS));
            EXPECTED.put(JournalKind.ACQUIRE, c.get(Counter.ACQUIRES));
            EXPECTED.put(JournalKind.RELEASE, c.get(Counter.RELEASES) - c.get(Counter.RELEASES_DEFERRED));
            EXPECTED.put(JournalKind.REMOVED, c.get(Counter.EVICTED_BLOCKS));
            matchCalls = c.get(Counter.MATCH_CALLS);
            missedBlocks = c.get(Counter.MATCH_MISS_BLOCKS);
            eventsPublished = EXPECTED.values().stream().mapToLong(Long::longValue).sum(); // + one MATCH_MISS each
        }
        assertTrue(EXPECTED.get(JournalKind.REMOVED) > 0, "256 blocks are too few to keep everything");
        assertTrue(EXPECTED.get(JournalKind.MATCH_HIT) > 0, "later turns find their history");
    }

    private static List<String> lines(final String out)
    {
        return out.lines().toList();
    }

    @Test
    void statsCountsEachEventTypeAsTheManagerDid()
    {
        final CommandRun r = run("journal", "stats", "--dir", journal.toString());
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("", r.err(), r.all());
        for (final Map.Entry<JournalKind, Long> e : EXPECTED.entrySet())
        {
            assertEquals(e.getValue(), r.number(e.getKey().name()), e.getKey() + " in\n" + r.all());
        }
        // One MATCH_MISS per match that stopped short; every request of this workload has a block to miss.
        assertTrue(r.number("MATCH_MISS") > 0 && r.number("MATCH_MISS") <= matchCalls, r.all());
        assertEquals(eventsPublished + r.number("MATCH_MISS"), r.number("records"), "a record per block:\n" + r.all());
        assertEquals(matchCalls, r.number("requests"), "one match per request:\n" + r.all());
        final long hits = EXPECTED.get(JournalKind.MATCH_HIT);
        final String rate = String.format(Locale.ROOT, "%.1f %%", 100.0 * hits / (hits + missedBlocks));
        assertTrue(r.out().matches("(?s).*block hit rate\\s+" + Pattern.quote(rate) + ".*"), rate + " in\n" + r.all());
        assertTrue(r.number("distinct blocks") > 0, r.all());
        assertTrue(r.number("distinct blocks") <= EXPECTED.get(JournalKind.STORED) + hits +
            r.number("MATCH_MISS"), r.all());
        assertEquals(1, r.number("roll-cycle files"), r.all());
        assertTrue(r.number("journal bytes") > 0, r.all());
        assertTrue(r.out().contains("first record") && r.out().contains("last record"), r.all());
    }

    @Test
    void dumpPrintsOneLinePerRecordInOrder()
    {
        final CommandRun r = run("journal", "dump", "--dir", journal.toString());
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("", r.err());
        final List<String> lines = lines(r.out());
        assertEquals(eventsPublished + lines.stream().filter(l -> l.contains(" MATCH_MISS ")).count(), lines.size());
        for (int i = 0; i < lines.size(); i++)
        {
            assertTrue(lines.get(i).startsWith("#" + i + " "), lines.get(i));
        }
        assertTrue(lines.get(0).matches("#0 \\d{4}-\\d\\d-\\d\\dT\\S+Z MATCH_(HIT|MISS) .* req=\\d+ pos=0 .*"),
            "a request begins with its match: " + lines.get(0));
    }

    @Test
    void dumpFiltersByTypeRequestAndRange()
    {
        final CommandRun misses = run("journal", "dump", "--dir", journal.toString(), "--type", "match_miss,REMOVED");
        assertEquals(0, misses.exitCode(), misses.all());
        final long evicts = EXPECTED.get(JournalKind.REMOVED);
        final long missRecords = lines(misses.out()).stream().filter(l -> l.contains(" MATCH_MISS ")).count();
        assertEquals(evicts, lines(misses.out()).stream().filter(l -> l.contains(" REMOVED ")).count());
        assertEquals(evicts + missRecords, lines(misses.out()).size(), misses.all());
        assertTrue(missRecords > 0, misses.all());

        final CommandRun one = run("journal", "dump", "--dir", journal.toString(), "--request", "7");
        assertEquals(0, one.exitCode(), one.all());
        assertFalse(one.out().isEmpty());
        assertTrue(lines(one.out()).stream().allMatch(l -> l.contains(" req=7 ")), one.all());

        final CommandRun window = run("journal", "dump", "--dir", journal.toString(), "--from", "10", "--limit", "3");
        assertEquals(List.of("#10 ", "#11 ", "#12 "),
            lines(window.out()).stream().map(l -> l.substring(0, l.indexOf(' ') + 1)).toList(), window.all());
    }

    @Test
    void unknownTypeIsAUsageErrorListingTheTypes()
    {
        final CommandRun r = run("journal", "dump", "--dir", journal.toString(), "--type", "HIT");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("--type: unknown record type 'HIT'") && r.err().contains("MATCH_HIT"), r.all());
    }

    @Test
    void missingDirectoryExitsTwoNamingItAndIsNotCreated(@TempDir final Path tmp)
    {
        final Path missing = tmp.resolve("no-journal-here");
        for (final String sub : new String[] {"dump", "stats"})
        {
            final CommandRun r = run("journal", sub, "--dir", missing.toString());
            assertEquals(2, r.exitCode(), r.all());
            assertTrue(r.err().contains(missing + ": no such directory"), r.all());
            r.assertNoStackTrace();
            assertFalse(Files.exists(missing), "reading created the directory");
        }
    }

    @Test
    void directoryThatIsNoJournalExitsTwoAndIsLeftAsItWas(@TempDir final Path tmp) throws IOException
    {
        Files.writeString(tmp.resolve("notes.txt"), "not a queue");
        final CommandRun r = run("journal", "stats", "--dir", tmp.toString());
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains(tmp + ": not a kvbm4j journal"), r.all());
        try (Stream<Path> files = Files.list(tmp))
        {
            assertEquals(List.of(tmp.resolve("notes.txt")), files.toList());
        }
    }

    @Test
    void recordWeDidNotWriteExitsTwoNamingItsIndex(@TempDir final Path tmp)
    {
        try (SingleChronicleQueue queue = SingleChronicleQueueBuilder.binary(tmp).rollCycle(RollCycles.FAST_HOURLY)
            .build();
            ExcerptAppender appender = queue.createAppender())
        {
            appender.writeText("not a kvbm4j record");
        }
        for (final String sub : new String[] {"dump", "stats"})
        {
            final CommandRun r = run("journal", sub, "--dir", tmp.toString());
            assertEquals(2, r.exitCode(), r.all());
            assertTrue(r.err().contains(tmp + ": journal record at index "), r.all());
            assertTrue(r.err().contains("(record #0)"), r.all());
            r.assertNoStackTrace();
        }
    }

    @Test
    void helpListsTheSubcommandsAndTheirOptions()
    {
        final CommandRun journalHelp = run("journal", "--help");
        assertEquals(0, journalHelp.exitCode(), journalHelp.all());
        assertTrue(journalHelp.out().contains("dump") && journalHelp.out().contains("stats"), journalHelp.all());
        final CommandRun dump = run("journal", "dump", "--help");
        assertEquals(0, dump.exitCode(), dump.all());
        for (final String option : new String[] {"--dir", "--from", "--limit", "--type", "--request"})
        {
            assertTrue(dump.out().contains(option), option + " in\n" + dump.all());
        }
        final CommandRun stats = run("journal", "stats", "--help");
        assertEquals(0, stats.exitCode(), stats.all());
        assertTrue(stats.out().contains("--dir"), stats.all());
        assertTrue(run("--help").out().contains("journal"));
    }

    @Test
    void journalWithoutASubcommandIsAUsageError()
    {
        final CommandRun r = run("journal");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("Missing required subcommand"), r.all());
    }
}
