package io.kvbm4j.replay;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Tier;
import io.kvbm4j.policy.EvictionPolicy;
import io.kvbm4j.pool.BlockPool;

/**
 * Policy-only replay of one (policy, capacity): drives a real {@link BlockPool} (metadata only, no ring,
 * no payload) with the semantics of {@code traces/README.md}:
 * <ul>
 *   <li>a request's hit is the longest run of its leading ids all resident;</li>
 *   <li>then every id of the request becomes resident (a request longer than the capacity keeps its
 *       first C ids), newly stored blocks registered in order;</li>
 *   <li>the request's blocks are then released last-first (b_n first, b_1 last), so for LRU an ancestor
 *       is never older than its descendants;</li>
 *   <li>then, while more than C blocks are resident, the policy's victim is evicted. The request's own
 *       blocks are candidates too: OPT drops a newly stored block that is never used again rather than
 *       a useful older one (this is what the reference OPT figures assume); for LRU they are the newest
 *       and never chosen, so the request keeps all of its first C ids.</li>
 * </ul>
 * The pool therefore has 2C slots: at most C resident before a request, at most C more stored by it.
 * Because it is the engine's own pool, every policy gets the engine's prefix rule: only inactive leaves
 * are ever eviction candidates.
 *
 * <p>Single-threaded; no allocation per request after warm-up.
 */
public final class PolicySimulator implements AutoCloseable
{
    private final String policyName;
    private final int capacity;
    private final BlockPool pool;
    private final OptEvictionPolicy opt;
    private final NextUseIndex nextUse;
    private int[] held = new int[1024];
    private long tick;
    private long hits;
    private long accesses;
    private long requests;
    private int accessCursor;

    /**
     * @param policyForSlots makes the policy for a pool of the given number of slots.
     * @param nextUse        required when the policy is an {@link OptEvictionPolicy}, else ignored.
     */
    public PolicySimulator(final String policyName, final int capacity,
        final java.util.function.IntFunction<EvictionPolicy> policyForSlots, final NextUseIndex nextUse)
    {
        if (capacity <= 0 || capacity > (1 << 25))
        {
            throw new IllegalArgumentException("capacity must be in 1.." + (1 << 25) + ": " + capacity);
        }
        this.policyName = policyName;
        this.capacity = capacity;
        final EvictionPolicy policy = policyForSlots.apply(2 * capacity);
        this.pool = new BlockPool(Tier.G1, 2 * capacity, policy);
        this.opt = policy instanceof OptEvictionPolicy ? (OptEvictionPolicy)policy : null;
        if (opt != null && nextUse == null)
        {
            throw new IllegalArgumentException("OPT needs the trace's next-use index");
        }
        this.nextUse = nextUse;
    }

    public String policyName()
    {
        return policyName;
    }

    public int capacity()
    {
        return capacity;
    }

    /**
     * Replays one request.
     *
     * @return k, the length of the request's leading run found resident.
     */
    public int access(final BlockIds ids)
    {
        final int n = ids.size();
        final int limit = Math.min(n, capacity);
        if (held.length < limit)
        {
            held = new int[Math.max(limit, held.length * 2)];
        }
        final long t = ++tick;
        int k = 0;
        while (k < limit)
        {
            final int slot = pool.lookup(ids.hi(k), ids.lo(k));
            if (slot < 0)
            {
                break;
            }
            pool.acquire(slot, t);
            held[k++] = slot;
        }
        hits += k;
        accesses += n;
        for (int j = k; j < limit; j++)
        {
            final int slot = pool.allocate(0, t); // never -1: at most C resident + at most C new
            pool.fill(slot, 1, 1);
            pool.complete(slot, ids.hi(j), ids.lo(j), j == 0 ? 0 : ids.hi(j - 1), j == 0 ? 0 : ids.lo(j - 1), j, 1);
            held[j] = pool.register(slot, t);
        }
        for (int j = limit - 1; j >= 0; j--)
        {
            if (opt != null)
            {
                opt.nextUse(held[j], nextUse.nextUse(accessCursor + j));
            }
            pool.release(held[j]);
        }
        while (pool.inactiveCount() > capacity)
        {
            pool.evict(pool.victim()); // every block is inactive between requests: a victim always exists
        }
        accessCursor += n;
        requests++;
        return k;
    }

    /** Blocks hit so far. */
    public long hits()
    {
        return hits;
    }

    /** Blocks requested so far. */
    public long accesses()
    {
        return accesses;
    }

    public long requests()
    {
        return requests;
    }

    /** sum(k) / sum(n). */
    public double hitRate()
    {
        return accesses == 0 ? 0 : (double)hits / accesses;
    }

    /** The pool, for invariant checks. */
    public BlockPool pool()
    {
        return pool;
    }

    @Override
    public void close()
    {
        pool.close();
    }
}
