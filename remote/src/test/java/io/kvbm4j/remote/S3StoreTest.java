package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.s3.S3RemoteStore;
import io.kvbm4j.remote.testing.Blocks;
import io.kvbm4j.remote.testing.Driver;
import io.kvbm4j.remote.testing.EmbeddedS3;
import io.kvbm4j.remote.value.BlockKeys;
import io.kvbm4j.remote.value.BlockValueLayout;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/** G4 on the S3 API against s3proxy embedded in the test JVM (path-style, static credentials). */
class S3StoreTest
{
    private static final int BLOCK = 256 * 1024;
    private static final String BUCKET = "kvbm4j-g4";
    private static EmbeddedS3 s3;

    @BeforeAll
    static void startS3() throws Exception
    {
        s3 = new EmbeddedS3();
        s3.client().createBucket(r -> r.bucket(BUCKET));
    }

    @AfterAll
    static void stopS3()
    {
        s3.close();
    }

    private static RemoteConfig config(final String namespace, final String conditional)
    {
        return RemoteConfig.fromMap(new HashMap<>(Map.of("g4.backend", "s3", "g4.endpoints", s3.endpoint(),
            "g4.namespace", namespace, "g4.s3.bucket", BUCKET, "g4.s3.path-style", "true",
            "g4.s3.access-key-id", EmbeddedS3.ACCESS_KEY, "g4.s3.secret-access-key", EmbeddedS3.SECRET_KEY,
            "g4.s3.conditional-put", conditional, "g4.timeout-ms", "30000")));
    }

    @Test
    void writtenBlockReadsBackVerifiedAndAnotherSaltMisses()
    {
        try (RemoteStore store = new S3RemoteStore(config("s3-roundtrip", "true"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 30000);
            blocks.fill(0, 5);
            assertEquals(RemoteStatus.OK, d.write(1, 10, 20, blocks.address(0), BLOCK).status(), store.lastFailure());
            assertEquals(RemoteStatus.OK, d.read(1, 10, 20, blocks.address(1), BLOCK).status(), store.lastFailure());
            assertTrue(blocks.same(0, 1));
            assertEquals(RemoteStatus.MISS, d.read(2, 10, 20, blocks.address(1), BLOCK).status());
            assertEquals(RemoteStatus.OK, d.ping().status(), store.lastFailure());
            assertEquals(RemoteStatus.OK, d.delete(1, 10, 20).status());
            assertEquals(RemoteStatus.MISS, d.read(1, 10, 20, blocks.address(1), BLOCK).status());
        }
    }

    @Test
    void writeOnceHoldsWithConditionalPutAndWithHeadFirst()
    {
        for (final String conditional : new String[] {"true", "false"})
        {
            try (RemoteStore store = new S3RemoteStore(config("s3-once-" + conditional, conditional), new SystemNanoClock());
                 Blocks blocks = new Blocks(3, BLOCK))
            {
                final Driver d = new Driver(store, 30000);
                blocks.fill(0, 1);
                blocks.fill(1, 2);
                assertEquals(RemoteStatus.OK, d.write(1, 1, 1, blocks.address(0), BLOCK).status(), store.lastFailure());
                assertEquals(RemoteStatus.ALREADY_PRESENT, d.write(1, 1, 1, blocks.address(1), BLOCK).status(),
                    "conditional-put " + conditional + ": " + store.lastFailure());
                assertEquals(RemoteStatus.OK, d.read(1, 1, 1, blocks.address(2), BLOCK).status());
                assertTrue(blocks.same(0, 2), "the first value stays");
            }
        }
    }

    @Test
    void lookupAnswersTheLeadingRun()
    {
        try (RemoteStore store = new S3RemoteStore(config("s3-lookup", "true"), new SystemNanoClock());
             Blocks blocks = new Blocks(1, 4096))
        {
            final Driver d = new Driver(store, 30000);
            final long[] hi = new long[8];
            final long[] lo = new long[8];
            for (int i = 0; i < 8; i++)
            {
                hi[i] = i;
                lo[i] = i * 3L;
                if (i != 5)
                {
                    assertEquals(RemoteStatus.OK, d.write(4, hi[i], lo[i], blocks.address(0), 4096).status(), "block " + i + ": " + store.lastFailure());
                }
            }
            assertEquals(5, d.lookup(4, hi, lo, 8).run());
        }
    }

    @Test
    void bitFlippedOrTruncatedObjectIsAMissCountedAndRemoved()
    {
        final BlockKeys keys = new BlockKeys("s3-tamper");
        try (RemoteStore store = new S3RemoteStore(config("s3-tamper", "true"), new SystemNanoClock());
             Blocks blocks = new Blocks(2, BLOCK))
        {
            final Driver d = new Driver(store, 30000);
            int corrupt = 0;
            for (final boolean truncate : new boolean[] {false, true})
            {
                blocks.fill(0, 3);
                assertEquals(RemoteStatus.OK, d.write(1, 2, 2, blocks.address(0), BLOCK).status());
                final String key = keys.s3KeyString(1, 2, 2);
                byte[] v = s3.client().getObjectAsBytes(r -> r.bucket(BUCKET).key(key)).asByteArray();
                if (truncate)
                {
                    v = Arrays.copyOf(v, v.length - 7);
                }
                else
                {
                    v[BlockValueLayout.HEADER_BYTES + 999] ^= 0x40;
                }
                final byte[] changed = v;
                s3.client().putObject(r -> r.bucket(BUCKET).key(key), RequestBody.fromBytes(changed));
                assertEquals(RemoteStatus.CORRUPT, d.read(1, 2, 2, blocks.address(1), BLOCK).status());
                corrupt++;
                assertEquals(corrupt, store.counter(RemoteCounter.CORRUPT));
                d.drain();
                assertThrows(NoSuchKeyException.class,
                    () -> s3.client().headObject(r -> r.bucket(BUCKET).key(key)), "the corrupt object is deleted");
            }
            assertEquals(2, store.counter(RemoteCounter.CORRUPT_DELETED));
        }
    }

    @Test
    void objectKeysStartWithAHashDerivedPrefix()
    {
        final BlockKeys keys = new BlockKeys("ns");
        final java.util.Set<String> prefixes = new java.util.HashSet<>();
        for (int i = 0; i < 64; i++)
        {
            final String k = keys.s3KeyString(1, 0, i);
            assertTrue(k.matches("[0-9a-f]{4}/ns/0000000000000001/[0-9a-f]{32}"), k);
            prefixes.add(k.substring(0, 4));
        }
        assertTrue(prefixes.size() > 48, "consecutive ids spread over prefixes: " + prefixes.size());
    }
}
