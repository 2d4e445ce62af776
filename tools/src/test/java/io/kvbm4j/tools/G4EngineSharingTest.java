package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * Two serving nodes, each an engine in its own JVM, share blocks through G4 on one real redis-server: node A serves
 * a prompt and writes its blocks back (G1 → G2 → G4); node B, with nothing local, matches the same token prefix and
 * onboards every block from G4 (lookup, verified reads, G2 → G1) with A's bytes. A node with another salt (tenant)
 * finds nothing; a third node with A's salt finds everything again.
 */
class G4EngineSharingTest
{
    private static final int BLOCKS = 8;

    private static String node(final String... args) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle") || arg.startsWith("--enable-native") ||
                arg.startsWith("--sun-misc") || arg.equals("-ea"))
            {
                cmd.add(arg);
            }
        }
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(G4SharingNode.class.getName());
        cmd.addAll(List.of(args));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "node finished");
        assertEquals(0, p.exitValue(), "node " + String.join(" ", args) + ":\n" + out);
        return out.lines().filter(l -> l.startsWith("WROTE") || l.startsWith("HITS")).reduce((a, b) -> b)
            .orElseThrow(() -> new AssertionError("no result line:\n" + out));
    }

    @Test
    void nodeBOnboardsFromG4WhatNodeAServedWithTheRightBytesAndAnotherSaltNeverHits() throws Exception
    {
        try (RedisProcess redis = RedisProcess.start())
        {
            final String port = Integer.toString(redis.port);
            assertEquals("WROTE " + BLOCKS + " FAILED 0", node("serve", port, "tenant-a", Integer.toString(BLOCKS)));
            assertEquals(Integer.toString(BLOCKS), redis.cli("DBSIZE"), "one key per block");

            final String b = node("match", port, "tenant-a", Integer.toString(BLOCKS));
            assertEquals("HITS 0 ONBOARDED " + BLOCKS + " BYTES_OK " + BLOCKS + " LOOKUPS 1 FOUND " + BLOCKS +
                " FROM_G4 " + BLOCKS, b, "node B onboards all from G4 with A's bytes");

            final String other = node("match", port, "tenant-b", Integer.toString(BLOCKS));
            assertEquals("HITS 0 ONBOARDED 0 BYTES_OK 0 LOOKUPS 1 FOUND 0 FROM_G4 0", other, "another salt never hits");

            final String again = node("match", port, "tenant-a", Integer.toString(BLOCKS));
            assertEquals(b, again, "the same salt does");
        }
    }
}
