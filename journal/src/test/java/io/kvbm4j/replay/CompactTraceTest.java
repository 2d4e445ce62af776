package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompactTraceTest
{
    private static final String TRACE = "{\"timestamp\": 7, \"hash_ids\": [1, 2, 3]}\n" +
        "{\"hash_ids\": [1, 2, 9, 18446744]}\n{\"timestamp\": 9, \"hash_ids\": []}\n";

    private static List<String> requests(final TraceReader reader)
    {
        final List<String> out = new ArrayList<>();
        final TraceRequest req = new TraceRequest();
        while (reader.next(req))
        {
            final StringBuilder sb = new StringBuilder().append(req.timestampMs).append(':');
            for (int i = 0; i < req.ids.size(); i++)
            {
                sb.append(req.ids.hi(i)).append('/').append(req.ids.lo(i)).append(' ');
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static CompactTrace cached(final Path file, final Path dir, final AtomicInteger parses)
    {
        return CompactTrace.cached(file, dir, () ->
        {
            parses.incrementAndGet();
            return new MooncakeTraceReader(file);
        }, null, null);
    }

    @Test
    void theCacheGivesBackExactlyTheRequestsOfTheFileAndIsParsedOnce(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("t.jsonl");
        Files.writeString(file, TRACE);
        final List<String> direct;
        try (TraceReader r = new MooncakeTraceReader(file))
        {
            direct = requests(r);
        }
        final AtomicInteger parses = new AtomicInteger();
        final CompactTrace first = cached(file, dir.resolve("cache"), parses);
        final CompactTrace second = cached(file, dir.resolve("cache"), parses);
        assertEquals(1, parses.get(), "the second open reads the cache");
        assertEquals(direct, requests(first.reader()));
        assertEquals(direct, requests(second.reader()));
        assertEquals(5, second.distinct());
        assertEquals(7, second.accesses());
    }

    @Test
    void aChangedSourceOrADamagedCacheFileIsParsedAgain(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("t.jsonl");
        final Path cache = dir.resolve("cache");
        Files.writeString(file, TRACE);
        final AtomicInteger parses = new AtomicInteger();
        cached(file, cache, parses);
        // Same size, one id changed: the hash tells.
        Files.writeString(file, TRACE.replace("[1, 2, 3]", "[1, 2, 4]"));
        assertEquals("[1, 2, 4]".length(), "[1, 2, 3]".length());
        final CompactTrace changed = cached(file, cache, parses);
        assertEquals(2, parses.get());
        assertTrue(requests(changed.reader()).get(0).endsWith("0/4 "));
        // A truncated cache file is rebuilt, not trusted.
        try (var files = Files.list(cache))
        {
            for (final Path p : files.toList())
            {
                Files.write(p, java.util.Arrays.copyOf(Files.readAllBytes(p), (int)Files.size(p) - 4));
            }
        }
        final CompactTrace rebuilt = cached(file, cache, parses);
        assertEquals(3, parses.get());
        assertEquals(requests(changed.reader()), requests(rebuilt.reader()));
        try (var files = Files.list(cache))
        {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void aParallelReplayGivesTheStreamingReplaysFiguresAndAStoppedOneIsPartial()
    {
        final Path file = SharedTraces.mooncake();
        final CompactTrace trace;
        try (TraceReader r = new MooncakeTraceReader(file))
        {
            trace = CompactTrace.read(r, null);
        }
        final int[] capacities = {500, 4000};
        final List<PolicyKind> kinds = List.of(PolicyKind.values());
        final List<ReplayResult> streaming = PolicyReplay.run(() -> new MooncakeTraceReader(file), kinds, capacities,
            null);
        final List<ReplayResult> parallel = PolicyReplay.run(trace, kinds, capacities, 2, new ReplayControl());
        assertEquals(streaming.size(), parallel.size());
        for (int i = 0; i < streaming.size(); i++)
        {
            assertEquals(streaming.get(i).policy(), parallel.get(i).policy());
            assertEquals(streaming.get(i).capacityBlocks(), parallel.get(i).capacityBlocks());
            assertEquals(streaming.get(i).hits(), parallel.get(i).hits(), streaming.get(i).toString());
            assertEquals(streaming.get(i).accesses(), parallel.get(i).accesses());
        }
        final ReplayControl stopped = new ReplayControl();
        stopped.stop();
        for (final ReplayResult r : PolicyReplay.run(trace, kinds, capacities, 2, stopped))
        {
            assertTrue(r.requests() < trace.requests(), r.toString());
        }
    }

    @Test
    void theProductionShapedGeneratorIsSeededAndReadable(@TempDir final Path dir) throws IOException
    {
        final Path a = dir.resolve("a.jsonl");
        final Path b = dir.resolve("b.jsonl");
        final long accesses = ProductionShapedTrace.write(a, 40, 3);
        ProductionShapedTrace.write(b, 40, 3);
        assertEquals(-1, Files.mismatch(a, b), "same seed, same file");
        final CompactTrace trace;
        try (TraceReader r = new MooncakeTraceReader(a))
        {
            trace = CompactTrace.read(r, null);
        }
        assertEquals(40, trace.requests());
        assertEquals(accesses, trace.accesses());
        assertTrue(trace.distinct() < accesses, "prefixes are shared");
    }
}
