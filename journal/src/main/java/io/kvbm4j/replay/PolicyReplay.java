package io.kvbm4j.replay;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Runs every (policy, capacity) pair over one streaming pass of a trace: each request is parsed once
 * and fed to every simulator. OPT needs one extra pass first, for the next-use index.
 *
 * <p>Simulation time is measured per simulator (parsing excluded), so throughput figures are the
 * policy's own.
 */
public final class PolicyReplay
{
    private PolicyReplay()
    {
    }

    /**
     * @param progress receives bytes read after each request (may be null).
     */
    public static List<ReplayResult> run(
        final Supplier<TraceReader> trace, final List<PolicyKind> policies, final int[] capacities,
        final LongConsumer progress)
    {
        NextUseIndex future = null;
        for (final PolicyKind p : policies)
        {
            if (p.needsFuture())
            {
                future = NextUseIndex.build(trace);
                break;
            }
        }
        final List<PolicySimulator> sims = new ArrayList<>();
        for (final PolicyKind p : policies)
        {
            for (final int c : capacities)
            {
                sims.add(new PolicySimulator(p.cliName(), c, p::create, p.needsFuture() ? future : null));
            }
        }
        final long[] nanos = new long[sims.size()];
        final TraceRequest req = new TraceRequest();
        try (TraceReader reader = trace.get())
        {
            while (reader.next(req))
            {
                for (int i = 0; i < sims.size(); i++)
                {
                    final long start = System.nanoTime();
                    sims.get(i).access(req.ids);
                    nanos[i] += System.nanoTime() - start;
                }
                if (progress != null)
                {
                    progress.accept(reader.bytesRead());
                }
            }
        }
        final List<ReplayResult> results = new ArrayList<>();
        for (int i = 0; i < sims.size(); i++)
        {
            final PolicySimulator s = sims.get(i);
            results.add(new ReplayResult(s.policyName(), s.capacity(), s.requests(), s.accesses(), s.hits(),
                nanos[i] / 1e9));
            s.close();
        }
        return results;
    }
}
