package io.kvbm4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.client.KvClient;
import io.kvbm4j.client.Protocol;

/**
 * {@code kvbm4j serve} as a process of its own: SIGTERM drains (written-back blocks reach G3) and closes the tiers,
 * removing its socket and shared-memory file; a restart over the same G3 directory serves the blocks again.
 */
class ServeProcessTest
{
    @TempDir
    Path dir;

    private Process serve(final Path config, final Path socket, final List<String> output) throws IOException
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-D") && arg.contains("chronicle") ||
                arg.startsWith("--enable-native") || arg.startsWith("--sun-misc") || arg.equals("-ea"))
            {
                cmd.add(arg);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ServeCommand.class.getName(),
            "--config", config.toString(), "--socket", socket.toString(), "--shm-dir", dir.toString()));
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null)
        {
            output.add(line);
            if (line.startsWith("kvbm4j serve: ready"))
            {
                final Thread drain = new Thread(() ->
                {
                    try
                    {
                        String more;
                        while ((more = out.readLine()) != null)
                        {
                            output.add(more);
                        }
                    }
                    catch (final IOException ignored)
                    {
                        // the process ended
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return p;
            }
        }
        throw new AssertionError("kvbm4j serve did not start: " + String.join("\n", output));
    }

    @Test
    void sigtermDrainsClosesTheTiersAndARestartServesTheBlocksFromG3() throws Exception
    {
        final Path config = dir.resolve("serve.yaml");
        Files.writeString(config, TestServers.yaml(dir.resolve("g3")));
        final Path socket = dir.resolve("kv.sock");
        final List<String> output = new ArrayList<>();
        final long[] ids = TestServers.ids(42, 6);
        Process p = serve(config, socket, output);
        try (KvClient kv = KvClient.connect(socket, new KvClient.Hello("tiny-test", "warm")))
        {
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(socket)), "the socket is the owner's alone");
            final KvClient.Blocks prepared = kv.prepare(0, 0, 0, ids, 6);
            final long[] sums = new long[6];
            for (int i = 0; i < 6; i++)
            {
                final ByteBuffer slot = kv.slot(prepared.slot(i));
                TestServers.fill(slot, 42, i);
                sums[i] = kv.checksum(slot);
            }
            for (final int outcome : kv.commit(prepared.handle(), sums, 6))
            {
                assertEquals(Protocol.STORED, outcome);
            }
        }
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "serve stops on SIGTERM: " + output);
        assertFalse(Files.exists(socket), "socket removed");
        try (var files = Files.list(dir))
        {
            assertEquals(0, files.filter(f -> f.getFileName().toString().endsWith(".slots")).count(),
                "shared-memory file removed");
        }

        output.clear();
        p = serve(config, socket, output);
        try (KvClient kv = KvClient.connect(socket, new KvClient.Hello("tiny-test", "warm")))
        {
            final KvClient.Lookup hit = kv.lookup(ids, 6);
            assertEquals(6, hit.prefix(), "the blocks came back from G3: " + kv.stats());
            assertEquals(0, hit.inMemory());
            final KvClient.Blocks loaded = kv.load(hit.lease(), 60_000);
            assertEquals(6, loaded.count());
            for (int i = 0; i < 6; i++)
            {
                assertEquals(TestServers.expected((int)kv.session().blockBytes(), 42, i), kv.slot(loaded.slot(i)));
            }
            kv.release(hit.lease());
            assertTrue(kv.stats().get("engine.g3_onboarded_blocks") >= 6);
        }
        finally
        {
            p.destroy();
            p.waitFor(120, TimeUnit.SECONDS);
        }
    }
}
