package io.kvbm4j.replay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Replays every {@link PolicyKind} over the shared Mooncake trace (the reference capacities) and the three
 * {@link SyntheticTraces}, and renders the tables of docs/POLICIES.md: hit rate and share of the LRU to
 * OPT gap closed per policy and capacity, the mean of the gap closed over capacities, the pooled gap
 * closed (sum of hits over capacities), and the worst difference to LRU.
 *
 * <p>Run: {@code mvn -B -q -pl journal -am test -Dtest=PolicyEvaluationTest
 * -Dsurefire.failIfNoSpecifiedTests=false}, which writes {@code journal/target/policy-report.md}. Every
 * policy runs in one pass per trace, as {@code --policies all} will.
 */
final class PolicyEvaluation
{
    static final int[] MOONCAKE_CAPACITIES = {500, 1000, 2000, 4000, 8000, 16000, 32000};
    static final long SYNTHETIC_SEED = 42;

    private PolicyEvaluation()
    {
    }

    /** One trace replayed at its capacities by every policy. */
    record TraceRun(String name, long requests, long accesses, int distinctBlocks, int[] capacities,
        List<ReplayResult> results)
    {
        ReplayResult result(final PolicyKind kind, final int capacityIndex)
        {
            return results.get(kind.ordinal() * capacities.length + capacityIndex);
        }

        double hitRate(final PolicyKind kind, final int i)
        {
            return result(kind, i).hitRate();
        }

        double gapClosed(final PolicyKind kind, final int i)
        {
            return result(kind, i).gapClosed(hitRate(PolicyKind.LRU, i), hitRate(PolicyKind.OPT, i));
        }

        /** Mean over the capacities with a gap (OPT above LRU by more than 1e-9). */
        double meanGapClosed(final PolicyKind kind)
        {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < capacities.length; i++)
            {
                final double g = gapClosed(kind, i);
                if (!Double.isNaN(g))
                {
                    sum += g;
                    n++;
                }
            }
            return n == 0 ? Double.NaN : sum / n;
        }

        /** (sum of hits - sum of LRU hits) / (sum of OPT hits - sum of LRU hits), over all capacities. */
        double pooledGapClosed(final PolicyKind kind)
        {
            long hits = 0;
            long lru = 0;
            long opt = 0;
            for (int i = 0; i < capacities.length; i++)
            {
                hits += result(kind, i).hits();
                lru += result(PolicyKind.LRU, i).hits();
                opt += result(PolicyKind.OPT, i).hits();
            }
            return opt == lru ? Double.NaN : (double)(hits - lru) / (opt - lru);
        }

        /** The smallest hit-rate difference to LRU over the capacities (negative: below LRU). */
        double worstVersusLru(final PolicyKind kind)
        {
            double worst = Double.MAX_VALUE;
            for (int i = 0; i < capacities.length; i++)
            {
                worst = Math.min(worst, hitRate(kind, i) - hitRate(PolicyKind.LRU, i));
            }
            return worst;
        }

        /** Block accesses per second of the policy's simulations (parsing excluded), over all capacities. */
        double accessesPerSecond(final PolicyKind kind)
        {
            long accesses = 0;
            double seconds = 0;
            for (int i = 0; i < capacities.length; i++)
            {
                accesses += result(kind, i).accesses();
                seconds += result(kind, i).simulationSeconds();
            }
            return accesses / seconds;
        }
    }

    static TraceRun mooncake()
    {
        final Path trace = SharedTraces.mooncake();
        return run("mooncake_synthetic", () -> new MooncakeTraceReader(trace), MOONCAKE_CAPACITIES, 43_924);
    }

    static List<TraceRun> synthetic(final long seed)
    {
        final List<TraceRun> runs = new ArrayList<>();
        for (final SyntheticTraces.Trace t : SyntheticTraces.all(seed))
        {
            runs.add(run(t.name(), t.reader(), t.capacities(), t.distinctBlocks()));
        }
        return runs;
    }

    static TraceRun run(final String name, final Supplier<TraceReader> trace, final int[] capacities,
        final int distinctBlocks)
    {
        final List<ReplayResult> results = PolicyReplay.run(trace, List.of(PolicyKind.values()), capacities, null);
        final ReplayResult any = results.get(0);
        return new TraceRun(name, any.requests(), any.accesses(), distinctBlocks, capacities, results);
    }

    /**
     * The pooled share of the LRU to OPT gap closed over a set of traces: the sum over every (trace,
     * capacity) cell of (policy - LRU) hit rate over the sum of (OPT - LRU), each cell counting once
     * whatever its trace's length.
     */
    static double pooledGapClosedOverSet(final List<TraceRun> runs, final PolicyKind kind)
    {
        double gained = 0;
        double gap = 0;
        for (final TraceRun run : runs)
        {
            for (int i = 0; i < run.capacities().length; i++)
            {
                final double lru = run.hitRate(PolicyKind.LRU, i);
                gained += run.hitRate(kind, i) - lru;
                gap += run.hitRate(PolicyKind.OPT, i) - lru;
            }
        }
        return gap == 0 ? Double.NaN : gained / gap;
    }

    /** One line per policy: the pooled share over the whole set and the worst cell against LRU, markdown. */
    static String setSummary(final List<TraceRun> runs)
    {
        final StringBuilder sb = new StringBuilder(
            "### Whole set (%d traces, %d cells)%n%n| policy | pooled gap closed over the set | worst vs LRU |%n|---|---|---|%n"
                .formatted(runs.size(), runs.stream().mapToInt(r -> r.capacities().length).sum()));
        for (final PolicyKind kind : PolicyKind.values())
        {
            double worst = Double.MAX_VALUE;
            for (final TraceRun run : runs)
            {
                worst = Math.min(worst, run.worstVersusLru(kind));
            }
            sb.append(String.format(Locale.ROOT, "| %s | %+.3f | %+.4f |%n", kind.cliName(),
                pooledGapClosedOverSet(runs, kind), worst));
        }
        return sb.append('\n').toString();
    }

    /** The tables of one trace, in markdown. */
    static String markdown(final TraceRun run)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "### %s (%,d requests, %,d block accesses, %,d distinct blocks)%n%n",
            run.name(), run.requests(), run.accesses(), run.distinctBlocks()));
        sb.append("Hit rate (share of the LRU to OPT gap closed) per capacity in blocks.\n\n| policy |");
        for (final int c : run.capacities())
        {
            sb.append(String.format(Locale.ROOT, " %,d |", c));
        }
        sb.append(" mean gap closed | pooled gap closed | worst vs LRU |\n|---|");
        for (int i = 0; i < run.capacities().length; i++)
        {
            sb.append("---|");
        }
        sb.append("---|---|---|\n");
        for (final PolicyKind kind : PolicyKind.values())
        {
            sb.append("| ").append(kind.cliName()).append(" |");
            for (int i = 0; i < run.capacities().length; i++)
            {
                final double g = run.gapClosed(kind, i);
                sb.append(String.format(Locale.ROOT, " %.4f (%s) |", run.hitRate(kind, i),
                    Double.isNaN(g) ? "n/a" : String.format(Locale.ROOT, "%+.2f", g)));
            }
            sb.append(String.format(Locale.ROOT, " %+.3f | %+.3f | %+.4f |%n", run.meanGapClosed(kind),
                run.pooledGapClosed(kind), run.worstVersusLru(kind)));
        }
        sb.append('\n');
        return sb.toString();
    }

    /**
     * Prints the tables of all traces; args: [synthetic seed] [--synthetic-only]. Run from inside the
     * repository (the trace is in traces/).
     */
    public static void main(final String[] args)
    {
        final long seed = args.length > 0 ? Long.parseLong(args[0]) : SYNTHETIC_SEED;
        final List<TraceRun> runs = new ArrayList<>();
        if (args.length < 2 || !"--synthetic-only".equals(args[1]))
        {
            runs.add(mooncake());
        }
        runs.addAll(synthetic(seed));
        for (final TraceRun run : runs)
        {
            System.out.print(markdown(run));
        }
        System.out.print(setSummary(runs));
    }
}
