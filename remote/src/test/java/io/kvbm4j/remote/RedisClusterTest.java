package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;
import io.kvbm4j.remote.testing.Blocks;
import io.kvbm4j.remote.testing.Driver;
import io.kvbm4j.remote.testing.RedisCluster;
import io.kvbm4j.remote.testing.RedisServer;
import io.kvbm4j.remote.value.BlockKeys;

/**
 * G4 on a real 3-master Redis Cluster (redis-cli --cluster create): keys spread over the nodes, lookups across
 * nodes, and a stopped node whose keys miss while the others keep hitting. The node-stop test runs last
 * (it breaks the cluster for good).
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class RedisClusterTest
{
    private static final int BLOCK = 64 * 1024;
    private static final int N = 48;
    private static RedisCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception
    {
        cluster = RedisCluster.start(3);
    }

    @AfterAll
    static void stopCluster()
    {
        cluster.close();
    }

    private static RemoteConfig config(final String namespace)
    {
        return RemoteConfig.fromMap(new HashMap<>(Map.of("g4.backend", "redis-cluster", "g4.endpoints", cluster.seeds(),
            "g4.namespace", namespace, "g4.timeout-ms", "10000", "g4.degrade-after-failures", "1000")));
    }

    private static String key(final String namespace, final long salt, final long hi, final long lo)
    {
        final BlockKeys keys = new BlockKeys(namespace);
        final byte[] k = new byte[keys.redisKeyLength()];
        keys.redisKey(k, salt, hi, lo);
        return new String(k, StandardCharsets.US_ASCII);
    }

    @Test
    void blocksSpreadOverEveryNodeAndReadBackAcrossTheCluster()
    {
        try (RemoteStore store = new RedisRemoteStore(config("spread"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            final long[] hi = new long[N];
            final long[] lo = new long[N];
            for (int i = 0; i < N; i++)
            {
                hi[i] = 7_000 + i;
                lo[i] = i * 31L;
                blocks.fill(0, i);
                assertEquals(RemoteStatus.OK, d.write(1, hi[i], lo[i], blocks.address(0), BLOCK).status(), store.lastFailure());
            }
            for (final RedisServer node : cluster.nodes())
            {
                final long keys = Long.parseLong(node.cli("DBSIZE"));
                assertTrue(keys > 0, "node " + node.hostPort() + " holds some of the blocks (no hash tags)");
            }
            final Driver.Done run = d.lookup(1, hi, lo, N);
            assertEquals(RemoteStatus.OK, run.status());
            assertEquals(N, run.run(), "a lookup across all three nodes finds the whole run");
            for (int i = 0; i < N; i++)
            {
                assertEquals(RemoteStatus.OK, d.read(1, hi[i], lo[i], blocks.address(1), BLOCK).status());
                blocks.fill(0, i);
                assertTrue(blocks.same(0, 1));
            }
            assertEquals(RemoteStatus.ALREADY_PRESENT, d.write(1, hi[0], lo[0], blocks.address(0), BLOCK).status());
        }
    }

    @Test
    void zzStoppedNodeMissesItsKeysAndTheOtherNodesStillHit()
    {
        try (RemoteStore store = new RedisRemoteStore(config("stop"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            final long[] hi = new long[N];
            final long[] lo = new long[N];
            for (int i = 0; i < N; i++)
            {
                hi[i] = 9_000 + i;
                lo[i] = i;
                blocks.fill(0, 500 + i);
                assertEquals(RemoteStatus.OK, d.write(2, hi[i], lo[i], blocks.address(0), BLOCK).status());
            }
            final RedisServer victim = cluster.nodes().get(1);
            final boolean[] onVictim = new boolean[N];
            int victims = 0;
            for (int i = 0; i < N; i++)
            {
                onVictim[i] = cluster.nodeOf(key("stop", 2, hi[i], lo[i])) == victim;
                victims += onVictim[i] ? 1 : 0;
            }
            assertTrue(victims > 0 && victims < N, "the stopped node holds some of the blocks: " + victims);
            victim.kill();
            int hits = 0;
            for (int i = 0; i < N; i++)
            {
                blocks.zero(1);
                final Driver.Done r = d.read(2, hi[i], lo[i], blocks.address(1), BLOCK);
                if (onVictim[i])
                {
                    assertNotEquals(RemoteStatus.OK, r.status(), "block " + i + " lives on the stopped node");
                }
                else
                {
                    assertEquals(RemoteStatus.OK, r.status(), "block " + i + " lives on a node still up");
                    blocks.fill(0, 500 + i);
                    assertTrue(blocks.same(0, 1));
                    hits++;
                }
            }
            assertEquals(N - victims, hits);
            int firstVictim = 0;
            while (!onVictim[firstVictim])
            {
                firstVictim++;
            }
            final Driver.Done run = d.lookup(2, hi, lo, N);
            assertEquals(firstVictim, run.run(), "the run ends at the first block on the stopped node");
            d.drain();
        }
    }
}
