package io.kvbm4j.metadata;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;

import net.openhft.chronicle.hash.serialization.impl.ByteArraySizedReader;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Block metadata off-heap in a Chronicle Map: 16-byte id → {@link BlockRecordLayout} record. In memory by
 * default; persisted to a file when configured (a later open of the same file finds the records again).
 *
 * <p>Concurrency: Chronicle Map is safe for concurrent readers; by contract there is exactly one writer,
 * the {@link MetadataHandler} on its ring thread. Readers (tools, tests) use their own {@link BlockRecord}.
 * Capacity: the map is sized for {@code maxEntries}; the manager refuses registrations beyond it with
 * {@code NO_SPACE} before anything reaches the map.
 */
public final class MetadataStore implements AutoCloseable
{
    private final ChronicleMap<byte[], byte[]> map;
    private final long maxEntries;
    private final Path persistedTo;

    /**
     * @param persistTo the map file, or {@code null} for in-memory.
     * @throws UncheckedIOException when the file cannot be created or opened (a start-up fault).
     */
    public MetadataStore(final long maxEntries, final Path persistTo)
    {
        if (maxEntries <= 0)
        {
            throw new IllegalArgumentException("maxEntries must be > 0: " + maxEntries);
        }
        this.maxEntries = maxEntries;
        this.persistedTo = persistTo;
        final var builder = ChronicleMap.of(byte[].class, byte[].class)
            .name("kvbm4j-block-metadata")
            .constantKeySizeBySample(new byte[BlockRecordLayout.KEY_BYTES])
            .constantValueSizeBySample(new byte[BlockRecordLayout.RECORD_BYTES])
            // Reused wrappers and no previous-value copies: a register or evict allocates nothing.
            .keyReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusingByteArrayDataAccess())
            .valueReaderAndDataAccess(ByteArraySizedReader.INSTANCE, new ReusingByteArrayDataAccess())
            .putReturnsNull(true)
            .removeReturnsNull(true)
            .entries(maxEntries);
        try
        {
            if (persistTo == null)
            {
                map = builder.create();
            }
            else
            {
                final File file = persistTo.toFile();
                final File parent = file.getAbsoluteFile().getParentFile();
                if (parent != null && !parent.isDirectory() && !parent.mkdirs())
                {
                    throw new IOException("cannot create directory " + parent);
                }
                map = builder.createPersistedTo(file);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open metadata store at " + persistTo + ": " + ex.getMessage(), ex);
        }
    }


    public long maxEntries()
    {
        return maxEntries;
    }

    /** The file backing the map, or {@code null} when in memory. */
    public Path persistedTo()
    {
        return persistedTo;
    }

    /** Number of records. */
    public long size()
    {
        return map.longSize();
    }

    /** Writes the 16-byte key for an id into {@code key}. */
    public static void key(final long hi, final long lo, final byte[] key, final UnsafeBuffer keyBuffer)
    {
        keyBuffer.putLong(0, hi);
        keyBuffer.putLong(8, lo);
    }

    /** Reads the record of id (hi, lo) into {@code out}. @return false when there is none. */
    public boolean read(final long hi, final long lo, final BlockRecord out)
    {
        final byte[] key = new byte[BlockRecordLayout.KEY_BYTES];
        key(hi, lo, key, new UnsafeBuffer(key));
        return map.getUsing(key, out.bytes()) != null;
    }

    /**
     * Writes the record of id (hi, lo). For tools, tests and later tiers' handlers; while a manager runs,
     * its metadata handler is the map's writer, so call this only from that handler's thread or when the
     * manager is idle.
     */
    public void write(final long hi, final long lo, final BlockRecord record)
    {
        final byte[] key = new byte[BlockRecordLayout.KEY_BYTES];
        key(hi, lo, key, new UnsafeBuffer(key));
        map.put(key, record.bytes());
    }

    boolean readInto(final byte[] key, final BlockRecord out)
    {
        return map.getUsing(key, out.bytes()) != null;
    }

    void write(final byte[] key, final BlockRecord record)
    {
        map.put(key, record.bytes());
    }

    void remove(final byte[] key)
    {
        map.remove(key);
    }

    @Override
    public void close()
    {
        map.close();
    }
}
