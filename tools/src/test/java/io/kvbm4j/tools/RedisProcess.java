package io.kvbm4j.tools;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's, installed by deps/30-redis.sh) on a free loopback port, started by a test
 * in its own temporary directory, no persistence. Tests fail (never skip) when it is missing.
 */
final class RedisProcess implements AutoCloseable
{
    final int port;
    private final Path dir;
    private final Process process;

    private RedisProcess(final int port, final Path dir, final Process process)
    {
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    static RedisProcess start() throws IOException, InterruptedException
    {
        final int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = s.getLocalPort();
        }
        final Path dir = Files.createTempDirectory("kvbm4j-redis-");
        final Process p = new ProcessBuilder(binary("redis-server"), "--port", Integer.toString(port), "--bind",
            "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no")
            .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        final RedisProcess r = new RedisProcess(port, dir, p);
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!r.cli("PING").equals("PONG"))
        {
            if (!p.isAlive() || System.nanoTime() > until)
            {
                r.close();
                throw new IOException("redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
            }
            Thread.sleep(50);
        }
        return r;
    }

    static String binary(final String name)
    {
        for (final String d : new String[] {"/usr/bin", "/usr/local/bin"})
        {
            if (new File(d, name).canExecute())
            {
                return d + "/" + name;
            }
        }
        throw new AssertionError(name + " not found: G4 tests need Debian's redis-server (deps/30-redis.sh installs it)");
    }

    String endpoint()
    {
        return "127.0.0.1:" + port;
    }

    /** One redis-cli command; its output trimmed ("" when it could not connect). */
    String cli(final String... args) throws IOException, InterruptedException
    {
        final String[] cmd = new String[4 + args.length];
        cmd[0] = binary("redis-cli");
        cmd[1] = "-p";
        cmd[2] = Integer.toString(port);
        cmd[3] = "--no-raw";
        System.arraycopy(args, 0, cmd, 4, args.length);
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out.replace("(integer) ", "");
    }

    @Override
    public void close()
    {
        process.destroyForcibly();
        try
        {
            process.waitFor(10, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(dir))
        {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        catch (final IOException ex)
        {
            // a temporary directory left behind
        }
    }
}
