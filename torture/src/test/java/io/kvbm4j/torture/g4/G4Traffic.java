package io.kvbm4j.torture.g4;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.remote.RemoteCompletion;
import io.kvbm4j.remote.RemoteCounter;
import io.kvbm4j.remote.RemoteOpKind;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.torture.soak.BlockPayload;

/**
 * Drives a {@link RemoteStore} from the test's thread (its owner): keeps up to {@code depth} writes and reads of
 * id-derived payloads in flight, polls, and checks every OK read byte for byte ({@link BlockPayload}). Counts
 * each completion's status per kind. A read that did not end OK gets its destination filled with a sentinel and
 * kept aside (a fresh buffer takes its place): {@link #untouchedAfterDelivery()} checks the store never wrote
 * it after the completion was delivered (late answers of timed-out calls are dropped).
 */
final class G4Traffic
{
    static final long SALT = 0x5017;
    private static final byte SENTINEL = (byte)0xA5;

    final RemoteStore store;
    private final int blockBytes;
    private final int blocks;
    private final SplittableRandom random;
    private final ByteBuffer source;
    private final ArrayDeque<ByteBuffer> free = new ArrayDeque<>();
    private final Map<Long, ByteBuffer> reading = new java.util.HashMap<>();
    private final Map<Long, Integer> readBlock = new java.util.HashMap<>();
    private final Map<Long, ByteBuffer> writeSources = new java.util.HashMap<>();
    private final List<ByteBuffer> quarantine = new ArrayList<>();
    final Map<RemoteStatus, long[]> reads = new EnumMap<>(RemoteStatus.class);
    final Map<RemoteStatus, long[]> writes = new EnumMap<>(RemoteStatus.class);
    final Map<RemoteStatus, long[]> refusals = new EnumMap<>(RemoteStatus.class);
    long wrong;
    long verified;
    private long nextTag = 1;
    private int inFlight;

    G4Traffic(final RemoteStore store, final int blockBytes, final int blocks, final int depth, final long seed)
    {
        this.store = store;
        this.blockBytes = blockBytes;
        this.blocks = blocks;
        this.random = new SplittableRandom(seed);
        this.source = ByteBuffer.allocateDirect(blockBytes * blocks);
        for (int b = 0; b < blocks; b++)
        {
            BlockPayload.fill(BufferUtil.address(source) + (long)b * blockBytes, blockBytes, hi(b), lo(b));
        }
        for (int i = 0; i < depth; i++)
        {
            free.add(ByteBuffer.allocateDirect(blockBytes));
        }
    }

    static long hi(final int b)
    {
        return 0x6_4000_0000L + b;
    }

    static long lo(final int b)
    {
        return b * 0x9E3779B97F4A7C15L;
    }

    /** Submits a write of block b (if a record is free); counts a refusal. */
    void write(final int b)
    {
        final long tag = nextTag++;
        final RemoteStatus s = store.write(tag, SALT, hi(b), lo(b), BufferUtil.address(source) + (long)b * blockBytes,
            blockBytes);
        if (s == RemoteStatus.SUBMITTED)
        {
            inFlight++;
        }
        else
        {
            count(refusals, s);
        }
    }

    /** Submits a read of block b into a free buffer (none free: nothing). */
    void read(final int b)
    {
        final ByteBuffer dst = free.poll();
        if (dst == null)
        {
            return;
        }
        final long tag = nextTag++;
        final RemoteStatus s = store.read(tag, SALT, hi(b), lo(b), BufferUtil.address(dst), blockBytes);
        if (s == RemoteStatus.SUBMITTED)
        {
            inFlight++;
            reading.put(tag, dst);
            readBlock.put(tag, b);
        }
        else
        {
            free.add(dst);
            count(refusals, s);
        }
    }

    /** Random writes and reads for {@code millis}, at most {@code depth} reads in flight. */
    void run(final long millis)
    {
        final long until = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() - until < 0)
        {
            if (inFlight < 2 * free.size() + 1 && random.nextInt(4) == 0)
            {
                write(random.nextInt(blocks));
            }
            else if (!free.isEmpty())
            {
                read(random.nextInt(blocks));
            }
            if (store.poll(this::onComplete) == 0)
            {
                RedisProcess.sleep(1);
            }
        }
    }

    /** Polls until nothing is in flight (late answers back), within a generous guard (never asserted on time). */
    void drain()
    {
        final long until = System.nanoTime() + 120_000_000_000L;
        while (store.inFlight() > 0 || inFlight > 0)
        {
            if (store.poll(this::onComplete) == 0)
            {
                RedisProcess.sleep(1);
            }
            if (System.nanoTime() - until > 0)
            {
                throw new AssertionError(store.inFlight() + " G4 calls still in flight after the 120 s guard");
            }
        }
    }

    /** Polls for {@code millis} (health probes run in poll). */
    void idle(final long millis)
    {
        final long until = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() - until < 0)
        {
            store.poll(this::onComplete);
            RedisProcess.sleep(5);
        }
    }

    private void onComplete(final RemoteCompletion c)
    {
        inFlight--;
        if (c.kind() == RemoteOpKind.WRITE)
        {
            count(writes, c.status());
            return;
        }
        if (c.kind() != RemoteOpKind.READ)
        {
            return;
        }
        count(reads, c.status());
        final ByteBuffer dst = reading.remove(c.tag());
        final int b = readBlock.remove(c.tag());
        if (c.status() == RemoteStatus.OK)
        {
            verified++;
            if (c.payloadLength() != blockBytes || !BlockPayload.matches(BufferUtil.address(dst), blockBytes, hi(b), lo(b)))
            {
                wrong++;
            }
            free.add(dst);
        }
        else
        {
            new UnsafeBuffer(dst).setMemory(0, blockBytes, SENTINEL);
            quarantine.add(dst);
            free.add(ByteBuffer.allocateDirect(blockBytes));
        }
    }

    private static void count(final Map<RemoteStatus, long[]> m, final RemoteStatus s)
    {
        m.computeIfAbsent(s, k -> new long[1])[0]++;
    }

    /** Destinations of reads that did not end OK: still the sentinel (no late write after delivery). */
    long untouchedAfterDelivery()
    {
        long touched = 0;
        for (final ByteBuffer b : quarantine)
        {
            for (int i = 0; i < blockBytes; i++)
            {
                if (b.get(i) != SENTINEL)
                {
                    touched++;
                    break;
                }
            }
        }
        return touched;
    }

    int quarantined()
    {
        return quarantine.size();
    }

    long total(final Map<RemoteStatus, long[]> m)
    {
        long n = 0;
        for (final long[] v : m.values())
        {
            n += v[0];
        }
        return n;
    }

    long of(final Map<RemoteStatus, long[]> m, final RemoteStatus s)
    {
        final long[] v = m.get(s);
        return v == null ? 0 : v[0];
    }

    String summary()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append("reads ").append(flat(reads)).append("; writes ").append(flat(writes)).append("; refused at submit ")
            .append(flat(refusals)).append("; verified ").append(verified).append(", wrong ").append(wrong)
            .append("; counters:");
        for (final RemoteCounter k : new RemoteCounter[] {RemoteCounter.TIMEOUTS, RemoteCounter.FAILURES,
            RemoteCounter.LATE_ANSWERS, RemoteCounter.DEGRADED, RemoteCounter.RESTORED, RemoteCounter.PROBES,
            RemoteCounter.DEGRADED_REFUSALS, RemoteCounter.CORRUPT, RemoteCounter.MISSES, RemoteCounter.HITS})
        {
            sb.append(' ').append(k.name()).append('=').append(store.counter(k));
        }
        return sb.toString();
    }

    private static String flat(final Map<RemoteStatus, long[]> m)
    {
        final StringBuilder sb = new StringBuilder("{");
        m.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append(' ').append(v[0]));
        return sb.append('}').toString();
    }
}
