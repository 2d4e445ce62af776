package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

import io.kvbm4j.replay.CompactTrace;
import io.kvbm4j.replay.JournalTraceReader;
import io.kvbm4j.replay.MooncakeTraceReader;
import io.kvbm4j.replay.PolicyKind;
import io.kvbm4j.replay.PolicyReplay;
import io.kvbm4j.replay.ReplayControl;
import io.kvbm4j.replay.ReplayResult;
import io.kvbm4j.replay.TraceException;
import io.kvbm4j.replay.TraceReader;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvbm4j replay}: replays a published trace or a kvbm4j journal offline, for every policy and
 * capacity asked, and reports block hit rates, the share of the LRU→OPT gap each policy closes, and
 * throughput. Semantics: traces/README.md (see docs/REPLAY.md).
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Replays a trace offline to compare eviction policies and size tiers.",
        "Policy-only mode (default) simulates metadata only; --engine drives the full engine; " +
            "--tiers reports hits per tier."})
public final class ReplayCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--trace", required = true, paramLabel = "FILE",
        description = "Trace file (mooncake JSONL) or journal directory.")
    private Path trace;

    @Option(names = "--format", defaultValue = "mooncake", paramLabel = "mooncake|journal",
        description = "Trace format (default: ${DEFAULT-VALUE}).")
    private String format;

    @Option(names = "--capacities", split = ",", paramLabel = "N,N,...",
        defaultValue = "500,1000,2000,4000,8000,16000,32000",
        description = "Cache capacities in blocks (default: ${DEFAULT-VALUE}).")
    private int[] capacities;

    @Option(names = "--policies", split = ",", defaultValue = "lru,opt", paramLabel = "P,P,...|all",
        description = "Policies: all, or some of lru, lfuda, tinylfu, prefix, nextuse, opt (default: ${DEFAULT-VALUE}).")
    private List<String> policies;

    @Option(names = "--block-tokens", defaultValue = "512", paramLabel = "N",
        description = "Tokens per trace block, as the trace was cut (Mooncake: 512); informational, the ids are " +
            "given (default: ${DEFAULT-VALUE}).")
    private int blockTokens;

    @Option(names = "--payload-bytes", defaultValue = "2048", paramLabel = "N",
        description = "With --engine: payload bytes per block in host G1 (and G2), a multiple of 128 " +
            "(default: ${DEFAULT-VALUE}).")
    private int payloadBytes;

    @Option(names = "--csv", description = "Print only CSV to stdout: policy,capacity_blocks,block_hit_rate,gap_closed.")
    private boolean csv;

    @Option(names = "--out", paramLabel = "DIR", description = "Write report.html, PNG charts and results.csv here.")
    private Path out;

    @Option(names = "--tiers", paramLabel = "g1=N,g2=N,g3=N",
        description = {"Multi-tier mode: capacities per tier; reports hits per tier.",
            "With --engine: g1=N[,g2=N][,g3=N][,g4=N] (g3 optional below g4); g4=N is the G4 index size in blocks " +
                "and the store is given with --set g4.endpoints=HOST:PORT (docs/REMOTE.md)."})
    private String tiers;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = {"With --engine: an engine setting over the replay's own, as in the config file; for G4 " +
            "g4.endpoints (required with g4=N), g4.backend (default redis), g4.namespace (default a fresh one per " +
            "run), g4.timeout-ms, ...", "Example: --set g4.endpoints=127.0.0.1:6379"})
    private java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();

    @Option(names = "--engine", description = "Replay through the full engine (ring, metadata, journal) and " +
        "report latency too; OPT is skipped there (it needs the future).")
    private boolean engine;

    @Option(names = "--journal", paramLabel = "DIR", description = "With --engine: also journal every event here.")
    private Path journal;

    @Option(names = "--no-progress", description = "No progress bar (it is off anyway when stderr is not a terminal).")
    private boolean noProgress;

    @Option(names = "--advise", paramLabel = "COST.yaml", description = "Tier sizing advice from the trace and this " +
        "cost model (docs/REPLAY.md): hit rate per tier, prefill saved, transfer time and price over a grid of sizes.")
    private Path advise;

    @Option(names = "--no-anchors", description = "Policy-only mode: run only the policies asked for (by default " +
        "LRU and OPT also run, as the anchors of gap_closed; without them gap_closed is empty unless both are asked).")
    private boolean noAnchors;

    @Option(names = "--cache", paramLabel = "DIR", description = "Keep the parsed trace in DIR as a binary file and " +
        "use it while the source's size and hash are unchanged (mooncake format).")
    private Path cache;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads for policy-only mode " +
        "(default: the available processors).")
    private int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call()
    {
        final List<PolicyKind> kinds = parsePolicies();
        for (final int c : capacities)
        {
            if (c <= 0 || c > (1 << 25))
            {
                throw new ParameterException(spec.commandLine(), "--capacities: " + c + " is not in 1.." + (1 << 25));
            }
        }
        if (blockTokens <= 0 || blockTokens > 65536)
        {
            throw new ParameterException(spec.commandLine(), "--block-tokens: must be in 1..65536");
        }
        if (threads < 1 || threads > 1024)
        {
            throw new ParameterException(spec.commandLine(), "--threads: must be in 1..1024, got " + threads);
        }
        final Supplier<TraceReader> file = source();
        if (cache != null && !format.equals("mooncake"))
        {
            throw new ParameterException(spec.commandLine(), "--cache: only for --format mooncake");
        }
        final PrintWriter outWriter = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try
        {
            final long parseStart = System.nanoTime();
            final long parseCpu = processCpuNanos();
            final CompactTrace compact = parse(file, err);
            if (!csv)
            {
                err.printf(Locale.ROOT, "parsed: %,d requests, %,d block accesses, %,d distinct ids in %.2f s (%.2f s " +
                    "of CPU)%n", compact.requests(), compact.accesses(), compact.distinct(),
                    (System.nanoTime() - parseStart) / 1e9, (processCpuNanos() - parseCpu) / 1e9);
                err.flush();
            }
            final Supplier<TraceReader> source = compact::reader;
            if (advise != null)
            {
                return advise(compact, outWriter, err);
            }
            if (engine)
            {
                if (payloadBytes < 128 || payloadBytes > (1 << 24) || payloadBytes % 128 != 0)
                {
                    throw new ParameterException(spec.commandLine(),
                        "--payload-bytes: must be a multiple of 128 in 128.." + (1 << 24) + ", got " + payloadBytes);
                }
                int[] g1 = capacities;
                int g2 = 0;
                int g3 = 0;
                int g4 = 0;
                if (tiers != null)
                {
                    final int[] t = parseEngineTiers();
                    g1 = new int[] {t[0]};
                    g2 = t[1];
                    g3 = t[2];
                    g4 = t[3];
                }
                if (g4 > 0 && (g2 == 0 || settings.getOrDefault("g4.endpoints", "").isBlank()))
                {
                    throw new ParameterException(spec.commandLine(), "--tiers " + tiers + ": g4 needs g2=N and the " +
                        "store's address: --set g4.endpoints=HOST:PORT (docs/REMOTE.md)");
                }
                return EngineReplay.run(source, kinds, g1, g2, g3, g4, settings, payloadBytes, journal, csv, out,
                    outWriter, err);
            }
            if (tiers != null)
            {
                return TierReplay.run(source, kinds, parseTiers(), csv, outWriter, err);
            }
            return policyOnly(compact, kinds, outWriter, err);
        }
        catch (final TraceException ex)
        {
            err.println("kvbm4j replay: " + ex.getMessage());
            err.flush();
            return 2;
        }
    }

    private int advise(final CompactTrace compact, final PrintWriter outWriter, final PrintWriter err)
    {
        final TierAdvisor.CostModel model;
        try
        {
            model = TierAdvisor.load(advise);
        }
        catch (final IllegalArgumentException ex)
        {
            err.println("kvbm4j replay: --advise " + advise + ": " + ex.getMessage());
            err.flush();
            return 2;
        }
        final List<TierAdvisor.Point> points = TierAdvisor.evaluate(compact, model);
        TierAdvisor.print(outWriter, compact, model, points, csv);
        outWriter.flush();
        if (out != null)
        {
            err.println("report: " + TierAdvisor.report(out, trace.toString(), compact, model, points).toAbsolutePath());
            err.flush();
        }
        return 0;
    }

    /** CPU time of this process, all threads (the JIT and GC included), or 0 where the JVM does not say. */
    private static long processCpuNanos()
    {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof
            com.sun.management.OperatingSystemMXBean os ? Math.max(0, os.getProcessCpuTime()) : 0;
    }

    /** The trace parsed once: from the cache when it is current, else read (with a progress bar in MiB). */
    private CompactTrace parse(final Supplier<TraceReader> file, final PrintWriter err)
    {
        final long total;
        try (TraceReader r = file.get())
        {
            total = r.totalBytes();
        }
        try (Progress progress = Progress.open("parse", total, " MiB", 1 << 20, noProgress))
        {
            if (cache != null)
            {
                return CompactTrace.cached(trace, cache, file, progress, note ->
                {
                    err.println(note);
                    err.flush();
                });
            }
            try (TraceReader r = file.get())
            {
                return CompactTrace.read(r, progress);
            }
        }
    }

    private int policyOnly(final CompactTrace compact, final List<PolicyKind> kinds, final PrintWriter outWriter,
        final PrintWriter err)
    {
        // LRU and OPT are always run: they anchor gap_closed. Only the policies asked for are printed.
        final Set<PolicyKind> run = new LinkedHashSet<>(kinds);
        if (!noAnchors)
        {
            run.add(PolicyKind.LRU);
            run.add(PolicyKind.OPT);
        }
        final long start = System.nanoTime();
        final long cpuStart = processCpuNanos();
        final ReplayControl control = new ReplayControl();
        final long work = (long)compact.accesses() * capacities.length * run.size();
        // Ctrl-C: the workers stop after their current request and what they replayed is written, marked partial.
        final java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        final Thread onInterrupt = new Thread(() ->
        {
            control.stop();
            try
            {
                written.await(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }, "replay-interrupt");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try
        {
            final List<ReplayResult> results;
            try (Progress progress = Progress.open("replay", work, " M accesses", 1_000_000, noProgress))
            {
                progress.follow(control);
                results = PolicyReplay.run(compact, new ArrayList<>(run), capacities, threads, control);
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            if (!csv)
            {
                err.printf(Locale.ROOT, "replayed: %,d block accesses (all runs) in %.2f s (%.2f s of CPU)%n",
                    control.done(), seconds, (processCpuNanos() - cpuStart) / 1e9);
                err.flush();
            }
            report(compact, kinds, results, seconds, outWriter, err);
        }
        finally
        {
            written.countDown();
            try
            {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            }
            catch (final IllegalStateException shuttingDown)
            {
                // Ctrl-C: the hook is running and returns now that the output is written.
            }
        }
        return 0;
    }

    /** Prints (or writes) the results; a replay stopped early is marked partial everywhere it is written. */
    private void report(final CompactTrace compact, final List<PolicyKind> kinds, final List<ReplayResult> results,
        final double seconds, final PrintWriter outWriter, final PrintWriter err)
    {
        final boolean partial = results.stream().anyMatch(r -> r.requests() < compact.requests());
        final Map<Integer, Double> lru = new HashMap<>();
        final Map<Integer, Double> opt = new HashMap<>();
        for (final ReplayResult r : results)
        {
            if (r.policy().equals(PolicyKind.LRU.cliName()))
            {
                lru.put(r.capacityBlocks(), r.hitRate());
            }
            if (r.policy().equals(PolicyKind.OPT.cliName()))
            {
                opt.put(r.capacityBlocks(), r.hitRate());
            }
        }
        final List<ReplayResult> shown = new ArrayList<>();
        for (final PolicyKind k : kinds)
        {
            for (final ReplayResult r : results)
            {
                if (r.policy().equals(k.cliName()))
                {
                    shown.add(r);
                }
            }
        }
        final String partialNote = partial ? ReplayReport.PARTIAL + " interrupted: each row covers the first " +
            "'requests' requests of " + compact.requests() + "; gap_closed compares runs that stopped at different " +
            "points" : null;
        if (csv)
        {
            ReplayReport.writeCsv(outWriter, shown, lru, opt, partialNote);
        }
        else
        {
            printTable(outWriter, shown, lru, opt, seconds, compact.distinct());
            if (partial)
            {
                outWriter.println(partialNote);
            }
        }
        outWriter.flush();
        if (out != null)
        {
            final Path report = ReplayReport.write(out, trace.toString(), shown, lru, opt, null, partialNote);
            err.println("report: " + report.toAbsolutePath());
            err.flush();
        }
    }

    private void printTable(final PrintWriter w, final List<ReplayResult> shown, final Map<Integer, Double> lru,
        final Map<Integer, Double> opt, final double seconds, final int distinct)
    {
        final ReplayResult first = shown.get(0);
        w.printf(Locale.ROOT, "kvbm4j replay: %s (%s), %,d requests, %,d block accesses, %,d distinct blocks, " +
            "%.1f s on %d threads%n", trace, format, first.requests(), first.accesses(), distinct, seconds, threads);
        w.printf(Locale.ROOT, "%n  %-10s %10s %10s %11s %14s%n", "policy", "capacity", "hit rate", "gap closed",
            "accesses/s");
        for (final ReplayResult r : shown)
        {
            final Double l = lru.get(r.capacityBlocks());
            final Double o = opt.get(r.capacityBlocks());
            final double gap = l == null || o == null ? Double.NaN : r.gapClosed(l, o);
            w.printf(Locale.ROOT, "  %-10s %,10d %10.4f %11s %,14.0f%n", r.policy(), r.capacityBlocks(), r.hitRate(),
                Double.isNaN(gap) ? "-" : String.format(Locale.ROOT, "%.3f", gap), r.accessesPerSecond());
        }
        w.printf(Locale.ROOT, "%n  gap closed = (policy - LRU) / (OPT - LRU) at the same capacity; accesses/s is " +
            "policy work only, parsing excluded%n");
    }

    private List<PolicyKind> parsePolicies()
    {
        final List<PolicyKind> kinds = new ArrayList<>();
        for (final String name : policies)
        {
            if (name.equals("all"))
            {
                for (final PolicyKind k : PolicyKind.values())
                {
                    if (!kinds.contains(k))
                    {
                        kinds.add(k);
                    }
                }
                continue;
            }
            final PolicyKind k = PolicyKind.parse(name);
            if (k == null)
            {
                throw new ParameterException(spec.commandLine(), "--policies: unknown policy '" + name + "' (have " +
                    PolicyKind.names() + ", or all)");
            }
            if (!kinds.contains(k))
            {
                kinds.add(k);
            }
        }
        return kinds;
    }

    /**
     * {@code --tiers} for the engine: g1 first, then any of g2, g3, g4 in order (g3 may be left out below g4).
     * @return capacities of g1..g4, 0 for a tier not given.
     */
    private int[] parseEngineTiers()
    {
        final int[] caps = new int[4];
        int last = -1;
        for (final String part : tiers.split(","))
        {
            final int eq = part.indexOf('=');
            final int tier = eq == 2 && part.charAt(0) == 'g' ? part.charAt(1) - '1' : -1;
            if (tier < 0 || tier > 3 || tier <= last || (last < 0 && tier != 0))
            {
                throw new ParameterException(spec.commandLine(), "--tiers: expected g1=N first, then any of g2=N, " +
                    "g3=N, g4=N in that order, at '" + part + "'");
            }
            try
            {
                caps[tier] = Integer.parseInt(part.substring(3));
            }
            catch (final NumberFormatException ex)
            {
                throw new ParameterException(spec.commandLine(), "--tiers: '" + part + "' is not a block count");
            }
            if (caps[tier] <= 0)
            {
                throw new ParameterException(spec.commandLine(), "--tiers: '" + part + "' must be positive");
            }
            last = tier;
        }
        return caps;
    }

    private int[] parseTiers()
    {
        final String[] parts = tiers.split(",");
        final int[] caps = new int[parts.length];
        for (int i = 0; i < parts.length; i++)
        {
            final String expected = "g" + (i + 1) + "=";
            if (!parts[i].startsWith(expected))
            {
                throw new ParameterException(spec.commandLine(), "--tiers: expected " + expected + "N at '" + parts[i] +
                    "' (tiers in order g1, g2, g3, g4)");
            }
            try
            {
                caps[i] = Integer.parseInt(parts[i].substring(expected.length()));
            }
            catch (final NumberFormatException ex)
            {
                throw new ParameterException(spec.commandLine(), "--tiers: '" + parts[i] + "' is not a block count");
            }
            if (caps[i] <= 0)
            {
                throw new ParameterException(spec.commandLine(), "--tiers: '" + parts[i] + "' must be positive");
            }
        }
        if (caps.length > 4)
        {
            throw new ParameterException(spec.commandLine(), "--tiers: at most g1..g4");
        }
        return caps;
    }

    private Supplier<TraceReader> source()
    {
        switch (format)
        {
            case "mooncake":
                return () -> new MooncakeTraceReader(trace);
            case "journal":
                return () -> new JournalTraceReader(trace);
            default:
                throw new ParameterException(spec.commandLine(), "--format: must be mooncake or journal, got '" +
                    format + "'");
        }
    }

    /**
     * A progress bar on stderr, silent when stderr is not a terminal or it is turned off: fed bytes while
     * parsing, or following a {@link ReplayControl}'s count of simulated accesses (with their rate) while
     * replaying.
     */
    static final class Progress implements LongConsumer, AutoCloseable
    {
        private final ProgressBar bar;
        private Thread follower;
        private volatile boolean closed;

        private Progress(final ProgressBar bar)
        {
            this.bar = bar;
        }

        static Progress open(final String task, final long total, final String unit, final long unitSize,
            final boolean off)
        {
            if (off || System.console() == null)
            {
                return new Progress(null);
            }
            return new Progress(new ProgressBarBuilder().setTaskName(task)
                .setInitialMax(total > 0 ? total : -1)
                .setUnit(unit, unitSize)
                .showSpeed(new java.text.DecimalFormat("#,##0.0"))
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build());
        }

        /** Steps the bar to the control's count every 200 ms, on a daemon thread, until closed. */
        void follow(final ReplayControl control)
        {
            if (bar == null)
            {
                return;
            }
            follower = new Thread(() ->
            {
                while (!closed)
                {
                    bar.stepTo(control.done());
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000_000L);
                }
            }, "replay-progress");
            follower.setDaemon(true);
            follower.start();
        }

        @Override
        public void accept(final long bytes)
        {
            if (bar != null)
            {
                bar.stepTo(bytes);
            }
        }

        @Override
        public void close()
        {
            closed = true;
            if (follower != null)
            {
                java.util.concurrent.locks.LockSupport.unpark(follower);
            }
            if (bar != null)
            {
                bar.close();
            }
        }
    }
}
