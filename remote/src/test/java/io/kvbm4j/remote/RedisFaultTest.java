package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;
import io.kvbm4j.remote.testing.Blocks;
import io.kvbm4j.remote.testing.Driver;
import io.kvbm4j.remote.testing.RedisServer;

/**
 * G4 when the server fails: killed and restarted with and without persistence, evicting under maxmemory, and
 * the degraded state with its health probe. Each test starts its own redis-server.
 */
class RedisFaultTest
{
    private static final int BLOCK = 128 * 1024;

    /**
     * Reads block i until the store answers (the client reconnects in the background; calls fail fast meanwhile).
     * Bounded guard, never asserted on time.
     */
    private static Driver.Done readWhenReachable(final Driver d, final RemoteStore store, final Blocks blocks,
                                                 final int i, final int into)
    {
        final long until = System.nanoTime() + 60_000_000_000L;
        while (true)
        {
            if (store.health() == RemoteHealth.DEGRADED)
            {
                d.pollFor(20);
                continue;
            }
            final Driver.Done r = d.read(1, i, i, blocks.address(into), BLOCK);
            if (r.status().answered() || System.nanoTime() - until > 0)
            {
                return r;
            }
            d.pollFor(20);
        }
    }

    @Test
    void serverRestartedWithoutPersistenceMissesThenNewWritesHit() throws Exception
    {
        try (RedisServer server = RedisServer.start("restart-plain");
             RemoteStore store = new RedisRemoteStore(RedisStandaloneTest.config(server.hostPort(), "plain"),
                 new SystemNanoClock());
             Blocks blocks = new Blocks(6, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            for (int i = 0; i < 4; i++)
            {
                blocks.fill(i, i);
                assertEquals(RemoteStatus.OK, d.write(1, i, i, blocks.address(i), BLOCK).status());
            }
            server.kill();
            final Driver.Done during = d.read(1, 0, 0, blocks.address(5), BLOCK);
            assertNotEquals(RemoteStatus.OK, during.status(), "nothing is served while the server is down");
            assertTrue(store.counter(RemoteCounter.FAILURES) + store.counter(RemoteCounter.TIMEOUTS) >= 1);
            server.start();
            for (int i = 0; i < 4; i++)
            {
                assertEquals(RemoteStatus.MISS, readWhenReachable(d, store, blocks, i, 5).status(),
                    "no persistence: block " + i + " is gone");
            }
            assertEquals(RemoteStatus.OK, d.write(1, 0, 0, blocks.address(0), BLOCK).status());
            assertEquals(RemoteStatus.OK, d.read(1, 0, 0, blocks.address(5), BLOCK).status());
            assertTrue(blocks.same(0, 5));
        }
    }

    @Test
    void serverRestartedWithAppendOnlyFileServesTheOldBlocksVerified() throws Exception
    {
        try (RedisServer server = RedisServer.start("restart-aof", "--appendonly", "yes", "--appendfsync", "always");
             RemoteStore store = new RedisRemoteStore(RedisStandaloneTest.config(server.hostPort(), "aof"),
                 new SystemNanoClock());
             Blocks blocks = new Blocks(6, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            for (int i = 0; i < 4; i++)
            {
                blocks.fill(i, 100 + i);
                assertEquals(RemoteStatus.OK, d.write(1, i, i, blocks.address(i), BLOCK).status());
            }
            server.kill();
            server.start();
            for (int i = 0; i < 4; i++)
            {
                blocks.zero(5);
                assertEquals(RemoteStatus.OK, readWhenReachable(d, store, blocks, i, 5).status(), "block " + i);
                assertTrue(blocks.same(i, 5), "block " + i + " came back with its own bytes");
            }
            assertEquals(0, store.counter(RemoteCounter.CORRUPT));
        }
    }

    @Test
    void blockEvictedUnderMaxmemoryIsAMiss() throws Exception
    {
        try (RedisServer server = RedisServer.start("maxmemory", "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru");
             RemoteStore store = new RedisRemoteStore(RedisStandaloneTest.config(server.hostPort(), "evict"),
                 new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            final int n = 64; // 8 MiB of values into 4 MiB
            for (int i = 0; i < n; i++)
            {
                blocks.fill(0, i);
                final RemoteStatus s = d.write(1, i, i, blocks.address(0), BLOCK).status();
                assertTrue(s == RemoteStatus.OK, "write " + i + ": " + s);
            }
            int hits = 0;
            int misses = 0;
            for (int i = 0; i < n; i++)
            {
                final Driver.Done r = d.read(1, i, i, blocks.address(1), BLOCK);
                if (r.status() == RemoteStatus.OK)
                {
                    blocks.fill(0, i);
                    assertTrue(blocks.same(0, 1), "a hit serves the block's own bytes");
                    hits++;
                }
                else
                {
                    assertEquals(RemoteStatus.MISS, r.status());
                    misses++;
                }
            }
            assertTrue(misses > 0, "the server evicted some blocks: " + server.cli("INFO", "stats"));
            assertTrue(hits > 0);
            assertEquals(misses, store.counter(RemoteCounter.MISSES));
            assertEquals(0, store.counter(RemoteCounter.CORRUPT));
        }
    }

    @Test
    void repeatedFailuresDegradeTheTierAndAProbeBringsItBack() throws Exception
    {
        try (RedisServer server = RedisServer.start("degrade");
             RemoteStore store = new RedisRemoteStore(RedisStandaloneTest.config(server.hostPort(), "degrade",
                 "g4.degrade-after-failures", "3", "g4.health-interval-ms", "50"), new SystemNanoClock());
             Blocks blocks = new Blocks(1, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            assertEquals(RemoteStatus.OK, d.write(1, 1, 1, blocks.address(0), BLOCK).status());
            server.kill();
            for (int i = 0; i < 3; i++)
            {
                final RemoteStatus s = d.read(1, 1, 1, blocks.address(0), BLOCK).status();
                assertTrue(s == RemoteStatus.FAILED || s == RemoteStatus.TIMED_OUT, "read " + i + ": " + s);
            }
            assertEquals(RemoteHealth.DEGRADED, store.health());
            assertEquals(1, store.counter(RemoteCounter.DEGRADED));
            assertEquals(RemoteStatus.DEGRADED, store.read(99, 1, 1, 1, blocks.address(0), BLOCK),
                "a degraded tier refuses at once");
            assertEquals(1, store.counter(RemoteCounter.DEGRADED_REFUSALS));
            d.pollFor(300);
            assertEquals(RemoteHealth.DEGRADED, store.health(), "probes fail while the server is down");
            assertTrue(store.counter(RemoteCounter.PROBES) >= 1);
            server.start();
            final long until = System.nanoTime() + 60_000_000_000L;
            while (store.health() != RemoteHealth.HEALTHY && System.nanoTime() - until < 0)
            {
                d.pollFor(20);
            }
            assertEquals(RemoteHealth.HEALTHY, store.health(), "a probe answered after the restart");
            assertEquals(1, store.counter(RemoteCounter.RESTORED));
            assertEquals(RemoteStatus.MISS, d.read(1, 1, 1, blocks.address(0), BLOCK).status());
        }
    }
}
