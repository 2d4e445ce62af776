package io.kvbm4j.observe.events;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigException;

/**
 * Publishes KV events the way vLLM's {@code ZmqEventPublisher} does, so that Dynamo's KV router, llm-d's
 * KV-cache indexer or vLLM's own example subscriber read kvbm4j without an adapter.
 *
 * <p>Each batch is one ZMQ message of three frames: topic (UTF-8), sequence number (8 bytes, big-endian,
 * from 0 in this process) and the msgpack payload ({@link KvEventEncoder}). A batch ends when it holds
 * {@code kv-events.batch-events} events or at the end of each run of ring events ({@link #endOfBatch}), so
 * nothing waits for a timer. The PUB socket binds or connects by vLLM's rule
 * ({@link KvEventSettings#binds}). With {@code kv-events.replay-endpoint} set, a {@link ReplayServer} answers
 * replay requests from the last {@code kv-events.buffer-batches} batches.
 *
 * <p>Threads: the sink methods are called by one ring handler thread, which owns the encoder and the PUB
 * socket (created here, first used by that thread after the ring starts it: the thread start orders the
 * two). Sending never blocks: ZMQ queues up to the high-water mark per subscriber and drops beyond it (a
 * PUB socket drops silently: subscribers see a gap in the sequence numbers and ask for a replay). Sends the
 * socket refuses are counted in {@link #droppedBatches}. Counters are readable from any thread.
 */
public final class KvEventPublisher implements KvEventSink, AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(KvEventPublisher.class.getName());

    private final KvEventSettings settings;
    private final int blockSize;
    private final ZContext context;
    private final ZMQ.Socket pub;
    private final ReplayBuffer replay;
    private final ReplayServer replayServer;
    private final KvEventEncoder encoder;
    private final byte[] topic;
    private final String[] media = new String[Tier.values().length];
    private long seq;
    private long lastTimeNanos;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong events = new AtomicLong();
    private final AtomicLong blocks = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private boolean closed;

    /**
     * Opens the sockets.
     *
     * @param blockSize tokens per block ({@code block_size} of BlockStored).
     * @throws ConfigException naming {@code kv-events.endpoint} or {@code kv-events.replay-endpoint} when a
     *                         socket cannot bind or connect (address in use, bad host).
     */
    public KvEventPublisher(final KvEventSettings settings, final int blockSize, final String source)
    {
        this.settings = settings;
        this.blockSize = blockSize;
        this.topic = settings.topic().getBytes(StandardCharsets.UTF_8);
        this.encoder = new KvEventEncoder(settings.encoding(), settings.hash(), settings.dataParallelRank());
        for (final Tier t : Tier.values())
        {
            media[t.ordinal()] = settings.medium(t);
        }
        this.context = new ZContext(1);
        ZMQ.Socket socket = null;
        ReplayServer server = null;
        try
        {
            socket = context.createSocket(SocketType.PUB);
            socket.setSndHWM(settings.highWaterMark());
            socket.setLinger(1000);
            open(socket, settings.endpoint(), KvEventSettings.binds(settings.endpoint()), "kv-events.endpoint", source);
            if (!settings.replayEndpoint().isEmpty())
            {
                final ZMQ.Socket router = context.createSocket(SocketType.ROUTER);
                router.setLinger(0);
                open(router, settings.replayEndpoint(), true, "kv-events.replay-endpoint", source); // always binds, as vLLM's
                this.replay = new ReplayBuffer(settings.bufferBatches());
                server = new ReplayServer(router, replay);
            }
            else
            {
                this.replay = null;
            }
        }
        catch (final RuntimeException ex)
        {
            context.close();
            throw ex;
        }
        this.pub = socket;
        this.replayServer = server;
        if (server != null)
        {
            server.start();
        }
        LOG.log(System.Logger.Level.INFO, "KV events: {0}", settings);
    }

    private static void open(
        final ZMQ.Socket socket, final String endpoint, final boolean bind, final String key, final String source)
    {
        try
        {
            final boolean ok = bind ? socket.bind(endpoint) : socket.connect(endpoint);
            if (!ok)
            {
                throw new ConfigException(source + ": " + key + ": cannot " + (bind ? "bind" : "connect") + " " +
                    endpoint);
            }
        }
        catch (final ZMQException | IllegalArgumentException ex)
        {
            throw new ConfigException(source + ": " + key + ": cannot " + (bind ? "bind" : "connect") + " " +
                endpoint + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public void stored(
        final Tier tier, final long[] idHi, final long[] idLo, final int n, final boolean hasParent,
        final long parentHi, final long parentLo, final int[] tokens, final int tokenCount, final long timeNanos)
    {
        final String medium = media[tier.ordinal()];
        if (n == 0 || medium.isEmpty())
        {
            return;
        }
        encoder.stored(idHi, idLo, n, hasParent, parentHi, parentLo, tokens, tokenCount, blockSize, medium);
        blocks.setRelease(blocks.getPlain() + n);
        afterEvent(timeNanos);
    }

    @Override
    public void removed(final Tier tier, final long[] idHi, final long[] idLo, final int n, final long timeNanos)
    {
        final String medium = media[tier.ordinal()];
        if (n == 0 || medium.isEmpty())
        {
            return;
        }
        encoder.removed(idHi, idLo, n, medium);
        blocks.setRelease(blocks.getPlain() + n);
        afterEvent(timeNanos);
    }

    @Override
    public void cleared(final long timeNanos)
    {
        encoder.cleared();
        afterEvent(timeNanos);
    }

    private void afterEvent(final long timeNanos)
    {
        lastTimeNanos = timeNanos;
        if (encoder.count() >= settings.batchEvents())
        {
            flush();
        }
    }

    @Override
    public void endOfBatch(final long timeNanos)
    {
        if (encoder.count() > 0)
        {
            lastTimeNanos = Math.max(lastTimeNanos, timeNanos);
            flush();
        }
    }

    /** Sends the events packed so far as one batch (nothing when there are none). Owner thread. */
    public void flush()
    {
        final int n = encoder.count();
        if (n == 0 || closed)
        {
            return;
        }
        final byte[] payload = encoder.finishBatch(lastTimeNanos / 1e9);
        final long s = seq++;
        final byte[] seqBytes = new byte[8];
        for (int i = 0; i < 8; i++)
        {
            seqBytes[i] = (byte)(s >>> (56 - 8 * i));
        }
        if (replay != null)
        {
            replay.add(s, payload); // before the send: a subscriber that sees s can replay up to s
        }
        final boolean sent = pub.send(topic, ZMQ.SNDMORE | ZMQ.DONTWAIT) &&
            pub.send(seqBytes, ZMQ.SNDMORE | ZMQ.DONTWAIT) && pub.send(payload, ZMQ.DONTWAIT);
        if (!sent)
        {
            dropped.setRelease(dropped.getPlain() + 1);
        }
        batches.setRelease(s + 1);
        events.setRelease(events.getPlain() + n);
        bytes.setRelease(bytes.getPlain() + payload.length);
    }

    /** Batches published (the next sequence number). Any thread. */
    public long batches()
    {
        return batches.getAcquire();
    }

    /** Events (BlockStored, BlockRemoved, AllBlocksCleared) published. Any thread. */
    public long events()
    {
        return events.getAcquire();
    }

    /** Blocks carried by published events. Any thread. */
    public long blocks()
    {
        return blocks.getAcquire();
    }

    /** Payload bytes published. Any thread. */
    public long bytes()
    {
        return bytes.getAcquire();
    }

    /** Batches the PUB socket refused to queue. Any thread. */
    public long droppedBatches()
    {
        return dropped.getAcquire();
    }

    /** Replay requests answered. Any thread. */
    public long replayRequests()
    {
        return replayServer == null ? 0 : replayServer.requests();
    }

    public KvEventSettings settings()
    {
        return settings;
    }

    /** Flushes what is pending, stops the replay thread, closes the sockets. Call after the ring drained. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        flush();
        closed = true;
        if (replayServer != null)
        {
            replayServer.stop();
        }
        pub.close();
        context.close();
    }
}
