package io.kvbm4j.observe.events;

import java.util.concurrent.atomic.AtomicLong;

import org.zeromq.ZMQ;
import org.zeromq.ZMQException;

/**
 * Answers replay requests on a ROUTER socket, as vLLM does: a client sends an 8-byte big-endian start
 * sequence (from a REQ socket, or a DEALER that sends an empty delimiter frame first); the server answers
 * {@code [seq (8 bytes), payload]} for each buffered batch from there, then {@code [-1 as signed 8 bytes,
 * empty]}. A request of another shape is ignored (counted).
 *
 * <p>Owns the ROUTER socket and its thread; reads the {@link ReplayBuffer} (its lock orders it with the
 * publisher).
 */
final class ReplayServer
{
    private static final byte[] END = {-1, -1, -1, -1, -1, -1, -1, -1};
    private static final byte[] EMPTY = new byte[0];

    private final ZMQ.Socket router;
    private final ReplayBuffer buffer;
    private final Thread thread;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong malformed = new AtomicLong();
    private volatile boolean running = true;

    ReplayServer(final ZMQ.Socket router, final ReplayBuffer buffer)
    {
        this.router = router;
        this.buffer = buffer;
        this.thread = new Thread(this::run, "kvbm4j-kv-events-replay");
        this.thread.setDaemon(true);
    }

    void start()
    {
        thread.start();
    }

    long requests()
    {
        return requests.get();
    }

    private void run()
    {
        router.setReceiveTimeOut(100);
        try
        {
            while (running)
            {
                final byte[] identity = router.recv(0);
                if (identity == null)
                {
                    continue; // timeout: check running
                }
                byte[] frame = router.hasReceiveMore() ? router.recv(0) : null;
                final boolean delimited = frame != null && frame.length == 0 && router.hasReceiveMore();
                if (delimited)
                {
                    frame = router.recv(0);
                }
                while (router.hasReceiveMore())
                {
                    router.recv(0);
                    frame = null;
                }
                if (frame == null || frame.length != 8)
                {
                    malformed.incrementAndGet();
                    continue;
                }
                long start = 0;
                for (int i = 0; i < 8; i++)
                {
                    start = (start << 8) | (frame[i] & 0xff);
                }
                requests.incrementAndGet();
                buffer.from(start, (seq, payload) ->
                {
                    final byte[] s = new byte[8];
                    for (int i = 0; i < 8; i++)
                    {
                        s[i] = (byte)(seq >>> (56 - 8 * i));
                    }
                    reply(identity, delimited, s, payload);
                });
                reply(identity, delimited, END, EMPTY);
            }
        }
        catch (final ZMQException ex)
        {
            if (running)
            {
                System.getLogger(ReplayServer.class.getName()).log(System.Logger.Level.ERROR, "replay socket failed", ex);
            }
        }
        finally
        {
            router.close();
        }
    }

    private void reply(final byte[] identity, final boolean delimited, final byte[] seq, final byte[] payload)
    {
        router.send(identity, ZMQ.SNDMORE);
        if (delimited)
        {
            router.send(EMPTY, ZMQ.SNDMORE);
        }
        router.send(seq, ZMQ.SNDMORE);
        router.send(payload, 0);
    }

    void stop()
    {
        running = false;
        try
        {
            thread.join(2_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
