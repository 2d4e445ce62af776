package io.kvbm4j.perf.policy;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * {@link PolicyAccessBenchmark}'s loop timed by the replay thread's CPU time as well as the wall clock, for
 * figures on a loaded machine (where JMH's wall-clock score mostly measures the other sessions). Rounds
 * alternate the policies in one JVM (so the pool's calls into the policy are not monomorphic, a slightly
 * harder case than JMH's fork per parameter). Not a JMH benchmark: a diagnostic that backs the per
 * CPU-second figures in docs/PERF.md.
 *
 * <p>Run after {@code perf/run-bench.sh -l} (or {@code mvn -B -q -pl perf -am package -DskipTests}):
 * <pre>
 * java $(cat perf/target/classes/jvm.options) -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" \
 *     io.kvbm4j.perf.policy.PolicyAccessCpuTime [capacity ...]
 * </pre>
 */
public final class PolicyAccessCpuTime
{
    private static final String[] POLICIES = {"lru", "prefix", "nextuse"};
    private static final int ROUNDS = 3;
    private static final int WARM_REQUESTS = 100_000;
    private static final int REQUESTS = 300_000;

    private PolicyAccessCpuTime()
    {
    }

    public static void main(final String[] args)
    {
        final int[] capacities = args.length == 0 ? new int[] {8000, 64000} : new int[args.length];
        for (int i = 0; i < args.length; i++)
        {
            capacities[i] = Integer.parseInt(args[i]);
        }
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final PolicyAccessBenchmark bench = new PolicyAccessBenchmark();
        for (final int capacity : capacities)
        {
            for (int round = 0; round < ROUNDS; round++)
            {
                for (final String policy : POLICIES)
                {
                    final PolicyAccessBenchmark.Replay replay = new PolicyAccessBenchmark.Replay();
                    replay.policy = policy;
                    replay.capacity = capacity;
                    replay.open();
                    try
                    {
                        long sink = 0;
                        for (int i = 0; i < WARM_REQUESTS; i++)
                        {
                            sink += bench.access(replay);
                        }
                        final long cpu0 = threads.getCurrentThreadCpuTime();
                        final long wall0 = System.nanoTime();
                        for (int i = 0; i < REQUESTS; i++)
                        {
                            sink += bench.access(replay);
                        }
                        final double cpu = threads.getCurrentThreadCpuTime() - cpu0;
                        final double wall = System.nanoTime() - wall0;
                        final double blocks = (double)REQUESTS * PolicyAccessBenchmark.BLOCKS;
                        System.out.printf(Locale.ROOT,
                            "capacity %d round %d %-8s %6.1f ns/access CPU (%5.2f M/CPU-s), %6.1f ns wall [%d]%n",
                            capacity, round, policy, cpu / blocks, blocks / cpu * 1e3, wall / blocks, sink & 1);
                    }
                    finally
                    {
                        replay.close();
                    }
                }
            }
        }
    }
}
