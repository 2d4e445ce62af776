package io.kvbm4j.journal;

import static io.kvbm4j.journal.JournalRecordLayout.*;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Ring handler that appends every block of every run event (NOOP fillers excepted) to the {@link Journal},
 * one record per block ({@link JournalRecordLayout}, version 2). It runs on
 * its own ring thread, so appending never touches the serving thread; if the journal falls behind, the
 * ring fills and the serving thread gets {@code BACK_PRESSURED}, counted, as for any slow handler.
 *
 * <p>The appender is created on the handler thread ({@link #onStart()}), its only user. No allocation
 * per event.
 */
public final class JournalHandler implements EventHandler<BlockEvent>
{
    private final Journal journal;
    private ExcerptAppender appender;

    public JournalHandler(final Journal journal)
    {
        this.journal = journal;
    }

    @Override
    public void onStart()
    {
        appender = journal.newAppender();
    }

    @Override
    public void onEvent(final BlockEvent e, final long sequence, final boolean endOfBatch)
    {
        if (e.type == BlockEventType.NOOP)
        {
            return;
        }
        if (appender == null)
        {
            appender = journal.newAppender();
        }
        if (e.type == BlockEventType.DEGRADED)
        {
            write(e, -1, JournalKind.DEGRADED);
            return;
        }
        for (int i = 0; i < e.count; i++)
        {
            write(e, i, kind(e, i));
        }
    }

    private static JournalKind kind(final BlockEvent e, final int i)
    {
        switch (e.type)
        {
            case MATCH:
                return e.has(i, BlockEvent.MISS) ? JournalKind.MATCH_MISS : JournalKind.MATCH_HIT;
            case STORED:
                return e.has(i, BlockEvent.DEDUP) ? JournalKind.DEDUP : JournalKind.STORED;
            case REMOVED:
                return JournalKind.REMOVED;
            case ACQUIRE:
                return JournalKind.ACQUIRE;
            case RELEASE:
                return JournalKind.RELEASE;
            default:
                throw new IllegalStateException("no journal kind for " + e.type);
        }
    }

    /** One record: block {@code i} of the run, or the event alone when {@code i < 0}. */
    private void write(final BlockEvent e, final int i, final JournalKind kind)
    {
        try (DocumentContext dc = appender.writingDocument())
        {
            final Bytes<?> b = dc.wire().bytes();
            b.writeByte(VERSION);
            b.writeByte((byte)kind.ordinal());
            b.writeByte((byte)e.tier);
            b.writeByte((byte)(i < 0 ? 0 : e.flags[i]));
            b.writeInt(i < 0 ? -1 : e.slot[i]);
            b.writeLong(e.timeNanos);
            b.writeLong(i < 0 ? 0 : e.idHi[i]);
            b.writeLong(i < 0 ? 0 : e.idLo[i]);
            b.writeLong(e.requestId);
            b.writeLong(e.tick);
            b.writeInt(i < 0 ? 0 : e.position[i]);
            b.writeInt(i < 0 ? 0 : e.refCount[i]);
            b.writeInt(i < 0 ? 0 : e.aux[i]);
        }
    }

    @Override
    public void onShutdown()
    {
        if (appender != null)
        {
            appender.close();
        }
    }
}
