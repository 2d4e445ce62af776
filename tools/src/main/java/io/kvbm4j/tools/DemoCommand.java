package io.kvbm4j.tools;

import static io.kvbm4j.tools.Summary.count;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.EngineCounters;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.journal.JournaledEngines;
import io.kvbm4j.observe.Observability;
import io.kvbm4j.observe.events.KvEventPublisher;
import io.kvbm4j.observe.mrc.MissRatioCurves;
import io.kvbm4j.pool.BlockPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvbm4j demo}: serves a multi-turn chat workload ({@link ChatWorkload}) through a manager on one
 * serving thread ({@link ServingLoop}), then checks that the ring drained, nothing leaked and the pool
 * invariants hold, prints a summary and writes a report ({@link DemoReport}) unless told not to. Exit code 1
 * when a check fails.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Serves a multi-turn chat workload through the block manager on one serving thread and prints hit "
            + "rate, evictions, refusals, throughput and match/allocate latency.",
        "Requests share system prompts, later turns extend earlier ones, and some one-off prompts share "
            + "nothing; token ids are pseudo-random from --seed, so a seed always gives the same requests."})
final class DemoCommand implements Callable<Integer>
{
    private static final int LABEL = 22;
    private static final int VALUE = 14;

    @Spec
    private CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
        description = "YAML file laid over the embedded default configuration.")
    private Path configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = {"Sets one configuration key by its dotted YAML path; repeatable, applied after --config.",
            "Example: --set tiers.g1-blocks=8192"})
    private Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = {"-n", "--requests"}, paramLabel = "N", defaultValue = "16000",
        description = "Requests to serve (default: ${DEFAULT-VALUE}).")
    private long requests;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
        description = "Seed of the workload (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--conversations", paramLabel = "N", defaultValue = "64",
        description = "Conversations in progress at once (default: ${DEFAULT-VALUE}). More means a larger "
            + "working set and a lower hit rate.")
    private int conversations;

    @Option(names = "--system-prompts", paramLabel = "N", defaultValue = "6",
        description = "Distinct shared system prompts (default: ${DEFAULT-VALUE}).")
    private int systemPrompts;

    @Option(names = "--one-off-percent", paramLabel = "P", defaultValue = "10",
        description = "Share of requests that are one-off prompts sharing nothing, 0..100 "
            + "(default: ${DEFAULT-VALUE}).")
    private int oneOffPercent;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
        description = "Requests admitted together; a batch's blocks stay held while the next batch runs "
            + "(default: ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--pacing", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "Admit a batch only while half the ring is free, as GPU time between steps would "
            + "(default: on). --no-pacing drives the manager flat out and shows its back-pressure.")
    private boolean pacing;

    @Option(names = "--report", paramLabel = "DIR", defaultValue = "out/demo-report",
        description = "Write report.html (summary, hit rate and evictions over the run, match/allocate latency) "
            + "and its PNG charts here (default: ${DEFAULT-VALUE}, under the current directory).")
    private Path reportDir;

    @Option(names = "--no-report", description = "Write no report.")
    private boolean noReport;

    @Override
    public Integer call()
    {
        requirePositive("--requests", requests);
        requirePositive("--conversations", conversations);
        requirePositive("--system-prompts", systemPrompts);
        requirePositive("--batch", batch);
        if (oneOffPercent < 0 || oneOffPercent > 100)
        {
            throw new ParameterException(spec.commandLine(), "--one-off-percent must be in 0..100, got " +
                oneOffPercent);
        }
        if (noReport && spec.commandLine().getParseResult().hasMatchedOption("--report"))
        {
            throw new ParameterException(spec.commandLine(), "--report and --no-report: choose one");
        }
        final EngineConfig config = loadConfig();
        final ChatWorkload.Shape shape = ChatWorkload.Shape.defaults()
            .withActiveConversations(conversations)
            .withSystemPrompts(systemPrompts)
            .withOneOffPercent(oneOffPercent)
            .withMinTurnGap(Math.max(ChatWorkload.Shape.defaults().minTurnGap(), 2 * batch));
        final ChatWorkload workload = new ChatWorkload(shape, seed);

        final Engines.Builder builder = JournaledEngines.builder(config);
        try (Observability observe = Observability.attach(config, builder); // sockets and /metrics, if configured
             DefaultKvBlockManager manager = builder.open())
        {
            observe.bind(manager);
            final ServingTimeline timeline = noReport ? null : new ServingTimeline(requests);
            final ServingLoop loop = new ServingLoop(
                manager, config.saltRecord().salt(config.hash()), shape, batch, pacing, timeline);
            final long start = System.nanoTime();
            loop.serve(workload, requests);
            final long servingNanos = System.nanoTime() - start;
            return finish(config, manager, observe, loop, timeline, servingNanos);
        }
    }

    private void requirePositive(final String option, final long value)
    {
        if (value < 1)
        {
            throw new ParameterException(spec.commandLine(), option + " must be at least 1, got " + value);
        }
    }

    /** Registered blocks of {@code lower} whose id is not registered in {@code g1}; 0 without that tier. */
    private static long registeredOnlyBelow(final BlockPool lower, final BlockPool g1)
    {
        if (lower == null)
        {
            return 0;
        }
        long n = 0;
        for (int slot = 0; slot < lower.capacity(); slot++)
        {
            if (lower.state(slot) == BlockState.REGISTERED &&
                g1.lookup(lower.table().idHi(slot), lower.table().idLo(slot)) < 0)
            {
                n++;
            }
        }
        return n;
    }

    private EngineConfig loadConfig()
    {
        if (!overrides.isEmpty())
        {
            return ConfigLoader.withOverrides(configFile, overrides);
        }
        return configFile == null ? ConfigLoader.defaults() : ConfigLoader.load(configFile);
    }

    /**
     * Runs the end-of-run checks, prints the summary, writes the report (when asked) and prints any failure.
     *
     * @return the exit code.
     */
    private int finish(
        final EngineConfig config, final DefaultKvBlockManager manager, final Observability observe,
        final ServingLoop loop, final ServingTimeline timeline, final long servingNanos)
    {
        final StringBuilder failures = new StringBuilder();
        // Offloads still being copied pin their G1 blocks: settle them first, or those pins read as leaks.
        if (!manager.awaitTransfers(Math.max(30_000, config.shutdownTimeoutMs()), TimeUnit.MILLISECONDS))
        {
            failures.append("  the transfers did not settle within the deadline\n");
        }
        if (!manager.awaitHandlers(Math.max(30_000, config.shutdownTimeoutMs()), TimeUnit.MILLISECONDS))
        {
            failures.append("  the ring handlers did not drain within the deadline\n");
        }
        final EngineCounters counters = manager.counters();
        final long handlerErrors = counters.get(Counter.HANDLER_ERRORS);
        if (handlerErrors > 0)
        {
            failures.append("  ").append(handlerErrors).append(" ring handler errors\n");
        }
        if (loop.unexpected() > 0)
        {
            failures.append("  ").append(loop.unexpected()).append(" unexpected refusals, the first ")
                .append(loop.firstUnexpected()).append('\n');
        }
        final BlockPool g1 = manager.pool(Tier.G1);
        final long held = (long)g1.activeCount() + g1.partialCount() + g1.completeCount();
        if (held != 0)
        {
            failures.append("  ").append(held).append(" G1 blocks still held after every request finished (")
                .append(g1.activeCount()).append(" active, ").append(g1.partialCount()).append(" partial, ")
                .append(g1.completeCount()).append(" complete)\n");
        }
        // One record per id: a block with copies in G1 and G2 (offloaded, still cached above) counts once.
        final long registered = (long)g1.activeCount() + g1.inactiveCount() + registeredOnlyBelow(manager.pool(Tier.G2), g1);
        final long records = manager.metadata().size();
        if (records != registered)
        {
            failures.append("  the metadata store holds ").append(records).append(" records for ")
                .append(registered).append(" registered blocks\n");
        }
        final String invariants = manager.checkInvariants();
        if (invariants != null)
        {
            failures.append("  pool invariants violated: ").append(invariants.strip()).append('\n');
        }

        final PrintWriter out = spec.commandLine().getOut();
        final Summary about = about(config);
        final Summary summary = summary(config, counters, loop, servingNanos, failures.length() == 0);
        out.println("kvbm4j demo: multi-turn chat on one serving thread");
        about.print(out, LABEL, VALUE);
        out.println();
        summary.print(out, LABEL, VALUE);
        out.println();
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%10s%10s%10s%10s%14s%n", "latency (us)", "p50", "p99", "p99.9",
            "max", "calls");
        latency(out, "match", loop.matchNanos());
        latency(out, "allocate", loop.allocateNanos());
        observed(out, observe);
        out.flush();
        if (failures.length() > 0)
        {
            // Before the report, so that a report that cannot be written does not hide them.
            final PrintWriter err = spec.commandLine().getErr();
            err.println("kvbm4j demo: FAILED, the block manager is in a wrong state:");
            err.print(failures);
            err.flush();
        }
        if (timeline != null)
        {
            final Path html = DemoReport.write(reportDir, about, summary, timeline, List.of(
                new HtmlReport.Latency("match", loop.matchNanos()),
                new HtmlReport.Latency("allocate", loop.allocateNanos())));
            out.println();
            out.println("report: " + html.toAbsolutePath().normalize());
            out.flush();
        }
        return failures.length() > 0 ? 1 : 0;
    }

    /** What ran: the configuration and the workload. */
    private Summary about(final EngineConfig config)
    {
        return new Summary()
            .add("config", String.format(Locale.ROOT, "model %s, %d tokens/block, %,d G1 blocks, ring %,d (%s)",
                config.layout().model(), config.blockTokens(), config.g1Blocks(), config.ringSize(), config.source()),
                null)
            .add("workload", String.format(Locale.ROOT,
                "seed %d, %,d conversations at once, %d system prompts, %d%% one-off, batches of %d, pacing %s",
                seed, conversations, systemPrompts, oneOffPercent, batch, pacing ? "on" : "off"), null);
    }

    private Summary summary(
        final EngineConfig config, final EngineCounters counters, final ServingLoop loop, final long servingNanos,
        final boolean checksPassed)
    {
        final double seconds = servingNanos / 1e9;
        final Summary s = new Summary()
            .add("requests", count(loop.requests()), null)
            .add("blocks requested", count(loop.blocksRequested()), null)
            .add("block hit rate", Summary.percent(loop.blocksHit(), loop.blocksRequested()),
                count(loop.blocksHit()) + " blocks found cached")
            .add("blocks allocated", count(counters.get(Counter.ALLOCATED_BLOCKS)), null)
            .add("blocks evicted", count(counters.get(Counter.EVICTED_BLOCKS)), null)
            .add("blocks deduplicated", count(counters.get(Counter.DEDUPLICATED_BLOCKS)), null)
            .add("back-pressured", count(counters.get(Counter.BACK_PRESSURED)),
                loop.releaseRetries() > 0 ? count(loop.releaseRetries()) + " release retries" : null)
            .add("no-space", count(counters.get(Counter.NO_SPACE)), null)
            .add("other refusals", count(loop.refusedOther()),
                loop.refusedOther() > 0 ? "requests with more blocks than the ring has entries" : null)
            .add("blocks not cached", count(loop.uncachedBlocks()), "computed, but a call was refused")
            .gap()
            .add("operations", count(loop.calls()), "match, allocate, fill, complete, register, release")
            .add("ring events", count(counters.get(Counter.EVENTS_PUBLISHED)),
                count(counters.get(Counter.METADATA_UPDATES)) + " metadata updates")
            .add("serving time", String.format(Locale.ROOT, "%.2f s", seconds),
                loop.admissionWaits() == 0 ? null : String.format(Locale.ROOT, "%s batches waited %.2f s for ring room",
                    count(loop.admissionWaits()), loop.admissionWaitNanos() / 1e9))
            .add("operations/s", count(Math.round(loop.calls() / seconds)), null)
            .add("requests/s", count(Math.round(loop.requests() / seconds)), null);
        if (config.journalDir() != null)
        {
            s.add("journal", config.journalDir().toString(), "bin/kvbm4j journal stats --dir " + config.journalDir());
        }
        return s.gap()
            .add("checks", checksPassed ? "ok" : "FAILED", "ring drained, no block held, metadata in step, pool invariants");
    }

    /** KV events, /metrics and the miss-ratio curves, when configured (after the ring drained). */
    private static void observed(final PrintWriter out, final Observability observe)
    {
        if (!observe.active())
        {
            return;
        }
        out.println();
        final KvEventPublisher publisher = observe.publisher();
        if (publisher != null)
        {
            publisher.flush(); // the ring drained: the handler thread is idle, nothing is pending after this
            out.printf(Locale.ROOT, "  %-" + LABEL + "s%s events, %s blocks in %s batches (seq 0..%d), %s dropped, %s%n",
                "KV events", count(publisher.events()), count(publisher.blocks()), count(publisher.batches()),
                publisher.batches() - 1, count(publisher.droppedBatches()), publisher.settings().endpoint());
        }
        if (observe.metricsPort() != 0)
        {
            out.printf(Locale.ROOT, "  %-" + LABEL + "shttp://%s:%d/metrics%n", "metrics", "127.0.0.1",
                observe.metricsPort());
        }
        final MissRatioCurves curves = observe.curves();
        if (curves != null)
        {
            curves.takeSnapshot(); // the ring drained: its handler is idle (the drain orders its writes before this)
            out.println(curves.describe());
        }
    }

    private static void latency(final PrintWriter out, final String label, final Histogram h)
    {
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%10.2f%10.2f%10.2f%10.2f%14s%n", label,
            h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, count(h.getTotalCount()));
    }
}
