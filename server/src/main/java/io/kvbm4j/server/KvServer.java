package io.kvbm4j.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;

import io.kvbm4j.client.Protocol;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.tiers.host.MappedFileSlotMemory;

/**
 * The node service: an engine whose first tier is a shared-memory file, behind a Unix domain socket.
 *
 * <pre>
 *  clients ──unix socket──> accept thread ──> one I/O thread per connection (decode frame, check length and op)
 *                                                   │ bounded queue (full: BUSY)          ▲ reply (park/unpark)
 *                                                   v                                     │
 *                                            serving thread (Service: sessions, leases, stores, TTLs)
 *                                                   │ EngineSide: every engine call
 *                                                   v
 *                               engine: G1 = shared-memory file (clients map it) ─> G2 host ─> G3 disk
 * </pre>
 *
 * <p>{@link #close()} stops accepting, lets the serving thread answer what is queued, release every lease and
 * store, settle transfers (written-back blocks reach G2 and G3) and close the engine and its tiers; a restart
 * over the same G3 directory finds them again (warm restart).
 */
public final class KvServer implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(KvServer.class.getName());
    private static final AtomicLong FILES = new AtomicLong();

    private final ServerSettings settings;
    private final ServerSocketChannel listener;
    private final Service service;
    private final MappedFileSlotMemory memory;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextConnection = new AtomicLong(1);
    private final Thread acceptor;
    private volatile boolean closed;

    private KvServer(final ServerSettings settings, final ServerSocketChannel listener, final Service service,
        final MappedFileSlotMemory memory)
    {
        this.settings = settings;
        this.listener = listener;
        this.service = service;
        this.memory = memory;
        this.acceptor = new Thread(this::accept, "kvbm4j-accept");
        this.acceptor.setDaemon(true);
    }

    /** Opens the engine over a new shared-memory file, binds the socket and starts serving. */
    public static KvServer open(final EngineConfig config, final ServerSettings settings)
    {
        return open(config, settings, new SystemEpochClock());
    }

    /** As {@link #open(EngineConfig, ServerSettings)}, with the clock leases expire on (tests inject one). */
    public static KvServer open(final EngineConfig config, final ServerSettings settings, final EpochClock clock)
    {
        if (config.g2Blocks() <= 0)
        {
            throw new IllegalArgumentException("tiers.g2-blocks: 0; the service needs G2 (at least 1 block) below its " +
                "shared memory");
        }
        removeStaleSharedMemory(settings.shmDir());
        final Path file = settings.shmDir().resolve("kvbm4j-" + ProcessHandle.current().pid() + "-" +
            FILES.incrementAndGet() + ".slots");
        final MappedFileSlotMemory memory = MappedFileSlotMemory.create(file, config.g1Blocks(),
            config.layout().blockBytes());
        ServerSocketChannel listener = null;
        Service service = null;
        try
        {
            service = new Service(() -> new EngineSide(Engines.builder(config).g1Memory(memory).open()), memory,
                config, settings, clock);
            service.start(); // opens the engine on the serving thread
            listener = bind(settings.socket());
            final KvServer server = new KvServer(settings, listener, service, memory);
            server.acceptor.start();
            LOG.log(System.Logger.Level.INFO, "kvbm4j serve: " + settings.socket() + ", shared memory " + file + " (" +
                config.g1Blocks() + " blocks of " + config.layout().blockBytes() + " bytes), protocol " +
                Protocol.VERSION);
            return server;
        }
        catch (final RuntimeException ex)
        {
            if (listener != null)
            {
                closeListener(listener, settings.socket());
            }
            if (service != null && !service.stopped())
            {
                try
                {
                    service.stop(60_000); // closes the engine and the memory on the serving thread
                }
                catch (final InterruptedException ie)
                {
                    Thread.currentThread().interrupt();
                }
            }
            else
            {
                memory.close();
            }
            throw ex;
        }
    }

    private static final java.util.regex.Pattern SHM_FILE =
        java.util.regex.Pattern.compile("kvbm4j-(\\d{1,18})-\\d+\\.slots");

    /**
     * Deletes the shared-memory files of services that died without closing (SIGKILL, OOM kill): files named
     * {@code kvbm4j-<pid>-<n>.slots} whose pid is no live process. Each held the whole of G1 in tmpfs, for as long
     * as the machine ran (found by the torture harness's service soak). A file whose pid is alive is kept, whoever
     * that process is (a reused pid costs a file, never another service's memory). Start-up only; never fails.
     *
     * @return files deleted.
     */
    static int removeStaleSharedMemory(final Path dir)
    {
        int removed = 0;
        try (java.util.stream.Stream<Path> files = Files.list(dir))
        {
            for (final Path f : (Iterable<Path>)files::iterator)
            {
                final java.util.regex.Matcher m = SHM_FILE.matcher(f.getFileName().toString());
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty() && Files.deleteIfExists(f))
                {
                    removed++;
                    LOG.log(System.Logger.Level.INFO, "kvbm4j serve: removed " + f + " (its service is gone)");
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "kvbm4j serve: could not look for stale shared-memory files in " + dir +
                ": " + ex);
        }
        return removed;
    }

    private static ServerSocketChannel bind(final Path socket)
    {
        try
        {
            if (Files.exists(socket) && !Files.isRegularFile(socket) && !Files.isDirectory(socket))
            {
                Files.delete(socket); // a stale socket of a service that died
            }
            final ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return listener;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot listen on " + socket + ": " + ex.getMessage(), ex);
        }
    }

    /** The socket the service listens on. */
    public Path socket()
    {
        return settings.socket();
    }

    /** The shared-memory file clients map. */
    public Path sharedMemory()
    {
        return memory.file();
    }

    private void accept()
    {
        while (!closed)
        {
            final SocketChannel channel;
            try
            {
                channel = listener.accept();
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: " + ex.getMessage());
                }
                return;
            }
            final Connection c = new Connection(nextConnection.getAndIncrement(), channel, service, this);
            if (connections.size() >= settings.maxConnections())
            {
                c.request.clear().limit(0);
                c.error(Protocol.E_BUSY, "too many connections (" + settings.maxConnections() + ")");
                try
                {
                    channel.write(c.reply);
                }
                catch (final IOException ignored)
                {
                    // it goes away either way
                }
                c.closeChannel();
                continue;
            }
            connections.add(c);
            c.start();
        }
    }

    void forget(final Connection c)
    {
        connections.remove(c);
    }

    /** Counters of the service (any thread). */
    public long stat(final String name)
    {
        return service.stat(Service.Stat.valueOf(name));
    }

    /** Leases and stores held now (for tests, once the clients went quiet). */
    public int handlesInUse()
    {
        return service.handlesInUse();
    }

    /** Stops accepting, drains, closes the engine and its tiers, deletes the socket and the shared-memory file. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closeListener(listener, settings.socket());
        try
        {
            acceptor.join(1000);
            service.stop(60_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final Connection c : connections)
        {
            c.closeChannel();
        }
        LOG.log(System.Logger.Level.INFO, "kvbm4j serve: stopped");
    }

    private static void closeListener(final ServerSocketChannel listener, final Path socket)
    {
        try
        {
            listener.close();
            Files.deleteIfExists(socket);
        }
        catch (final IOException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "closing " + socket + ": " + ex.getMessage());
        }
    }
}
