package io.kvbm4j.replay;

import java.util.function.Supplier;

import org.agrona.collections.Long2LongHashMap;

/**
 * For OPT: the request index at which each access's block is used next, computed by one streaming pass
 * over the trace. Holds one long per block access (the future cannot be streamed), plus a map sized by
 * the distinct blocks while building.
 */
public final class NextUseIndex
{
    private static final int NEVER_INT = -1;

    private long[] nextUse;
    private int[] compact;
    private int accesses;

    private NextUseIndex()
    {
    }

    /** Reads the whole trace once. */
    public static NextUseIndex build(final Supplier<TraceReader> trace)
    {
        final NextUseIndex index = new NextUseIndex();
        index.nextUse = new long[1 << 16];
        final Long2LongHashMap lastAccess = new Long2LongHashMap(-1);
        final TraceRequest req = new TraceRequest();
        long request = 0;
        try (TraceReader reader = trace.get())
        {
            while (reader.next(req))
            {
                final int n = req.ids.size();
                for (int j = 0; j < n; j++)
                {
                    final int at = index.accesses++;
                    if (at == index.nextUse.length)
                    {
                        index.nextUse = java.util.Arrays.copyOf(index.nextUse, at * 2);
                    }
                    index.nextUse[at] = OptEvictionPolicy.NEVER;
                    final long previous = lastAccess.put(req.ids.lo(j), at);
                    if (previous >= 0 && index.nextUse[(int)previous] == OptEvictionPolicy.NEVER)
                    {
                        index.nextUse[(int)previous] = request;
                    }
                }
                request++;
            }
        }
        return index;
    }

    /**
     * From a parsed trace, in one backward pass over its dense ids: one int per block access (request indices
     * fit in an int), plus one int per distinct id while building.
     */
    public static NextUseIndex build(final CompactTrace trace)
    {
        final NextUseIndex index = new NextUseIndex();
        final int accesses = trace.accesses();
        final int[] next = new int[accesses];
        final int[] nextRequest = new int[trace.distinct()];
        java.util.Arrays.fill(nextRequest, NEVER_INT);
        for (int r = trace.requests() - 1; r >= 0; r--)
        {
            final int from = trace.start(r);
            for (int a = from + trace.length(r) - 1; a >= from; a--)
            {
                final int d = trace.id(a);
                next[a] = nextRequest[d];
                nextRequest[d] = r;
            }
        }
        index.compact = next;
        index.accesses = accesses;
        return index;
    }

    /** Next use (request index) of the block at global access number {@code access}. */
    public long nextUse(final int access)
    {
        if (compact != null)
        {
            final int r = compact[access];
            return r == NEVER_INT ? OptEvictionPolicy.NEVER : r;
        }
        return nextUse[access];
    }

    /** Total block accesses in the trace. */
    public int accesses()
    {
        return accesses;
    }
}
