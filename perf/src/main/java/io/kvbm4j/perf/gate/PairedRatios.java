package io.kvbm4j.perf.gate;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Measures each ours/peer pair of a {@link GatePairs} group as the ratio of their times per operation, with
 * the sides of the group taking turns in one JVM every few milliseconds, so that both see the same machine.
 * This is the speed figure the perf gate ({@code perf/gate.py}) compares with {@code perf/baseline.json}.
 *
 * <p>Why not the ratio of two JMH scores: JMH runs one benchmark's forks after the other's, tens of seconds
 * apart. On a two-core machine shared with other builds the load changes within that time, and such ratios
 * moved by a factor of two from run to run (docs/PERF.md, "Perf gate"). Here every round runs each side
 * for one burst of {@code --burst-ms}, in the group's order in even rounds and reversed in odd ones (ABBA,
 * so a steady drift favours neither), and gives one ratio per pair from bursts milliseconds apart. The
 * figure is the median over rounds: the rounds that a load spike hit do not move it.
 *
 * <p>A side's time per operation in a burst is the mean of its invocations' times, each taken with
 * {@code System.nanoTime()} around the benchmark method alone (the benchmark's per-invocation helpers run
 * untimed, as under JMH), leaving out invocations slower than {@value #DESCHEDULED_FACTOR} times the burst's
 * median: the thread was descheduled in those.
 *
 * <p>Allocation: each invocation's heap allocation on this thread (the serving thread of the manager
 * benchmarks) is read with {@code getCurrentThreadAllocatedBytes()}, exact to the byte, just outside its
 * timed window, so neither the helpers nor the harness are counted; the gate requires our sides' median
 * round to allocate exactly 0 bytes.
 *
 * <p>Warm-up: at least {@code --warmup-ms} of rounds, then more until every pair's ratio is steady (the median
 * of the last {@value #STEADY_ROUNDS} rounds within {@value #STEADY_PERCENT} % of the median of the
 * {@value #STEADY_ROUNDS} before), at most {@code --max-warmup-ms}. Some peers (Caffeine's put and eviction)
 * are still interpreted after seconds on a loaded machine; their ratios then are an order of magnitude off.
 *
 * <p>Single-threaded: setup, every burst and the close run on the calling thread, the serving thread of the
 * manager benchmarks. Writes one JSON object: per side, per-round figures; per pair, per-round ratios, their
 * median and quartiles.
 *
 * <p>Run (after {@code mvn -B -q -pl perf -am package -DskipTests}; {@code make perf-gate} runs it):
 * <pre>
 * java $(cat perf/target/classes/jvm.options) -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" \
 *     io.kvbm4j.perf.gate.PairedRatios match --warmup-ms 3000 --rounds 24 --burst-ms 20 --out match.json
 * </pre>
 */
public final class PairedRatios
{
    /** An invocation slower than this many times its burst's median was descheduled, not slow. */
    static final int DESCHEDULED_FACTOR = 20;
    /** Rounds per window of the warm-up's steadiness test. */
    static final int STEADY_ROUNDS = 5;
    /** Largest change, in percent, between two windows' median ratios that counts as steady. */
    static final int STEADY_PERCENT = 15;
    private static final int MAX_INVOCATIONS_PER_BURST = 1 << 20;

    private final long[] times = new long[MAX_INVOCATIONS_PER_BURST];
    private final long[] sorted = new long[MAX_INVOCATIONS_PER_BURST];
    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private long sink;

    /**
     * One burst of one side: time per operation (descheduled invocations left out); the thread's heap
     * allocation per invocation, read with {@code getCurrentThreadAllocatedBytes()} (exact to the byte)
     * just outside each invocation's timed window, so the untimed helpers are not counted; the
     * invocations, and how many of them were left out as descheduled.
     */
    record Burst(double nsPerOp, double allocBytesPerInvocation, int invocations, int descheduled)
    {
    }

    /** The schedule of one run. */
    record Schedule(long warmupMs, long maxWarmupMs, int rounds, long burstMs)
    {
    }

    public static void main(final String[] args) throws Exception
    {
        String group = null;
        long warmupMs = 5_000;
        long maxWarmupMs = 30_000;
        int rounds = 40;
        long burstMs = 20;
        Path out = null;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--warmup-ms" -> warmupMs = Long.parseLong(value(args, ++i));
                case "--max-warmup-ms" -> maxWarmupMs = Long.parseLong(value(args, ++i));
                case "--rounds" -> rounds = Integer.parseInt(value(args, ++i));
                case "--burst-ms" -> burstMs = Long.parseLong(value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                default ->
                {
                    if (args[i].startsWith("-") || group != null)
                    {
                        usage("unexpected argument " + args[i]);
                    }
                    group = args[i];
                }
            }
        }
        if (group == null || !(GatePairs.GROUPS.contains(group) || group.equals("observe")))
        {
            usage("the group must be one of " + GatePairs.GROUPS + ", got " + group);
        }
        if (warmupMs < 0 || maxWarmupMs < warmupMs || rounds < 1 || burstMs < 1)
        {
            usage("--warmup-ms >= 0, --max-warmup-ms >= --warmup-ms, --rounds >= 1, --burst-ms >= 1");
        }
        final String json = new PairedRatios().run(GatePairs.open(group),
            new Schedule(warmupMs, maxWarmupMs, rounds, burstMs));
        if (out == null)
        {
            System.out.print(json);
        }
        else
        {
            Files.writeString(out, json, StandardCharsets.UTF_8);
        }
    }

    private static String value(final String[] args, final int i)
    {
        if (i >= args.length)
        {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(final String problem)
    {
        final PrintStream err = System.err;
        err.println("PairedRatios: " + problem);
        err.println("usage: PairedRatios GROUP [--warmup-ms 5000] [--max-warmup-ms 30000] [--rounds 40] " +
            "[--burst-ms 20] [--out FILE]");
        System.exit(2);
    }

    String run(final GatePairs.Group group, final Schedule schedule) throws Exception
    {
        final List<Side> sides = group.sides();
        final long burstNanos = schedule.burstMs() * 1_000_000L;
        final long start = System.nanoTime();
        final long minEnd = start + schedule.warmupMs() * 1_000_000L;
        final long maxEnd = start + schedule.maxWarmupMs() * 1_000_000L;
        final List<Burst[]> warmup = new ArrayList<>();
        boolean steady = false;
        while (true)
        {
            warmup.add(round(sides, warmup.size(), burstNanos));
            final long now = System.nanoTime();
            if (now >= minEnd)
            {
                steady = steady(group, warmup);
                if (steady || now >= maxEnd)
                {
                    break;
                }
            }
        }
        final long warmupMs = (System.nanoTime() - start) / 1_000_000L;
        final Burst[][] bursts = new Burst[schedule.rounds()][];
        for (int r = 0; r < bursts.length; r++)
        {
            bursts[r] = round(sides, r, burstNanos);
        }
        group.resources().close();
        return json(group, bursts, schedule, warmup.size(), warmupMs, steady);
    }

    /** One burst of every side, in round {@code r}'s order (ABBA); the bursts in the group's order. */
    private Burst[] round(final List<Side> sides, final int r, final long burstNanos)
    {
        final List<Side> order = new ArrayList<>(sides);
        if ((r & 1) == 1)
        {
            Collections.reverse(order);
        }
        final Burst[] bursts = new Burst[sides.size()];
        for (final Side side : order)
        {
            bursts[sides.indexOf(side)] = burst(side, burstNanos);
        }
        return bursts;
    }

    /** Whether every pair's median ratio over the last window is within the steady band of the window before. */
    private static boolean steady(final GatePairs.Group group, final List<Burst[]> rounds)
    {
        final int n = rounds.size();
        if (n < 2 * STEADY_ROUNDS)
        {
            return false;
        }
        for (final GatePairs.Pair pair : group.pairs())
        {
            final double last = median(ratios(group, pair, rounds.subList(n - STEADY_ROUNDS, n)));
            final double before = median(ratios(group, pair, rounds.subList(n - 2 * STEADY_ROUNDS, n - STEADY_ROUNDS)));
            if (Math.abs(last / before - 1) * 100 > STEADY_PERCENT)
            {
                return false;
            }
        }
        return true;
    }

    private static double[] ratios(final GatePairs.Group group, final GatePairs.Pair pair, final List<Burst[]> rounds)
    {
        final int ours = group.sides().indexOf(pair.ours());
        final int peer = group.sides().indexOf(pair.peer());
        final double[] ratios = new double[rounds.size()];
        for (int r = 0; r < ratios.length; r++)
        {
            ratios[r] = rounds.get(r)[ours].nsPerOp() / rounds.get(r)[peer].nsPerOp();
        }
        return ratios;
    }

    /** Runs {@code side} for about {@code nanos}. */
    private Burst burst(final Side side, final long nanos)
    {
        final long end = System.nanoTime() + nanos;
        int n = 0;
        long alloc = 0;
        long t1;
        do
        {
            side.before();
            final long a0 = threads.getCurrentThreadAllocatedBytes();
            final long t0 = System.nanoTime();
            sink += side.invoke();
            t1 = System.nanoTime();
            alloc += threads.getCurrentThreadAllocatedBytes() - a0;
            side.after();
            times[n++] = t1 - t0;
        }
        while (t1 < end && n < MAX_INVOCATIONS_PER_BURST);

        System.arraycopy(times, 0, sorted, 0, n);
        Arrays.sort(sorted, 0, n);
        final long limit = DESCHEDULED_FACTOR * sorted[n / 2];
        long kept = 0;
        int keptCount = 0;
        for (int i = 0; i < n; i++)
        {
            if (times[i] <= limit)
            {
                kept += times[i];
                keptCount++;
            }
        }
        return new Burst((double)kept / keptCount / side.opsPerInvocation(), (double)alloc / n, n, n - keptCount);
    }

    private String json(final GatePairs.Group group, final Burst[][] rounds, final Schedule schedule,
        final int warmupRounds, final long warmupMs, final boolean steady)
    {
        final List<Side> sides = group.sides();
        final StringBuilder b = new StringBuilder(1 << 16);
        b.append("{\n  \"group\": \"").append(group.name()).append("\",\n");
        b.append("  \"burstMs\": ").append(schedule.burstMs()).append(", \"rounds\": ").append(rounds.length)
            .append(", \"warmupRounds\": ").append(warmupRounds).append(", \"warmupMs\": ").append(warmupMs)
            .append(", \"steady\": ").append(steady).append(", \"sink\": ").append(sink & 1).append(",\n");
        b.append("  \"sides\": {\n");
        for (int s = 0; s < sides.size(); s++)
        {
            final int side = s;
            b.append("    \"").append(sides.get(s).name()).append("\": {\"opsPerInvocation\": ")
                .append(sides.get(s).opsPerInvocation()).append(", ");
            field(b, "nsPerOp", rounds, side, Burst::nsPerOp).append(", ");
            field(b, "allocBytesPerInvocation", rounds, side, Burst::allocBytesPerInvocation).append(", ");
            field(b, "invocations", rounds, side, Burst::invocations).append(", ");
            field(b, "descheduled", rounds, side, Burst::descheduled).append('}');
            b.append(s + 1 < sides.size() ? ",\n" : "\n");
        }
        b.append("  },\n  \"pairs\": {\n");
        final List<GatePairs.Pair> pairs = group.pairs();
        for (int p = 0; p < pairs.size(); p++)
        {
            final GatePairs.Pair pair = pairs.get(p);
            final double[] ratios = ratios(group, pair, Arrays.asList(rounds));
            b.append("    \"").append(pair.name()).append("\": {\"ours\": \"").append(pair.ours().name())
                .append("\", \"peer\": \"").append(pair.peer().name()).append("\", ");
            b.append(String.format(Locale.ROOT, "\"ratio\": %.4f, \"q1\": %.4f, \"q3\": %.4f, ",
                median(ratios), quantile(ratios, 0.25), quantile(ratios, 0.75)));
            b.append("\"ratios\": ").append(array(ratios)).append('}');
            b.append(p + 1 < pairs.size() ? ",\n" : "\n");
        }
        return b.append("  }\n}\n").toString();
    }

    private static StringBuilder field(final StringBuilder b, final String name, final Burst[][] rounds,
        final int side, final ToDoubleFunction<Burst> f)
    {
        final double[] values = new double[rounds.length];
        for (int r = 0; r < values.length; r++)
        {
            values[r] = f.applyAsDouble(rounds[r][side]);
        }
        return b.append('"').append(name).append("\": ").append(array(values));
    }

    private static String array(final double[] values)
    {
        final StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.length; i++)
        {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.4f", values[i]));
        }
        return b.append(']').toString();
    }

    static double median(final double[] values)
    {
        return quantile(values, 0.5);
    }

    /** The q-quantile of {@code values}, interpolating linearly between the closest ranks. */
    static double quantile(final double[] values, final double q)
    {
        final double[] s = values.clone();
        Arrays.sort(s);
        final double pos = q * (s.length - 1);
        final int lo = (int)Math.floor(pos);
        final int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }
}
