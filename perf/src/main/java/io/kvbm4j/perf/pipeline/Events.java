package io.kvbm4j.perf.pipeline;

import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;

/** Benchmark helper: writes a one-block run into an entry, every field, so no stale value is measured. */
public final class Events
{
    private Events()
    {
    }

    /** A run of one block. */
    public static BlockEvent one(
        final BlockEvent e, final BlockEventType type, final int tier, final int slot, final long idHi, final long idLo,
        final int position, final long requestId, final long tick, final int refCount)
    {
        e.type = type;
        e.tier = tier;
        e.requestId = requestId;
        e.tick = tick;
        e.timeNanos = tick;
        e.count = 1;
        e.slot[0] = slot;
        e.idHi[0] = idHi;
        e.idLo[0] = idLo;
        e.parentHi[0] = idHi;
        e.parentLo[0] = idLo - 1;
        e.position[0] = position;
        e.refCount[0] = refCount;
        e.aux[0] = 0;
        e.flags[0] = 0;
        e.otherTiers[0] = 0;
        return e;
    }
}
