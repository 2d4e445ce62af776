package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.journal.JournaledEngines;
import io.kvbm4j.replay.PolicyKind;
import io.kvbm4j.replay.PolicyReplay;
import io.kvbm4j.replay.ReplayResult;
import io.kvbm4j.replay.TraceReader;
import io.kvbm4j.replay.TraceRequest;

/**
 * {@code replay --engine}: drives the full manager (ring, metadata store, optional journal) with the trace,
 * one manager per (policy, capacity), on this thread as its serving thread, and records the latency of
 * every match and allocate. The replay is offline, so a BACK_PRESSURED call is retried (spinning) and
 * counted rather than dropped. OPT is not an online policy and is skipped here.
 */
final class EngineReplay
{
    private EngineReplay()
    {
    }

    static int run(final Supplier<TraceReader> source, final List<PolicyKind> kinds, final int[] capacities,
        final int blockTokens, final Path journal, final boolean csv, final Path out, final PrintWriter w,
        final PrintWriter err)
    {
        final List<PolicyKind> anchors = List.of(PolicyKind.LRU, PolicyKind.OPT);
        final Map<Integer, Double> lru = new HashMap<>();
        final Map<Integer, Double> opt = new HashMap<>();
        for (final ReplayResult r : PolicyReplay.run(source, anchors, capacities, null))
        {
            (r.policy().equals("lru") ? lru : opt).put(r.capacityBlocks(), r.hitRate());
        }
        final List<ReplayResult> results = new ArrayList<>();
        final List<HtmlReport.Latency> latencies = new ArrayList<>();
        long backPressured = 0;
        for (final PolicyKind kind : kinds)
        {
            if (kind.needsFuture())
            {
                err.println("note: " + kind.cliName() + " needs the trace's future and is skipped in --engine mode");
                continue;
            }
            for (final int capacity : capacities)
            {
                final Map<String, String> overrides = new HashMap<>();
                overrides.put("model", "tiny-test");
                overrides.put("block-tokens", Integer.toString(Math.min(blockTokens, 4096)));
                overrides.put("tiers.g1-blocks", Integer.toString(capacity));
                overrides.put("tiers.g2-blocks", "0");
                if (journal != null)
                {
                    overrides.put("journal.dir", journal.resolve(kind.cliName() + "-" + capacity).toString());
                }
                final EngineConfig config = ConfigLoader.withOverrides(null, overrides);
                final Engines.Builder builder = journal != null ? JournaledEngines.builder(config) :
                    Engines.builder(config);
                final Histogram match = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                final Histogram allocate = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                final long[] totals = new long[3]; // requests, accesses, hits
                final long start;
                final long end;
                try (DefaultKvBlockManager m = builder.g1Policy(kind::create).open())
                {
                    start = System.nanoTime();
                    drive(m, source, capacity, match, allocate, totals);
                    end = System.nanoTime();
                    m.awaitHandlers(60, TimeUnit.SECONDS);
                    backPressured += m.counters().get(Counter.BACK_PRESSURED);
                    final String broken = m.checkInvariants();
                    if (broken != null)
                    {
                        err.println("kvbm4j replay: pool invariants broken after the replay: " + broken);
                        return 1;
                    }
                }
                results.add(new ReplayResult(kind.cliName(), capacity, totals[0], totals[1], totals[2],
                    (end - start) / 1e9));
                latencies.add(new HtmlReport.Latency(kind.cliName() + "@" + capacity + " match", match));
                latencies.add(new HtmlReport.Latency(kind.cliName() + "@" + capacity + " allocate", allocate));
            }
        }
        if (csv)
        {
            ReplayReport.writeCsv(w, results, lru, opt);
        }
        else
        {
            w.printf(Locale.ROOT, "kvbm4j replay --engine: full engine (ring, metadata%s), one serving thread%n%n",
                journal != null ? ", journal" : "");
            w.printf(Locale.ROOT, "  %-10s %10s %10s %11s %14s %10s %10s %10s %10s%n", "policy", "capacity",
                "hit rate", "gap closed", "accesses/s", "match p50", "p99", "p99.9", "alloc p99.9");
            for (int i = 0; i < results.size(); i++)
            {
                final ReplayResult r = results.get(i);
                final Histogram mh = latencies.get(2 * i).histogram();
                final Histogram ah = latencies.get(2 * i + 1).histogram();
                final double gap = r.gapClosed(lru.get(r.capacityBlocks()), opt.get(r.capacityBlocks()));
                w.printf(Locale.ROOT, "  %-10s %,10d %10.4f %11s %,14.0f %9.2fu %9.2fu %9.2fu %9.2fu%n", r.policy(),
                    r.capacityBlocks(), r.hitRate(), Double.isNaN(gap) ? "-" : String.format(Locale.ROOT, "%.3f", gap),
                    r.accessesPerSecond(), mh.getValueAtPercentile(50) / 1e3, mh.getValueAtPercentile(99) / 1e3,
                    mh.getValueAtPercentile(99.9) / 1e3, ah.getValueAtPercentile(99.9) / 1e3);
            }
            w.printf(Locale.ROOT, "%n  latency in microseconds per call (each retry is a call); calls refused for a full ring and retried: %,d%n",
                backPressured);
        }
        w.flush();
        if (out != null)
        {
            err.println("report: " + ReplayReport.write(out, "engine replay", results, lru, opt, latencies)
                .toAbsolutePath());
        }
        err.flush();
        return 0;
    }

    private static void drive(final DefaultKvBlockManager m, final Supplier<TraceReader> source, final int capacity,
        final Histogram matchLatency, final Histogram allocateLatency, final long[] totals)
    {
        final TraceRequest req = new TraceRequest();
        int[] held = new int[1024];
        int[] fresh = new int[1024];
        final int blockTokens = m.blockTokens();
        long requestId = 0;
        try (TraceReader reader = source.get())
        {
            while (reader.next(req))
            {
                final BlockIds ids = req.ids;
                final int n = ids.size();
                final int limit = Math.min(n, capacity);
                if (held.length < limit)
                {
                    held = new int[limit * 2];
                    fresh = new int[limit * 2];
                }
                requestId++;
                int k;
                do
                {
                    final long t0 = System.nanoTime();
                    k = m.match(ids, limit, requestId, held);
                    matchLatency.recordValue(Math.min(System.nanoTime() - t0, matchLatency.getHighestTrackableValue()));
                }
                while (k == Status.BACK_PRESSURED && spin());
                k = Math.max(0, k);
                int got;
                do
                {
                    final long t0 = System.nanoTime();
                    got = m.allocate(limit - k, requestId, fresh);
                    allocateLatency.recordValue(Math.min(System.nanoTime() - t0,
                        allocateLatency.getHighestTrackableValue()));
                }
                while (got == Status.BACK_PRESSURED && spin());
                int stored = k;
                if (got == limit - k)
                {
                    for (int j = k; j < limit; j++)
                    {
                        final int slot = fresh[j - k];
                        retry(() -> m.fill(slot, blockTokens));
                        final int index = j;
                        retry(() -> m.complete(slot, ids, index));
                        held[j] = retry(() -> m.register(slot));
                        stored++;
                    }
                }
                for (int j = stored - 1; j >= 0; j--)
                {
                    final int slot = held[j];
                    retry(() -> m.release(slot));
                }
                totals[0]++;
                totals[1] += n;
                totals[2] += k;
            }
        }
    }

    /** Waits for ring room: yields the core so the handler threads can drain (the replay is offline). */
    private static boolean spin()
    {
        Thread.yield();
        return true;
    }

    private static int retry(final java.util.function.IntSupplier call)
    {
        int r;
        while ((r = call.getAsInt()) == Status.BACK_PRESSURED)
        {
            Thread.yield();
        }
        return r;
    }
}
