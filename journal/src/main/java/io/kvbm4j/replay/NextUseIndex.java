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
    private long[] nextUse;
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

    /** Next use (request index) of the block at global access number {@code access}. */
    public long nextUse(final int access)
    {
        return nextUse[access];
    }

    /** Total block accesses in the trace. */
    public int accesses()
    {
        return accesses;
    }
}
