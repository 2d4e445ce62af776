package io.kvbm4j.remote.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A 3-master Redis Cluster on loopback, made with {@code redis-cli --cluster create ... --cluster-replicas 0}, with
 * {@code cluster-require-full-coverage no} (the others keep serving when a node is stopped) and a short
 * {@code cluster-node-timeout}.
 */
public final class RedisCluster implements AutoCloseable
{
    private final List<RedisServer> nodes = new ArrayList<>();

    public static RedisCluster start(final int masters) throws IOException
    {
        final RedisCluster c = new RedisCluster();
        try
        {
            for (int i = 0; i < masters; i++)
            {
                c.nodes.add(RedisServer.start("cluster" + i, "--cluster-enabled", "yes", "--cluster-config-file",
                    "nodes.conf", "--cluster-node-timeout", "1000", "--cluster-require-full-coverage", "no"));
            }
            final List<String> args = new ArrayList<>();
            args.add("--cluster");
            args.add("create");
            for (final RedisServer s : c.nodes)
            {
                args.add(s.hostPort());
            }
            args.add("--cluster-replicas");
            args.add("0");
            args.add("--cluster-yes");
            final String out = RedisServer.run(c.nodes.get(0).port(), args.toArray(String[]::new));
            if (!out.contains("[OK] All 16384 slots covered"))
            {
                throw new IOException("redis-cli --cluster create failed: " + out);
            }
            final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (final RedisServer s : c.nodes)
            {
                while (!s.cli("CLUSTER", "INFO").contains("cluster_state:ok"))
                {
                    if (System.nanoTime() - until > 0)
                    {
                        throw new IOException("cluster not ok after 30 s: " + s.cli("CLUSTER", "INFO"));
                    }
                    RedisServer.sleep(50);
                }
            }
            return c;
        }
        catch (final IOException | RuntimeException e)
        {
            c.close();
            throw e;
        }
    }

    public List<RedisServer> nodes()
    {
        return nodes;
    }

    /** Comma-separated seeds for g4.endpoints. */
    public String seeds()
    {
        final StringBuilder b = new StringBuilder();
        for (final RedisServer s : nodes)
        {
            b.append(b.length() == 0 ? "" : ",").append(s.hostPort());
        }
        return b.toString();
    }

    /** The node serving {@code key}'s slot. */
    public RedisServer nodeOf(final String key)
    {
        final int slot = Integer.parseInt(nodes.get(0).cli("CLUSTER", "KEYSLOT", key));
        final String slots = nodes.get(0).cli("CLUSTER", "SLOTS");
        // Reply lines: start, end, host, port, id, ... per range (redis-cli prints one value per line).
        final String[] lines = slots.split("\n");
        for (int i = 0; i + 3 < lines.length; i++)
        {
            try
            {
                final int start = Integer.parseInt(lines[i].trim());
                final int end = Integer.parseInt(lines[i + 1].trim());
                if (lines[i + 2].trim().equals("127.0.0.1") && slot >= start && slot <= end)
                {
                    final int port = Integer.parseInt(lines[i + 3].trim());
                    for (final RedisServer s : nodes)
                    {
                        if (s.port() == port)
                        {
                            return s;
                        }
                    }
                }
            }
            catch (final NumberFormatException e)
            {
                // not the start of a range
            }
        }
        throw new AssertionError("no node for slot " + slot + " in " + slots);
    }

    @Override
    public void close()
    {
        for (final RedisServer s : nodes)
        {
            s.close();
        }
    }
}
