package io.kvbm4j.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;

import io.kvbm4j.client.Protocol;

/**
 * One client connection and its I/O thread: reads a frame, checks the frame (length, op), hands it to the
 * serving thread through the bounded request queue, waits for the reply and writes it. A full queue is answered
 * BUSY by this thread at once; it never waits for room.
 *
 * <p>Ownership: {@link #request} and {@link #reply} belong to the I/O thread until the connection is offered to
 * the queue, then to the serving thread until it publishes {@link #replyReady} (release store; the I/O thread
 * reads it with an acquire load), then to the I/O thread again. {@link #session} is the serving thread's alone.
 */
final class Connection implements Runnable
{
    /** Published by the serving thread when the reply buffer holds a whole frame. */
    private volatile boolean replyReady;
    /** Set by the serving thread: close after writing this reply. */
    volatile boolean closeAfterReply;

    final long id;
    final SocketChannel channel;
    final ByteBuffer request = ByteBuffer.allocateDirect(Protocol.HEADER_BYTES + Protocol.MAX_FRAME)
        .order(ByteOrder.LITTLE_ENDIAN);
    final ByteBuffer reply = ByteBuffer.allocateDirect(Protocol.HEADER_BYTES + Protocol.MAX_FRAME)
        .order(ByteOrder.LITTLE_ENDIAN);
    private final Service service;
    private final KvServer server;
    private Thread thread;

    /** Serving thread only: the session HELLO opened, or null. */
    Session session;

    Connection(final long id, final SocketChannel channel, final Service service, final KvServer server)
    {
        this.id = id;
        this.channel = channel;
        this.service = service;
        this.server = server;
    }

    void start()
    {
        thread = new Thread(this, "kvbm4j-conn-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run()
    {
        try
        {
            while (readFrame())
            {
                final int op = request.get(Protocol.OP_OFFSET) & 0xFF;
                if (op < Protocol.OP_HELLO || op > Protocol.OP_WRITE)
                {
                    error(Protocol.E_UNKNOWN_OP, "unknown op " + op + " (this service speaks protocol " +
                        Protocol.VERSION + ": ops 1.." + Protocol.OP_WRITE + ")");
                    service.countBadFrame();
                }
                else if (!service.offer(this))
                {
                    error(Protocol.E_BUSY, "the serving thread's queue is full; try again");
                }
                else
                {
                    while (!replyReady)
                    {
                        LockSupport.park(this);
                    }
                    replyReady = false;
                }
                if (!writeReply() || closeAfterReply)
                {
                    break;
                }
            }
        }
        catch (final IOException ex)
        {
            // the client went away or broke the stream: its session is reclaimed below
        }
        finally
        {
            closeChannel();
            service.disconnected(this);
            server.forget(this);
        }
    }

    /** Reads one frame into {@link #request} (whole, limit at its end). False at end of stream or after a bad length. */
    private boolean readFrame() throws IOException
    {
        request.clear().limit(4);
        if (!fill())
        {
            return false;
        }
        final int length = request.getInt(0);
        if (length < Protocol.HEADER_BYTES - 4 || length > Protocol.MAX_FRAME)
        {
            error(length < 0 || length > Protocol.MAX_FRAME ? Protocol.E_TOO_LARGE : Protocol.E_MALFORMED,
                "frame length " + Integer.toUnsignedString(length) + " not in " + (Protocol.HEADER_BYTES - 4) + ".." +
                    Protocol.MAX_FRAME + "; closing the connection");
            service.countBadFrame();
            writeReply();
            return false;
        }
        request.limit(4 + length);
        if (!fill())
        {
            return false;
        }
        request.flip();
        return true;
    }

    private boolean fill() throws IOException
    {
        while (request.hasRemaining())
        {
            if (channel.read(request) < 0)
            {
                return false;
            }
        }
        return true;
    }

    /** Serving thread: the reply is complete; wakes the I/O thread. */
    void publishReply()
    {
        replyReady = true; // volatile store: releases the reply buffer's contents to the I/O thread
        LockSupport.unpark(thread);
    }

    /** Writes an error reply into {@link #reply}, echoing the request's tag (either thread, whichever owns it). */
    void error(final int code, final String message)
    {
        final int tag = request.limit() >= Protocol.HEADER_BYTES ? request.getInt(Protocol.TAG_OFFSET) : 0;
        reply.clear();
        reply.putInt(0).put((byte)Protocol.OP_ERROR).put((byte)0).putShort((short)0).putInt(tag);
        reply.putShort((short)code);
        final byte[] text = message.getBytes(StandardCharsets.UTF_8);
        final int n = Math.min(text.length, 4000);
        reply.putShort((short)n).put(text, 0, n);
        reply.putInt(0, reply.position() - 4);
        reply.flip();
    }

    private boolean writeReply()
    {
        try
        {
            while (reply.hasRemaining())
            {
                channel.write(reply);
            }
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    void closeChannel()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // already broken
        }
    }

    /** Waits for the I/O thread to end (after the channel was closed). */
    void join(final long millis) throws InterruptedException
    {
        if (thread != null)
        {
            thread.join(millis);
        }
    }
}
