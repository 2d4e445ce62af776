package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import io.kvbm4j.replay.NextUseIndex;
import io.kvbm4j.replay.PolicyKind;
import io.kvbm4j.replay.PolicySimulator;
import io.kvbm4j.replay.TraceReader;
import io.kvbm4j.replay.TraceRequest;

/**
 * Multi-tier replay ({@code --tiers g1=A,g2=B,g3=C}): tiers form an exclusive hierarchy (a block evicted
 * from g1 moves to g2, a hit in a lower tier is promoted to g1). For a stack policy (LRU, OPT) such a
 * hierarchy holds exactly what one cache of the cumulative size holds, with g1 the A blocks it ranks
 * highest, g2 the next B, and so on; so each tier's hits are the difference of the hits of the policy at
 * cumulative capacities A, A+B, A+B+C. For policies that are not stack algorithms the same construction
 * is an approximation; a negative difference is reported as 0 and counted.
 */
final class TierReplay
{
    private TierReplay()
    {
    }

    static int run(final Supplier<TraceReader> source, final List<PolicyKind> kinds, final int[] tierBlocks,
        final boolean csv, final PrintWriter out, final PrintWriter err)
    {
        final int tiers = tierBlocks.length;
        final int[] cumulative = new int[tiers];
        int sum = 0;
        for (int t = 0; t < tiers; t++)
        {
            sum += tierBlocks[t];
            cumulative[t] = sum;
        }
        NextUseIndex future = null;
        for (final PolicyKind k : kinds)
        {
            if (k.needsFuture())
            {
                future = NextUseIndex.build(source);
            }
        }
        final List<PolicySimulator[]> sims = new ArrayList<>();
        for (final PolicyKind k : kinds)
        {
            final PolicySimulator[] perTier = new PolicySimulator[tiers];
            for (int t = 0; t < tiers; t++)
            {
                perTier[t] = new PolicySimulator(k.cliName(), cumulative[t], k::create, k.needsFuture() ? future : null);
            }
            sims.add(perTier);
        }
        final long[][] tierHits = new long[kinds.size()][tiers];
        final long[] nonInclusive = new long[kinds.size()];
        long accesses = 0;
        final TraceRequest req = new TraceRequest();
        try (TraceReader reader = source.get())
        {
            while (reader.next(req))
            {
                accesses += req.ids.size();
                for (int p = 0; p < kinds.size(); p++)
                {
                    int below = 0;
                    for (int t = 0; t < tiers; t++)
                    {
                        final int k = sims.get(p)[t].access(req.ids);
                        if (k < below)
                        {
                            nonInclusive[p]++;
                        }
                        tierHits[p][t] += Math.max(0, k - below);
                        below = Math.max(below, k);
                    }
                }
            }
        }
        if (csv)
        {
            out.println("policy,tier,capacity_blocks,block_hit_rate");
        }
        else
        {
            out.printf(Locale.ROOT, "kvbm4j replay, tiers (exclusive hierarchy), %,d block accesses%n%n  %-10s", accesses,
                "policy");
            for (int t = 0; t < tiers; t++)
            {
                out.printf(Locale.ROOT, " %14s", "g" + (t + 1) + " (" + tierBlocks[t] + ")");
            }
            out.printf(Locale.ROOT, " %10s%n", "total");
        }
        for (int p = 0; p < kinds.size(); p++)
        {
            long total = 0;
            if (!csv)
            {
                out.printf(Locale.ROOT, "  %-10s", kinds.get(p).cliName());
            }
            for (int t = 0; t < tiers; t++)
            {
                total += tierHits[p][t];
                final double rate = accesses == 0 ? 0 : (double)tierHits[p][t] / accesses;
                if (csv)
                {
                    out.printf(Locale.ROOT, "%s,g%d,%d,%.6f%n", kinds.get(p).cliName(), t + 1, tierBlocks[t], rate);
                }
                else
                {
                    out.printf(Locale.ROOT, " %14.4f", rate);
                }
            }
            if (!csv)
            {
                out.printf(Locale.ROOT, " %10.4f%n", accesses == 0 ? 0 : (double)total / accesses);
            }
            if (nonInclusive[p] > 0)
            {
                err.printf(Locale.ROOT, "note: %s is not a stack policy on this trace: %,d requests hit less in a " +
                    "larger cache; those tier differences were counted as 0%n", kinds.get(p).cliName(), nonInclusive[p]);
            }
        }
        out.flush();
        err.flush();
        for (final PolicySimulator[] perTier : sims)
        {
            for (final PolicySimulator s : perTier)
            {
                s.close();
            }
        }
        return 0;
    }
}
