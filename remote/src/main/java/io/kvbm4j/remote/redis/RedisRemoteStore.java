package io.kvbm4j.remote.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.NanoClock;

import io.kvbm4j.remote.config.RemoteBackend;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.store.AbstractRemoteStore;
import io.kvbm4j.remote.store.OpRecord;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;

/**
 * G4 on the Redis protocol through Lettuce: one standalone server ({@code g4.backend: redis}) or a Redis Cluster
 * ({@code redis-cluster}, where Lettuce routes each key to its node and follows MOVED/ASK).
 *
 * <p>Connections: one control connection for lookups, deletes and pings (so a lookup never queues behind a
 * 2 MiB value), and {@code g4.connections} data connections for reads and writes, taken round-robin. Auto-flush
 * is off on all of them: a submit queues its commands and flushes once, so a lookup's n {@code EXISTS} leave in
 * one write: one round trip on a standalone server, one per node, in parallel, on a cluster. Only the owner
 * thread issues commands (the assert in {@link AbstractRemoteStore}), which auto-flush off requires.
 *
 * <p>Deadlines: the owner ends a call TIMED_OUT at {@code g4.timeout-ms}; Lettuce's own command timeout (4x
 * that, plus 1 s) makes sure every command completes eventually, so every record comes back. While a server is
 * unreachable commands are rejected at once (no buffering); Lettuce reconnects in the background (50 ms .. 2 s
 * back-off) and the health probe notices.
 *
 * <p>Commands: {@code SET key value NX [PX ttl]} (write-once), {@code GET}, {@code EXISTS} (one per key:
 * multi-key EXISTS only counts), {@code DEL}, {@code PING}. RESP2, which every Redis-protocol server speaks.
 */
public final class RedisRemoteStore extends AbstractRemoteStore
{
    private static final System.Logger LOG = System.getLogger(RedisRemoteStore.class.getName());

    private final ClientResources resources;
    private final RedisClient client;
    private final RedisClusterClient clusterClient;
    private final StatefulConnection<byte[], OpRecord> control;
    private final BaseRedisAsyncCommands<byte[], OpRecord> controlCommands;
    private final List<StatefulConnection<byte[], OpRecord>> data = new ArrayList<>();
    private final List<BaseRedisAsyncCommands<byte[], OpRecord>> dataCommands = new ArrayList<>();
    private final byte[] ttlArgument;
    private final String description;
    private int nextData;
    private StatefulConnection<byte[], OpRecord> touched;

    /**
     * Connects (blocking, at start-up only): the control connection and the data connections.
     *
     * @throws io.lettuce.core.RedisException when the server or a seed cannot be reached.
     */
    public RedisRemoteStore(final RemoteConfig config, final NanoClock clock)
    {
        super(config, new io.kvbm4j.remote.value.BlockKeys(config.namespace()).redisKeyLength(), clock);
        if (config.backend() == RemoteBackend.S3)
        {
            throw new IllegalArgumentException("g4.backend is s3: use S3RemoteStore");
        }
        final Duration timeout = Duration.ofMillis(config.timeoutMillis());
        final Duration libraryTimeout = timeout.multipliedBy(4).plusSeconds(1);
        this.resources = ClientResources.builder()
            .ioThreadPoolSize(Math.max(2, Math.min(4, config.connections() + 1)))
            .computationThreadPoolSize(1)
            .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
            .build();
        final List<RedisURI> uris = new ArrayList<>();
        for (final String e : config.endpoints())
        {
            uris.add(uri(config, e, libraryTimeout));
        }
        final SocketOptions socket = SocketOptions.builder().connectTimeout(libraryTimeout).keepAlive(true).build();
        final TimeoutOptions timeouts = TimeoutOptions.builder().fixedTimeout(libraryTimeout).build();
        StatefulConnection<byte[], OpRecord> c = null;
        try
        {
            if (config.backend() == RemoteBackend.REDIS)
            {
                this.clusterClient = null;
                this.client = RedisClient.create(resources, uris.get(0));
                client.setOptions(ClientOptions.builder()
                    .protocolVersion(ProtocolVersion.RESP2)
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .build());
                final StatefulRedisConnection<byte[], OpRecord> ctl = client.connect(BlockValueCodec.INSTANCE);
                c = ctl;
                this.controlCommands = ctl.async();
                for (int i = 0; i < config.connections(); i++)
                {
                    final StatefulRedisConnection<byte[], OpRecord> d = client.connect(BlockValueCodec.INSTANCE);
                    d.setAutoFlushCommands(false);
                    data.add(d);
                    dataCommands.add(d.async());
                }
            }
            else
            {
                this.client = null;
                this.clusterClient = RedisClusterClient.create(resources, uris);
                clusterClient.setOptions(ClusterClientOptions.builder()
                    .protocolVersion(ProtocolVersion.RESP2)
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .build());
                final StatefulRedisClusterConnection<byte[], OpRecord> ctl = clusterClient.connect(BlockValueCodec.INSTANCE);
                c = ctl;
                connectEveryNode(ctl);
                this.controlCommands = ctl.async();
                for (int i = 0; i < config.connections(); i++)
                {
                    final StatefulRedisClusterConnection<byte[], OpRecord> d = clusterClient.connect(BlockValueCodec.INSTANCE);
                    connectEveryNode(d);
                    d.setAutoFlushCommands(false);
                    data.add(d);
                    dataCommands.add(d.async());
                }
            }
        }
        catch (final RuntimeException e)
        {
            if (c != null)
            {
                c.close();
            }
            for (final StatefulConnection<byte[], OpRecord> d : data)
            {
                d.close();
            }
            shutdownClients();
            throw e;
        }
        this.control = c;
        control.setAutoFlushCommands(false);
        this.ttlArgument = config.ttlMillis() > 0 ? Long.toString(config.ttlMillis()).getBytes(java.nio.charset.StandardCharsets.US_ASCII) : null;
        this.description = config.backend().key() + " " + config.endpoints() + " namespace " + config.namespace() +
            (config.useTls() ? " (TLS)" : "");
        attachBackendState(op -> new RedisOpState(this, op, op.keys.length));
        LOG.log(System.Logger.Level.INFO, "G4 remote tier: " + description);
    }

    /**
     * Opens the connection to every master now (Lettuce opens node connections lazily, and a command to a node
     * whose connection is still opening would be refused as "not connected").
     */
    private static void connectEveryNode(final StatefulRedisClusterConnection<byte[], OpRecord> c)
    {
        for (final RedisClusterNode node : c.getPartitions())
        {
            if (node.is(RedisClusterNode.NodeFlag.UPSTREAM))
            {
                c.getConnection(node.getUri().getHost(), node.getUri().getPort()); // the key routing uses
            }
        }
    }

    private static RedisURI uri(final RemoteConfig config, final String endpoint, final Duration timeout)
    {
        final boolean tlsEndpoint = endpoint.startsWith("rediss://");
        final String hostPort = endpoint.replaceFirst("^rediss?://", "").replaceAll("/.*$", "");
        final int colon = hostPort.lastIndexOf(':');
        final RedisURI.Builder b = RedisURI.Builder.redis(hostPort.substring(0, colon),
            Integer.parseInt(hostPort.substring(colon + 1)))
            .withTimeout(timeout)
            .withSsl(tlsEndpoint || config.tls())
            .withVerifyPeer(config.tlsVerifyPeer());
        if (config.password() != null)
        {
            if (config.username() != null)
            {
                b.withAuthentication(config.username(), config.password().toCharArray());
            }
            else
            {
                b.withPassword(config.password().toCharArray());
            }
        }
        return b.build();
    }

    @Override
    protected void key(final byte[] key, final long saltId, final long idHi, final long idLo)
    {
        keys.redisKey(key, saltId, idHi, idLo);
    }

    private static RedisOpState state(final OpRecord op)
    {
        return (RedisOpState)op.backend;
    }

    /**
     * A standalone server that refused the lookup script (no EVAL in its ACL, scripting disabled): lookups go back
     * to n pipelined EXISTS. Set by an I/O thread, read by the owner.
     */
    private volatile boolean scriptRefused;

    /** An I/O thread: the server answered the lookup script with an error; later lookups use EXISTS. */
    void scriptRefused(final String error)
    {
        if (!scriptRefused)
        {
            scriptRefused = true;
            noteFailure(new io.lettuce.core.RedisException("lookup script refused: " + error));
            System.getLogger(RedisRemoteStore.class.getName()).log(System.Logger.Level.WARNING,
                "G4: the server refused the lookup script (" + error + "); lookups use pipelined EXISTS from now on");
        }
    }

    @Override
    protected void startLookup(final OpRecord op)
    {
        final RedisOpState st = state(op);
        touched = control;
        if (clusterClient == null && !scriptRefused)
        {
            st.evalLookup.reset();
            st.evalLookup.prepare(op.count());
            control.dispatch(st.evalLookup); // one command, one integer reply: the run
            return;
        }
        st.batch.clear();
        for (int i = 0; i < op.count(); i++)
        {
            st.lookup[i].reset();
            st.batch.add(st.lookup[i]);
        }
        control.dispatch(st.batch); // n EXISTS, one write: one round trip (one per node on a cluster)
    }

    @Override
    protected void startRead(final OpRecord op)
    {
        final RedisOpState st = state(op);
        st.read.reset();
        dataCommands.get(nextData()).dispatch(CommandType.GET, st.read,
            new CommandArgs<>(BlockValueCodec.INSTANCE).addKey(op.key)).whenComplete(st.single);
    }

    @Override
    protected void startWrite(final OpRecord op)
    {
        final RedisOpState st = state(op);
        st.status.reset();
        final CommandArgs<byte[], OpRecord> args = new CommandArgs<>(BlockValueCodec.INSTANCE)
            .addKey(op.key).addValue(op).add("NX");
        if (ttlArgument != null)
        {
            args.add("PX").add(ttlArgument);
        }
        dataCommands.get(nextData()).dispatch(CommandType.SET, st.status, args).whenComplete(st.single);
    }

    @Override
    protected void startDelete(final OpRecord op)
    {
        final RedisOpState st = state(op);
        st.delete.reset();
        touched = control;
        controlCommands.dispatch(CommandType.DEL, st.delete,
            new CommandArgs<>(BlockValueCodec.INSTANCE).addKey(op.key)).whenComplete(st.single);
    }

    @Override
    protected void startPing(final OpRecord op)
    {
        final RedisOpState st = state(op);
        st.ping.reset();
        touched = control;
        control.dispatch(st.ping);
    }

    private int nextData()
    {
        final int i = nextData;
        nextData = i + 1 == data.size() ? 0 : i + 1;
        touched = data.get(i);
        return i;
    }

    @Override
    protected void flush()
    {
        final StatefulConnection<byte[], OpRecord> t = touched;
        if (t != null)
        {
            touched = null;
            t.flushCommands();
        }
    }

    @Override
    public String describe()
    {
        return description;
    }

    @Override
    protected void closeBackend()
    {
        for (final StatefulConnection<byte[], OpRecord> d : data)
        {
            d.close();
        }
        control.close();
        shutdownClients();
    }

    private void shutdownClients()
    {
        if (client != null)
        {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (clusterClient != null)
        {
            clusterClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
