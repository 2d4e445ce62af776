package io.kvbm4j.torture.g4;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's, installed by deps/30-redis.sh) on a free loopback port, started by the
 * test, with the fault moves a test needs: SIGKILL, SIGSTOP/SIGCONT (paused: its socket stays open and silent),
 * restart on the same port. Raw RESP commands on a socket of its own ({@link #set}) put hostile values under a
 * block's key. Fails (never skips) when redis-server is missing.
 */
public final class RedisProcess implements AutoCloseable
{
    private final Path dir;
    private final int port;
    private Process process;

    private RedisProcess(final Path dir, final int port)
    {
        this.dir = dir;
        this.port = port;
    }

    public static RedisProcess start(final String name) throws IOException
    {
        final Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "redis-" + name + "-");
        final RedisProcess r = new RedisProcess(dir, freePort());
        r.start();
        return r;
    }

    static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    public int port()
    {
        return port;
    }

    public void start() throws IOException
    {
        String binary = null;
        for (final String d : new String[] {"/usr/bin", "/usr/local/bin", "/usr/sbin"})
        {
            if (new File(d, "redis-server").canExecute())
            {
                binary = d + "/redis-server";
            }
        }
        if (binary == null)
        {
            throw new AssertionError("redis-server not found: run make deps (deps/30-redis.sh installs it)");
        }
        process = new ProcessBuilder(List.of(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no",
            "--logfile", dir.resolve("redis.log").toString())).redirectErrorStream(true)
            .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            try
            {
                if (command("PING").startsWith("+PONG"))
                {
                    return;
                }
            }
            catch (final IOException ex)
            {
                // not listening yet
            }
            if (!process.isAlive() || System.nanoTime() - until > 0)
            {
                throw new IOException("redis-server on port " + port + " did not start: " +
                    Files.readString(dir.resolve("stdout.log")));
            }
            sleep(20);
        }
    }

    /** SIGKILL; waits until the process is gone. */
    public void kill() throws InterruptedException
    {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the server keeps its sockets and answers nothing until {@link #resume()}. */
    public void pause() throws IOException, InterruptedException
    {
        signal("-STOP");
    }

    public void resume() throws IOException, InterruptedException
    {
        signal("-CONT");
    }

    private void signal(final String sig) throws IOException, InterruptedException
    {
        final Process k = new ProcessBuilder("kill", sig, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0)
        {
            throw new IOException("kill " + sig + " " + process.pid() + " failed");
        }
    }

    /** One RESP command of bulk-string arguments on a new connection; @return the first line of the answer. */
    public String command(final String... args) throws IOException
    {
        final byte[][] b = new byte[args.length][];
        for (int i = 0; i < args.length; i++)
        {
            b[i] = args[i].getBytes(StandardCharsets.UTF_8);
        }
        return command(b);
    }

    /** SET key value (raw bytes): a hostile value under a block's key. */
    public void set(final byte[] key, final byte[] value) throws IOException
    {
        final String r = command("SET".getBytes(StandardCharsets.US_ASCII), key, value);
        if (!r.startsWith("+OK"))
        {
            throw new IOException("SET answered " + r);
        }
    }

    private String command(final byte[]... args) throws IOException
    {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port))
        {
            s.setSoTimeout(10_000);
            final OutputStream out = s.getOutputStream();
            final StringBuilder head = new StringBuilder("*").append(args.length).append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            for (final byte[] a : args)
            {
                out.write(("$" + a.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(a);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
            final InputStream in = s.getInputStream();
            final StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n')
            {
                line.append((char)c);
            }
            return line.toString();
        }
    }

    static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close()
    {
        if (process != null && process.isAlive())
        {
            try
            {
                resume(); // a paused server does not die of SIGTERM
                kill();
            }
            catch (final IOException | InterruptedException ex)
            {
                process.destroyForcibly();
            }
        }
    }
}
