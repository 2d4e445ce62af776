package io.kvbm4j.replay;

import java.util.Arrays;

/**
 * Belady's OPT at one capacity without a cache simulation: the replay's OPT figures as a greedy interval
 * schedule over a compact trace, O(log R) per hit, on a tree of two ints per request.
 *
 * <p><b>Why it is exact.</b> Under OPT a block used at request p and next at request t is a hit at t iff it is
 * kept through the ends of requests p .. t - 1: its reuse interval [p, t - 1]. A schedule is feasible iff at
 * most C kept intervals cover any request, and OPT (evict the farthest next use) keeps as many intervals as
 * any feasible schedule can. Taking the intervals by their end (the request of reuse, then the position in
 * it) and keeping each one that fits under the intervals kept so far is the classic greedy that is optimal for
 * this (interval scheduling on C machines; it is Belady's rule seen from the reuse side). Where every id names
 * its prefix ({@link #exactFor}: always at the same position under the same parent, never twice in a request),
 * a block's reuse interval contains its parent's, so the kept blocks of a request are a leading run: hits per
 * request are that run, as the simulator counts them, and after the first block that does not fit the rest of
 * the request cannot fit either and is skipped. {@code OptIntervalReplayTest} checks the figures against the
 * per-capacity {@link PolicySimulator}; where a trace's ids do not name their prefixes, the replay runs the
 * simulator instead.
 *
 * <p><b>Mechanics.</b> Coverage per request index lives in a segment tree with suffix add and suffix max (one
 * walk from a leaf to the root each): an interval [p, t - 1] is a suffix from p while the requests after t - 1
 * hold 0, which the end of each request restores by taking back what its kept intervals added past it.
 *
 * <p>Memory: 4 bytes per distinct id (its last use) and 12 per request (the tree): about 4 MB per million
 * distinct ids, against the simulator's pool of 2C slots and next-use index of 4 bytes per block access.
 * Single-threaded, no allocation per request.
 */
public final class OptIntervalReplay
{
    private static final int UNSEEN = -1;

    private final CompactTrace trace;
    private final int capacity;
    private final int[] lastUse;          // per dense id: the last request that used it, or UNSEEN
    private final int leaves;             // the tree's leaf count, a power of two >= requests
    private final int[] best;             // [node]: max coverage over its leaves, adds at and below it included
    private final int[] pending;          // [internal node]: an add that applies to all of its leaves
    private long hits;
    private long accesses;
    private long requests;

    public OptIntervalReplay(final CompactTrace trace, final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.trace = trace;
        this.capacity = capacity;
        lastUse = new int[trace.distinct()];
        Arrays.fill(lastUse, UNSEEN);
        leaves = Integer.highestOneBit(Math.max(2, trace.requests()) - 1) << 1;
        best = new int[2 * leaves];
        pending = new int[leaves];
    }

    /** Replays a whole trace at one capacity. */
    public static OptIntervalReplay run(final CompactTrace trace, final int capacity)
    {
        final OptIntervalReplay opt = new OptIntervalReplay(trace, capacity);
        for (int r = 0; r < trace.requests(); r++)
        {
            opt.access(r);
        }
        return opt;
    }

    /**
     * Whether every id of the trace names its prefix: it always sits at the same position under the same parent,
     * and never twice in one request. Then this replay gives exactly the per-capacity simulator's OPT.
     * One pass; 12 bytes per distinct id.
     */
    public static boolean exactFor(final CompactTrace trace)
    {
        final int[] position = new int[trace.distinct()];
        final int[] parent = new int[trace.distinct()];
        final int[] seenIn = new int[trace.distinct()];
        Arrays.fill(position, -1);
        Arrays.fill(seenIn, -1);
        for (int r = 0; r < trace.requests(); r++)
        {
            final int from = trace.start(r);
            final int n = trace.length(r);
            int up = -1;
            for (int j = 0; j < n; j++)
            {
                final int d = trace.id(from + j);
                if (seenIn[d] == r)
                {
                    return false;
                }
                seenIn[d] = r;
                if (position[d] < 0)
                {
                    position[d] = j;
                    parent[d] = up;
                }
                else if (position[d] != j || parent[d] != up)
                {
                    return false;
                }
                up = d;
            }
        }
        return true;
    }

    /**
     * Replays request {@code r} (requests in order, each once).
     *
     * @return k, the length of the request's leading run kept (hit).
     */
    public int access(final int r)
    {
        final int from = trace.start(r);
        final int n = trace.length(r);
        int k = 0;
        while (k < n)
        {
            final int d = trace.id(from + k);
            final int p = lastUse[d];
            if (p == UNSEEN || maxFrom(p) >= capacity)
            {
                break; // the interval does not fit: a miss, and so is every deeper block of the request
            }
            add(p, 1);
            lastUse[d] = r;
            k++;
        }
        for (int j = k; j < n; j++)
        {
            lastUse[trace.id(from + j)] = r;
        }
        if (k > 0)
        {
            add(r, -k); // requests from r on lie in no kept interval yet: take back what the suffix adds put there
        }
        hits += k;
        accesses += n;
        requests++;
        return k;
    }

    /** Max coverage over the requests from {@code from} on. */
    private int maxFrom(final int from)
    {
        int i = from + leaves;
        int max = best[i];
        while (i > 1)
        {
            if ((i & 1) == 0)
            {
                max = Math.max(max, best[i + 1]);
            }
            i >>>= 1;
            max += pending[i];
        }
        return max;
    }

    /** Adds {@code delta} to the coverage of every request from {@code from} on. */
    private void add(final int from, final int delta)
    {
        int i = from + leaves;
        best[i] += delta;
        while (i > 1)
        {
            if ((i & 1) == 0)
            {
                final int sibling = i + 1;
                best[sibling] += delta;
                if (sibling < leaves)
                {
                    pending[sibling] += delta;
                }
            }
            i >>>= 1;
            best[i] = Math.max(best[2 * i], best[2 * i + 1]) + pending[i];
        }
    }

    public int capacity()
    {
        return capacity;
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
}
