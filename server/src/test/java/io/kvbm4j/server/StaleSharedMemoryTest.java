package io.kvbm4j.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Torture finding: a SIGKILLed service left its shared-memory file (the whole of G1, in tmpfs) behind forever; each
 * crash leaked G1's size of memory. A starting service removes the files of services whose process is gone.
 */
class StaleSharedMemoryTest
{
    @TempDir
    Path dir;

    @Test
    void aServiceStartingRemovesTheSharedMemoryFilesOfKilledServicesAndKeepsLiveOnes() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        final Path dead = dir.resolve("kvbm4j-" + gone.pid() + "-1.slots");
        final Path live = dir.resolve("kvbm4j-" + ProcessHandle.current().parent().orElseThrow().pid() + "-3.slots");
        final Path other = dir.resolve("kvbm4j-notes.slots");
        for (final Path p : new Path[] {dead, live, other})
        {
            Files.write(p, new byte[4096]);
        }
        try (KvServer server = KvServer.open(TestServers.config(null),
            ServerSettings.defaults(dir.resolve("kv.sock"), dir)))
        {
            assertFalse(Files.exists(dead), "the killed service's file is removed");
            assertTrue(Files.exists(live), "a live process's file is kept");
            assertTrue(Files.exists(other), "a file not named by the service is kept");
            assertTrue(Files.exists(server.sharedMemory()));
        }
    }
}
