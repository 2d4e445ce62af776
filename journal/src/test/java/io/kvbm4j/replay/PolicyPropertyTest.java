package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.pool.PoolInvariants;

/**
 * Seeded randomised property test of every policy the replay knows: over 10,000 requests on random prefix
 * trees (fresh roots, shared prompts, branches at random depths, exact repeats, requests longer than the
 * capacity), after every request and for every capacity, the pool's invariants hold, at most C blocks are
 * resident, and every resident block's parent is resident (the prefix rule). The seed is printed on
 * failure; rerun with {@code -Dkvbm.seed=<seed>} to reproduce.
 */
class PolicyPropertyTest
{
    private static final int REQUESTS = 10_000;
    private static final int[] CAPACITIES = {3, 16, 64, 256};

    @Test
    void everyPolicyKeepsThePoolConsistentTheCapacityAndThePrefixRuleAfterEveryRequest()
    {
        final long seed = Long.getLong("kvbm.seed", System.nanoTime());
        try
        {
            run(seed);
        }
        catch (final AssertionError ex)
        {
            fail("seed " + seed + " (rerun with -Dkvbm.seed=" + seed + "): " + ex.getMessage(), ex);
        }
    }

    private static void run(final long seed)
    {
        final List<long[]> trace = randomPrefixTrees(new Random(seed));
        final NextUseIndex future = NextUseIndex.build(() -> new ListTraceReader(trace));
        final List<PolicySimulator> sims = new ArrayList<>();
        for (final PolicyKind kind : PolicyKind.values())
        {
            for (final int c : CAPACITIES)
            {
                sims.add(new PolicySimulator(kind.cliName(), c, kind::create, kind.needsFuture() ? future : null));
            }
        }
        final TraceRequest req = new TraceRequest();
        try (TraceReader reader = new ListTraceReader(trace))
        {
            int r = 0;
            while (reader.next(req))
            {
                for (final PolicySimulator sim : sims)
                {
                    sim.access(req.ids);
                    check(sim, r);
                }
                r++;
            }
        }
        for (final PolicySimulator sim : sims)
        {
            assertEquals(REQUESTS, sim.requests());
            sim.close();
        }
    }

    private static void check(final PolicySimulator sim, final int request)
    {
        final BlockPool pool = sim.pool();
        final String where = sim.policyName() + " at capacity " + sim.capacity() + " after request " + request;
        assertNull(PoolInvariants.check(pool), where);
        assertEquals(0, pool.activeCount(), where);
        assertTrue(pool.inactiveCount() <= sim.capacity(), where + ": " + pool.inactiveCount() + " resident");
        final BlockTable table = pool.table();
        final int registered = BlockState.REGISTERED.code();
        for (int s = 0; s < pool.capacity(); s++)
        {
            if (table.state(s) != registered || table.position(s) == 0)
            {
                continue;
            }
            final int parent = table.parentSlot(s);
            assertTrue(parent >= 0, where + ": slot " + s + " at position " + table.position(s) + " has no parent");
            assertEquals(registered, table.state(parent), where + ": parent of slot " + s + " is not resident");
            assertEquals(table.parentLo(s), table.idLo(parent), where + ": parent slot of " + s + " holds another id");
            assertEquals(table.parentHi(s), table.idHi(parent), where);
        }
    }

    /**
     * Requests over random prefix trees: new roots, walks under a few shared prompts, branches off an
     * earlier request at a random depth (recent ones more often), exact repeats.
     */
    static List<long[]> randomPrefixTrees(final Random rnd)
    {
        final List<long[]> requests = new ArrayList<>();
        final long[][] prompts = new long[6][];
        long next = 1;
        for (int p = 0; p < prompts.length; p++)
        {
            prompts[p] = new long[2 + rnd.nextInt(5)];
            for (int j = 0; j < prompts[p].length; j++)
            {
                prompts[p][j] = next++;
            }
        }
        for (int r = 0; r < REQUESTS; r++)
        {
            final double kind = rnd.nextDouble();
            final long[] base;
            int keep;
            if (requests.isEmpty() || kind < 0.15)
            {
                base = new long[0];
                keep = 0;
            }
            else if (kind < 0.35)
            {
                base = prompts[rnd.nextInt(prompts.length)];
                keep = base.length;
            }
            else if (kind < 0.5)
            {
                requests.add(requests.get(pick(rnd, requests.size())).clone());
                continue;
            }
            else
            {
                base = requests.get(pick(rnd, requests.size()));
                keep = 1 + rnd.nextInt(base.length);
            }
            final int fresh = (keep == 0 ? 1 : 0) + rnd.nextInt(rnd.nextInt(10) == 0 ? 300 : 12);
            final long[] ids = new long[keep + fresh];
            System.arraycopy(base, 0, ids, 0, keep);
            for (int j = keep; j < ids.length; j++)
            {
                ids[j] = next++;
            }
            requests.add(ids);
        }
        return requests;
    }

    /** A request index, recent ones more likely. */
    private static int pick(final Random rnd, final int n)
    {
        return rnd.nextBoolean() ? n - 1 - rnd.nextInt(Math.min(n, 50)) : rnd.nextInt(n);
    }
}
