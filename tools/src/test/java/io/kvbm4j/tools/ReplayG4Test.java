package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code replay --engine --tiers g1=A,g2=B,g4=C --set g4.endpoints=...} against a real redis-server: the blocks G1
 * and G2 lost come back from G4 (checked against their payloads by the replay), reported per tier; G3 may be left out
 * or given below G4.
 */
class ReplayG4Test
{
    /** Two conversations sharing a prefix, repeated: blocks 10..14 recur every 5 requests. */
    private static Path trace(final Path dir) throws Exception
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

    private static double cell(final String out, final String header, final int column)
    {
        final int at = out.indexOf(header);
        assertTrue(at >= 0, "a table with '" + header + "' in\n" + out);
        final String row = out.substring(at).lines().skip(1).findFirst().orElseThrow();
        return Double.parseDouble(row.trim().split("\\s+")[column].replace(",", ""));
    }

    private static long count(final String out, final String label)
    {
        final Matcher m = Pattern.compile(Pattern.quote(label) + " ([0-9,]+)").matcher(out);
        assertTrue(m.find(), "'" + label + "' in\n" + out);
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void g4BringsBackWhatG1AndG2LostAndReportsItsHits(@TempDir final Path dir) throws Exception
    {
        final Path trace = trace(dir);
        try (RedisProcess redis = RedisProcess.start())
        {
            final CommandRun local = CommandRun.run("replay", "--trace", trace.toString(), "--tiers", "g1=6,g2=2",
                "--policies", "lru", "--engine", "--no-progress");
            assertEquals(0, local.exitCode(), local.all());
            final CommandRun g4 = CommandRun.run("replay", "--trace", trace.toString(), "--tiers", "g1=6,g2=2,g4=256",
                "--policies", "lru", "--engine", "--no-progress", "--set", "g4.endpoints=" + redis.endpoint());
            assertEquals(0, g4.exitCode(), g4.all());
            final double without = cell(local.out(), "hit rate", 2);
            final double with = cell(g4.out(), "hit rate", 2);
            final double g4Hits = cell(g4.out(), "g4 hit rate", 2);
            assertTrue(g4Hits > 0, "hits from G4:\n" + g4.out());
            assertEquals(without + g4Hits, with, 1e-9, "G4's hits add to G1's and G2's:\n" + local.out() + g4.out());
            assertTrue(count(g4.out(), "written") > 0, g4.out());
            assertEquals(0, count(g4.out(), "corrupt"), g4.out());
            assertTrue(Long.parseLong(redis.cli("DBSIZE")) > 0, "blocks in the store");

            final CommandRun withG3 = CommandRun.run("replay", "--trace", trace.toString(), "--tiers",
                "g1=6,g2=2,g3=4,g4=256", "--policies", "lru", "--engine", "--no-progress", "--set",
                "g4.endpoints=" + redis.endpoint());
            assertEquals(0, withG3.exitCode(), withG3.all());
            assertTrue(cell(withG3.out(), "hit rate", 2) >= without, withG3.out());
        }
    }

    @Test
    void g4WithoutItsEndpointOrOutOfOrderIsAUsageError(@TempDir final Path dir) throws Exception
    {
        final String file = trace(dir).toString();
        final CommandRun noEndpoint = CommandRun.run("replay", "--trace", file, "--tiers", "g1=6,g2=2,g4=8",
            "--engine");
        assertEquals(2, noEndpoint.exitCode(), noEndpoint.all());
        assertTrue(noEndpoint.err().contains("--set g4.endpoints=HOST:PORT"), noEndpoint.all());
        final CommandRun order = CommandRun.run("replay", "--trace", file, "--tiers", "g1=6,g4=8,g2=2",
            "--engine");
        assertEquals(2, order.exitCode(), order.all());
        assertTrue(order.err().contains("in that order"), order.all());
    }
}
