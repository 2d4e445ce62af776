package io.kvbm4j.torture.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.client.KvClient;
import io.kvbm4j.client.Protocol;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.server.KvServer;
import io.kvbm4j.server.ServerSettings;

/**
 * Fuzzes the node service's frame decoding through its real socket (a {@link KvServer} in this JVM, one for the
 * class): mutated frame sequences on a fresh connection, either raw (the HELLO decoder first) or after a
 * preamble that opened a session (mapped or copy mode), looked up a stored chain (a live lease) and prepared a
 * store (a live store handle). Inputs carry the markers {@link #LEASE_MARK} and {@link #STORE_MARK} wherever a
 * handle goes; the target patches the live handles in before sending, so mutations reach the handle checks and
 * what lies behind them. The input is written, the connection half-closed, and every reply read to the end.
 *
 * <p>Expected: each reply is the request's reply or an error with a known code and a message; the service may
 * close the connection. A finding: an unknown reply op or code, an error without a message, no end of stream
 * (hang, caught by {@link Fuzzer}), the service no longer answering, or the checker's stored chain coming back
 * wrong (every byte is checked after every input).
 */
class ServiceFrameFuzzTest
{
    static final long LEASE_MARK = 0x4C45_4153_454C_4541L; // "AELESAEL": patched with the live lease
    static final long STORE_MARK = 0x5354_4F52_4553_544FL; // patched with the live prepared store
    private static final int CHAIN = 4;
    /** How every error message starts: the op and its field, or what of the frame or session was wrong. */
    static final java.util.regex.Pattern NAMED = java.util.regex.Pattern.compile(
        "(HELLO|LOOKUP|LOAD|STORE_PREPARE|STORE_COMMIT|RELEASE|STATS|READ|WRITE)\\b|frame length \\d+|unknown op \\d+|" +
        "op \\d+ before HELLO|the client speaks protocol version|no (lease|store) free|the serving thread's queue|" +
        "the service is stopping|too many connections");
    /** Values a field is set to by the structure-aware move: limits of every width, both signs, off by one. */
    static final long[] BOUNDARY = {0, 1, -1, 2, 7, 8, 16, 255, 256, 2047, 2048, 2049, 4095, 4096, 4097, 65535, 65536,
        (1 << 19), (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 200_000, 200_001, 600_000, 600_001, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 0xFFFF_FFFFL, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1,
        Long.MAX_VALUE - 2047, 0x7FFF_FFFF_FFFF_F000L, 1L << 24, (1L << 24) + 1};
    private static final long CHAIN_SEED = 0xC4A1;

    @TempDir
    static Path dir;
    private static KvServer server;
    private static KvClient checker;
    private static long[] chain;
    private static final AtomicLong FRESH = new AtomicLong(1);
    private static final ExecutorService WRITERS = Executors.newCachedThreadPool(r ->
    {
        final Thread t = new Thread(r, "fuzz-frame-writer");
        t.setDaemon(true);
        return t;
    });

    @BeforeAll
    static void start()
    {
        final String yaml = "model: tiny-test\n" +
            "tiers:\n  g1-blocks: 64\n  g2-blocks: 32\n  g1-memory: host\n" +
            "transfers:\n  admission: always\n" +
            "ring:\n  size: 4096\n";
        server = KvServer.open(ConfigLoader.parse(yaml, "fuzz"),
            ServerSettings.defaults(dir.resolve("kv.sock"), dir).withLeaseTtlMs(60_000)
                .withCopyTenants(Set.of("copy")));
        checker = KvClient.connect(server.socket(), new KvClient.Hello("tiny-test", "fuzz"));
        chain = ids(CHAIN_SEED, CHAIN);
        final int bytes = (int)checker.session().blockBytes();
        final KvClient.Blocks prepared = checker.prepare(0, 0, 0, chain, CHAIN);
        final long[] sums = new long[CHAIN];
        for (int i = 0; i < CHAIN; i++)
        {
            final ByteBuffer slot = checker.slot(prepared.slot(i));
            fill(slot, bytes, chain[2 * i], chain[2 * i + 1]);
            sums[i] = checker.checksum(slot);
        }
        checker.commit(prepared.handle(), sums, CHAIN);
    }

    @AfterAll
    static void stop()
    {
        if (checker != null)
        {
            checker.close();
        }
        if (server != null)
        {
            server.close();
        }
    }

    static long[] ids(final long seed, final int n)
    {
        final long[] ids = new long[2 * n];
        final java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = r.nextLong();
        }
        return ids;
    }

    /** Block (hi, lo)'s bytes: a stream seeded by its id (the checker needs no copy). */
    static void fill(final ByteBuffer slot, final int bytes, final long hi, final long lo)
    {
        final ByteBuffer b = slot.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long x = hi * 0x9E3779B97F4A7C15L ^ lo;
        for (int p = 0; p + 8 <= bytes; p += 8)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.putLong(p, x);
        }
    }

    static boolean same(final ByteBuffer slot, final int bytes, final long hi, final long lo)
    {
        final ByteBuffer expected = ByteBuffer.allocate(bytes);
        fill(expected, bytes, hi, lo);
        final ByteBuffer got = slot.duplicate();
        got.limit(got.position() + bytes);
        return expected.equals(got);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Frames

    /** A frame: header (length, op, flags 0, reserved 0, tag) and payload. */
    static byte[] frame(final int op, final int tag, final ByteBuffer payload)
    {
        final int n = payload.position();
        final ByteBuffer f = ByteBuffer.allocate(Protocol.HEADER_BYTES + n).order(ByteOrder.LITTLE_ENDIAN);
        f.putInt(8 + n).put((byte)op).put((byte)0).putShort((short)0).putInt(tag);
        f.put(payload.array(), 0, n);
        return f.array();
    }

    static ByteBuffer payload()
    {
        return ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    }

    static ByteBuffer string(final ByteBuffer b, final String s)
    {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return b.putShort((short)bytes.length).put(bytes);
    }

    static byte[] hello(final int mode, final String tenant)
    {
        final ByteBuffer p = payload().putShort((short)Protocol.VERSION).put((byte)Protocol.CHECKSUM_XXH3_64)
            .put((byte)mode).putInt(0).putLong(0);
        string(string(string(p, ""), tenant), "");
        return frame(Protocol.OP_HELLO, 1, p.putLong(0));
    }

    static byte[] lookupIds(final long[] ids, final int n)
    {
        final ByteBuffer p = payload().put((byte)Protocol.LOOKUP_IDS).put((byte)0).putShort((short)0).putInt(n);
        for (int i = 0; i < 2 * n; i++)
        {
            p.putLong(ids[i]);
        }
        return frame(Protocol.OP_LOOKUP, 2, p);
    }

    static byte[] lookupTokens(final int n)
    {
        final ByteBuffer p = payload().put((byte)Protocol.LOOKUP_TOKENS).put((byte)0).putShort((short)0).putInt(n);
        for (int i = 0; i < n; i++)
        {
            p.putInt(i * 7);
        }
        return frame(Protocol.OP_LOOKUP, 3, p);
    }

    static byte[] prepare(final int first, final long[] ids, final int n)
    {
        final ByteBuffer p = payload().putInt(first).putInt(n);
        if (first > 0)
        {
            p.putLong(chain[0]).putLong(chain[1]);
        }
        for (int i = 0; i < 2 * n; i++)
        {
            p.putLong(ids[i]);
        }
        return frame(Protocol.OP_STORE_PREPARE, 4, p);
    }

    static byte[] load(final long lease, final int deadline)
    {
        return frame(Protocol.OP_LOAD, 5, payload().putLong(lease).putInt(deadline));
    }

    static byte[] commit(final long store, final int n)
    {
        final ByteBuffer p = payload().putLong(store).putInt(n);
        for (int i = 0; i < n; i++)
        {
            p.putLong(i);
        }
        return frame(Protocol.OP_STORE_COMMIT, 6, p);
    }

    static byte[] release(final long handle)
    {
        return frame(Protocol.OP_RELEASE, 7, payload().putLong(handle));
    }

    static byte[] stats()
    {
        return frame(Protocol.OP_STATS, 8, payload());
    }

    static byte[] read(final long lease, final int index, final long offset, final int length)
    {
        return frame(Protocol.OP_READ, 9, payload().putLong(lease).putInt(index).putLong(offset).putInt(length));
    }

    static byte[] write(final long store, final int index, final long offset, final int length)
    {
        final ByteBuffer p = payload().putLong(store).putInt(index).putLong(offset).putInt(length);
        for (int i = 0; i < length; i++)
        {
            p.put((byte)i);
        }
        return frame(Protocol.OP_WRITE, 10, p);
    }

    /** An input: the preamble kind (0 none, 1 mapped session, 2 copy session), then the frames. */
    static byte[] input(final int preamble, final byte[]... frames)
    {
        int n = 1;
        for (final byte[] f : frames)
        {
            n += f.length;
        }
        final ByteBuffer b = ByteBuffer.allocate(n);
        b.put((byte)preamble);
        for (final byte[] f : frames)
        {
            b.put(f);
        }
        return b.array();
    }

    /** Valid sessions of every request, each message once or more, built here (the corpus folder adds findings). */
    static List<byte[]> generatedSeeds()
    {
        final List<byte[]> seeds = new ArrayList<>();
        final long[] fresh = ids(99, 3);
        seeds.add(input(0, hello(Protocol.MODE_MAP, "fuzz"), lookupIds(chain, CHAIN), stats()));
        seeds.add(input(0, hello(Protocol.MODE_COPY, "copy"), lookupTokens(64)));
        seeds.add(input(1, load(LEASE_MARK, 100), read(LEASE_MARK, 1, 8, 64), release(LEASE_MARK)));
        seeds.add(input(2, load(LEASE_MARK, 0), read(LEASE_MARK, 0, 0, 2048), read(LEASE_MARK, 3, 2040, 8)));
        seeds.add(input(1, write(STORE_MARK, 0, 0, 64), write(STORE_MARK, 1, 1024, 1024), commit(STORE_MARK, 2)));
        seeds.add(input(2, write(STORE_MARK, 1, 0, 2048), release(STORE_MARK), release(LEASE_MARK)));
        seeds.add(input(1, prepare(0, fresh, 3), prepare(1, fresh, 2), lookupIds(fresh, 3), stats()));
        seeds.add(input(1, lookupTokens(200), lookupIds(chain, 2), load(LEASE_MARK, 600_000), commit(STORE_MARK, 2)));
        seeds.add(input(2, hello(Protocol.MODE_MAP, "fuzz"), read(LEASE_MARK, 2, 0, 16), stats()));
        return seeds;
    }

    // -----------------------------------------------------------------------------------------------------------
    // The target

    static final class Target implements FuzzTarget
    {
        @Override
        public String name()
        {
            return "service-frames";
        }

        @Override
        public List<byte[]> seeds()
        {
            final List<byte[]> seeds = new ArrayList<>(Corpus.load(name()));
            seeds.addAll(generatedSeeds());
            return seeds;
        }

        /**
         * Half the time the generic moves; else a u16/u32/u64 field at any offset of one frame's payload set to a
         * boundary value (unaligned too: the preamble byte shifts every field), its frame's length kept whole.
         */
        @Override
        public byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
        {
            final java.util.SplittableRandom random = mutator.random();
            if (random.nextBoolean() || input.length < 1 + Protocol.HEADER_BYTES + 2)
            {
                return mutator.mutate(input, corpus);
            }
            final byte[] b = input.clone();
            final ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            // the frames' starts, walking the length fields while they hold; a field of one frame's payload, at a
            // multiple of 4 from its start (where every field of the protocol lies) or anywhere
            final List<Integer> starts = new ArrayList<>();
            for (int f = 1; f + Protocol.HEADER_BYTES <= b.length && starts.size() < 64; )
            {
                starts.add(f);
                final int length = bb.getInt(f);
                if (length < 8 || length > b.length)
                {
                    break;
                }
                f += 4 + length;
            }
            final int start = starts.get(random.nextInt(starts.size())) + Protocol.HEADER_BYTES;
            if (start >= b.length)
            {
                return mutator.mutate(input, corpus);
            }
            final int at = random.nextBoolean() ? start + 4 * random.nextInt(1 + (b.length - start) / 4) :
                start + random.nextInt(b.length - start);
            final long v = BOUNDARY[random.nextInt(BOUNDARY.length)];
            final int width = new int[] {2, 4, 8}[random.nextInt(3)];
            if (at + width > b.length)
            {
                return b;
            }
            switch (width)
            {
                case 2 -> bb.putShort(at, (short)v);
                case 4 -> bb.putInt(at, (int)v);
                default -> bb.putLong(at, v);
            }
            return b;
        }

        @Override
        public void run(final byte[] input) throws Exception
        {
            if (input.length == 0)
            {
                return;
            }
            final boolean refused;
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX))
            {
                ch.connect(UnixDomainSocketAddress.of(server.socket()));
                final int preamble = (input[0] & 0xFF) % 3;
                long lease = 0;
                long store = 0;
                if (preamble != 0)
                {
                    call(ch, hello(preamble == 1 ? Protocol.MODE_MAP : Protocol.MODE_COPY,
                        preamble == 1 ? "fuzz" : "copy"), Protocol.OP_HELLO);
                    lease = call(ch, lookupIds(chain, CHAIN), Protocol.OP_LOOKUP).getLong(Protocol.HEADER_BYTES);
                    final long[] fresh = ids(FRESH.getAndIncrement() * 0x9E3779B97F4A7C15L, 2);
                    store = call(ch, prepare(0, fresh, 2), Protocol.OP_STORE_PREPARE).getLong(Protocol.HEADER_BYTES);
                }
                final byte[] frames = java.util.Arrays.copyOfRange(input, 1, input.length);
                patch(frames, LEASE_MARK, lease);
                patch(frames, STORE_MARK, store);
                final Future<?> writer = WRITERS.submit(() ->
                {
                    final ByteBuffer out = ByteBuffer.wrap(frames);
                    while (out.hasRemaining())
                    {
                        ch.write(out);
                    }
                    ch.shutdownOutput();
                    return null;
                });
                refused = readReplies(ch);
                try
                {
                    writer.get();
                }
                catch (final java.util.concurrent.ExecutionException ex)
                {
                    // the service closed the connection before it read everything: expected after a bad length
                }
            }
            checkStoredChain();
            if (refused)
            {
                throw new Rejected(new IllegalArgumentException("refused with an error or a close"));
            }
        }
    }

    /** Replaces every 8-byte little-endian occurrence of {@code mark} (at any offset) with {@code value}. */
    static void patch(final byte[] b, final long mark, final long value)
    {
        final ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 8 <= b.length; i++)
        {
            if (bb.getLong(i) == mark)
            {
                bb.putLong(i, value);
            }
        }
    }

    /** Sends a preamble frame and reads its reply, which must be {@code op}'s reply. */
    static ByteBuffer call(final SocketChannel ch, final byte[] frame, final int op) throws IOException
    {
        final ByteBuffer out = ByteBuffer.wrap(frame);
        while (out.hasRemaining())
        {
            ch.write(out);
        }
        final ByteBuffer reply = readFrame(ch);
        if (reply == null || (reply.get(Protocol.OP_OFFSET) & 0xFF) != (op | Protocol.REPLY))
        {
            throw new AssertionError("preamble op " + op + " not answered: " + describe(reply));
        }
        return reply;
    }

    /** One reply frame, or null at the end of the stream. */
    static ByteBuffer readFrame(final SocketChannel ch) throws IOException
    {
        final ByteBuffer head = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        if (!fill(ch, head))
        {
            return null;
        }
        final int length = head.getInt(0);
        if (length < 8 || length > Protocol.MAX_FRAME)
        {
            throw new AssertionError("reply frame length " + Integer.toUnsignedString(length) + " not in 8.." +
                Protocol.MAX_FRAME);
        }
        final ByteBuffer f = ByteBuffer.allocate(4 + length).order(ByteOrder.LITTLE_ENDIAN);
        f.putInt(length);
        if (!fill(ch, f))
        {
            throw new AssertionError("reply frame cut short: " + f.position() + " of " + (4 + length) + " bytes");
        }
        return f.flip();
    }

    private static boolean fill(final SocketChannel ch, final ByteBuffer b) throws IOException
    {
        while (b.hasRemaining())
        {
            final int n;
            try
            {
                n = ch.read(b);
            }
            catch (final IOException ex)
            {
                return false; // reset by the service after it closed: the end of the stream
            }
            if (n < 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads every reply to the end of the stream and checks each. @return true if any was an error or the service
     * closed the connection before the client's end.
     */
    static boolean readReplies(final SocketChannel ch) throws IOException
    {
        boolean refused = false;
        ByteBuffer r;
        while ((r = readFrame(ch)) != null)
        {
            final int op = r.get(Protocol.OP_OFFSET) & 0xFF;
            if (op == Protocol.OP_ERROR)
            {
                refused = true;
                final int code = r.getShort(Protocol.HEADER_BYTES) & 0xFFFF;
                final int n = r.getShort(Protocol.HEADER_BYTES + 2) & 0xFFFF;
                if (code < Protocol.E_MALFORMED || code > Protocol.E_LIMIT || n == 0 ||
                    Protocol.HEADER_BYTES + 4 + n != r.limit())
                {
                    throw new AssertionError("error reply without a known code and a message: " + describe(r));
                }
                if (code == Protocol.E_INTERNAL)
                {
                    throw new AssertionError("INTERNAL: the service failed on a frame: " + describe(r));
                }
                final String text = describe(r);
                if (!NAMED.matcher(text.substring(text.indexOf(": ") + 2)).lookingAt())
                {
                    throw new AssertionError("error reply that names neither the op nor the frame: " + text);
                }
            }
            else if ((op & Protocol.REPLY) == 0 || (op & 0x7F) < Protocol.OP_HELLO || (op & 0x7F) > Protocol.OP_WRITE)
            {
                throw new AssertionError("reply with op " + op + ": " + describe(r));
            }
        }
        return refused;
    }

    static String describe(final ByteBuffer r)
    {
        if (r == null)
        {
            return "end of stream";
        }
        final int op = r.get(Protocol.OP_OFFSET) & 0xFF;
        if (op == Protocol.OP_ERROR && r.limit() >= Protocol.HEADER_BYTES + 4)
        {
            final int n = r.getShort(Protocol.HEADER_BYTES + 2) & 0xFFFF;
            final byte[] text = new byte[Math.min(n, r.limit() - Protocol.HEADER_BYTES - 4)];
            r.get(Protocol.HEADER_BYTES + 4, text);
            return Protocol.errorName(r.getShort(Protocol.HEADER_BYTES)) + ": " +
                new String(text, StandardCharsets.UTF_8);
        }
        return "op " + op + ", " + r.limit() + " bytes";
    }

    /** The chain stored at start comes back whole with its bytes (nothing the fuzz did served a wrong block). */
    static void checkStoredChain()
    {
        synchronized (ServiceFrameFuzzTest.class)
        {
            final KvClient.Lookup hit = checker.lookup(chain, CHAIN);
            if (hit.prefix() != CHAIN)
            {
                throw new AssertionError("the stored chain has " + hit.prefix() + " of " + CHAIN + " blocks cached");
            }
            final KvClient.Blocks loaded = checker.load(hit.lease(), 1000);
            final int bytes = (int)checker.session().blockBytes();
            for (int i = 0; i < loaded.count(); i++)
            {
                if (!same(checker.slot(loaded.slot(i)), bytes, chain[2 * i], chain[2 * i + 1]))
                {
                    throw new AssertionError("WRONG BLOCK: block " + i + " of the stored chain has other bytes");
                }
            }
            checker.release(hit.lease());
        }
    }

    @Test
    void mutatedFramesAreAnsweredOrRefusedNeverCrashTheService() throws InterruptedException
    {
        final Target target = new Target();
        final Fuzzer.Report r = Corpus.fuzzer().runConfigured(target);
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
        // every session ended: the service reclaimed every lease and store the fuzz connections left
        final long until = System.nanoTime() + 60_000_000_000L;
        while (server.handlesInUse() > 0 && System.nanoTime() < until)
        {
            Thread.sleep(5);
        }
        assertEquals(0, server.handlesInUse(), "leases and stores left held after every fuzz connection closed");
        assertTrue(server.stat("BAD_FRAMES") + server.stat("ERRORS") > 0, "the fuzz reached the checks");
    }
}
