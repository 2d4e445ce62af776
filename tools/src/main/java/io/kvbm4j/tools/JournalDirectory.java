package io.kvbm4j.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import io.kvbm4j.journal.Journal;
import io.kvbm4j.journal.JournalFormatException;
import io.kvbm4j.journal.JournalRecord;
import io.kvbm4j.journal.JournalTailer;

/**
 * An existing access journal, opened read-only for the {@code journal} tools: what is in its directory, and its
 * records in order.
 *
 * <p>The directory is checked before Chronicle Queue sees it, because a read-only open of a missing directory
 * still creates it: reading never creates or changes a file. Owned by one thread.
 */
final class JournalDirectory implements AutoCloseable
{
    /** Suffix of a Chronicle Queue roll-cycle file. */
    static final String CYCLE_SUFFIX = ".cq4";
    /** Chronicle Queue's metadata file, written when a queue is created. */
    static final String METADATA_FILE = "metadata.cq4t";

    /** The directory is not a journal that can be read; the message names it. */
    static final class NotAJournalException extends Exception
    {
        private static final long serialVersionUID = 1L;

        NotAJournalException(final String message)
        {
            super(message);
        }
    }

    /** Receives records in journal order. */
    interface RecordVisitor
    {
        /**
         * @param number the record's position in the journal, from 0.
         * @return false to stop reading.
         */
        boolean visit(long number, JournalRecord record);
    }

    private final Path dir;
    private final int cycleFiles;
    private final long bytes;
    private final Journal journal;

    private JournalDirectory(final Path dir, final int cycleFiles, final long bytes, final Journal journal)
    {
        this.dir = dir;
        this.cycleFiles = cycleFiles;
        this.bytes = bytes;
        this.journal = journal;
    }

    /** Checks that {@code dir} holds a Chronicle Queue and opens it read-only. */
    static JournalDirectory open(final Path dir) throws NotAJournalException
    {
        if (!Files.exists(dir))
        {
            throw new NotAJournalException(dir + ": no such directory");
        }
        if (!Files.isDirectory(dir))
        {
            throw new NotAJournalException(dir + ": not a directory");
        }
        int cycles = 0;
        long bytes = 0;
        boolean metadata = false;
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path f : (Iterable<Path>)files::iterator)
            {
                if (!Files.isRegularFile(f))
                {
                    continue;
                }
                final String name = f.getFileName().toString();
                cycles += name.endsWith(CYCLE_SUFFIX) ? 1 : 0;
                metadata |= name.equals(METADATA_FILE);
                bytes += Files.size(f);
            }
        }
        catch (final IOException ex)
        {
            throw new NotAJournalException(dir + ": cannot list: " + ex.getMessage());
        }
        if (cycles == 0 && !metadata)
        {
            throw new NotAJournalException(dir + ": not a kvbm4j journal (no Chronicle Queue files, *" + CYCLE_SUFFIX +
                " or " + METADATA_FILE + ")");
        }
        final Journal journal;
        try
        {
            // The roll is read from the queue's metadata; HOURLY only stands in until then.
            journal = new Journal(dir, Journal.Roll.HOURLY, null, true);
        }
        catch (final RuntimeException ex)
        {
            throw new NotAJournalException(dir + ": cannot open the journal: " + ex.getMessage());
        }
        return new JournalDirectory(dir, cycles, bytes, journal);
    }

    Path dir()
    {
        return dir;
    }

    /** Roll-cycle files ({@code *.cq4}) in the directory. */
    int cycleFiles()
    {
        return cycleFiles;
    }

    /** Sum of the sizes of the files in the directory when it was opened. */
    long bytes()
    {
        return bytes;
    }

    /**
     * Hands every record, in order, to {@code visitor} until it returns false or the journal ends.
     *
     * @return records read.
     * @throws JournalFormatException for a record kvbm4j did not write; the message names the directory, the
     *                                record's queue index and its number.
     */
    long forEach(final RecordVisitor visitor)
    {
        final JournalRecord r = new JournalRecord();
        long n = 0;
        try (JournalTailer tailer = journal.tailer().toStart())
        {
            while (true)
            {
                try
                {
                    if (!tailer.next(r))
                    {
                        return n;
                    }
                }
                catch (final JournalFormatException ex)
                {
                    throw new JournalFormatException(dir + ": " + ex.getMessage() + " (record #" + n + ")");
                }
                if (!visitor.visit(n++, r))
                {
                    return n;
                }
            }
        }
    }

    @Override
    public void close()
    {
        journal.close();
    }
}
