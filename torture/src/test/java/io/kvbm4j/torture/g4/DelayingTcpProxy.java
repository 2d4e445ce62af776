package io.kvbm4j.torture.g4;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test double for a slow network ({@code tc netem} is not available on these machines): a TCP proxy on a
 * loopback port that forwards to {@code upstream} and holds every chunk it forwards, both ways, for
 * {@link #delayMillis} before passing it on (changeable while it runs). One thread per direction per connection.
 */
final class DelayingTcpProxy implements AutoCloseable
{
    private final ServerSocket listener;
    private final int upstream;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    volatile long delayMillis;
    private volatile boolean closed;

    DelayingTcpProxy(final int upstream, final long delayMillis) throws IOException
    {
        this.upstream = upstream;
        this.delayMillis = delayMillis;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread t = new Thread(this::accept, "delaying-proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    int port()
    {
        return listener.getLocalPort();
    }

    private void accept()
    {
        while (!closed)
        {
            try
            {
                final Socket client = listener.accept();
                final Socket server = new Socket(InetAddress.getLoopbackAddress(), upstream);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, "up");
                pump(server, client, "down");
            }
            catch (final IOException ex)
            {
                // closed, or the upstream refused: the client sees its connection end
            }
        }
    }

    private void pump(final Socket from, final Socket to, final String name)
    {
        final Thread t = new Thread(() ->
        {
            final byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
            {
                int n;
                while ((n = in.read(buf)) >= 0)
                {
                    final long d = delayMillis;
                    if (d > 0)
                    {
                        Thread.sleep(d);
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            }
            catch (final IOException | InterruptedException ex)
            {
                // one side went away: close both
            }
            finally
            {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "delaying-proxy-" + name);
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(final Socket s)
    {
        try
        {
            s.close();
        }
        catch (final IOException ignored)
        {
            // already closed
        }
    }

    @Override
    public void close() throws IOException
    {
        closed = true;
        listener.close();
        for (final Socket s : sockets)
        {
            closeQuietly(s);
        }
    }
}
