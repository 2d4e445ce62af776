package io.kvbm4j.replay;

import java.util.Arrays;

/**
 * LRU at one capacity over a compact trace's dense ids: a doubly linked list of the resident ids, newest at the
 * head, O(1) per block access. Computes the same plain LRU as {@link LruStackReplay} (the semantics of
 * traces/README.md: a request's hit is its leading resident run, at most C long; its blocks are then touched
 * last-first, and the oldest are dropped down to C), which is cheaper for one or two capacities than the
 * stack pass's O(log T) per access. {@code LruListReplayTest} checks the figures against the pass. (Where an id
 * repeats within a request, the pass may count a repeat of a hit block past position C as a hit; the list, like
 * the simulators, never counts more than C.)
 *
 * <p>Owns two int links per distinct id. Single-threaded, no allocation per request.
 */
public final class LruListReplay
{
    private static final int NIL = -1;
    private static final int OUT = -2; // in prev[]: not resident

    private final CompactTrace trace;
    private final int capacity;
    private final int[] prev;
    private final int[] next;
    private int head = NIL;
    private int tail = NIL;
    private int size;
    private long hits;
    private long accesses;
    private long requests;

    public LruListReplay(final CompactTrace trace, final int capacity)
    {
        if (capacity <= 0)
        {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.trace = trace;
        this.capacity = capacity;
        prev = new int[trace.distinct()];
        next = new int[trace.distinct()];
        Arrays.fill(prev, OUT);
    }

    /** Replays a whole trace at one capacity. */
    public static LruListReplay run(final CompactTrace trace, final int capacity)
    {
        final LruListReplay lru = new LruListReplay(trace, capacity);
        for (int r = 0; r < trace.requests(); r++)
        {
            lru.access(r);
        }
        return lru;
    }

    /**
     * Replays request {@code r}.
     *
     * @return k, the length of the request's leading run found resident.
     */
    public int access(final int r)
    {
        final int from = trace.start(r);
        final int n = trace.length(r);
        final int limit = Math.min(n, capacity);
        int k = 0;
        while (k < limit && prev[trace.id(from + k)] != OUT)
        {
            k++;
        }
        for (int a = from + n - 1; a >= from; a--)
        {
            toHead(trace.id(a));
        }
        while (size > capacity)
        {
            final int oldest = tail;
            unlink(oldest);
            prev[oldest] = OUT;
            size--;
        }
        hits += k;
        accesses += n;
        requests++;
        return k;
    }

    private void toHead(final int d)
    {
        if (prev[d] == OUT)
        {
            size++;
        }
        else if (head == d)
        {
            return;
        }
        else
        {
            unlink(d);
        }
        prev[d] = NIL;
        next[d] = head;
        if (head != NIL)
        {
            prev[head] = d;
        }
        head = d;
        if (tail == NIL)
        {
            tail = d;
        }
    }

    private void unlink(final int d)
    {
        final int p = prev[d];
        final int q = next[d];
        if (p == NIL)
        {
            head = q;
        }
        else
        {
            next[p] = q;
        }
        if (q == NIL)
        {
            tail = p;
        }
        else
        {
            prev[q] = p;
        }
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
