package io.kvbm4j.replay;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Policy-only replay speed on the Mooncake trace: {@link ReplayResult#accessesPerSecond()} summed over the
 * reference capacities, each policy in its own JVM-warm pass (so the pool's calls into the policy stay
 * monomorphic), repeated; then all policies in one pass as {@code --policies all} runs them. Not a
 * benchmark (no forks, no pinning): a diagnostic whose numbers move with the machine's load; JMH in
 * {@code perf} is where speed is claimed.
 *
 * <p>Run after {@code mvn -B -q -pl journal -am test-compile}, with the test classpath:
 * {@code java -cp <journal test classpath> io.kvbm4j.replay.PolicyThroughput [repetitions]}.
 */
public final class PolicyThroughput
{
    private PolicyThroughput()
    {
    }

    public static void main(final String[] args)
    {
        final int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        final Path trace = SharedTraces.mooncake();
        final int[] capacities = PolicyEvaluation.MOONCAKE_CAPACITIES;
        for (final PolicyKind kind : PolicyKind.values())
        {
            final StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-8s", kind.cliName()));
            for (int r = 0; r < reps; r++)
            {
                final List<ReplayResult> results = PolicyReplay.run(() -> new MooncakeTraceReader(trace),
                    List.of(kind), capacities, null);
                sb.append(String.format(Locale.ROOT, " %6.2f", perSecond(results) / 1e6));
                if (r == reps - 1)
                {
                    sb.append("  M/s; last pass per capacity:");
                    for (final ReplayResult res : results)
                    {
                        sb.append(String.format(Locale.ROOT, " %.2f", res.accessesPerSecond() / 1e6));
                    }
                }
            }
            System.out.println(sb);
        }
        for (int r = 0; r < reps; r++)
        {
            final List<ReplayResult> results = PolicyReplay.run(() -> new MooncakeTraceReader(trace),
                List.of(PolicyKind.values()), capacities, null);
            final StringBuilder sb = new StringBuilder("all in one pass:");
            for (final PolicyKind kind : PolicyKind.values())
            {
                sb.append(String.format(Locale.ROOT, " %s %.2f", kind.cliName(),
                    perSecond(results.subList(kind.ordinal() * capacities.length,
                        (kind.ordinal() + 1) * capacities.length)) / 1e6));
            }
            System.out.println(sb.append(" M/s"));
        }
    }

    private static double perSecond(final List<ReplayResult> results)
    {
        long accesses = 0;
        double seconds = 0;
        for (final ReplayResult r : results)
        {
            accesses += r.accesses();
            seconds += r.simulationSeconds();
        }
        return accesses / seconds;
    }
}
