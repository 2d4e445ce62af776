package io.kvbm4j.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The service's own settings (the engine's come from the YAML configuration), validated at start-up: every
 * refusal names the option and the allowed range.
 *
 * @param socket          the Unix socket to listen on (created mode 0600; an existing socket file is replaced).
 * @param shmDir          where the shared-memory file is created ({@code /dev/shm} when it exists); the service
 *                        creates its files in this directory only and never takes a path from a client.
 * @param leaseTtlMs      how long a lease or a prepared store lives without being used (LOAD renews a lease).
 * @param queueCapacity   requests waiting for the serving thread; beyond it a request is answered BUSY.
 * @param maxConnections  connections at once; one more is answered BUSY and closed.
 * @param maxHandles      leases and prepared stores alive at once, all sessions together.
 * @param copyTenants     tenants whose sessions never map the shared memory: their bytes go through the socket.
 */
public record ServerSettings(
    Path socket, Path shmDir, int leaseTtlMs, int queueCapacity, int maxConnections, int maxHandles,
    Set<String> copyTenants)
{
    public ServerSettings
    {
        if (socket == null)
        {
            throw new IllegalArgumentException("--socket: a path is needed");
        }
        if (shmDir == null || !Files.isDirectory(shmDir))
        {
            throw new IllegalArgumentException("--shm-dir: " + shmDir + " is not a directory");
        }
        if (leaseTtlMs < 1 || leaseTtlMs > 3_600_000)
        {
            throw new IllegalArgumentException("--lease-ttl-ms: " + leaseTtlMs + " not in 1..3600000");
        }
        if (queueCapacity < 2 || Integer.bitCount(queueCapacity) != 1 || queueCapacity > 1 << 16)
        {
            throw new IllegalArgumentException("--queue: " + queueCapacity + " must be a power of two in 2..65536");
        }
        if (maxConnections < 1 || maxConnections > 4096)
        {
            throw new IllegalArgumentException("--max-connections: " + maxConnections + " not in 1..4096");
        }
        if (maxHandles < 1 || maxHandles > 1 << 20)
        {
            throw new IllegalArgumentException("--max-leases: " + maxHandles + " not in 1..1048576");
        }
        copyTenants = Set.copyOf(copyTenants);
    }

    /** The default shared-memory directory: {@code /dev/shm} when it exists, else the temporary directory. */
    public static Path defaultShmDir()
    {
        final Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Defaults around a socket path: leases of 30 s, a queue of 1024, 256 connections, 16384 handles. */
    public static ServerSettings defaults(final Path socket, final Path shmDir)
    {
        return new ServerSettings(socket, shmDir, 30_000, 1024, 256, 16_384, Set.of());
    }

    public ServerSettings withLeaseTtlMs(final int ttl)
    {
        return new ServerSettings(socket, shmDir, ttl, queueCapacity, maxConnections, maxHandles, copyTenants);
    }

    public ServerSettings withQueueCapacity(final int capacity)
    {
        return new ServerSettings(socket, shmDir, leaseTtlMs, capacity, maxConnections, maxHandles, copyTenants);
    }

    public ServerSettings withCopyTenants(final Set<String> tenants)
    {
        return new ServerSettings(socket, shmDir, leaseTtlMs, queueCapacity, maxConnections, maxHandles, tenants);
    }
}
