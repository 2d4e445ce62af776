package io.kvbm4j.gds.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The G3 tier's persisted index, {@code g3-index.dat}: one 64-byte entry per slot saying which block
 * the slot holds, so a restart reads {@code 64 × slotCount} bytes instead of one 4 KiB header per slot.
 * Entries are hints: every read still verifies the slot's own header and payload, so an entry that
 * disagrees with its slot costs a miss, never a wrong block.
 *
 * <pre>
 *  file:  [4096-byte file header][entry 0][entry 1] ... [entry slotCount-1]
 *  file header: magic u64 "KVBM4jIX" | version u32 | 0 u32 | slotCount u64 | stride u64 | XXH3 of bytes 0..31
 *  entry (64 bytes, little endian):
 *   0 id hi u64 | 8 id lo u64 | 16 salt id u64 | 24 payload length u64 | 32 write generation u64 |
 *  40 0 | 48 0 | 56 XXH3-64 of bytes 0..55          (all zero: free slot)
 * </pre>
 *
 * Written after the slot (buffered {@code pwrite} of 64 bytes, in the page cache before the write is
 * acknowledged, so a kill -9 loses nothing acknowledged); cleared on evict and on a failed verification.
 *
 * <p>Owned by the tier's owner thread.
 */
final class SlotDirectory implements AutoCloseable
{
    static final String FILE = "g3-index.dat";
    static final int ENTRY = 64;
    static final int FILE_HEADER = 4096;
    static final long MAGIC = 0x5849_6a34_4d42_564bL; // "KVBM4jIX" little endian
    static final int VERSION = 1;

    static final int ID_HI = 0;
    static final int ID_LO = 8;
    static final int SALT = 16;
    static final int LENGTH = 24;
    static final int GENERATION = 32;
    static final int CHECKSUM = 56;

    /** What {@link #load} found for a slot. */
    static final int FREE = 0;
    static final int STORED = 1;
    static final int DAMAGED = 2;

    @FunctionalInterface
    interface EntryVisitor
    {
        void visit(int slot, int kind, long idHi, long idLo, long salt, long length, long generation);
    }

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int CHUNK_ENTRIES = 16384;

    private final FileChannel channel;
    private final int slotCount;
    private final boolean existed;
    private final ByteBuffer entry = ByteBuffer.allocateDirect(ENTRY).order(LE);
    private final UnsafeBuffer entryBuffer = new UnsafeBuffer(entry);

    private SlotDirectory(final FileChannel channel, final int slotCount, final boolean existed)
    {
        this.channel = channel;
        this.slotCount = slotCount;
        this.existed = existed;
    }

    /**
     * Opens the directory next to the slot file. A missing file, or one written for another slot count
     * or stride, is recreated empty and {@link #existed()} is false: the caller rebuilds it from a
     * header scan.
     */
    static SlotDirectory open(final Path root, final int slotCount, final long stride) throws IOException
    {
        final Path file = root.resolve(FILE);
        if (Files.isSymbolicLink(file))
        {
            throw new IOException(file + " is a symbolic link; the index must be a regular file inside " + root);
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS))
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        final FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);
        final ByteBuffer h = ByteBuffer.allocateDirect(FILE_HEADER).order(LE);
        final boolean matches = ch.size() == FILE_HEADER + (long)slotCount * ENTRY && ch.read(h, 0) == FILE_HEADER &&
            h.getLong(0) == MAGIC && h.getInt(8) == VERSION && h.getLong(16) == slotCount && h.getLong(24) == stride &&
            h.getLong(32) == SlotHeaderLayout.checksum(new UnsafeBuffer(h).addressOffset(), 32);
        if (!matches)
        {
            ch.truncate(0);
            h.clear();
            for (int i = 0; i < FILE_HEADER; i += 8)
            {
                h.putLong(i, 0);
            }
            h.putLong(0, MAGIC).putInt(8, VERSION).putInt(12, 0).putLong(16, slotCount).putLong(24, stride);
            h.putLong(32, SlotHeaderLayout.checksum(new UnsafeBuffer(h).addressOffset(), 32));
            writeFully(ch, h, 0);
            final ByteBuffer zeros = ByteBuffer.allocateDirect(CHUNK_ENTRIES * ENTRY);
            for (long e = 0; e < slotCount; e += CHUNK_ENTRIES)
            {
                zeros.clear().limit((int)Math.min(CHUNK_ENTRIES, slotCount - e) * ENTRY);
                writeFully(ch, zeros, FILE_HEADER + e * ENTRY);
            }
        }
        return new SlotDirectory(ch, slotCount, matches);
    }

    private static void writeFully(final FileChannel ch, final ByteBuffer b, final long position) throws IOException
    {
        long p = position;
        while (b.hasRemaining())
        {
            p += ch.write(b, p);
        }
    }

    /** True if the file was there and matched this tier's geometry. */
    boolean existed()
    {
        return existed;
    }

    /** Reads every entry in order (sequential 1 MiB reads) and reports each slot. */
    void load(final EntryVisitor visitor) throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_ENTRIES * ENTRY).order(LE);
        final UnsafeBuffer c = new UnsafeBuffer(chunk);
        for (int first = 0; first < slotCount; first += CHUNK_ENTRIES)
        {
            final int n = Math.min(CHUNK_ENTRIES, slotCount - first);
            chunk.clear().limit(n * ENTRY);
            long p = FILE_HEADER + (long)first * ENTRY;
            while (chunk.hasRemaining())
            {
                final int r = channel.read(chunk, p);
                if (r < 0)
                {
                    break;
                }
                p += r;
            }
            final int got = chunk.position() / ENTRY;
            for (int i = 0; i < n; i++)
            {
                final int o = i * ENTRY;
                if (i >= got)
                {
                    visitor.visit(first + i, DAMAGED, 0, 0, 0, 0, 0);
                    continue;
                }
                final long hi = c.getLong(o + ID_HI, LE);
                final long lo = c.getLong(o + ID_LO, LE);
                final long sum = c.getLong(o + CHECKSUM, LE);
                if (hi == 0 && lo == 0 && sum == 0)
                {
                    visitor.visit(first + i, FREE, 0, 0, 0, 0, 0);
                }
                else if (sum != SlotHeaderLayout.checksum(c.addressOffset() + o, CHECKSUM))
                {
                    visitor.visit(first + i, DAMAGED, 0, 0, 0, 0, 0);
                }
                else
                {
                    visitor.visit(first + i, STORED, hi, lo, c.getLong(o + SALT, LE), c.getLong(o + LENGTH, LE),
                        c.getLong(o + GENERATION, LE));
                }
            }
        }
    }

    /** Records that {@code slot} holds the block. Returns false (nothing else) if the write failed. */
    boolean put(final int slot, final long idHi, final long idLo, final long salt, final long length,
                final long generation)
    {
        entryBuffer.putLong(ID_HI, idHi, LE);
        entryBuffer.putLong(ID_LO, idLo, LE);
        entryBuffer.putLong(SALT, salt, LE);
        entryBuffer.putLong(LENGTH, length, LE);
        entryBuffer.putLong(GENERATION, generation, LE);
        entryBuffer.putLong(40, 0, LE);
        entryBuffer.putLong(48, 0, LE);
        entryBuffer.putLong(CHECKSUM, SlotHeaderLayout.checksum(entryBuffer.addressOffset(), CHECKSUM), LE);
        return write(slot);
    }

    /** Marks {@code slot} free. Returns false if the write failed. */
    boolean clear(final int slot)
    {
        entryBuffer.setMemory(0, ENTRY, (byte)0);
        return write(slot);
    }

    private boolean write(final int slot)
    {
        entry.clear();
        try
        {
            return channel.write(entry, FILE_HEADER + (long)slot * ENTRY) == ENTRY;
        }
        catch (final IOException e)
        {
            return false;
        }
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException e)
        {
            // Entries went out with each positional write; nothing is buffered here.
        }
    }
}
