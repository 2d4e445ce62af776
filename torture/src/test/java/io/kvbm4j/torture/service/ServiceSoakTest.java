package io.kvbm4j.torture.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node service under kills and load ({@link ServiceSoak}); sizes from system properties, small by default
 * (make test): {@code kvbm4j.service.cycles} (2), {@code kvbm4j.service.clients} (3), {@code kvbm4j.service.kill-ms}
 * (2500), {@code kvbm4j.load.clients} (4), {@code kvbm4j.load.seconds} (5). {@code make soak-service} and
 * {@code make load} run the long ones; reports in target/service-soak-report.txt and target/service-load-report.txt.
 */
class ServiceSoakTest
{
    @TempDir
    Path dir;

    private static Path repo()
    {
        return Path.of(System.getProperty("kvbm4j.repo", "..")).toAbsolutePath().normalize();
    }

    @Test
    void theServiceKilledAndRestartedAndItsClientsKilledServesNoWrongBlockAndLeaksNoHandle() throws Exception
    {
        final ServiceSoak soak = new ServiceSoak(dir, repo());
        final ServiceSoak.Report r = soak.soak(Integer.getInteger("kvbm4j.service.clients", 3),
            Integer.getInteger("kvbm4j.service.cycles", 2), Long.getLong("kvbm4j.service.kill-ms", 2500),
            Long.getLong("kvbm4j.soak.seed", 1));
        final String text = r.text("service soak (kvbm4j serve + Python client processes), " + java.time.Instant.now() +
            ", load " + Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.println(text);
        Files.writeString(Path.of("target", "service-soak-report.txt"), text);
        assertEquals(0, r.c("wrong"), text);
        assertTrue(r.wrong.isEmpty(), text);
        assertEquals(0, r.c("errors"), text);
        assertTrue(r.c("served") > 0 && r.c("stored") > 0, text);
        assertEquals(0, r.handlesInUseAtEnd, "leases and stores left held after every client stopped\n" + text);
        assertEquals(2, r.heldKills, text);
        assertTrue(r.reclaimedHandles >= 2 * r.heldKills, "the killed clients' leases and stores reclaimed\n" + text);
        assertEquals(0, r.staleShmFiles, "shared-memory files of killed services left behind\n" + text);
    }

    @Test
    void theServiceUnderManyClientProcessesServesNoWrongBlockAndLeaksNoHandle() throws Exception
    {
        final ServiceSoak soak = new ServiceSoak(dir, repo());
        final int clients = Integer.getInteger("kvbm4j.load.clients", 4);
        final int seconds = Integer.getInteger("kvbm4j.load.seconds", 5);
        final ServiceSoak.Report r = soak.load(clients, seconds);
        final String text = r.text("service load: " + clients + " client processes for " + seconds + " s, " +
            java.time.Instant.now() + ", load " + Files.readString(Path.of("/proc/loadavg")).trim());
        System.out.println(text);
        Files.writeString(Path.of("target", "service-load-report.txt"), text);
        assertEquals(0, r.c("wrong"), text);
        assertEquals(0, r.c("errors"), text);
        assertTrue(r.c("ops") > 0, text);
        assertEquals(0, r.handlesInUseAtEnd, text);
        assertEquals(0, r.staleShmFiles, text);
    }
}
