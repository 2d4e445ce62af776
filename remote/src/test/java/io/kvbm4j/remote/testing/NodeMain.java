package io.kvbm4j.remote.testing;

import java.util.Map;

import org.agrona.concurrent.SystemNanoClock;

import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;

/**
 * One "serving node" in its own JVM, for {@code TwoNodeSharingTest}: {@code write HOST:PORT SALT N} stores N blocks
 * of a prefix chain; {@code read HOST:PORT SALT N EXPECTED_RUN} looks the chain up and reads the leading run,
 * checking every byte. Exit 0 when everything matched, 1 otherwise (the reason on stderr).
 */
public final class NodeMain
{
    static final int BLOCK = 64 * 1024;

    private NodeMain()
    {
    }

    public static void main(final String[] args)
    {
        final String mode = args[0];
        final long salt = Long.parseLong(args[2]);
        final int n = Integer.parseInt(args[3]);
        final RemoteConfig config = RemoteConfig.fromMap(Map.of("g4.backend", "redis", "g4.endpoints", args[1],
            "g4.namespace", "sharing", "g4.timeout-ms", "30000"));
        int code = 0;
        try (RemoteStore store = new RedisRemoteStore(config, new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 30000);
            final long[] hi = new long[n];
            final long[] lo = new long[n];
            for (int i = 0; i < n; i++)
            {
                hi[i] = 0xC0FFEEL + i;
                lo[i] = 0xBEEFL * (i + 1);
            }
            if ("write".equals(mode))
            {
                for (int i = 0; i < n; i++)
                {
                    blocks.fill(0, 1000 + i);
                    final RemoteStatus s = d.write(salt, hi[i], lo[i], blocks.address(0), BLOCK).status();
                    if (s != RemoteStatus.OK)
                    {
                        System.err.println("write " + i + ": " + s + " " + store.lastFailure());
                        code = 1;
                    }
                }
            }
            else
            {
                final int expected = Integer.parseInt(args[4]);
                final Driver.Done run = d.lookup(salt, hi, lo, n);
                if (run.status() != RemoteStatus.OK || run.run() != expected)
                {
                    System.err.println("lookup: " + run + ", expected a run of " + expected);
                    code = 1;
                }
                for (int i = 0; i < n; i++)
                {
                    blocks.zero(1);
                    final RemoteStatus s = d.read(salt, hi[i], lo[i], blocks.address(1), BLOCK).status();
                    blocks.fill(0, 1000 + i);
                    final boolean shouldHit = i < expected;
                    if (shouldHit && (s != RemoteStatus.OK || !blocks.same(0, 1)))
                    {
                        System.err.println("read " + i + ": " + s + " or wrong bytes");
                        code = 1;
                    }
                    if (!shouldHit && s != RemoteStatus.MISS)
                    {
                        System.err.println("read " + i + ": " + s + ", expected MISS");
                        code = 1;
                    }
                }
            }
        }
        catch (final RuntimeException e)
        {
            e.printStackTrace();
            code = 1;
        }
        System.exit(code);
    }
}
