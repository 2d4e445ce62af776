package io.kvbm4j.observe.mrc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Validates the sampled curves against the exact LRU curve (rate 1, Mattson's stack algorithm, checked equal
 * to an LRU cache by ShardsMrcTest), as docs/EVENTS_METRICS.md reports:
 * <pre>
 * java -Xmx3g -cp "tools/target/lib/*" io.kvbm4j.observe.mrc.MrcValidation generated [ids] [seeds] [rate,rate...] [trace seed]
 * java -cp "tools/target/lib/*" io.kvbm4j.observe.mrc.MrcValidation mooncake traces/mooncake_synthetic.jsonl [seeds]
 * </pre>
 * {@code generated}: a seeded {@link TraceGenerator} trace of {@code ids} distinct ids (default 2,000,000; 4
 * references per id), {@code seeds} hash seeds (default 20) at {@code rate} (default 0.01): the largest
 * absolute error over all capacities per seed, then its median and maximum over seeds.
 * {@code mooncake}: the shipped trace's requests, each request's ids touched last-first (the replay's LRU
 * order), at rates from 0.01 up: the smallest rate whose maximum error over seeds is at most 0.01.
 */
public final class MrcValidation
{
    private MrcValidation()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length > 0 && args[0].equals("mooncake"))
        {
            mooncake(Path.of(args.length > 1 ? args[1] : "traces/mooncake_synthetic.jsonl"),
                args.length > 2 ? Integer.parseInt(args[2]) : 20);
            return;
        }
        final int ids = args.length > 1 ? Integer.parseInt(args[1]) : 2_000_000;
        final int seeds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        final double[] rates = args.length > 3 ? java.util.Arrays.stream(args[3].split(","))
            .mapToDouble(Double::parseDouble).toArray() : new double[] {0.01};
        final long traceSeed = args.length > 4 ? Long.parseLong(args[4]) : 20261202L;
        final long[] trace = TraceGenerator.trace(ids * 4 + ids / 20, 0.25, traceSeed); // a little over ids distinct
        final int[] capacities = {1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000,
            2_000_000};
        report("generated trace: " + trace.length + " references, " + distinct(trace) + " distinct ids", trace,
            capacities, rates, seeds);
    }

    private static void mooncake(final Path file, final int seeds) throws IOException
    {
        final List<Long> refs = new ArrayList<>();
        for (final String line : Files.readAllLines(file))
        {
            final int at = line.indexOf("\"hash_ids\"");
            if (at < 0)
            {
                continue;
            }
            final String list = line.substring(line.indexOf('[', at) + 1, line.indexOf(']', at));
            final String[] parts = list.split(",");
            for (int i = parts.length - 1; i >= 0; i--) // last-first, as the replay touches them
            {
                if (!parts[i].isBlank())
                {
                    refs.add(Long.parseLong(parts[i].strip()));
                }
            }
        }
        final long[] trace = refs.stream().mapToLong(Long::longValue).toArray();
        report("mooncake trace " + file + ": " + trace.length + " references, " + distinct(trace) + " distinct ids",
            trace, new int[] {500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000},
            new double[] {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.75}, seeds);
    }

    private static void report(
        final String title, final long[] trace, final int[] capacities, final double[] rates, final int seeds)
    {
        System.out.println(title);
        final ShardsMrc exact = new ShardsMrc(1, 0);
        for (final long id : trace)
        {
            exact.access(0, id);
        }
        final double[] want = new double[capacities.length];
        final StringBuilder header = new StringBuilder("exact LRU hit ratio:");
        for (int c = 0; c < capacities.length; c++)
        {
            want[c] = exact.hitRatio(capacities[c]);
            header.append(String.format(Locale.ROOT, " %,d: %.4f", capacities[c], want[c]));
        }
        System.out.println(header);
        System.out.println("| rate | estimator | median over seeds of max error | max over seeds | estimator memory " +
            "(median) |");
        System.out.println("|---|---|---|---|---|");
        for (final double rate : rates)
        {
            final double[] worst = new double[seeds];
            final double[] worstAt = new double[capacities.length];
            final double[] worstAdj = new double[seeds];
            final double[] worstAdjAt = new double[capacities.length];
            final long[] memory = new long[seeds];
            for (int s = 0; s < seeds; s++)
            {
                final ShardsMrc sampled = new ShardsMrc(rate, 0x9e3779b97f4a7c15L * (s + 1));
                for (final long id : trace)
                {
                    sampled.access(0, id);
                }
                for (int c = 0; c < capacities.length; c++)
                {
                    final double error = Math.abs(sampled.hitRatio(capacities[c]) - want[c]);
                    worst[s] = Math.max(worst[s], error);
                    worstAt[c] = Math.max(worstAt[c], error);
                    final double adj = Math.abs(sampled.hitRatioAdjusted(capacities[c]) - want[c]);
                    worstAdj[s] = Math.max(worstAdj[s], adj);
                    worstAdjAt[c] = Math.max(worstAdjAt[c], adj);
                }
                memory[s] = sampled.memoryBytes();
            }
            Arrays.sort(memory);
            line(rate, "ratio (used)", worst, worstAt, capacities, memory[seeds / 2]);
            line(rate, "SHARDS_adj", worstAdj, worstAdjAt, capacities, memory[seeds / 2]);
        }
    }

    private static void line(
        final double rate, final String estimator, final double[] worst, final double[] worstAt, final int[] capacities,
        final long memory)
    {
        Arrays.sort(worst);
        final StringBuilder at = new StringBuilder();
        for (int c = 0; c < capacities.length; c++)
        {
            at.append(String.format(Locale.ROOT, " %,d: %.4f", capacities[c], worstAt[c]));
        }
        System.out.println(String.format(Locale.ROOT, "| %s | %s | %.4f | %.4f | %,d KiB |", rate, estimator,
            worst[worst.length / 2], worst[worst.length - 1], memory / 1024));
        System.out.println("    max error over seeds by capacity:" + at);
    }

    private static long distinct(final long[] trace)
    {
        final long[] copy = trace.clone();
        Arrays.sort(copy);
        long n = 0;
        for (int i = 0; i < copy.length; i++)
        {
            if (i == 0 || copy[i] != copy[i - 1])
            {
                n++;
            }
        }
        return n;
    }
}
