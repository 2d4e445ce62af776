package io.kvbm4j.client;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

import net.openhft.hashing.LongHashFunction;

/**
 * A client of the kvbm4j node service ({@code kvbm4j serve}): one connection, one session. Block bytes move
 * through the shared-memory file the service names in HELLO (mapped here), or, in copy mode, through the socket.
 *
 * <pre>{@code
 * try (KvClient kv = KvClient.connect(socket, new KvClient.Hello("llama-3.1-8b", "tenant-a"))) {
 *     KvClient.Lookup hit = kv.lookupTokens(tokens, tokens.length);   // prefix across tiers + a lease
 *     KvClient.Blocks blocks = kv.load(hit.lease(), 100);             // slots in shared memory
 *     ByteBuffer b0 = kv.slot(blocks.slot(0));                        // read the block's bytes
 *     kv.release(hit.lease());
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one request at a time (methods are synchronized). Every method throws
 * {@link KvServiceException} for an error reply and {@link UncheckedIOException} when the connection fails.
 */
public final class KvClient implements AutoCloseable
{
    private static final LongHashFunction XXH3 = LongHashFunction.xx3();
    /** Largest piece of block bytes in one READ / WRITE frame (copy mode). */
    public static final int COPY_PIECE = Protocol.MAX_COPY_PIECE;

    /** What HELLO asks for. */
    public record Hello(String model, String tenant, String lora, long loraVersion, int mode, int checksum,
        int blockTokens, long blockBytes, int version)
    {
        public Hello(final String model, final String tenant, final String lora, final long loraVersion,
            final int mode, final int checksum, final int blockTokens, final long blockBytes)
        {
            this(model, tenant, lora, loraVersion, mode, checksum, blockTokens, blockBytes, Protocol.VERSION);
        }

        /** The service's model, this tenant, no LoRA, mapped, XXH3-64, any geometry. */
        public Hello(final String model, final String tenant)
        {
            this(model, tenant, "", 0, Protocol.MODE_MAP, Protocol.CHECKSUM_XXH3_64, 0, 0);
        }

        public Hello withMode(final int newMode)
        {
            return new Hello(model, tenant, lora, loraVersion, newMode, checksum, blockTokens, blockBytes);
        }

        public Hello withLora(final String adapter, final long version)
        {
            return new Hello(model, tenant, adapter, version, mode, checksum, blockTokens, blockBytes);
        }

        public Hello withChecksum(final int kind)
        {
            return new Hello(model, tenant, lora, loraVersion, mode, kind, blockTokens, blockBytes);
        }

        /** Another protocol version in HELLO (tests of the version check). */
        public Hello withVersionForTests(final int other)
        {
            return new Hello(model, tenant, lora, loraVersion, mode, checksum, blockTokens, blockBytes, other);
        }
    }

    /** What the service answered to HELLO. */
    public record Session(long id, int version, int checksum, boolean mapped, int blockTokens, long blockBytes,
        int slotCount, long stride, long fileBytes, int leaseTtlMs, int maxBlocks, String shmPath)
    {
    }

    /** A LOOKUP's answer: {@code prefix} blocks cached across tiers, pinned by {@code lease} (0 when none). */
    public record Lookup(long lease, int prefix, int inMemory, int scheduled, int ttlMs, long[] ids)
    {
        /** Number of ids in {@link #ids()} (a lookup by tokens answers the id of every full block). */
        public int idCount()
        {
            return ids.length / 2;
        }
    }

    /** Slots in shared memory: a LOAD's (for {@code handle} = the lease) or a STORE_PREPARE's (a store). */
    public record Blocks(long handle, int[] slots, long[] offsets, long[] lengths)
    {
        public int count()
        {
            return slots.length;
        }

        public int slot(final int i)
        {
            return slots[i];
        }
    }

    private final SocketChannel channel;
    private final ByteBuffer out = ByteBuffer.allocateDirect(Protocol.HEADER_BYTES + Protocol.MAX_FRAME)
        .order(ByteOrder.LITTLE_ENDIAN);
    private final ByteBuffer in = ByteBuffer.allocateDirect(Protocol.HEADER_BYTES + Protocol.MAX_FRAME)
        .order(ByteOrder.LITTLE_ENDIAN);
    private final Session session;
    private final MappedByteBuffer[] chunks;
    private final int slotsPerChunk;
    private final CRC32 crc = new CRC32();
    private int tag;

    private KvClient(final SocketChannel channel, final Hello hello) throws IOException
    {
        this.channel = channel;
        begin(Protocol.OP_HELLO);
        out.putShort((short)hello.version());
        out.put((byte)hello.checksum());
        out.put((byte)hello.mode());
        out.putInt(hello.blockTokens());
        out.putLong(hello.blockBytes());
        putString(hello.model());
        putString(hello.tenant());
        putString(hello.lora());
        out.putLong(hello.loraVersion());
        final ByteBuffer r = call(Protocol.OP_HELLO);
        final int version = r.getShort() & 0xFFFF;
        final int checksum = r.get() & 0xFF;
        final boolean mapped = r.get() != 0;
        final long id = r.getLong();
        final int blockTokens = r.getInt();
        final long blockBytes = r.getLong();
        final int slotCount = r.getInt();
        final long stride = r.getLong();
        final long fileBytes = r.getLong();
        final int ttl = r.getInt();
        final int maxBlocks = r.getInt();
        final String path = getString(r);
        this.session = new Session(id, version, checksum, mapped, blockTokens, blockBytes, slotCount, stride,
            fileBytes, ttl, maxBlocks, path);
        if (mapped)
        {
            slotsPerChunk = (int)Math.min(slotCount, (1L << 30) / stride);
            chunks = new MappedByteBuffer[(slotCount + slotsPerChunk - 1) / slotsPerChunk];
            try (FileChannel file = FileChannel.open(Path.of(path), StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                for (int c = 0; c < chunks.length; c++)
                {
                    final long start = (long)c * slotsPerChunk * stride;
                    chunks[c] = file.map(FileChannel.MapMode.READ_WRITE, start, Math.min(fileBytes - start,
                        (long)slotsPerChunk * stride));
                }
            }
        }
        else
        {
            slotsPerChunk = 0;
            chunks = new MappedByteBuffer[0];
        }
    }

    /** Connects to the service's socket, says HELLO and maps the shared memory (in map mode). */
    public static KvClient connect(final Path socket, final Hello hello)
    {
        SocketChannel channel = null;
        try
        {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            return new KvClient(channel, hello);
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            throw new UncheckedIOException("kvbm4j service at " + socket + ": " + ex.getMessage(), ex);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(channel);
            throw ex;
        }
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // closing after a failure: the first failure is the one reported
            }
        }
    }

    /** The session HELLO opened. */
    public Session session()
    {
        return session;
    }

    /** LOOKUP by ids: {@code ids} holds {@code count} ids as (hi, lo) pairs, position 0 first. */
    public synchronized Lookup lookup(final long[] ids, final int count)
    {
        begin(Protocol.OP_LOOKUP);
        out.put((byte)Protocol.LOOKUP_IDS).put((byte)0).putShort((short)0).putInt(count);
        for (int i = 0; i < 2 * count; i++)
        {
            out.putLong(ids[i]);
        }
        return lookupReply(callUnchecked(Protocol.OP_LOOKUP));
    }

    /** LOOKUP by tokens, hashed by the service with the session's salt; the answer carries every full block's id. */
    public synchronized Lookup lookupTokens(final int[] tokens, final int count)
    {
        begin(Protocol.OP_LOOKUP);
        out.put((byte)Protocol.LOOKUP_TOKENS).put((byte)0).putShort((short)0).putInt(count);
        for (int i = 0; i < count; i++)
        {
            out.putInt(tokens[i]);
        }
        return lookupReply(callUnchecked(Protocol.OP_LOOKUP));
    }

    private static Lookup lookupReply(final ByteBuffer r)
    {
        final long lease = r.getLong();
        final int prefix = r.getInt();
        final int inMemory = r.getInt();
        final int scheduled = r.getInt();
        final int ttl = r.getInt();
        final int idCount = r.getInt();
        final long[] ids = new long[2 * idCount];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = r.getLong();
        }
        return new Lookup(lease, prefix, inMemory, scheduled, ttl, ids);
    }

    /** LOAD: the lease's blocks in shared memory, waiting up to {@code deadlineMs} for those being onboarded. */
    public synchronized Blocks load(final long lease, final int deadlineMs)
    {
        begin(Protocol.OP_LOAD);
        out.putLong(lease).putInt(deadlineMs);
        return blocksReply(lease, callUnchecked(Protocol.OP_LOAD));
    }

    /**
     * STORE_PREPARE: slots to write {@code count} blocks into, the blocks at positions {@code first ..} of a
     * sequence whose block {@code first - 1} has id (parentHi, parentLo) (ignored when {@code first} is 0).
     */
    public synchronized Blocks prepare(
        final int first, final long parentHi, final long parentLo, final long[] ids, final int count)
    {
        begin(Protocol.OP_STORE_PREPARE);
        out.putInt(first).putInt(count);
        if (first > 0)
        {
            out.putLong(parentHi).putLong(parentLo);
        }
        for (int i = 0; i < 2 * count; i++)
        {
            out.putLong(ids[i]);
        }
        final ByteBuffer r = callUnchecked(Protocol.OP_STORE_PREPARE);
        final long store = r.getLong();
        return blocksReply(store, r);
    }

    private static Blocks blocksReply(final long handle, final ByteBuffer r)
    {
        final int n = r.getInt();
        final int[] slots = new int[n];
        final long[] offsets = new long[n];
        final long[] lengths = new long[n];
        for (int i = 0; i < n; i++)
        {
            slots[i] = r.getInt();
            r.getInt();
            offsets[i] = r.getLong();
            lengths[i] = r.getLong();
        }
        return new Blocks(handle, slots, offsets, lengths);
    }

    /** STORE_COMMIT: the checksums of the bytes written; @return per block STORED, DEDUPLICATED, CHECKSUM_MISMATCH or NOT_STORED. */
    public synchronized int[] commit(final long store, final long[] checksums, final int count)
    {
        begin(Protocol.OP_STORE_COMMIT);
        out.putLong(store).putInt(count);
        for (int i = 0; i < count; i++)
        {
            out.putLong(checksums[i]);
        }
        final ByteBuffer r = callUnchecked(Protocol.OP_STORE_COMMIT);
        final int n = r.getInt();
        final int[] outcome = new int[n];
        for (int i = 0; i < n; i++)
        {
            outcome[i] = r.get() & 0xFF;
        }
        return outcome;
    }

    /** RELEASE a lease or a prepared store. */
    public synchronized void release(final long handle)
    {
        begin(Protocol.OP_RELEASE);
        out.putLong(handle);
        callUnchecked(Protocol.OP_RELEASE);
    }

    /** STATS: the service's and the engine's counters by name. */
    public synchronized Map<String, Long> stats()
    {
        begin(Protocol.OP_STATS);
        final ByteBuffer r = callUnchecked(Protocol.OP_STATS);
        final int n = r.getInt();
        final Map<String, Long> stats = new LinkedHashMap<>();
        for (int i = 0; i < n; i++)
        {
            final String name = getString(r);
            stats.put(name, r.getLong());
        }
        return stats;
    }

    /** Copy mode: reads block {@code index} of a loaded lease into {@code dst} (its remaining bytes). */
    public synchronized void read(final long lease, final int index, final ByteBuffer dst)
    {
        long offset = 0;
        while (dst.hasRemaining())
        {
            final int piece = Math.min(dst.remaining(), COPY_PIECE);
            begin(Protocol.OP_READ);
            out.putLong(lease).putInt(index).putLong(offset).putInt(piece);
            final ByteBuffer r = callUnchecked(Protocol.OP_READ);
            final int n = r.getInt();
            r.limit(r.position() + n);
            dst.put(r);
            offset += n;
        }
    }

    /** Copy mode: writes {@code src} (its remaining bytes) into block {@code index} of a prepared store. */
    public synchronized void write(final long store, final int index, final ByteBuffer src)
    {
        long offset = 0;
        while (src.hasRemaining())
        {
            final int piece = Math.min(src.remaining(), COPY_PIECE);
            begin(Protocol.OP_WRITE);
            out.putLong(store).putInt(index).putLong(offset).putInt(piece);
            final ByteBuffer part = src.slice().limit(piece);
            out.put(part);
            src.position(src.position() + piece);
            callUnchecked(Protocol.OP_WRITE);
            offset += piece;
        }
    }

    /** A view of a slot's payload in the mapped shared memory (map mode). */
    public ByteBuffer slot(final int slot)
    {
        if (chunks.length == 0)
        {
            throw new IllegalStateException("copy-mode session: the shared memory is not mapped");
        }
        if (slot < 0 || slot >= session.slotCount())
        {
            throw new IndexOutOfBoundsException("slot " + slot + " not in 0.." + (session.slotCount() - 1));
        }
        final int offset = (int)((slot % slotsPerChunk) * session.stride());
        return chunks[slot / slotsPerChunk].duplicate().position(offset).limit(offset + (int)session.blockBytes())
            .slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The negotiated checksum of {@code bytes}' remaining bytes (position unchanged). */
    public long checksum(final ByteBuffer bytes)
    {
        if (session.checksum() == Protocol.CHECKSUM_CRC32)
        {
            crc.reset();
            crc.update(bytes.duplicate());
            return crc.getValue();
        }
        return XXH3.hashBytes(bytes, bytes.position(), bytes.remaining());
    }

    /** Sends raw bytes as they are (tests of bad input), then reads one reply; @return its op, or -1 on EOF. */
    public synchronized int sendRaw(final ByteBuffer frame)
    {
        try
        {
            while (frame.hasRemaining())
            {
                channel.write(frame);
            }
            return readReply() ? in.get(Protocol.OP_OFFSET) & 0xFF : -1;
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }

    /** The last reply's payload (after {@link #sendRaw}). */
    public ByteBuffer lastReply()
    {
        return in.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(Protocol.HEADER_BYTES);
    }

    private void begin(final int op)
    {
        out.clear();
        out.putInt(0).put((byte)op).put((byte)0).putShort((short)0).putInt(++tag);
    }

    private void putString(final String s)
    {
        final byte[] b = (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
        out.putShort((short)b.length).put(b);
    }

    private static String getString(final ByteBuffer r)
    {
        final byte[] b = new byte[r.getShort() & 0xFFFF];
        r.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private ByteBuffer callUnchecked(final int op)
    {
        try
        {
            return call(op);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("kvbm4j service: " + ex.getMessage(), ex);
        }
    }

    private ByteBuffer call(final int op) throws IOException
    {
        out.putInt(Protocol.LENGTH_OFFSET, out.position() - 4);
        out.flip();
        while (out.hasRemaining())
        {
            channel.write(out);
        }
        if (!readReply())
        {
            throw new EOFException("the service closed the connection");
        }
        final int replyOp = in.get(Protocol.OP_OFFSET) & 0xFF;
        in.position(Protocol.HEADER_BYTES);
        if (replyOp == Protocol.OP_ERROR)
        {
            final int code = in.getShort() & 0xFFFF;
            throw new KvServiceException(code, getString(in));
        }
        if (replyOp != (op | Protocol.REPLY) || in.getInt(Protocol.TAG_OFFSET) != tag)
        {
            throw new IOException("reply op " + replyOp + " tag " + in.getInt(Protocol.TAG_OFFSET) + " to op " + op +
                " tag " + tag);
        }
        return in;
    }

    /** Reads one frame into {@code in} (limit at its end); false on end of stream. */
    private boolean readReply() throws IOException
    {
        in.clear().limit(4);
        if (!fill())
        {
            return false;
        }
        final int length = in.getInt(0);
        if (length < Protocol.HEADER_BYTES - 4 || length > Protocol.MAX_FRAME)
        {
            throw new IOException("reply frame length " + length);
        }
        in.limit(4 + length);
        if (!fill())
        {
            return false;
        }
        in.flip();
        return true;
    }

    private boolean fill() throws IOException
    {
        while (in.hasRemaining())
        {
            if (channel.read(in) < 0)
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close()
    {
        closeQuietly(channel);
    }
}
