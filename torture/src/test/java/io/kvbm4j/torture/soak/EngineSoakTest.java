package io.kvbm4j.torture.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The crash soak of the embedded engine with G2+G3. In {@code make test}: a few kills
 * ({@code kvbm4j.soak.cycles}, default 3); {@code make soak CYCLES=N SECONDS=S} runs N cycles or S seconds,
 * whichever ends first. The report goes to stdout and {@code target/soak-report.txt}.
 */
class EngineSoakTest
{
    @Test
    void killedAndWarmRestartedEngineNeverServesAWrongBlock() throws Exception
    {
        final int cycles = Integer.getInteger("kvbm4j.soak.cycles", 3);
        final long seconds = Long.getLong("kvbm4j.soak.seconds", 0);
        final long killMs = Long.getLong("kvbm4j.soak.kill-ms", 1500);
        final long seed = Long.getLong("kvbm4j.soak.seed", 1);
        final Path state = Path.of("target", "soak-state-" + System.currentTimeMillis());
        final SoakWorkload workload = SoakWorkload.embeddedEngine();
        final boolean light = Boolean.parseBoolean(System.getProperty("kvbm4j.soak.light", "true"));
        final long earlyMs = Long.getLong("kvbm4j.soak.early-ms", 2000);
        final SoakDriver.Result r = new SoakDriver(workload, state, killMs, light, earlyMs).run(cycles, seconds, seed);
        final String report = r.report(workload.name(), "make soak CYCLES=" + cycles + " SECONDS=" + seconds +
            " KILL_MS=" + killMs + " EARLY_MS=" + earlyMs + " LIGHT=" + light + " (seed " + seed + "), load " +
            Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.println(report);
        Files.writeString(Path.of("target", "soak-report.txt"), report);
        assertEquals(0, r.wrong, report);
        assertTrue(r.verifiedServed + r.servedWhileRunning > 0, "nothing was served: " + report);
        DiskFiles.delete(state);
    }
}
