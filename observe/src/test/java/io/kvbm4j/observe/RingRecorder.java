package io.kvbm4j.observe;

import java.util.ArrayList;
import java.util.List;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.pipeline.BlockEvent;

/**
 * What the engine registered, offloaded and evicted, recorded straight from the ring by a second handler,
 * independently of the adapter under test: one entry per block, in ring order.
 */
public final class RingRecorder implements EventHandler<BlockEvent>
{
    public record Entry(boolean stored, Tier tier, long idHi, long idLo)
    {
    }

    private final List<Entry> entries = new ArrayList<>();

    @Override
    public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
    {
        switch (event.type)
        {
            case REGISTER:
            case OFFLOAD:
                add(new Entry(true, Tier.values()[event.tier], event.idHi, event.idLo));
                break;
            case EVICT:
                add(new Entry(false, Tier.values()[event.tier], event.idHi, event.idLo));
                break;
            default:
                break;
        }
    }

    private synchronized void add(final Entry e)
    {
        entries.add(e);
    }

    public synchronized List<Entry> entries()
    {
        return List.copyOf(entries);
    }
}
