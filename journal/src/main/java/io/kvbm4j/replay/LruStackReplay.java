package io.kvbm4j.replay;

import java.util.Arrays;

/**
 * LRU at every capacity in one exact pass (Mattson's stack algorithm), under the replay's prefix semantics.
 *
 * <p><b>Why one pass is exact.</b> Under the semantics of traces/README.md a request's blocks are touched
 * last-first (b_n first, b_1 last), and an id names its whole prefix, so every block is touched no earlier
 * than any of its descendants: the least recently used block is always a leaf, and LRU under the prefix
 * rule evicts exactly what plain LRU evicts. Plain LRU is a stack algorithm: after each request a cache
 * of C blocks holds the C most recently used blocks (a request longer than C keeps its first C ids, which
 * are its C newest), so the cache of C is contained in the cache of C + 1. A block is therefore resident at
 * capacity C iff its stack distance (the number of distinct blocks used since it, itself included) is at
 * most C; and request position j hits at C iff max(distance of b_1..b_j) ≤ C. One pass records, for every
 * position, that maximum; the hits at every capacity are the cumulative counts. {@code LruStackReplayTest}
 * checks the figures against the per-capacity {@link PolicySimulator} on the shipped and synthetic traces.
 *
 * <p><b>Mechanics.</b> Each distinct block keeps the time of its last use; a Fenwick tree over times counts
 * the blocks whose last use is at or after a given time, so a stack distance costs O(log T). Times are
 * renumbered densely when the tree fills (O(T) every T/2 uses), so the tree stays at most 4 slots per
 * distinct block. Memory: 4 + 4 + 8 bytes per distinct block (last use, owner of a time, hits per
 * distance), 16 per tree slot: about 90 MB per million distinct ids. Single-threaded, no allocation per
 * request.
 */
public final class LruStackReplay
{
    private static final int UNSEEN = -1;

    private final int[] lastUse;     // per dense id: its time, or UNSEEN
    private int[] owner;             // per time: the dense id whose last use it is, or UNSEEN
    private int[] tree;              // Fenwick tree over times: 1 where a time is some block's last use
    private final long[] hitsAtDistance; // [m]: positions whose prefix max distance is m (1..D)
    private int[] distance = new int[256];
    private int now;
    private int live;
    private long accesses;
    private long requests;

    /** @param distinct the trace's distinct ids (dense ids are 0..distinct-1). */
    public LruStackReplay(final int distinct)
    {
        lastUse = new int[distinct];
        Arrays.fill(lastUse, UNSEEN);
        final int size = Math.max(1024, Integer.highestOneBit(Math.max(1, 2 * distinct)) << 1);
        owner = new int[size];
        tree = new int[size + 1];
        hitsAtDistance = new long[distinct + 2];
    }

    /** Replays a whole compact trace. */
    public static LruStackReplay run(final CompactTrace trace)
    {
        final LruStackReplay lru = new LruStackReplay(trace.distinct());
        for (int r = 0; r < trace.requests(); r++)
        {
            lru.access(trace, trace.start(r), trace.length(r));
        }
        return lru;
    }

    /** Replays one request: accesses {@code from .. from + n - 1} of the trace (dense ids). */
    public void access(final CompactTrace trace, final int from, final int n)
    {
        if (distance.length < n)
        {
            distance = new int[Math.max(n, distance.length * 2)];
        }
        // Distances before the request; a run's maximum decides each position.
        int max = 0;
        for (int j = 0; j < n; j++)
        {
            final int t = lastUse[trace.id(from + j)];
            if (t == UNSEEN || max == Integer.MAX_VALUE)
            {
                max = Integer.MAX_VALUE;
            }
            else
            {
                max = Math.max(max, live - prefix(t));
                hitsAtDistance[max]++;
            }
        }
        accesses += n;
        requests++;
        // Touch last-first: b_n gets the oldest time of the request, b_1 the newest.
        for (int j = n - 1; j >= 0; j--)
        {
            touch(trace.id(from + j));
        }
    }

    private void touch(final int id)
    {
        if (now == owner.length)
        {
            renumber();
        }
        final int t = lastUse[id];
        if (t != UNSEEN)
        {
            add(t, -1);
            owner[t] = UNSEEN;
        }
        else
        {
            live++;
        }
        lastUse[id] = now;
        owner[now] = id;
        add(now, 1);
        now++;
    }

    /** Packs the live times to 0..live-1 (order kept); grows the tree when more than half of it is live. */
    private void renumber()
    {
        if (live * 2 > owner.length)
        {
            owner = Arrays.copyOf(owner, owner.length * 2);
            tree = new int[owner.length + 1];
        }
        int next = 0;
        for (int t = 0; t < now; t++)
        {
            final int id = owner[t];
            if (id != UNSEEN)
            {
                owner[next] = id;
                lastUse[id] = next++;
            }
        }
        Arrays.fill(owner, next, owner.length, UNSEEN);
        // Rebuild the tree in O(size): ones at 0..live-1.
        Arrays.fill(tree, 0);
        for (int i = 1; i <= next; i++)
        {
            tree[i] = 1;
        }
        for (int i = 1; i < tree.length; i++)
        {
            final int parent = i + (i & -i);
            if (parent < tree.length)
            {
                tree[parent] += tree[i];
            }
        }
        now = next;
    }

    private void add(final int time, final int delta)
    {
        for (int i = time + 1; i < tree.length; i += i & -i)
        {
            tree[i] += delta;
        }
    }

    /** Live times strictly before {@code time}. */
    private int prefix(final int time)
    {
        int sum = 0;
        for (int i = time; i > 0; i -= i & -i)
        {
            sum += tree[i];
        }
        return sum;
    }

    /** Block hits of LRU at {@code capacity} blocks. */
    public long hits(final int capacity)
    {
        long sum = 0;
        final int top = Math.min(capacity, hitsAtDistance.length - 1);
        for (int m = 1; m <= top; m++)
        {
            sum += hitsAtDistance[m];
        }
        return sum;
    }

    /** Hits at every capacity 0..max: {@code curve[c]} = hits at c blocks. */
    public long[] hitCurve(final int max)
    {
        final long[] curve = new long[max + 1];
        long sum = 0;
        for (int c = 1; c <= max; c++)
        {
            sum += c < hitsAtDistance.length ? hitsAtDistance[c] : 0;
            curve[c] = sum;
        }
        return curve;
    }

    public long accesses()
    {
        return accesses;
    }

    public long requests()
    {
        return requests;
    }
}
