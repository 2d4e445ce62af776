package io.kvbm4j.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvbm4j serve}: runs the node service until SIGTERM (or SIGINT), then drains and closes the tiers.
 * Prints one line {@code kvbm4j serve: ready <socket>} on standard output once it accepts connections.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the node service: the engine behind a Unix socket, G1 in a shared-memory file clients map " +
        "(docs/PROTOCOL.md).")
public final class ServeCommand implements Callable<Integer>
{
    @Option(names = "--config", description = "Engine configuration (YAML) laid over the embedded defaults.")
    Path config;

    @Option(names = "--socket", description = "Unix socket to listen on (mode 0600). Default: ${DEFAULT-VALUE}.",
        defaultValue = "${sys:java.io.tmpdir}/kvbm4j.sock")
    Path socket;

    @Option(names = "--shm-dir", description = "Directory of the shared-memory file (default /dev/shm).")
    Path shmDir;

    @Option(names = "--lease-ttl-ms", defaultValue = "30000", description = "Lease and prepared-store TTL.")
    int leaseTtlMs;

    @Option(names = "--queue", defaultValue = "1024", description = "Requests waiting for the serving thread.")
    int queue;

    @Option(names = "--max-connections", defaultValue = "256", description = "Connections at once.")
    int maxConnections;

    @Option(names = "--max-leases", defaultValue = "16384", description = "Leases and stores at once.")
    int maxLeases;

    @Option(names = "--copy-tenant", description = "A tenant whose sessions never map the shared memory (repeatable).")
    Set<String> copyTenants = Set.of();

    @Option(names = "--set", description = "An engine configuration override, key.path=value (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception
    {
        // G1 is the service's shared-memory file: it has host memory whatever the file says (G3 needs that).
        final Map<String, String> all = new LinkedHashMap<>(overrides);
        all.putIfAbsent("tiers.g1-memory", "host");
        final EngineConfig engineConfig = ConfigLoader.withOverrides(config, all);
        final ServerSettings settings = new ServerSettings(socket.toAbsolutePath(),
            shmDir != null ? shmDir : ServerSettings.defaultShmDir(), leaseTtlMs, queue, maxConnections, maxLeases,
            copyTenants);
        final KvServer server = KvServer.open(engineConfig, settings);
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            server.close();
            stopped.countDown();
        }, "kvbm4j-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.println("kvbm4j serve: ready " + settings.socket());
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Entry point without the rest of the command line (tests start the service as a process with it). */
    public static void main(final String[] args)
    {
        final int code = new CommandLine(new ServeCommand()).execute(args);
        if (code != 0)
        {
            System.exit(code);
        }
    }
}
