package io.kvbm4j.gds.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * kill -9 during G3 writes: a child JVM ({@link CrashWriter}) writes and acknowledges blocks, the test
 * kills it (SIGKILL) once it has acknowledged enough, restarts the tier, and checks that every block
 * acknowledged and not evicted reads back correct, and that no read serves wrong bytes.
 */
class CrashRestartTest
{
    private static final int SLOTS = 64;
    private static final int MAX = 64 * 1024;
    private static final int ACKS_BEFORE_KILL = 400;

    @TempDir
    Path root;

    private Process startChild(final long first) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle") || arg.startsWith("--enable-native"))
            {
                cmd.add(arg);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(CrashWriter.class.getName());
        cmd.add(root.toString());
        cmd.add(Integer.toString(SLOTS));
        cmd.add(Integer.toString(MAX));
        cmd.add(Long.toString(first));
        return new ProcessBuilder(cmd).redirectError(new File(root.toFile(), "child.err")).start();
    }

    @Test
    void everyAcknowledgedBlockSurvivesAKillDuringWritesAndNoWrongBlockIsServed() throws Exception
    {
        final Set<Long> live = new HashSet<>();
        long highest = -1;
        for (int round = 0; round < 2; round++)
        {
            final Process child = startChild(highest + 1);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII)))
            {
                String line;
                int acks = 0;
                // Reads to the end: acknowledgements printed before the kill landed count too.
                while ((line = out.readLine()) != null)
                {
                    if (line.startsWith("ACK "))
                    {
                        final long i = Long.parseLong(line.substring(4));
                        live.add(i);
                        highest = Math.max(highest, i);
                        if (++acks == ACKS_BEFORE_KILL)
                        {
                            // SIGKILL through the handle: Process.destroyForcibly would also close our end of stdout.
                            child.toHandle().destroyForcibly();
                        }
                    }
                    else if (line.startsWith("EVICT "))
                    {
                        live.remove(Long.parseLong(line.substring(6)));
                    }
                }
                if (acks < ACKS_BEFORE_KILL)
                {
                    child.waitFor();
                    throw new AssertionError("the child stopped after " + acks + " acks: " +
                        Files.readString(root.resolve("child.err")));
                }
            }
            child.waitFor();
            assertNotEquals(0, child.exitValue());
            // The second child carries on after every block the tier recovered, not only after the last
            // ACK read: a write can land on disk after the child's last ACK line and before the SIGKILL.
            highest = Math.max(highest, verify(live, highest));
        }
    }

    /** Checks every block the tier holds; returns the highest block number it recovered. */
    private long verify(final Set<Long> live, final long highest) throws Exception
    {
        try (DiskTier tier = DiskTier.open(DiskTierConfig.posix(root, SLOTS, MAX));
             AlignedMemory dst = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096);
             AlignedMemory scratch = new AlignedMemory((int)SlotHeaderLayout.alignUp(MAX), 4096))
        {
            final UnsafeBuffer d = dst.newBuffer();
            final UnsafeBuffer sc = scratch.newBuffer();
            assertTrue(live.size() <= tier.size(), live.size() + " acknowledged blocks, " + tier.size() + " recovered");
            final long[] recoveredMax = {-1};
            tier.forEachBlock((hi, lo, salt, length) -> recoveredMax[0] = Math.max(recoveredMax[0], Blocks.number(hi)));
            int hits = 0;
            for (long i = 0; i <= Math.max(highest, recoveredMax[0]) + 1; i++)
            {
                final DiskStatus s = tier.read(Blocks.idHi(i), Blocks.idLo(i), Blocks.SALT, dst.address(), dst.length());
                if (live.contains(i))
                {
                    assertEquals(DiskStatus.OK, s, "acknowledged block " + i);
                }
                if (s == DiskStatus.OK)
                {
                    hits++;
                    assertTrue(Blocks.matches(d, i, Blocks.length(i, MAX), sc), "block " + i + " served wrong bytes");
                }
            }
            assertTrue(hits >= live.size());
            return recoveredMax[0];
        }
    }
}
