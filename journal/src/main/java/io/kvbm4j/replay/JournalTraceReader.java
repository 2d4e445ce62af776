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
    /** How far past a request's known length a block may be placed (blocks registered out of order). */
    public static final int MAX_AHEAD = 64;

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
            // A position more than MAX_AHEAD past the known length lies past a gap, where the request ends
            // anyway. Growing the arrays to it let a hostile journal of 8 K records ask for ~70 GB (4096 open
            // requests x a million positions; found by the torture module's journal review).
            if (position < 0 || position >= MooncakeTraceReader.MAX_IDS || position > length + MAX_AHEAD)
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
        checkFileLengths(dir, name);
        Journal j = null;
        try
        {
            j = new Journal(dir, Journal.Roll.HOURLY, null, true);
            this.tailer = j.tailer().toStart();
        }
        catch (final Exception | InternalError ex)
        {
            if (j != null)
            {
                j.close();
            }
            throw new TraceException(name + ": cannot open the journal: " + ex, ex);
        }
        this.journal = j;
    }

    /** Chronicle's mapping of a journal file: chunks of the block size Journal sets, plus an overlap of a quarter. */
    private static final long CHUNK = 1 << 20;
    private static final long OVERLAP = CHUNK / 4;

    /**
     * Refuses queue files cut short before Chronicle maps them: reading a mapping past the end of a file faults
     * (SIGBUS), which the JVM delivers as an asynchronous InternalError at a later point of the compiled code,
     * where no handler can be placed reliably (found by fuzzing; JournalHostileInputTest). Chronicle creates a
     * file one chunk plus the overlap long and extends it a chunk at a time, so a whole file has at least
     * {@code CHUNK + OVERLAP} bytes. (A longer file cut at another point is still caught, best effort, by the
     * handlers in readOne and next.)
     */
    private static void checkFileLengths(final Path dir, final String name)
    {
        try (java.util.stream.Stream<Path> files = Files.list(dir))
        {
            for (final Path f : files.filter(p -> p.getFileName().toString().endsWith(".cq4")).toList())
            {
                final long length = Files.size(f);
                if (length < CHUNK + OVERLAP)
                {
                    throw new TraceException(name + ": journal file " + f.getFileName() + " is cut short (" + length +
                        " bytes; a whole one has at least " + (CHUNK + OVERLAP) + ")");
                }
            }
        }
        catch (final java.io.IOException ex)
        {
            throw new TraceException(name + ": cannot list the journal: " + ex.getMessage(), ex);
        }
    }

    @Override
    public boolean next(final TraceRequest into)
    {
        try
        {
            while (!end && order.size() <= WINDOW)
            {
                readOne();
            }
        }
        catch (final InternalError ex)
        {
            // A fault on the mapped file is delivered asynchronously: once readOne is compiled into this method it
            // can surface here, after readOne's own handler (seen in JournalHostileInputTest).
            throw new TraceException(name + ": journal damaged after record " + recordsRead + ": " + ex, ex);
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
        catch (final Exception | InternalError ex)
        {
            // A damaged queue file: Chronicle throws its own exceptions (checked ones too, rethrown unchecked),
            // or faults on the mapped file (a file cut short), which the JVM reports as InternalError. Found by
            // fuzzing (torture JournalFuzzTest).
            throw new TraceException(name + ": journal damaged after record " + recordsRead + ": " + ex, ex);
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
        try
        {
            tailer.close();
        }
        catch (final Exception | InternalError ex)
        {
            journal.close();
            throw new TraceException(name + ": journal damaged (found on close): " + ex, ex);
        }
        try
        {
            journal.close();
        }
        catch (final Exception | InternalError ex)
        {
            // Chronicle reads a cycle file's header lazily; a damaged one can surface only here (found by fuzzing:
            // UncheckedIOException(StreamCorruptedException "The first message should be the header")).
            throw new TraceException(name + ": journal damaged (found on close): " + ex, ex);
        }
    }
}
