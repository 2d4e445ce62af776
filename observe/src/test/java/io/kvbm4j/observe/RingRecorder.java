package io.kvbm4j.observe;

import java.util.ArrayList;
import java.util.List;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;

/**
 * What the engine stored and removed in each tier, recorded straight from the ring by a second handler,
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
        for (int i = 0; i < event.count; i++)
        {
            if (event.type == BlockEventType.STORED && !event.has(i, BlockEvent.DEDUP))
            {
                add(new Entry(true, Tier.values()[event.tier], event.idHi[i], event.idLo[i]));
            }
            else if (event.type == BlockEventType.REMOVED)
            {
                add(new Entry(false, Tier.values()[event.tier], event.idHi[i], event.idLo[i]));
            }
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
