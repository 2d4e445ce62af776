package io.kvbm4j.replay;

import java.util.List;

/** Replays requests held in memory (one {@code long[]} of trace ids per request) as a {@link TraceReader}. */
final class ListTraceReader implements TraceReader
{
    private final List<long[]> requests;
    private int next;

    ListTraceReader(final List<long[]> requests)
    {
        this.requests = requests;
    }

    @Override
    public boolean next(final TraceRequest into)
    {
        if (next == requests.size())
        {
            return false;
        }
        final long[] ids = requests.get(next++);
        into.ids.clear();
        for (final long id : ids)
        {
            into.ids.add(0, id);
        }
        into.timestampMs = -1;
        into.line = next;
        return true;
    }

    @Override
    public long bytesRead()
    {
        return -1;
    }

    @Override
    public long totalBytes()
    {
        return -1;
    }

    @Override
    public void close()
    {
    }
}
