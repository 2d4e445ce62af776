package io.kvbm4j.engine;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Tier;
import io.kvbm4j.metadata.BlockRecord;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pool.BlockPool;

/**
 * A test ring handler that rebuilds what every tier holds from the events alone (STORED without DEDUP adds a
 * block to its tier, REMOVED takes it out) and compares that with the pools and with the Chronicle Map. Run
 * after every engine test by {@link EngineFixture}: a transition that changes a pool without an event (as G3
 * writes and evictions did before run events), or an event without the change, fails the test.
 *
 * <p>The maps are written on the handler's thread and read by the test thread after the ring drained.
 */
final class ResidencyChecker implements EventHandler<BlockEvent>
{
    private record Id(long hi, long lo)
    {
        @Override
        public String toString()
        {
            return String.format("%016x%016x", hi, lo);
        }
    }

    private static final Tier[] TIERS = Tier.values();
    private final java.util.List<Map<Id, Integer>> held = new java.util.ArrayList<>();
    private final StringBuffer errors = new StringBuffer();

    ResidencyChecker()
    {
        for (int t = 0; t < TIERS.length; t++)
        {
            held.add(new ConcurrentHashMap<>());
        }
    }

    @Override
    public void onEvent(final BlockEvent e, final long sequence, final boolean endOfBatch)
    {
        if (e.type != BlockEventType.STORED && e.type != BlockEventType.REMOVED)
        {
            return;
        }
        final Map<Id, Integer> tier = held.get(e.tier);
        for (int i = 0; i < e.count; i++)
        {
            final Id id = new Id(e.idHi[i], e.idLo[i]);
            if (e.type == BlockEventType.STORED && e.has(i, BlockEvent.DEDUP))
            {
                if (!tier.containsKey(id))
                {
                    errors.append("event ").append(sequence).append(": DEDUP to ").append(id).append(" not in ")
                        .append(TIERS[e.tier]).append('\n');
                }
            }
            else if (e.type == BlockEventType.STORED)
            {
                final Integer was = tier.put(id, e.slot[i]);
                if (was != null)
                {
                    errors.append("event ").append(sequence).append(": STORED ").append(id).append(" already in ")
                        .append(TIERS[e.tier]).append(" at slot ").append(was).append('\n');
                }
            }
            else if (tier.remove(id) == null)
            {
                errors.append("event ").append(sequence).append(": REMOVED ").append(id).append(" never stored in ")
                    .append(TIERS[e.tier]).append('\n');
            }
        }
    }

    /** Compares the rebuilt residency with the pools and the metadata store. @return the differences, or null. */
    String compare(final DefaultKvBlockManager m)
    {
        final StringBuilder sb = new StringBuilder(errors);
        final Map<Id, Integer> bits = new HashMap<>();
        for (final Tier tier : TIERS)
        {
            final BlockPool pool = m.pool(tier);
            final Map<Id, Integer> expected = held.get(tier.ordinal());
            final Map<Id, Integer> actual = new HashMap<>();
            if (pool != null)
            {
                for (int slot = 0; slot < pool.capacity(); slot++)
                {
                    if (pool.state(slot) == BlockState.REGISTERED)
                    {
                        actual.put(new Id(pool.table().idHi(slot), pool.table().idLo(slot)), slot);
                    }
                }
            }
            if (!expected.equals(actual))
            {
                for (final Map.Entry<Id, Integer> e : actual.entrySet())
                {
                    if (!e.getValue().equals(expected.get(e.getKey())))
                    {
                        sb.append(tier).append(": pool holds ").append(e.getKey()).append(" at ").append(e.getValue())
                            .append(", the events say ").append(expected.get(e.getKey())).append('\n');
                    }
                }
                for (final Map.Entry<Id, Integer> e : expected.entrySet())
                {
                    if (!actual.containsKey(e.getKey()))
                    {
                        sb.append(tier).append(": the events say ").append(e.getKey()).append(" at ").append(e.getValue())
                            .append(", the pool does not hold it\n");
                    }
                }
            }
            for (final Id id : expected.keySet())
            {
                bits.merge(id, tier.bit(), (a, b) -> a | b);
            }
        }
        final BlockRecord record = new BlockRecord();
        for (final Map.Entry<Id, Integer> e : bits.entrySet())
        {
            final Id id = e.getKey();
            if (!m.metadata().read(id.hi(), id.lo(), record))
            {
                sb.append("metadata: no record for ").append(id).append(" held in tiers ").append(e.getValue()).append('\n');
                continue;
            }
            if (record.residency() != e.getValue())
            {
                sb.append("metadata: ").append(id).append(" residency ").append(record.residency()).append(", the events say ")
                    .append(e.getValue()).append('\n');
            }
            for (final Tier tier : TIERS)
            {
                final Integer slot = held.get(tier.ordinal()).get(id);
                if (slot != null && record.slot(tier) != slot)
                {
                    sb.append("metadata: ").append(id).append(' ').append(tier).append(" slot ").append(record.slot(tier))
                        .append(", the events say ").append(slot).append('\n');
                }
            }
        }
        if (m.metadata().size() != bits.size())
        {
            sb.append("metadata: ").append(m.metadata().size()).append(" records, the events say ").append(bits.size())
                .append(" blocks are resident\n");
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
