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
 * registration writes the block's record (tier slot, parent, position, payload bytes, reference count and
 * access count at registration); an eviction clears the tier's residency, records the access count the
 * block had earned, and drops the record once no tier holds the block.
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
            case REGISTER:
            case OFFLOAD:
                MetadataStore.key(event.idHi, event.idLo, key, keyBuffer);
                // Only read when another tier may hold the block: otherwise the record is this tier's alone.
                if (event.otherTiers == 0 || !store.readInto(key, record))
                {
                    record.clear();
                }
                record.state(BlockState.REGISTERED);
                record.slot(event.tier, event.slot);
                record.refCount(event.refCount);
                record.position(event.position);
                record.parent(event.parentHi, event.parentLo);
                record.payloadBytes(payloadBytes);
                record.touch(event.tick, true);
                store.write(key, record);
                counters.increment(Counter.METADATA_UPDATES);
                break;
            case EVICT:
                MetadataStore.key(event.idHi, event.idLo, key, keyBuffer);
                if (event.otherTiers == 0)
                {
                    store.remove(key); // no other tier holds it: the record goes without a read
                    counters.increment(Counter.METADATA_UPDATES);
                }
                else if (store.readInto(key, record))
                {
                    record.slot(event.tier, -1);
                    record.accessCount(event.aux);
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
                break;
            case DEDUP:
            case MATCH_HIT:
            case ACQUIRE:
            case RELEASE:
            case ALLOCATE:
            case FILL:
            case COMPLETE:
            case MATCH_MISS:
            case RESET:
            case NOOP:
                break;
            default:
                throw new IllegalStateException("unhandled event type " + event.type);
        }
    }
}
