package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;
import io.kvbm4j.remote.testing.Blocks;
import io.kvbm4j.remote.testing.Driver;
import io.kvbm4j.remote.testing.RedisServer;
import io.kvbm4j.remote.value.BlockKeys;
import io.kvbm4j.remote.value.BlockValueLayout;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;

/** G4 on one real redis-server: round trips, write-once, lookups, salts, tampered values, a slow server. */
class RedisStandaloneTest
{
    private static final int BLOCK = 256 * 1024;
    private static RedisServer server;
    private static RedisClient raw;
    private static StatefulRedisConnection<byte[], byte[]> rawConnection;
    private static RedisCommands<byte[], byte[]> redis;

    @BeforeAll
    static void startServer() throws Exception
    {
        server = RedisServer.start("standalone");
        raw = RedisClient.create("redis://" + server.hostPort());
        rawConnection = raw.connect(ByteArrayCodec.INSTANCE);
        redis = rawConnection.sync();
    }

    @AfterAll
    static void stopServer()
    {
        rawConnection.close();
        raw.shutdown();
        server.close();
    }

    static RemoteConfig config(final String hostPort, final String namespace, final String... more)
    {
        final java.util.HashMap<String, String> m = new java.util.HashMap<>(Map.of("g4.backend", "redis",
            "g4.endpoints", hostPort, "g4.namespace", namespace, "g4.timeout-ms", "10000"));
        for (int i = 0; i + 1 < more.length; i += 2)
        {
            m.put(more[i], more[i + 1]);
        }
        return RemoteConfig.fromMap(m);
    }

    private static byte[] key(final String namespace, final long salt, final long hi, final long lo)
    {
        final BlockKeys keys = new BlockKeys(namespace);
        final byte[] k = new byte[keys.redisKeyLength()];
        keys.redisKey(k, salt, hi, lo);
        return k;
    }

    @Test
    void writtenBlockReadsBackVerifiedWithTheSameBytes()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "roundtrip"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, 2 * 1024 * 1024))
        {
            final Driver d = new Driver(store, 2000);
            blocks.fill(0, 42);
            assertEquals(RemoteStatus.OK, d.write(7, 1, 2, blocks.address(0), blocks.bytes()).status());
            final Driver.Done read = d.read(7, 1, 2, blocks.address(1), blocks.bytes());
            assertEquals(RemoteStatus.OK, read.status());
            assertEquals(blocks.bytes(), read.length());
            assertTrue(blocks.same(0, 1), "bytes read back differ from the bytes written");
            assertEquals(1, store.counter(RemoteCounter.HITS));
            assertEquals(blocks.bytes(), store.counter(RemoteCounter.READ_BYTES));
            final byte[] value = redis.get(key("roundtrip", 7, 1, 2));
            assertEquals(BlockValueLayout.HEADER_BYTES + blocks.bytes(), value.length, "one value: header + payload");
        }
    }

    @Test
    void secondWriteOfTheSameKeyIsRefusedAndKeepsTheFirstValue()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "once"), new SystemNanoClock());
             Blocks blocks = new Blocks(3, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            blocks.fill(0, 1);
            blocks.fill(1, 2);
            assertEquals(RemoteStatus.OK, d.write(1, 5, 5, blocks.address(0), BLOCK).status());
            assertEquals(RemoteStatus.ALREADY_PRESENT, d.write(1, 5, 5, blocks.address(1), BLOCK).status());
            assertEquals(RemoteStatus.OK, d.read(1, 5, 5, blocks.address(2), BLOCK).status());
            assertTrue(blocks.same(0, 2));
            assertEquals(1, store.counter(RemoteCounter.ALREADY_PRESENT));
        }
    }

    @Test
    void lookupAnswersTheLeadingRunOfPresentIds()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "lookup"), new SystemNanoClock());
             Blocks blocks = new Blocks(1, 4096))
        {
            final Driver d = new Driver(store, 2000);
            final long[] hi = new long[64];
            final long[] lo = new long[64];
            for (int i = 0; i < 64; i++)
            {
                hi[i] = 100 + i;
                lo[i] = 1000 + i;
            }
            for (int i = 0; i < 64; i++)
            {
                if (i != 40)
                {
                    assertEquals(RemoteStatus.OK, d.write(3, hi[i], lo[i], blocks.address(0), 4096).status());
                }
            }
            final Driver.Done run = d.lookup(3, hi, lo, 64);
            assertEquals(RemoteStatus.OK, run.status());
            assertEquals(40, run.run(), "the run stops at the first absent id");
            assertEquals(0, d.lookup(4, hi, lo, 64).run(), "another salt sees nothing");
            assertEquals(40, store.counter(RemoteCounter.LOOKUP_HITS));
        }
    }

    @Test
    void aServerThatRefusesTheLookupScriptFailsOneLookupThenAnswersByPipelinedExists() throws Exception
    {
        try (RedisServer noScripts = RedisServer.start("noscript"))
        {
            noScripts.cli("ACL", "SETUSER", "default", "-eval", "-evalsha", "-eval_ro", "-evalsha_ro");
            try (RemoteStore store = new RedisRemoteStore(config(noScripts.hostPort(), "noscript"),
                new SystemNanoClock());
                 Blocks blocks = new Blocks(1, 4096))
            {
                final Driver d = new Driver(store, 2000);
                final long[] hi = {1, 2, 3, 4};
                final long[] lo = {5, 6, 7, 8};
                for (int i = 0; i < 3; i++)
                {
                    assertEquals(RemoteStatus.OK, d.write(3, hi[i], lo[i], blocks.address(0), 4096).status());
                }
                assertEquals(RemoteStatus.FAILED, d.lookup(3, hi, lo, 4).status(), "the script is refused once");
                assertTrue(store.lastFailure().contains("lookup script refused"), store.lastFailure());
                final Driver.Done run = d.lookup(3, hi, lo, 4);
                assertEquals(RemoteStatus.OK, run.status());
                assertEquals(3, run.run(), "answered by EXISTS from then on");
            }
        }
    }

    @Test
    void aWriteWithTheCallersChecksumIsNotHashedAgainAndAWrongOneReadsBackCorruptNeverValid()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "known"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            blocks.fill(0, 5);
            final long sum = io.kvbm4j.tiers.transfer.PayloadChecksum.of(blocks.address(0), BLOCK);
            assertEquals(RemoteStatus.OK, d.await(1001, store.write(1001, 9, 1, 1, blocks.address(0), BLOCK, sum)).status());
            final Driver.Done ok = d.read(9, 1, 1, blocks.address(1), BLOCK);
            assertEquals(RemoteStatus.OK, ok.status());
            assertTrue(blocks.same(0, 1));
            assertEquals(RemoteStatus.OK, d.await(1002, store.write(1002, 9, 2, 2, blocks.address(0), BLOCK, sum + 1)).status());
            assertEquals(RemoteStatus.CORRUPT, d.read(9, 2, 2, blocks.address(1), BLOCK).status());
            d.drain(); // the store's own delete of the corrupt key
            assertEquals(0L, redis.exists(key("known", 9, 2, 2)), "the bad value was deleted");
        }
    }

    @Test
    void anotherSaltNeverReadsTheBlockAndTheSameSaltDoes()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "salts"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            blocks.fill(0, 9);
            assertEquals(RemoteStatus.OK, d.write(11, 8, 8, blocks.address(0), BLOCK).status());
            assertEquals(RemoteStatus.MISS, d.read(12, 8, 8, blocks.address(1), BLOCK).status());
            assertEquals(RemoteStatus.OK, d.read(11, 8, 8, blocks.address(1), BLOCK).status());
            assertEquals(1, store.counter(RemoteCounter.MISSES));
        }
    }

    @Test
    void valueUnderAnotherBlocksKeyIsCorruptAndDeleted()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "moved"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            blocks.fill(0, 3);
            assertEquals(RemoteStatus.OK, d.write(1, 1, 1, blocks.address(0), BLOCK).status());
            // a valid value copied under another id's key (or another salt's): id check fails
            redis.set(key("moved", 1, 2, 2), redis.get(key("moved", 1, 1, 1)));
            redis.set(key("moved", 2, 1, 1), redis.get(key("moved", 1, 1, 1)));
            assertEquals(RemoteStatus.CORRUPT, d.read(1, 2, 2, blocks.address(1), BLOCK).status());
            assertEquals(RemoteStatus.CORRUPT, d.read(2, 1, 1, blocks.address(1), BLOCK).status());
            d.drain();
            assertEquals(0, redis.exists(key("moved", 1, 2, 2), key("moved", 2, 1, 1)));
            assertEquals(2, store.counter(RemoteCounter.CORRUPT_DELETED));
        }
    }

    @Test
    void truncatedValueIsAMissCountedAndItsKeyRemoved()
    {
        tampered("truncated", v -> Arrays.copyOf(v, v.length - 1000));
        tampered("short", v -> Arrays.copyOf(v, 20));
    }

    @Test
    void bitFlippedPayloadIsAMissCountedAndItsKeyRemoved()
    {
        tampered("flip-payload", v ->
        {
            v[BlockValueLayout.HEADER_BYTES + 12345] ^= 0x10;
            return v;
        });
    }

    @Test
    void bitFlippedHeaderIsAMissCountedAndItsKeyRemoved()
    {
        for (final int at : new int[] {BlockValueLayout.MAGIC_OFFSET, BlockValueLayout.VERSION_OFFSET,
            BlockValueLayout.ID_LO_OFFSET + 3, BlockValueLayout.SALT_OFFSET, BlockValueLayout.LENGTH_OFFSET,
            BlockValueLayout.CHECKSUM_OFFSET + 7})
        {
            tampered("flip-header-" + at, v ->
            {
                v[at] ^= 0x01;
                return v;
            });
        }
    }

    private void tampered(final String namespace, final java.util.function.UnaryOperator<byte[]> change)
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), namespace), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            blocks.fill(0, namespace.hashCode());
            assertEquals(RemoteStatus.OK, d.write(1, 3, 4, blocks.address(0), BLOCK).status());
            final byte[] k = key(namespace, 1, 3, 4);
            redis.set(k, change.apply(redis.get(k)));
            final Driver.Done read = d.read(1, 3, 4, blocks.address(1), BLOCK);
            assertEquals(RemoteStatus.CORRUPT, read.status(), namespace);
            assertEquals(1, store.counter(RemoteCounter.CORRUPT), namespace);
            assertEquals(1, store.counter(RemoteCounter.MISSES), namespace);
            assertEquals(0, store.counter(RemoteCounter.HITS), namespace);
            d.drain();
            assertEquals(0, redis.exists(k), namespace + ": the corrupt key is deleted");
            assertEquals(1, store.counter(RemoteCounter.CORRUPT_DELETED), namespace);
            // and the block can be written again, and then hits
            assertEquals(RemoteStatus.OK, d.write(1, 3, 4, blocks.address(0), BLOCK).status());
            assertEquals(RemoteStatus.OK, d.read(1, 3, 4, blocks.address(1), BLOCK).status());
            assertTrue(blocks.same(0, 1));
        }
    }

    @Test
    void payloadLargerThanTheDestinationIsTooLargeAndKept()
    {
        try (RemoteStore store = new RedisRemoteStore(config(server.hostPort(), "large"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            assertEquals(RemoteStatus.OK, d.write(1, 1, 1, blocks.address(0), BLOCK).status());
            assertEquals(RemoteStatus.TOO_LARGE, d.read(1, 1, 1, blocks.address(1), BLOCK - 1).status());
            assertEquals(1, redis.exists(key("large", 1, 1, 1)));
        }
    }

    @Test
    void everyRecordInFlightMakesTheNextSubmitBusy()
    {
        final RemoteConfig c = config(server.hostPort(), "busy", "g4.max-in-flight", "4");
        try (RemoteStore store = new RedisRemoteStore(c, new SystemNanoClock());
             Blocks blocks = new Blocks(1, BLOCK))
        {
            final Driver d = new Driver(store, 2000);
            for (int i = 0; i < 4; i++)
            {
                assertEquals(RemoteStatus.SUBMITTED, store.write(i, 1, i, i, blocks.address(0), BLOCK));
            }
            assertEquals(RemoteStatus.BUSY, store.write(9, 1, 9, 9, blocks.address(0), BLOCK));
            assertEquals(1, store.counter(RemoteCounter.BUSY));
            d.drain();
            assertEquals(4, d.completions().size());
            assertEquals(RemoteStatus.SUBMITTED, store.ping(10));
            d.drain();
        }
    }

    @Test
    void slowServerEndsTheCallTimedOutAndTheLateAnswerIsDropped() throws Exception
    {
        final RemoteConfig c = config(server.hostPort(), "slow", "g4.timeout-ms", "300");
        try (RemoteStore writer = new RedisRemoteStore(config(server.hostPort(), "slow"), new SystemNanoClock());
             RemoteStore store = new RedisRemoteStore(c, new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver w = new Driver(writer, 2000);
            final Driver d = new Driver(store, 300);
            blocks.fill(0, 77);
            assertEquals(RemoteStatus.OK, w.write(1, 6, 6, blocks.address(0), BLOCK).status());
            blocks.zero(1);
            // DEBUG SLEEP stalls the whole (single-threaded) server for 6 s; issued on its own connection.
            final StatefulRedisConnection<byte[], byte[]> sleeper = raw.connect(ByteArrayCodec.INSTANCE);
            final StatefulRedisConnection<byte[], byte[]> probe = raw.connect(ByteArrayCodec.INSTANCE); // before the stall
            final CompletableFuture<String> sleep = sleeper.async().dispatch(io.lettuce.core.protocol.CommandType.DEBUG,
                new io.lettuce.core.output.StatusOutput<>(ByteArrayCodec.INSTANCE),
                new io.lettuce.core.protocol.CommandArgs<>(ByteArrayCodec.INSTANCE).add("SLEEP").add(6)).toCompletableFuture();
            waitUntilServerStalls(probe);
            final Driver.Done read = d.read(1, 6, 6, blocks.address(1), BLOCK);
            assertEquals(RemoteStatus.TIMED_OUT, read.status(), "the deadline ends the call, not the server");
            assertEquals(1, store.counter(RemoteCounter.TIMEOUTS));
            final long[] hi = {6};
            final long[] lo = {6};
            assertEquals(RemoteStatus.TIMED_OUT, d.lookup(1, hi, lo, 1).status());
            assertEquals(2, store.counter(RemoteCounter.TIMEOUTS));
            sleep.get();
            sleeper.close();
            d.drain(); // the answers arrive after the server wakes, and are dropped
            assertEquals(2, store.counter(RemoteCounter.LATE_ANSWERS));
            assertTrue(Arrays.equals(new byte[BLOCK], bytes(blocks, 1)), "a timed-out read never writes its destination");
            assertEquals(RemoteStatus.OK, w.read(1, 6, 6, blocks.address(1), BLOCK).status());
            assertTrue(blocks.same(0, 1));
            assertEquals(RemoteHealth.HEALTHY, store.health(), "2 timeouts are below g4.degrade-after-failures");
        }
    }

    /** Waits (bounded) until a PING from another client stops being answered: DEBUG SLEEP has started. */
    private static void waitUntilServerStalls(final StatefulRedisConnection<byte[], byte[]> probe) throws Exception
    {
        try
        {
            final long until = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() - until < 0)
            {
                final var pong = probe.async().ping();
                if (!pong.await(1000, java.util.concurrent.TimeUnit.MILLISECONDS)) // stalled, not just slow
                {
                    return;
                }
            }
            throw new AssertionError("DEBUG SLEEP did not stall the server");
        }
        finally
        {
            probe.closeAsync();
        }
    }

    private static byte[] bytes(final Blocks blocks, final int i)
    {
        final byte[] b = new byte[blocks.bytes()];
        new org.agrona.concurrent.UnsafeBuffer(blocks.address(i), blocks.bytes()).getBytes(0, b);
        return b;
    }

    @Test
    void ttlMakesTheValueExpire()
    {
        final RemoteConfig c = config(server.hostPort(), "ttl", "g4.ttl-ms", "600000");
        try (RemoteStore store = new RedisRemoteStore(c, new SystemNanoClock());
             Blocks blocks = new Blocks(1, 4096))
        {
            final Driver d = new Driver(store, 2000);
            assertEquals(RemoteStatus.OK, d.write(1, 1, 1, blocks.address(0), 4096).status());
            final long pttl = redis.pttl(key("ttl", 1, 1, 1));
            assertTrue(pttl > 0 && pttl <= 600000, "PX set: " + pttl);
        }
    }

    @Test
    void keysNameNamespaceSaltAndIdWithoutHashTags()
    {
        final byte[] k = key("ns", 0x7, 0xabcdefL, 0x1L);
        final String s = new String(k, StandardCharsets.US_ASCII);
        assertEquals("ns:0000000000000007:0000000000abcdef0000000000000001", s);
        assertFalse(s.contains("{"));
        assertArrayEquals(k, key("ns", 0x7, 0xabcdefL, 0x1L));
    }
}
