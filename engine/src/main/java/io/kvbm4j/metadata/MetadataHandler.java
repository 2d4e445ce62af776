package io.kvbm4j.metadata;

import org.agrona.concurrent.UnsafeBuffer;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.metrics.CounterArray;
import io.kvbm4j.pipeline.BlockEvent;

/**
 * Ring handler that keeps the {@link MetadataStore} in step with the block events: the single writer of
 * the Chronicle Map. The map records what is cached where, so it changes when residency changes: a
 * STORED run writes each block's record (tier slot, parent, position, payload bytes, G1 reference count) for
 * every tier, G1 to G3; a REMOVED run clears that tier's residency, records the access count the block had
 * earned, and drops the record once no tier holds the block. Each block carries the residency of the other
 * tiers as the serving thread knew it at that ring position, so a record is read only when another tier
 * holds the block. The map's residency bits are therefore right for every tier as of the handler's position.
 *
 * <p>Hits, acquires and releases do not touch the map: live reference counts and access ticks are the
 * serving thread's (the block table), and a map write per hit would make this handler the ring's
 * bottleneck (measured: it capped the ring near 0.5 M events/s when it did). Unregistered blocks never
 * reach the map.
 *
 * <p>Runs on its own ring thread; holds reusable key and record buffers, so no allocation per event.
 */
public final class MetadataHandler implements EventHandler<BlockEvent>
{
    private final MetadataStore store;
    private final CounterArray counters;
    private final long payloadBytes;
    private final byte[] key = new byte[BlockRecordLayout.KEY_BYTES];
    private final UnsafeBuffer keyBuffer = new UnsafeBuffer(key);
    private final BlockRecord record = new BlockRecord();

    /** @param payloadBytes bytes of one block's payload, recorded with each registration. */
    public MetadataHandler(final MetadataStore store, final CounterArray counters, final long payloadBytes)
    {
        this.store = store;
        this.counters = counters;
        this.payloadBytes = payloadBytes;
    }

    @Override
    public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
    {
        switch (event.type)
        {
            case STORED:
                for (int i = 0; i < event.count; i++)
                {
                    if (!event.has(i, BlockEvent.DEDUP))
                    {
                        stored(event, i);
                    }
                }
                break;
            case REMOVED:
                for (int i = 0; i < event.count; i++)
                {
                    removed(event, i);
                }
                break;
            case MATCH:
            case ACQUIRE:
            case RELEASE:
            case DEGRADED:
            case NOOP:
                break;
            default:
                throw new IllegalStateException("unhandled event type " + event.type);
        }
    }

    private void stored(final BlockEvent event, final int i)
    {
        MetadataStore.key(event.idHi[i], event.idLo[i], key, keyBuffer);
        // Only read when another tier may hold the block: otherwise the record is this tier's alone.
        if (event.otherTiers[i] == 0 || !store.readInto(key, record))
        {
            record.clear();
        }
        record.state(BlockState.REGISTERED);
        record.slot(event.tier, event.slot[i]);
        if (event.tier == 0)
        {
            record.refCount(event.refCount[i]); // references are G1's
        }
        record.position(event.position[i]);
        record.parent(event.parentHi[i], event.parentLo[i]);
        record.payloadBytes(payloadBytes);
        record.touch(event.tick, true);
        store.write(key, record);
        counters.increment(Counter.METADATA_UPDATES);
    }

    private void removed(final BlockEvent event, final int i)
    {
        MetadataStore.key(event.idHi[i], event.idLo[i], key, keyBuffer);
        if (event.otherTiers[i] == 0)
        {
            store.remove(key); // no other tier holds it: the record goes without a read
            counters.increment(Counter.METADATA_UPDATES);
        }
        else if (store.readInto(key, record))
        {
            record.slot(event.tier, -1);
            if (event.tier == 0)
            {
                record.refCount(0);
            }
            record.accessCount(Math.max(record.accessCount(), event.aux[i]));
            if (record.residency() == 0)
            {
                store.remove(key);
            }
            else
            {
                store.write(key, record);
            }
            counters.increment(Counter.METADATA_UPDATES);
        }
    }
}
