package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.EngineCounters;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.journal.JournaledEngines;
import io.kvbm4j.pool.BlockPool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvbm4j demo}: serves a multi-turn chat workload ({@link ChatWorkload}) through a manager on one
 * serving thread ({@link ServingLoop}), then checks that the ring drained, nothing leaked and the pool
 * invariants hold, and prints a summary. Exit code 1 when a check fails.
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
        final EngineConfig config = loadConfig();
        final ChatWorkload.Shape shape = ChatWorkload.Shape.defaults()
            .withActiveConversations(conversations)
            .withSystemPrompts(systemPrompts)
            .withOneOffPercent(oneOffPercent)
            .withMinTurnGap(Math.max(ChatWorkload.Shape.defaults().minTurnGap(), 2 * batch));
        final ChatWorkload workload = new ChatWorkload(shape, seed);

        try (DefaultKvBlockManager manager = JournaledEngines.open(config))
        {
            final ServingLoop loop = new ServingLoop(
                manager, config.saltRecord().salt(config.hash()), shape, batch, pacing);
            final long start = System.nanoTime();
            loop.serve(workload, requests);
            final long servingNanos = System.nanoTime() - start;
            return report(config, manager, loop, servingNanos);
        }
    }

    private void requirePositive(final String option, final long value)
    {
        if (value < 1)
        {
            throw new ParameterException(spec.commandLine(), option + " must be at least 1, got " + value);
        }
    }

    private EngineConfig loadConfig()
    {
        if (!overrides.isEmpty())
        {
            return ConfigLoader.withOverrides(configFile, overrides);
        }
        return configFile == null ? ConfigLoader.defaults() : ConfigLoader.load(configFile);
    }

    /** Runs the end-of-run checks, prints the summary and any failure. @return the exit code. */
    private int report(
        final EngineConfig config, final DefaultKvBlockManager manager, final ServingLoop loop,
        final long servingNanos)
    {
        final StringBuilder failures = new StringBuilder();
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
        final long registered = (long)g1.activeCount() + g1.inactiveCount() +
            (manager.pool(Tier.G2) == null ? 0 : manager.pool(Tier.G2).activeCount() +
                manager.pool(Tier.G2).inactiveCount());
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
        printSummary(out, config, counters, loop, servingNanos, failures.length() == 0);
        out.flush();
        if (failures.length() > 0)
        {
            final PrintWriter err = spec.commandLine().getErr();
            err.println("kvbm4j demo: FAILED, the block manager is in a wrong state:");
            err.print(failures);
            err.flush();
            return 1;
        }
        return 0;
    }

    private void printSummary(
        final PrintWriter out, final EngineConfig config, final EngineCounters counters, final ServingLoop loop,
        final long servingNanos, final boolean checksPassed)
    {
        final double seconds = servingNanos / 1e9;
        out.println("kvbm4j demo: multi-turn chat on one serving thread");
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%s%n", "config", String.format(Locale.ROOT,
            "model %s, %d tokens/block, %,d G1 blocks, ring %,d (%s)", config.layout().model(),
            config.blockTokens(), config.g1Blocks(), config.ringSize(), config.source()));
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%s%n", "workload", String.format(Locale.ROOT,
            "seed %d, %,d conversations at once, %d system prompts, %d%% one-off, batches of %d, pacing %s",
            seed, conversations, systemPrompts, oneOffPercent, batch, pacing ? "on" : "off"));
        out.println();
        line(out, "requests", count(loop.requests()), null);
        line(out, "blocks requested", count(loop.blocksRequested()), null);
        line(out, "block hit rate", percent(loop.blocksHit(), loop.blocksRequested()),
            count(loop.blocksHit()) + " blocks found cached");
        line(out, "blocks allocated", count(counters.get(Counter.ALLOCATED_BLOCKS)), null);
        line(out, "blocks evicted", count(counters.get(Counter.EVICTED_BLOCKS)), null);
        line(out, "blocks deduplicated", count(counters.get(Counter.DEDUPLICATED_BLOCKS)), null);
        line(out, "back-pressured", count(counters.get(Counter.BACK_PRESSURED)),
            loop.releaseRetries() > 0 ? count(loop.releaseRetries()) + " release retries" : null);
        line(out, "no-space", count(counters.get(Counter.NO_SPACE)), null);
        line(out, "other refusals", count(loop.refusedOther()),
            loop.refusedOther() > 0 ? "requests with more blocks than the ring has entries" : null);
        line(out, "blocks not cached", count(loop.uncachedBlocks()), "computed, but a call was refused");
        out.println();
        line(out, "operations", count(loop.calls()), "match, allocate, fill, complete, register, release");
        line(out, "ring events", count(counters.get(Counter.EVENTS_PUBLISHED)),
            count(counters.get(Counter.METADATA_UPDATES)) + " metadata updates");
        line(out, "serving time", String.format(Locale.ROOT, "%.2f s", seconds),
            loop.admissionWaits() == 0 ? null : String.format(Locale.ROOT, "%s batches waited %.2f s for ring room",
                count(loop.admissionWaits()), loop.admissionWaitNanos() / 1e9));
        line(out, "operations/s", count(Math.round(loop.calls() / seconds)), null);
        line(out, "requests/s", count(Math.round(loop.requests() / seconds)), null);
        out.println();
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%10s%10s%10s%10s%14s%n", "latency (us)", "p50", "p99", "p99.9",
            "max", "calls");
        latency(out, "match", loop.matchNanos());
        latency(out, "allocate", loop.allocateNanos());
        out.println();
        line(out, "checks", checksPassed ? "ok" : "FAILED",
            "ring drained, no block held, metadata in step, pool invariants");
    }

    private static void line(final PrintWriter out, final String label, final String value, final String note)
    {
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%" + VALUE + "s%s%n", label, value,
            note == null ? "" : "   " + note);
    }

    private static void latency(final PrintWriter out, final String label, final Histogram h)
    {
        out.printf(Locale.ROOT, "  %-" + LABEL + "s%10.2f%10.2f%10.2f%10.2f%14s%n", label,
            h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
            h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, count(h.getTotalCount()));
    }

    private static String count(final long n)
    {
        return String.format(Locale.ROOT, "%,d", n);
    }

    private static String percent(final long part, final long whole)
    {
        return whole == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }
}
