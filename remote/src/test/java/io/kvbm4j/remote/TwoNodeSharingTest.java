package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.testing.NodeMain;
import io.kvbm4j.remote.testing.RedisServer;

/**
 * Two serving nodes in two JVMs on one Redis: node A writes a prefix chain of blocks, node B (another process)
 * finds the whole run and reads every block back with A's bytes; a node with another salt (tenant) finds nothing
 * and reads only misses. The store-level half of the two-JVM test (the engine-level one waits for the
 * engine wiring).
 */
class TwoNodeSharingTest
{
    private static int node(final Path dir, final String... args) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String a : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (a.startsWith("--add-") || a.startsWith("-D") && !a.startsWith("-Djava.io.tmpdir") || a.equals("-ea"))
            {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NodeMain.class.getName());
        cmd.addAll(List.of(args));
        final File log = dir.resolve("node-" + String.join("-", args).replace(':', '_') + ".log").toFile();
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log).start();
        if (!p.waitFor(5, TimeUnit.MINUTES))
        {
            p.destroyForcibly();
            throw new AssertionError("node " + String.join(" ", args) + " did not finish (guard)");
        }
        if (p.exitValue() != 0)
        {
            System.err.println(Files.readString(log.toPath()));
        }
        return p.exitValue();
    }

    @Test
    void nodeBReadsWhatNodeAWroteAndAnotherTenantNeverHits() throws Exception
    {
        try (RedisServer server = RedisServer.start("sharing"))
        {
            final Path dir = server.dir();
            assertEquals(0, node(dir, "write", server.hostPort(), "7", "8"), "node A writes 8 blocks");
            assertEquals(0, node(dir, "read", server.hostPort(), "7", "8", "8"), "node B, same salt: all 8 hit");
            assertEquals(0, node(dir, "read", server.hostPort(), "8", "8", "0"), "node C, another salt: nothing");
        }
    }
}
