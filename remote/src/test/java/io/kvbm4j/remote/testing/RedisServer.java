package io.kvbm4j.remote.testing;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's, installed by deps/30-redis.sh) started by a test on a free loopback port,
 * in its own directory under target/. Tests fail (never skip) when it is missing. {@link #kill()} is SIGKILL (no
 * save, no AOF rewrite); {@link #start()} starts it again on the same port and directory.
 */
public final class RedisServer implements AutoCloseable
{
    private final Path dir;
    private final int port;
    private final List<String> extra;
    private Process process;

    private RedisServer(final Path dir, final int port, final List<String> extra)
    {
        this.dir = dir;
        this.port = port;
        this.extra = extra;
    }

    /** Starts a server; {@code extra} are redis-server arguments ({@code "--appendonly", "yes"}, ...). */
    public static RedisServer start(final String name, final String... extra) throws IOException
    {
        final Path dir = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "redis-" + name + "-");
        final RedisServer s = new RedisServer(dir, freePort(), List.of(extra));
        s.start();
        return s;
    }

    public static String binary(final String name)
    {
        for (final String d : new String[] {"/usr/bin", "/usr/local/bin", "/usr/sbin"})
        {
            if (new File(d, name).canExecute())
            {
                return d + "/" + name;
            }
        }
        throw new AssertionError(name + " not found: the remote module's tests need Debian's redis-server; run make deps " +
            "(deps/30-redis.sh installs it)");
    }

    public static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    public void start() throws IOException
    {
        final List<String> cmd = new ArrayList<>(Arrays.asList(binary("redis-server"), "--port", Integer.toString(port),
            "--bind", "127.0.0.1", "--protected-mode", "yes", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
            "--enable-debug-command", "local", "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
        cmd.addAll(extra);
        process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true)
        {
            if (!process.isAlive())
            {
                throw new IOException("redis-server exited at start: " + Files.readString(dir.resolve("stdout.log")) +
                    log());
            }
            final String pong = cliQuiet("PING");
            if (pong.startsWith("PONG"))
            {
                return;
            }
            if (System.nanoTime() - until > 0)
            {
                throw new IOException("redis-server on port " + port + " did not answer PING within 30 s: " + log());
            }
            sleep(20);
        }
    }

    private String log()
    {
        try
        {
            return Files.exists(dir.resolve("redis.log")) ? Files.readString(dir.resolve("redis.log")) : "";
        }
        catch (final IOException e)
        {
            return e.toString();
        }
    }

    public int port()
    {
        return port;
    }

    public String hostPort()
    {
        return "127.0.0.1:" + port;
    }

    public Path dir()
    {
        return dir;
    }

    /** SIGKILL, then waits for the process to be gone. */
    public void kill()
    {
        if (process != null && process.isAlive())
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** redis-cli against this server; the reply's text. Fails the test on a cli error. */
    public String cli(final String... args)
    {
        final String out = cliQuiet(args);
        if (out.startsWith("ERR") || out.startsWith("Could not connect"))
        {
            throw new AssertionError("redis-cli " + String.join(" ", args) + ": " + out);
        }
        return out;
    }

    private String cliQuiet(final String... args)
    {
        return run(port, args);
    }

    static String run(final int port, final String... args)
    {
        final List<String> cmd = new ArrayList<>(Arrays.asList(binary("redis-cli"), "-h", "127.0.0.1", "-p",
            Integer.toString(port)));
        cmd.addAll(Arrays.asList(args));
        try
        {
            final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        }
        catch (final IOException e)
        {
            return "Could not connect: " + e;
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    static void sleep(final long millis)
    {
        try
        {
            Thread.sleep(millis);
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close()
    {
        kill();
    }
}
