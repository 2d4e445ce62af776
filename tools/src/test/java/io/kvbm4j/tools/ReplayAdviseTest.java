package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** replay --advise: the model's hit rates per tier against the engine's, and its input checks. */
class ReplayAdviseTest
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
        return new Run(cmd.execute(args), out.toString(), err.toString());
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

    @Test
    void adviceHitRatesPerTierAreWithinOneHundredthOfTheEngineReplay(@TempDir final Path dir) throws Exception
    {
        final Path cost = dir.resolve("cost.yaml");
        Files.writeString(cost, """
            model: {bytes-per-block: 2048, block-tokens: 512, prefill-us-per-token: 10}
            tiers:
              g1: {sizes-blocks: [1000], price-per-gib: 1}
              g2: {sizes-blocks: [3000], price-per-gib: 1, read-gbps: 10}
              g3: {sizes-blocks: [12000], price-per-gib: 1, read-gbps: 1}
            """);
        final Run advice = run("replay", "--trace", sharedTrace().toString(), "--advise", cost.toString(), "--csv");
        assertEquals(0, advice.exit(), advice.err());
        final String[] row = advice.out().split("\\R")[1].split(",");
        final double[] model = {Double.parseDouble(row[3]), Double.parseDouble(row[4]), Double.parseDouble(row[5])};

        final Run engine = run("replay", "--trace", sharedTrace().toString(), "--engine", "--policies", "lru",
            "--tiers", "g1=1000,g2=3000,g3=12000");
        assertEquals(0, engine.exit(), engine.err());
        double[] measured = null;
        boolean tierTable = false;
        for (final String line : engine.out().split("\\R"))
        {
            if (line.contains("g1 hit rate"))
            {
                tierTable = true;
            }
            else if (tierTable && line.trim().startsWith("lru"))
            {
                final String[] f = line.trim().split("\\s+");
                measured = new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4])};
                break;
            }
        }
        assertTrue(measured != null, engine.out());
        for (int t = 0; t < 3; t++)
        {
            assertEquals(measured[t], model[t], 0.01, "g" + (t + 1) + ": advice " + model[t] + ", engine " + measured[t]);
        }
    }

    @Test
    void aBadCostModelIsRefusedNamingItsKey(@TempDir final Path dir) throws Exception
    {
        final Path cost = dir.resolve("cost.yaml");
        Files.writeString(cost, """
            model: {bytes-per-block: 2048, block-tokens: 512, prefill-us-per-token: 10}
            tiers:
              g1: {sizes-blocks: [100], price-per-gib: 1}
              g2: {sizes-blocks: [300], price-per-gib: 1, read-gbps: -1}
            """);
        final Run bad = run("replay", "--trace", sharedTrace().toString(), "--advise", cost.toString());
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("tiers.g2.read-gbps: must be a number in"), bad.err());
        Files.writeString(cost, "model: {bytes-per-block: 2048, block-tokens: 512, prefill-us-per-tok: 10}\ntiers: {}\n");
        final Run typo = run("replay", "--trace", sharedTrace().toString(), "--advise", cost.toString());
        assertEquals(2, typo.exit());
        assertTrue(typo.err().contains("model.prefill-us-per-tok: unknown key"), typo.err());
    }
}
