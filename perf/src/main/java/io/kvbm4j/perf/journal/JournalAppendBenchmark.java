package io.kvbm4j.perf.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import io.kvbm4j.journal.Journal;
import io.kvbm4j.journal.JournalHandler;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.perf.pipeline.Events;

/**
 * Journal append, in ns per event: {@link JournalHandler#onEvent} of one block event into a Chronicle
 * Queue journal in a fresh temporary directory (hourly roll), on the benchmark thread, which plays the
 * handler's ring thread. The events cycle through the types a request publishes (allocate, fill, complete,
 * register, match hit, release, evict) with changing ids and slots. The directory is deleted after the trial.
 *
 * <p>The figure is the handler's cost only: on the ring it runs on its own thread, and the serving thread
 * only sees it as back-pressure when the journal falls behind (docs/ARCHITECTURE.md). A journal written to
 * tmpfs or page cache is measured here: the queue's files are memory-mapped, the kernel writes them back.
 * Allocation: {@code -prof gc}; the handler is documented not to allocate per event.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh JournalAppendBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class JournalAppendBenchmark
{
    private static final BlockEventType[] TYPES = {
        BlockEventType.STORED, BlockEventType.MATCH, BlockEventType.RELEASE, BlockEventType.REMOVED,
    };

    /** A journal, its handler (started on the benchmark thread) and one reused event. */
    @State(Scope.Thread)
    public static class Appender
    {
        Path dir;
        Journal journal;
        JournalHandler handler;
        final BlockEvent event = new BlockEvent();
        long sequence;

        @Setup(Level.Trial)
        public void open() throws IOException
        {
            dir = Files.createTempDirectory("kvbm4j-journal-bench");
            journal = new Journal(dir, Journal.Roll.HOURLY);
            handler = new JournalHandler(journal);
            handler.onStart();
        }

        @TearDown(Level.Trial)
        public void close() throws IOException
        {
            handler.onShutdown();
            journal.close();
            try (Stream<Path> files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    public long append(final Appender a)
    {
        final long s = ++a.sequence;
        final BlockEvent e = a.event;
        Events.one(e, TYPES[(int)(s % TYPES.length)], 0, (int)(s & 4095), s * 0x9E3779B97F4A7C15L, s, (int)(s & 63),
            s >>> 6, s, 1);
        a.handler.onEvent(e, s, true);
        return s;
    }
}
