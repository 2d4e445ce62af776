package io.kvbm4j.pipeline;

import java.util.concurrent.atomic.AtomicLongArray;

import com.lmax.disruptor.EventHandler;

/**
 * Ring handler that counts events per {@link BlockEventType}, as seen after the ring: what the journal,
 * exporters and tests observe. Single writer (its ring thread, release stores); any thread may read.
 */
public final class EventTypeCounter implements EventHandler<BlockEvent>
{
    private final AtomicLongArray counts = new AtomicLongArray(BlockEventType.values().length);
    private final AtomicLongArray blocks = new AtomicLongArray(BlockEventType.values().length);
    private final AtomicLongArray lastSequence = new AtomicLongArray(1);

    @Override
    public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
    {
        final int i = event.type.ordinal();
        counts.setRelease(i, counts.getPlain(i) + 1);
        blocks.setRelease(i, blocks.getPlain(i) + event.count);
        lastSequence.setRelease(0, sequence);
    }

    /** Blocks carried by events of this type so far. */
    public long blocks(final BlockEventType type)
    {
        return blocks.getAcquire(type.ordinal());
    }

    /** Events (ring entries) of this type handled so far. */
    public long count(final BlockEventType type)
    {
        return counts.getAcquire(type.ordinal());
    }

    /** Events of every type handled so far. */
    public long total()
    {
        long sum = 0;
        for (int i = 0; i < counts.length(); i++)
        {
            sum += counts.getAcquire(i);
        }
        return sum;
    }
}
