package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class ReplayCommandTest
{
    private record Run(int exit, String out, String err)
    {
    }

    private static Run run(final String... args)
    {
        final CommandLine cmd = Main.commandLine();
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        final int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static Path sharedTrace()
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null)
        {
            final Path candidate = dir.resolve("traces/mooncake_synthetic.jsonl");
            if (Files.isRegularFile(candidate))
            {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("traces/mooncake_synthetic.jsonl not found in the repository");
    }

    /** A small trace: two conversations sharing a prefix, repeated. */
    private static Path smallTrace(final Path dir) throws Exception
    {
        final StringBuilder sb = new StringBuilder();
        for (int r = 0; r < 50; r++)
        {
            sb.append("{\"timestamp\": ").append(r).append(", \"hash_ids\": [1, 2, 3, ").append(10 + r % 5)
                .append(", ").append(100 + r).append("]}\n");
        }
        final Path file = dir.resolve("small.jsonl");
        Files.writeString(file, sb.toString());
        return file;
    }

    @Test
    void csvIsExactlyTheHeaderAndOneLinePerPolicyAndCapacityAndMatchesTheReference()
    {
        final Run r = run("replay", "--trace", sharedTrace().toString(), "--capacities", "500,32000",
            "--policies", "lru,opt", "--csv");
        assertEquals(0, r.exit(), r.err());
        final List<String> lines = Arrays.asList(r.out().split("\\R"));
        assertEquals(List.of("policy,capacity_blocks,block_hit_rate,gap_closed"), lines.subList(0, 1));
        assertEquals(5, lines.size(), r.out());
        assertTrue(lines.get(1).startsWith("lru,500,0.045"), lines.get(1));
        assertTrue(lines.get(2).startsWith("lru,32000,0.628"), lines.get(2));
        assertTrue(lines.get(3).startsWith("opt,500,0.199"), lines.get(3));
        assertTrue(lines.get(4).startsWith("opt,32000,0.639"), lines.get(4));
        assertTrue(lines.get(3).endsWith(",1.000000"), "OPT closes the whole gap");
    }

    @Test
    void aMalformedLineStopsTheReplayWithFileAndLine(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"hash_ids\": [1, 2]}\n{\"hash_ids\": [3, \"x\"]}\n");
        final Run r = run("replay", "--trace", file.toString(), "--capacities", "10", "--csv");
        assertEquals(2, r.exit());
        assertEquals("kvbm4j replay: " + file + ":2: hash_ids[1] must be an integer, got a string", r.err().trim());
        assertEquals("", r.out(), "nothing half-done on stdout");
    }

    @Test
    void unknownPolicyAndBadCapacityAreUsageErrors(@TempDir final Path dir) throws Exception
    {
        final Path trace = smallTrace(dir);
        final Run a = run("replay", "--trace", trace.toString(), "--policies", "lru,magic");
        assertEquals(2, a.exit());
        assertTrue(a.err().contains("--policies: unknown policy 'magic'"), a.err());
        final Run b = run("replay", "--trace", trace.toString(), "--capacities", "10,-1");
        assertEquals(2, b.exit());
        assertTrue(b.err().contains("--capacities: -1 is not in 1.."), b.err());
        final Run c = run("replay", "--trace", trace.toString(), "--tiers", "g2=5");
        assertEquals(2, c.exit());
        assertTrue(c.err().contains("--tiers: expected g1=N"), c.err());
    }

    @Test
    void outWritesAnHtmlReportWithPngChartsAndTheCsv(@TempDir final Path dir) throws Exception
    {
        final Path trace = smallTrace(dir);
        final Path out = dir.resolve("report");
        final Run r = run("replay", "--trace", trace.toString(), "--capacities", "4,8,16", "--policies", "all",
            "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("report: " + out.resolve("report.html").toAbsolutePath()), r.err());
        for (final String png : List.of("hit_rate.png", "gap_closed.png"))
        {
            final byte[] bytes = Files.readAllBytes(out.resolve(png));
            assertTrue(bytes.length > 1000, png);
            assertEquals((byte)0x89, bytes[0], png + " is a PNG");
            assertEquals('P', bytes[1]);
        }
        final String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<img src=\"hit_rate.png\""));
        assertTrue(Files.readString(out.resolve("results.csv")).startsWith(ReplayReport.CSV_HEADER));
    }

    @Test
    void tiersSplitTheHitsOfOneCacheOfTheCumulativeSize(@TempDir final Path dir) throws Exception
    {
        final Path trace = smallTrace(dir);
        final Run tiers = run("replay", "--trace", trace.toString(), "--tiers", "g1=4,g2=6", "--policies", "lru",
            "--csv");
        assertEquals(0, tiers.exit(), tiers.err());
        final String[] lines = tiers.out().split("\\R");
        assertEquals("policy,tier,capacity_blocks,block_hit_rate", lines[0]);
        final double g1 = Double.parseDouble(lines[1].split(",")[3]);
        final double g2 = Double.parseDouble(lines[2].split(",")[3]);
        final Run single = run("replay", "--trace", trace.toString(), "--capacities", "4,10", "--policies", "lru",
            "--csv");
        final String[] s = single.out().split("\\R");
        assertEquals(Double.parseDouble(s[1].split(",")[2]), g1, 1e-6, "g1 hits = a cache of 4");
        assertEquals(Double.parseDouble(s[2].split(",")[2]), g1 + g2, 1e-6, "g1 + g2 hits = a cache of 10");
    }

    @Test
    void engineModeMatchesPolicyOnlyForLruAndItsJournalReplaysToTheSameHitRate(@TempDir final Path dir)
        throws Exception
    {
        final Path trace = smallTrace(dir);
        final Path journal = dir.resolve("journal");
        final Run policyOnly = run("replay", "--trace", trace.toString(), "--capacities", "8", "--policies", "lru",
            "--csv");
        final Run engine = run("replay", "--trace", trace.toString(), "--capacities", "8", "--policies", "lru",
            "--engine", "--journal", journal.toString(), "--csv");
        assertEquals(0, engine.exit(), engine.err());
        assertEquals(policyOnly.out(), engine.out(), "same semantics through the full engine");
        final Run fromJournal = run("replay", "--trace", journal.resolve("lru-8").toString(), "--format", "journal",
            "--capacities", "8", "--policies", "lru", "--csv");
        assertEquals(0, fromJournal.exit(), fromJournal.err());
        assertEquals(policyOnly.out(), fromJournal.out(), "the journal gives back the trace it recorded");
    }

    @Test
    void engineModeWithG2OnboardsWhatG1EvictedAndHandsBackOnlyBlocksWithTheirOwnPayload(@TempDir final Path dir)
        throws Exception
    {
        final Path trace = smallTrace(dir);
        final Run g1Only = run("replay", "--trace", trace.toString(), "--capacities", "6", "--policies", "lru",
            "--csv");
        final Run tiered = run("replay", "--trace", trace.toString(), "--tiers", "g1=6,g2=16", "--policies", "lru",
            "--engine", "--csv");
        assertEquals(0, tiered.exit(), tiered.err());
        final double alone = Double.parseDouble(g1Only.out().split("\\R")[1].split(",")[2]);
        final double withG2 = Double.parseDouble(tiered.out().split("\\R")[1].split(",")[2]);
        assertTrue(withG2 > alone, "G2 turns G1 misses into onboards: " + withG2 + " vs " + alone);

        final Run table = run("replay", "--trace", trace.toString(), "--tiers", "g1=6,g2=16", "--policies", "lru",
            "--engine");
        assertEquals(0, table.exit(), table.err());
        assertTrue(table.out().contains("every block handed back was checked against its payload"), table.out());
        assertTrue(table.out().contains("g2 hit rate"), table.out());
    }

    @Test
    void engineModeRefusesG4WithoutItsStoreAndPayloadsThatAreNotWholeTokens()
    {
        final Run g4 = run("replay", "--trace", sharedTrace().toString(), "--tiers", "g1=6,g2=16,g3=64,g4=128",
            "--engine");
        assertEquals(2, g4.exit());
        assertTrue(g4.err().contains("--set g4.endpoints=HOST:PORT"), g4.err());
        final Run odd = run("replay", "--trace", sharedTrace().toString(), "--engine", "--payload-bytes", "1000");
        assertEquals(2, odd.exit());
        assertTrue(odd.err().contains("--payload-bytes: must be a multiple of 128"), odd.err());
    }

    @Test
    void engineModeWithG3BringsBlocksBackFromDiskAndTheFiguresRepeat(@TempDir final Path dir) throws Exception
    {
        final Path trace = smallTrace(dir);
        final Run first = run("replay", "--trace", trace.toString(), "--tiers", "g1=6,g2=8,g3=32", "--policies",
            "lru", "--engine");
        assertEquals(0, first.exit(), first.err());
        final String row = first.out().lines().filter(l -> l.trim().startsWith("lru") && l.contains("%") == false)
            .reduce((a, b) -> b).orElseThrow();
        final String[] cells = row.trim().split("\\s+");
        assertTrue(Double.parseDouble(cells[4]) > 0, "some hits came back from G3: " + row);
        final Run again = run("replay", "--trace", trace.toString(), "--tiers", "g1=6,g2=8,g3=32", "--policies",
            "lru", "--engine");
        assertEquals(first.out().lines().filter(l -> !l.contains("latency") && !l.contains("u ")).toList(),
            again.out().lines().filter(l -> !l.contains("latency") && !l.contains("u ")).toList(),
            "transfers settle after each request: the same figures every run");
    }

    @Test
    void cacheDirKeepsTheParsedTraceAndGivesTheSameCsv(@TempDir final Path dir) throws Exception
    {
        final Path trace = smallTrace(dir);
        final Path cache = dir.resolve("cache");
        final Run first = run("replay", "--trace", trace.toString(), "--capacities", "3,6", "--policies", "lru,prefix",
            "--csv", "--cache", cache.toString(), "--threads", "2");
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.err().contains("trace cache: wrote"), first.err());
        final Run second = run("replay", "--trace", trace.toString(), "--capacities", "3,6", "--policies", "lru,prefix",
            "--csv", "--cache", cache.toString(), "--threads", "1");
        assertEquals(0, second.exit(), second.err());
        assertTrue(second.err().contains("source unchanged, not parsed"), second.err());
        assertEquals(first.out(), second.out());
    }

    @Test
    void aPartialCsvSaysSoFirstAndGivesTheRequestsOfEachRow()
    {
        final StringWriter text = new StringWriter();
        try (PrintWriter w = new PrintWriter(text))
        {
            ReplayReport.writeCsv(w, List.of(new io.kvbm4j.replay.ReplayResult("lru", 10, 3, 30, 6, 0.1)),
                java.util.Map.of(10, 0.2), java.util.Map.of(10, 0.5), ReplayReport.PARTIAL + " interrupted");
        }
        final List<String> lines = Arrays.asList(text.toString().split("\\R"));
        assertEquals(List.of("# partial: interrupted", ReplayReport.CSV_HEADER + ",requests", "lru,10,0.200000,0.000000,3"),
            lines);
    }
}
