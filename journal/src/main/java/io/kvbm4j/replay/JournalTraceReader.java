package io.kvbm4j.replay;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.journal.Journal;
import io.kvbm4j.journal.JournalFormatException;
import io.kvbm4j.journal.JournalRecord;
import io.kvbm4j.journal.JournalTailer;
import io.kvbm4j.journal.JournalKind;

/**
 * Turns a kvbm4j journal back into a trace of requests. A request begins with its match (the MATCH_HIT
 * or MATCH_MISS at position 0); its ids come from the match hits and from the G1 STORED/DEDUP records of the
 * same request id, placed by position (a gap, where a block was never stored, ends the request there).
 * Requests come out in the order their matches happened, each once {@link #WINDOW} later requests have
 * begun (or at the end), so memory is bounded by the window, not the journal.
 */
public final class JournalTraceReader implements TraceReader
{
    /** Requests kept open while later ones begin. */
    public static final int WINDOW = 4096;

    private static final class Pending
    {
        final long requestId;
        final long startNanos;
        long[] hi = new long[16];
        long[] lo = new long[16];
        boolean[] set = new boolean[16];
        int length;

        Pending(final long requestId, final long startNanos)
        {
            this.requestId = requestId;
            this.startNanos = startNanos;
        }

        void put(final int position, final long idHi, final long idLo)
        {
            if (position < 0 || position >= MooncakeTraceReader.MAX_IDS)
            {
                return;
            }
            if (position >= hi.length)
            {
                final int n = Math.max(position + 1, hi.length * 2);
                hi = java.util.Arrays.copyOf(hi, n);
                lo = java.util.Arrays.copyOf(lo, n);
                set = java.util.Arrays.copyOf(set, n);
            }
            hi[position] = idHi;
            lo[position] = idLo;
            set[position] = true;
            length = Math.max(length, position + 1);
        }
    }

    private final String name;
    private final Journal journal;
    private final JournalTailer tailer;
    private final JournalRecord record = new JournalRecord();
    private final ArrayDeque<Pending> order = new ArrayDeque<>();
    private final Map<Long, Pending> open = new HashMap<>();
    private long emitted;
    private long recordsRead;
    private boolean end;

    public JournalTraceReader(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            throw new TraceException(dir + ": not a journal directory");
        }
        this.name = dir.toString();
        this.journal = new Journal(dir, Journal.Roll.HOURLY, null, true);
        this.tailer = journal.tailer().toStart();
    }

    @Override
    public boolean next(final TraceRequest into)
    {
        while (!end && order.size() <= WINDOW)
        {
            readOne();
        }
        final Pending p = order.pollFirst();
        if (p == null)
        {
            return false;
        }
        if (open.get(p.requestId) == p)
        {
            open.remove(p.requestId);
        }
        final BlockIds ids = into.ids;
        ids.clear();
        for (int i = 0; i < p.length && p.set[i]; i++)
        {
            ids.add(p.hi[i], p.lo[i]);
        }
        into.timestampMs = p.startNanos / 1_000_000;
        into.line = ++emitted;
        return true;
    }

    private void readOne()
    {
        final boolean got;
        try
        {
            got = tailer.next(record);
        }
        catch (final JournalFormatException ex)
        {
            throw new TraceException(name + ": " + ex.getMessage(), ex);
        }
        if (!got)
        {
            end = true;
            return;
        }
        recordsRead++;
        final JournalKind type = record.type;
        if ((type == JournalKind.MATCH_HIT || type == JournalKind.MATCH_MISS) && record.position == 0)
        {
            final Pending p = new Pending(record.requestId, record.timeNanos);
            open.put(record.requestId, p);
            order.addLast(p);
        }
        if (type == JournalKind.MATCH_HIT || type == JournalKind.MATCH_MISS ||
            (type == JournalKind.STORED || type == JournalKind.DEDUP) && record.tier == 0)
        {
            final Pending p = open.get(record.requestId);
            if (p != null)
            {
                p.put(record.position, record.idHi, record.idLo);
            }
        }
    }

    @Override
    public long bytesRead()
    {
        return recordsRead;
    }

    @Override
    public long totalBytes()
    {
        return -1;
    }

    @Override
    public void close()
    {
        tailer.close();
        journal.close();
    }
}
