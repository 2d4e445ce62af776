package io.kvbm4j.journal;

import static io.kvbm4j.journal.JournalRecordLayout.*;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Reads journal records in order. Owned by one thread. A record of the wrong length, version or type is
 * refused with a {@link JournalFormatException} naming its index.
 */
public final class JournalTailer implements AutoCloseable
{
    private final ExcerptTailer tailer;

    JournalTailer(final ExcerptTailer tailer)
    {
        this.tailer = tailer;
    }

    /** Moves to the first record. */
    public JournalTailer toStart()
    {
        tailer.toStart();
        return this;
    }

    /** Moves past the last record (to follow new ones). */
    public JournalTailer toEnd()
    {
        tailer.toEnd();
        return this;
    }

    /**
     * Reads the next record into {@code out}.
     *
     * @return false when there is none (yet).
     */
    public boolean next(final JournalRecord out)
    {
        while (true)
        {
            final int r = read(out);
            if (r >= 0)
            {
                return r == 1;
            }
            // a version-1 record of an event type that no longer exists: skip it
        }
    }

    /** @return 1 read, 0 none yet, -1 skipped. */
    private int read(final JournalRecord out)
    {
        try (DocumentContext dc = tailer.readingDocument())
        {
            if (!dc.isPresent())
            {
                return 0;
            }
            final Bytes<?> b = dc.wire().bytes();
            final long index = dc.index();
            final long length = b.readRemaining();
            if (length != RECORD_BYTES)
            {
                throw new JournalFormatException("journal record at index " + Long.toHexString(index) + " has " +
                    length + " bytes, expected " + RECORD_BYTES + " (not a kvbm4j journal?)");
            }
            final long start = b.readPosition();
            final int version = b.readByte(start + VERSION_OFFSET);
            if (version < OLDEST_READABLE || version > VERSION)
            {
                throw new JournalFormatException("journal record at index " + Long.toHexString(index) +
                    " has format version " + version + ", this build reads versions " + OLDEST_READABLE + " to " +
                    VERSION);
            }
            final int type = b.readUnsignedByte(start + TYPE_OFFSET);
            if (version == 1)
            {
                if (!JournalKind.knownV1(type))
                {
                    throw new JournalFormatException("journal record at index " + Long.toHexString(index) +
                        " (format version 1) has unknown event type " + type);
                }
                out.type = JournalKind.ofV1(type);
                out.flags = 0;
                if (out.type == null)
                {
                    b.readSkip(length);
                    return -1;
                }
            }
            else
            {
                out.type = JournalKind.of(type);
                if (out.type == null)
                {
                    throw new JournalFormatException("journal record at index " + Long.toHexString(index) +
                        " has unknown event type " + type);
                }
                out.flags = b.readUnsignedByte(start + FLAGS_OFFSET);
            }
            out.tier = b.readUnsignedByte(start + TIER_OFFSET);
            out.slot = b.readInt(start + SLOT_OFFSET);
            out.timeNanos = b.readLong(start + TIME_OFFSET);
            out.idHi = b.readLong(start + ID_HI_OFFSET);
            out.idLo = b.readLong(start + ID_LO_OFFSET);
            out.requestId = b.readLong(start + REQUEST_ID_OFFSET);
            out.tick = b.readLong(start + TICK_OFFSET);
            out.position = b.readInt(start + POSITION_OFFSET);
            out.refCount = b.readInt(start + REF_COUNT_OFFSET);
            out.aux = b.readInt(start + AUX_OFFSET);
            out.index = index;
            b.readSkip(length);
            return 1;
        }
    }

    @Override
    public void close()
    {
        tailer.close();
    }
}
