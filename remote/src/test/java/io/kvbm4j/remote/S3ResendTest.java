package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.s3.S3RemoteStore;
import io.kvbm4j.remote.testing.Blocks;
import io.kvbm4j.remote.testing.Driver;

/**
 * The S3 store's one retry: a request whose connection drops before any answer (what a kept-alive connection the
 * server had closed does) is sent once more; a request the server answers with an error, or a second drop, is not.
 * The server here is a few lines of HTTP on a loopback socket (a TEST DOUBLE that drops the connections it is told
 * to and answers every other PUT 200, or 500 when told to), so the drop happens on every run, not by chance.
 */
class S3ResendTest
{
    /** Connections the double drops after reading the request head, counted down. */
    private final AtomicInteger dropsLeft = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private volatile int answer = 200;

    private RemoteConfig config(final int port)
    {
        return RemoteConfig.fromMap(new HashMap<>(Map.of("g4.backend", "s3", "g4.endpoints", "http://127.0.0.1:" + port,
            "g4.namespace", "resend", "g4.s3.bucket", "kvbm4j-resend", "g4.s3.path-style", "true",
            "g4.s3.access-key-id", "k", "g4.s3.secret-access-key", "s", "g4.s3.conditional-put", "true",
            "g4.timeout-ms", "5000")));
    }

    @Test
    void aWriteWhoseConnectionDropsBeforeAnAnswerIsSentOnceMoreAndLands() throws Exception
    {
        try (ServerSocket server = serve();
             RemoteStore store = new S3RemoteStore(config(server.getLocalPort()), new SystemNanoClock());
             Blocks blocks = new Blocks(1, 4096))
        {
            final Driver d = new Driver(store, 30000);
            dropsLeft.set(1);
            assertEquals(RemoteStatus.OK, d.write(1, 1, 1, blocks.address(0), 4096).status(), store.lastFailure());
            assertEquals(2, requests.get(), "the dropped request and its resend");
        }
    }

    @Test
    void aSecondDropOrAnErrorTheServerAnswersIsNotRetried() throws Exception
    {
        try (ServerSocket server = serve();
             RemoteStore store = new S3RemoteStore(config(server.getLocalPort()), new SystemNanoClock());
             Blocks blocks = new Blocks(1, 4096))
        {
            final Driver d = new Driver(store, 30000);
            dropsLeft.set(2);
            assertEquals(RemoteStatus.FAILED, d.write(1, 1, 1, blocks.address(0), 4096).status());
            assertEquals(2, requests.get(), "sent twice, no more");
            requests.set(0);
            answer = 500;
            assertEquals(RemoteStatus.FAILED, d.write(1, 2, 2, blocks.address(0), 4096).status());
            assertEquals(1, requests.get(), "an answer is final");
        }
    }

    /** Starts the double on a loopback port; it serves until the socket is closed. */
    private ServerSocket serve() throws IOException
    {
        final ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        final Thread t = new Thread(() ->
        {
            while (!server.isClosed())
            {
                try (Socket c = server.accept())
                {
                    connection(c);
                }
                catch (final IOException e)
                {
                    // the client went away, or the server socket closed: next connection, or done
                }
            }
        }, "s3-double");
        t.setDaemon(true);
        t.start();
        return server;
    }

    private void connection(final Socket c) throws IOException
    {
        final InputStream in = c.getInputStream();
        final OutputStream out = c.getOutputStream();
        while (true)
        {
            final Map<String, String> head = readHead(in);
            if (head == null)
            {
                return; // the client closed the connection
            }
            requests.incrementAndGet();
            if (dropsLeft.getAndDecrement() > 0)
            {
                return; // close without an answer
            }
            if ("100-continue".equalsIgnoreCase(head.getOrDefault("expect", "")))
            {
                out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            final long length = Long.parseLong(head.getOrDefault("content-length", "0"));
            for (long i = 0; i < length; i++)
            {
                if (in.read() < 0)
                {
                    return;
                }
            }
            final String status = answer == 200 ? "200 OK" : answer + " Internal Server Error";
            final String body = answer == 200 ? "" :
                "<Error><Code>InternalError</Code><Message>injected</Message></Error>";
            out.write(("HTTP/1.1 " + status + "\r\nETag: \"e\"\r\nx-amz-request-id: r\r\nContent-Type: application/xml\r\n" +
                "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    /** The request line and headers (names lower-cased), or null at the end of the stream. */
    private static Map<String, String> readHead(final InputStream in) throws IOException
    {
        final StringBuilder line = new StringBuilder();
        final Map<String, String> head = new HashMap<>();
        boolean first = true;
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                return null;
            }
            if (b == '\n')
            {
                final String l = line.toString().trim();
                line.setLength(0);
                if (l.isEmpty())
                {
                    return first ? null : head;
                }
                if (!first)
                {
                    final int colon = l.indexOf(':');
                    head.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
                }
                first = false;
                continue;
            }
            line.append((char)b);
        }
    }
}
