package io.kvbm4j.journal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.replay.JournalTraceReader;
import io.kvbm4j.replay.TraceException;
import io.kvbm4j.replay.TraceRequest;

/** Regression tests for what the journal fuzzing found (see docs/RELIABILITY.md). */
class JournalHostileInputTest
{
    /**
     * Found by fuzzing (journal-file): a queue file cut short (a crash while copying it, a full disk) made
     * Chronicle fault on its mapped memory, and the replay died with an InternalError.
     */
    @Test
    void aTruncatedJournalFileIsATraceErrorNotAnInternalError(@TempDir final Path dir) throws Exception
    {
        final ByteArrayOutputStream many = new ByteArrayOutputStream();
        for (int r = 0; r < 2000; r++)
        {
            many.writeBytes(JournalFuzzTest.record(JournalKind.MATCH_MISS, r, 0, r));
            many.writeBytes(JournalFuzzTest.record(JournalKind.STORED, r, 0, r));
        }
        JournalFuzzTest.writeJournal(dir, many.toByteArray());
        final Path cq4;
        try (Stream<Path> files = Files.list(dir))
        {
            cq4 = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(cq4.toFile(), "rw"))
        {
            f.setLength(60_000);
        }
        final TraceException ex = assertThrows(TraceException.class, () ->
        {
            try (JournalTraceReader reader = new JournalTraceReader(dir))
            {
                final TraceRequest req = new TraceRequest();
                while (reader.next(req))
                {
                    // read to the damage
                }
            }
        });
        assertTrue(ex.getMessage().startsWith(dir.toString()), ex.getMessage());
    }

    /**
     * Found by the hostile-length review of the journal target: a request's ids were kept in arrays grown to
     * the record's position (up to a million), for each of the 4096 open requests; a journal of 8 K records
     * asked for ~70 GB. Positions far past a request's known length are past its first gap and are ignored.
     */
    @Test
    void farPositionsInManyOpenRequestsDoNotGrowMemoryWithThePosition(@TempDir final Path dir)
    {
        final ByteArrayOutputStream many = new ByteArrayOutputStream();
        final int requests = JournalTraceReader.WINDOW + 1;
        for (int r = 0; r < requests; r++)
        {
            many.writeBytes(JournalFuzzTest.record(JournalKind.MATCH_MISS, r, 0, r));
            many.writeBytes(JournalFuzzTest.record(JournalKind.STORED, r, 999_999, r));
        }
        JournalFuzzTest.writeJournal(dir, many.toByteArray());
        int read = 0;
        try (JournalTraceReader reader = new JournalTraceReader(dir))
        {
            final TraceRequest req = new TraceRequest();
            while (reader.next(req))
            {
                read++;
                assertTrue(req.ids.size() <= 1, "ids after the gap: " + req.ids.size());
            }
        }
        assertTrue(read == requests, read + " requests");
    }

    /**
     * Found by the long fuzz run (journal-file): a queue file whose first message is not its header escaped
     * from the replay's close as UncheckedIOException(StreamCorruptedException).
     */
    @Test
    void aQueueFileWhoseFirstMessageIsNotItsHeaderIsATraceError(@TempDir final Path dir) throws Exception
    {
        JournalFuzzTest.writeJournal(dir, JournalFuzzTest.seedJournal());
        final Path cq4;
        try (Stream<Path> files = Files.list(dir))
        {
            cq4 = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(cq4.toFile(), "rw"))
        {
            f.seek(6); // the 'h' of "header"
            f.write('<');
        }
        final TraceException ex = assertThrows(TraceException.class, () ->
        {
            try (JournalTraceReader reader = new JournalTraceReader(dir))
            {
                final TraceRequest req = new TraceRequest();
                while (reader.next(req))
                {
                    // read to the damage
                }
            }
        });
        assertTrue(ex.getMessage().startsWith(dir.toString()), ex.getMessage());
    }
}
