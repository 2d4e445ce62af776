package io.kvbm4j.journal;

import java.nio.file.Path;

import net.openhft.chronicle.core.time.TimeProvider;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;

/**
 * The access journal: a Chronicle Queue of {@link JournalRecordLayout} records in a directory, rolled
 * hourly or daily. One writer (the {@link JournalHandler} on its ring thread); any number of
 * {@link JournalTailer}s, in this or another process.
 */
public final class Journal implements AutoCloseable
{
    /** How often a new queue file starts. */
    public enum Roll
    {
        HOURLY(RollCycles.FAST_HOURLY),
        DAILY(RollCycles.FAST_DAILY);

        private final RollCycles cycle;

        Roll(final RollCycles cycle)
        {
            this.cycle = cycle;
        }

        /** @return the roll, or {@code null} for an unknown name ("hourly", "daily"). */
        public static Roll parse(final String name)
        {
            for (final Roll r : values())
            {
                if (r.name().equalsIgnoreCase(name))
                {
                    return r;
                }
            }
            return null;
        }
    }

    private final Path dir;
    private final SingleChronicleQueue queue;

    /** Opens (or creates) the journal in {@code dir}. */
    public Journal(final Path dir, final Roll roll)
    {
        this(dir, roll, null, false);
    }

    /**
     * @param timeProvider the clock that decides the roll (tests use a settable one); null for the system clock.
     * @param readOnly     open for reading only (tools).
     */
    public Journal(final Path dir, final Roll roll, final TimeProvider timeProvider, final boolean readOnly)
    {
        if (readOnly && !java.nio.file.Files.isDirectory(dir))
        {
            // Chronicle's builder would create the directory even when opening read-only.
            throw new JournalFormatException(dir + ": no journal here (not a directory)");
        }
        this.dir = dir;
        final SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(dir)
            .rollCycle(roll.cycle)
            .blockSize(1 << 20)
            .readOnly(readOnly);
        if (timeProvider != null)
        {
            builder.timeProvider(timeProvider);
        }
        this.queue = builder.build();
    }

    public Path dir()
    {
        return dir;
    }

    /** A new appender; use it from one thread only. */
    ExcerptAppender newAppender()
    {
        return queue.createAppender();
    }

    /** A reader from the first record. */
    public JournalTailer tailer()
    {
        return new JournalTailer(queue.createTailer());
    }

    /** Index of the last record written, or -1 when empty. */
    public long lastIndex()
    {
        final long last = queue.lastIndex();
        return last < 0 ? -1 : last;
    }

    /** Number of roll-cycle files so far (for stats). */
    public int cycles()
    {
        final int first = queue.firstCycle();
        final int last = queue.lastCycle();
        return first == Integer.MAX_VALUE || last == Integer.MIN_VALUE ? 0 : last - first + 1;
    }

    @Override
    public void close()
    {
        queue.close();
    }
}
