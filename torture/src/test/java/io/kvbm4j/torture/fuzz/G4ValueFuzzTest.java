package io.kvbm4j.torture.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.agrona.BufferUtil;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.RemoteCompletion;
import io.kvbm4j.remote.RemoteCounter;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;
import io.kvbm4j.remote.value.BlockKeys;
import io.kvbm4j.remote.value.BlockValueLayout;
import io.kvbm4j.torture.g4.RedisProcess;
import io.kvbm4j.torture.soak.BlockPayload;
import net.openhft.hashing.LongHashFunction;

/**
 * Fuzzes G4 values read back: a mutated value ({@link BlockValueLayout}: header, payload) is SET under block A's
 * key in a real redis-server, then A is read through {@link RedisRemoteStore} (its streaming decoder, verification
 * and copy into caller memory). Expected: OK only with exactly A's payload; otherwise CORRUPT, MISS or TOO_LARGE
 * (a miss). A finding: an OK read of other bytes (a wrong block), another status, an exception, a hang.
 * Structure-aware moves set a header field to a boundary value and recompute the payload checksum, or put
 * another block's valid value (or A's with another salt) under A's key, so the checks behind the checksum run.
 */
class G4ValueFuzzTest
{
    private static final int PAYLOAD = 512;
    private static final long SALT = 0x6A1;
    private static final long HI = 0x1111_2222_3333_4444L;
    private static final long LO = 0x5555_6666_7777_8888L;
    private static final long[] BOUNDARY = {0, 1, -1, 55, 56, 57, PAYLOAD - 1, PAYLOAD, PAYLOAD + 1, PAYLOAD + 56,
        Integer.MAX_VALUE, 0xFFFF_FFFFL, Long.MAX_VALUE, Long.MIN_VALUE, HI, LO, SALT, BlockValueLayout.MAGIC,
        BlockValueLayout.ABANDONED_MAGIC};
    private static final int[] FIELDS = {BlockValueLayout.MAGIC_OFFSET, BlockValueLayout.VERSION_OFFSET,
        BlockValueLayout.HEADER_BYTES_OFFSET, BlockValueLayout.ID_HI_OFFSET, BlockValueLayout.ID_LO_OFFSET,
        BlockValueLayout.SALT_OFFSET, BlockValueLayout.LENGTH_OFFSET, BlockValueLayout.CHECKSUM_OFFSET};

    private static RedisProcess redis;
    private static RemoteStore store;
    private static byte[] key;
    private static final ByteBuffer DST = ByteBuffer.allocateDirect(PAYLOAD);
    private static final List<RemoteStatus> DONE = new ArrayList<>();
    private static final long[] DONE_LENGTH = new long[1];

    @BeforeAll
    static void start() throws Exception
    {
        redis = RedisProcess.start("value-fuzz");
        store = new RedisRemoteStore(RemoteConfig.fromMap(Map.of("g4.backend", "redis", "g4.endpoints",
            "127.0.0.1:" + redis.port(), "g4.namespace", "fuzz", "g4.timeout-ms", "10000")), new SystemNanoClock());
        final BlockKeys keys = new BlockKeys("fuzz");
        key = new byte[keys.redisKeyLength()];
        keys.redisKey(key, SALT, HI, LO);
    }

    @AfterAll
    static void stop()
    {
        if (store != null)
        {
            store.close();
        }
        if (redis != null)
        {
            redis.close();
        }
    }

    /** A valid value of block (hi, lo) under salt. */
    static byte[] value(final long salt, final long hi, final long lo, final int payload)
    {
        final ByteBuffer p = ByteBuffer.allocateDirect(payload);
        BlockPayload.fill(BufferUtil.address(p), payload, hi, lo);
        final byte[] v = new byte[BlockValueLayout.HEADER_BYTES + payload];
        final ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(BlockValueLayout.MAGIC).putInt(BlockValueLayout.LAYOUT_VERSION).putInt(BlockValueLayout.HEADER_BYTES)
            .putLong(hi).putLong(lo).putLong(salt).putLong(payload).putLong(0);
        p.get(0, v, BlockValueLayout.HEADER_BYTES, payload);
        checksum(v);
        return v;
    }

    /** Recomputes the header's payload checksum over whatever follows the header. */
    static void checksum(final byte[] v)
    {
        if (v.length >= BlockValueLayout.HEADER_BYTES)
        {
            ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).putLong(BlockValueLayout.CHECKSUM_OFFSET,
                LongHashFunction.xx3().hashBytes(v, BlockValueLayout.HEADER_BYTES, v.length - BlockValueLayout.HEADER_BYTES));
        }
    }

    static final class Target implements FuzzTarget
    {
        @Override
        public String name()
        {
            return "g4-values";
        }

        @Override
        public List<byte[]> seeds()
        {
            final List<byte[]> seeds = new ArrayList<>(Corpus.load(name()));
            seeds.add(value(SALT, HI, LO, PAYLOAD));
            seeds.add(value(SALT, HI, LO, PAYLOAD / 2));
            seeds.add(value(SALT, HI + 1, LO, PAYLOAD));
            seeds.add(value(SALT + 1, HI, LO, PAYLOAD));
            seeds.add(value(SALT, HI, LO, 0));
            seeds.add("not a value at all".getBytes(StandardCharsets.US_ASCII));
            return seeds;
        }

        @Override
        public byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
        {
            final SplittableRandom random = mutator.random();
            if (random.nextInt(3) == 0 || input.length < BlockValueLayout.HEADER_BYTES)
            {
                return mutator.mutate(input, corpus);
            }
            byte[] b = input.clone();
            switch (random.nextInt(3))
            {
                case 0 ->
                {
                    final int f = FIELDS[random.nextInt(FIELDS.length)];
                    final long v = BOUNDARY[random.nextInt(BOUNDARY.length)];
                    final ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    if (f == BlockValueLayout.VERSION_OFFSET || f == BlockValueLayout.HEADER_BYTES_OFFSET)
                    {
                        bb.putInt(f, (int)v);
                    }
                    else
                    {
                        bb.putLong(f, v);
                    }
                    if (f != BlockValueLayout.CHECKSUM_OFFSET)
                    {
                        checksum(b);
                    }
                }
                case 1 ->
                {
                    // payload cut or grown, checksum (and sometimes the length field) made to agree
                    final int n = Math.max(BlockValueLayout.HEADER_BYTES, b.length + random.nextInt(-64, 65));
                    b = java.util.Arrays.copyOf(b, n);
                    if (random.nextBoolean())
                    {
                        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(BlockValueLayout.LENGTH_OFFSET,
                            n - BlockValueLayout.HEADER_BYTES);
                    }
                    checksum(b);
                }
                default ->
                {
                    if (b.length == BlockValueLayout.HEADER_BYTES)
                    {
                        return mutator.mutate(input, corpus);
                    }
                    b[BlockValueLayout.HEADER_BYTES + random.nextInt(b.length - BlockValueLayout.HEADER_BYTES)] ^=
                        (byte)(1 << random.nextInt(8));
                    if (random.nextBoolean())
                    {
                        checksum(b); // a payload changed behind a valid checksum: only the id-derived check can tell
                    }
                }
            }
            return b;
        }

        @Override
        public void run(final byte[] input) throws Exception
        {
            store.takeOwnership(); // the fuzzer's worker thread (a new one after a hang) drives the store
            redis.set(key, input);
            new org.agrona.concurrent.UnsafeBuffer(DST).setMemory(0, PAYLOAD, (byte)0);
            DONE.clear();
            final RemoteStatus s = store.read(1, SALT, HI, LO, BufferUtil.address(DST), PAYLOAD);
            if (s != RemoteStatus.SUBMITTED)
            {
                throw new AssertionError("read refused at submit: " + s);
            }
            while (DONE.isEmpty())
            {
                if (store.poll(G4ValueFuzzTest::onComplete) == 0)
                {
                    Thread.onSpinWait();
                }
            }
            final RemoteStatus done = DONE.get(0);
            // the corrupt key's deletion (on the same record) ends too: nothing stays in flight (10 s guard)
            final long until = System.nanoTime() + 10_000_000_000L;
            while (store.inFlight() > 0 && System.nanoTime() - until < 0)
            {
                store.poll(G4ValueFuzzTest::onComplete);
                Thread.onSpinWait();
            }
            if (store.inFlight() > 0)
            {
                throw new AssertionError("a G4 record stays in flight after a read ended " + done + " (" +
                    store.inFlight() + " in flight)");
            }
            switch (done)
            {
                case OK -> checkServedFaithfully(input, DONE_LENGTH[0]);
                case CORRUPT, MISS, TOO_LARGE -> throw new Rejected(new IllegalArgumentException("read ended " + done));
                default -> throw new AssertionError("read ended " + done + " (expected OK, CORRUPT, MISS or TOO_LARGE)");
            }
        }
    }

    private static void onComplete(final RemoteCompletion c)
    {
        DONE.add(c.status());
        DONE_LENGTH[0] = c.payloadLength();
    }

    /**
     * An OK read must be a value whose every check holds (magic, version, header bytes, A's id and salt, length,
     * checksum) and the bytes handed over exactly its payload. A value that passes all of them but carries other
     * bytes than A's (a forger who recomputed the XXH3 of a changed payload) is served as it is: no check of G4 can
     * tell, XXH3 is not a MAC (docs/RELIABILITY.md says so); the engine's id-derived checks are the soak's.
     */
    static void checkServedFaithfully(final byte[] v, final long length)
    {
        final ByteBuffer b = ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN);
        final int n = v.length - BlockValueLayout.HEADER_BYTES;
        final boolean valid = n >= 0 && b.getLong(BlockValueLayout.MAGIC_OFFSET) == BlockValueLayout.MAGIC &&
            b.getInt(BlockValueLayout.VERSION_OFFSET) == BlockValueLayout.LAYOUT_VERSION &&
            b.getInt(BlockValueLayout.HEADER_BYTES_OFFSET) == BlockValueLayout.HEADER_BYTES &&
            b.getLong(BlockValueLayout.ID_HI_OFFSET) == HI && b.getLong(BlockValueLayout.ID_LO_OFFSET) == LO &&
            b.getLong(BlockValueLayout.SALT_OFFSET) == SALT && b.getLong(BlockValueLayout.LENGTH_OFFSET) == n &&
            b.getLong(BlockValueLayout.CHECKSUM_OFFSET) ==
                LongHashFunction.xx3().hashBytes(v, BlockValueLayout.HEADER_BYTES, n);
        if (!valid || length != n || n > PAYLOAD)
        {
            throw new AssertionError("WRONG BLOCK: a read ended OK (" + length + " bytes) for a value that fails a check");
        }
        for (int i = 0; i < n; i++)
        {
            if (DST.get(i) != v[BlockValueLayout.HEADER_BYTES + i])
            {
                throw new AssertionError("WRONG BLOCK: a read ended OK with bytes that are not the value's payload");
            }
        }
    }

    @Test
    void mutatedValuesReadBackAreTheBlockOrAMissNeverAWrongBlock()
    {
        final Fuzzer.Report r = Corpus.fuzzer().runConfigured(new Target());
        System.out.println(r.row() + "  (corrupt " + store.counter(RemoteCounter.CORRUPT) + ", too large " +
            store.counter(RemoteCounter.TOO_LARGE) + ", hits " + store.counter(RemoteCounter.HITS) + ")");
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
        assertTrue(store.counter(RemoteCounter.CORRUPT) > 0 && store.counter(RemoteCounter.HITS) > 0);
        store.takeOwnership();
        assertEquals(0, store.inFlight());
    }
}
