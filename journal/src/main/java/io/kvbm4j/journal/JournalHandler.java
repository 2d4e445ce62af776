package io.kvbm4j.journal;

import static io.kvbm4j.journal.JournalRecordLayout.*;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;

/**
 * Ring handler that appends every block event (NOOP fillers excepted) to the {@link Journal}. It runs on
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
        try (DocumentContext dc = appender.writingDocument())
        {
            final Bytes<?> b = dc.wire().bytes();
            b.writeByte(VERSION);
            b.writeByte((byte)e.type.ordinal());
            b.writeByte((byte)e.tier);
            b.writeByte((byte)0);
            b.writeInt(e.slot);
            b.writeLong(e.timeNanos);
            b.writeLong(e.idHi);
            b.writeLong(e.idLo);
            b.writeLong(e.requestId);
            b.writeLong(e.tick);
            b.writeInt(e.position);
            b.writeInt(e.refCount);
            b.writeInt(e.aux);
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
