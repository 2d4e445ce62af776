package io.kvbm4j.tools;

import static io.kvbm4j.tools.CommandRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the command line in process, as {@code bin/kvbm4j} would, with captured output. No timings. */
class DemoCommandTest
{
    private static final byte[] PNG_MAGIC = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final Pattern HIT_RATE = Pattern.compile("block hit rate\\s+([0-9.]+) %");

    @Test
    void smallDemoExitsZeroAndPrintsASummaryWithCacheHits()
    {
        final CommandRun r = run("demo", "--requests", "200", "--set", "tiers.g1-blocks=256", "--no-report");
        assertEquals(0, r.exitCode(), r.all());
        assertEquals(200, r.number("requests"), r.all());
        final Matcher hit = HIT_RATE.matcher(r.out());
        assertTrue(hit.find(), r.all());
        assertTrue(Double.parseDouble(hit.group(1)) > 0, r.all());
        assertTrue(r.number("blocks evicted") > 0, "256 blocks are too few to keep everything:\n" + r.all());
        assertTrue(r.out().contains("256 G1 blocks"), r.all());
        assertTrue(r.out().matches("(?s).*match\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+\\s+200\\n.*"),
            "match latency line with one call per request:\n" + r.all());
        assertTrue(r.out().matches("(?s).*checks\\s+ok.*"), r.all());
        assertEquals("", r.err(), r.all());
    }

    @Test
    void sameSeedServesTheSameBlocks()
    {
        final CommandRun a = run("demo", "--requests", "150", "--seed", "9", "--set", "tiers.g1-blocks=300",
            "--no-report");
        final CommandRun b = run("demo", "--requests", "150", "--seed", "9", "--set", "tiers.g1-blocks=300",
            "--no-report");
        assertEquals(0, a.exitCode(), a.all());
        assertEquals(0, b.exitCode(), b.all());
        assertEquals(a.number("blocks requested"), b.number("blocks requested"));
    }

    @Test
    void aSmallRingServesLongRequestsAndLeaksNothing()
    {
        // A 64-entry ring used to refuse every 64-block match (one entry per block); a call now takes one
        // entry per run of 32 blocks, so long requests are served and cached, and every block is given back.
        final CommandRun r = run("demo", "--requests", "200", "--no-pacing", "--set", "ring.size=64", "--set",
            "tiers.g1-blocks=512", "--no-report");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.number("blocks allocated") > 0, r.all());
        assertTrue(r.out().matches("(?s).*checks\\s+ok.*"), r.all());
    }

    @Test
    void withHostG1AndG2TheChecksWaitForOffloadsAndCountABlockCachedInTwoTiersOnce()
    {
        // Found by the vLLM events test: with transfers on, the check ran while offloads still pinned their G1
        // blocks ("64 G1 blocks still held") and counted a block offloaded to G2 but still in G1 twice against
        // the metadata store, which keeps one record per id.
        final CommandRun r = run("demo", "--requests", "300", "--set", "tiers.g1-memory=host", "--set",
            "model=tiny-test", "--no-report");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.out().matches("(?s).*checks\\s+ok.*"), r.all());
    }

    @Test
    void configFileIsLaidOverTheDefault(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("small.yaml");
        Files.writeString(file, "tiers:\n  g1-blocks: 320\n");
        final CommandRun r = run("demo", "--requests", "50", "--config", file.toString(), "--no-report");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.out().contains("320 G1 blocks"), r.all());
    }

    @Test
    void unknownSetKeyExitsTwoWithAMessageNamingTheKey()
    {
        final CommandRun r = run("demo", "--requests", "10", "--set", "tiers.g9-blocks=256");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("tiers.g9-blocks"), r.all());
        r.assertNoStackTrace();
        assertEquals("", r.out(), r.all());
    }

    @Test
    void outOfRangeSetValueExitsTwoWithTheAllowedRange()
    {
        final CommandRun r = run("demo", "--set", "tiers.g1-blocks=0");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("tiers.g1-blocks: must be an integer in 1.."), r.all());
        r.assertNoStackTrace();
    }

    @Test
    void missingConfigFileExitsTwoNamingTheFile(@TempDir final Path dir)
    {
        final Path missing = dir.resolve("nope.yaml");
        final CommandRun r = run("demo", "--config", missing.toString());
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains(missing.toString()), r.all());
        r.assertNoStackTrace();
    }

    @Test
    void setWithoutAnEqualsSignIsAUsageError()
    {
        final CommandRun r = run("demo", "--set", "tiers.g1-blocks");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("--set"), r.all());
    }

    @Test
    void unknownOptionIsAUsageError()
    {
        final CommandRun r = run("demo", "--requets", "5");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("Unknown option") && r.err().contains("'--requets'"), r.all());
        assertTrue(r.err().contains("--requests"), "suggests the option meant:\n" + r.all());
    }

    @Test
    void nonPositiveRequestCountIsAUsageError()
    {
        final CommandRun r = run("demo", "--requests", "0");
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("--requests must be at least 1"), r.all());
    }

    @Test
    void demoHelpListsItsOptions()
    {
        final CommandRun r = run("demo", "--help");
        assertEquals(0, r.exitCode(), r.all());
        for (final String option : new String[] {"--config", "--set", "--requests", "--seed", "--conversations",
            "--batch", "--[no-]pacing", "--report", "--no-report"})
        {
            assertTrue(r.out().contains(option), option + " in\n" + r.all());
        }
    }

    @Test
    void topLevelHelpListsTheDemoSubcommand()
    {
        final CommandRun r = run("--help");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.out().contains("demo"), r.all());
        assertEquals(0, run("help", "demo").exitCode());
    }

    @Test
    void noSubcommandIsAUsageError()
    {
        final CommandRun r = run();
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("Missing required subcommand"), r.all());
    }

    @Test
    void versionNamesTheProject()
    {
        final CommandRun r = run("--version");
        assertEquals(0, r.exitCode(), r.all());
        assertTrue(r.out().startsWith("kvbm4j "), r.all());
    }

    @Test
    void demoWritesAReportWithChartsAndNamesItLast(@TempDir final Path dir) throws IOException
    {
        final Path reportDir = dir.resolve("report");
        final CommandRun r = run("demo", "--requests", "200", "--set", "tiers.g1-blocks=256", "--report",
            reportDir.toString());
        assertEquals(0, r.exitCode(), r.all());
        assertEquals("", r.err(), r.all());
        final Path html = reportDir.resolve("report.html");
        final List<String> lines = r.out().lines().toList();
        assertEquals("report: " + html.toAbsolutePath(), lines.get(lines.size() - 1), r.all());
        final String page = Files.readString(html);
        for (final String png : new String[] {"hit_rate.png", "evictions.png", "latency.png"})
        {
            final byte[] bytes = Files.readAllBytes(reportDir.resolve(png));
            assertTrue(bytes.length > PNG_MAGIC.length, png);
            assertArrayEquals(PNG_MAGIC, Arrays.copyOf(bytes, PNG_MAGIC.length), png + " is a PNG");
            assertTrue(page.contains("<img src=\"" + png + "\""), png + " shown in\n" + page);
        }
        assertTrue(page.contains("<td>blocks evicted</td><td>" + String.format(Locale.ROOT, "%,d",
            r.number("blocks evicted")) + "</td>"), "the summary numbers, as printed:\n" + page);
        assertTrue(page.contains("<td>match</td>") && page.contains("<td>allocate</td>"), page);

        // The timeline's running totals end where the summary does.
        final List<String> timeline = Files.readAllLines(reportDir.resolve("timeline.csv"));
        assertEquals("requests,blocks_requested,blocks_hit,blocks_evicted", timeline.get(0));
        assertEquals(11, timeline.size(), "200 requests in 10 windows of 20:\n" + timeline);
        final String[] last = timeline.get(timeline.size() - 1).split(",");
        assertEquals(200, Long.parseLong(last[0]));
        assertEquals(r.number("blocks requested"), Long.parseLong(last[1]));
        assertEquals(r.number("blocks evicted"), Long.parseLong(last[3]));
    }

    @Test
    void noReportWritesNoReport()
    {
        final CommandRun r = run("demo", "--requests", "20", "--no-report");
        assertEquals(0, r.exitCode(), r.all());
        assertFalse(r.out().contains("report:"), r.all());
    }

    @Test
    void reportAndNoReportTogetherAreAUsageError(@TempDir final Path dir)
    {
        final CommandRun r = run("demo", "--requests", "20", "--no-report", "--report", dir.toString());
        assertEquals(2, r.exitCode(), r.all());
        assertTrue(r.err().contains("--report and --no-report"), r.all());
    }
}
