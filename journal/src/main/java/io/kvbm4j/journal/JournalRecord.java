package io.kvbm4j.journal;

import io.kvbm4j.api.Tier;

/** A decoded journal record; reused by {@link JournalTailer} for every record. */
public final class JournalRecord
{

    public JournalKind type;
    /** The block's ring flags ({@link io.kvbm4j.pipeline.BlockEvent}); 0 in version-1 records. */
    public int flags;
    public int tier;
    public int slot;
    public long timeNanos;
    public long idHi;
    public long idLo;
    public long requestId;
    public long tick;
    public int position;
    public int refCount;
    public int aux;
    /** The queue index of this record. */
    public long index;

    /** One readable line: time, type, tier, id, request, position, slot, refs, aux. */
    public String toLine()
    {
        final String tierName = tier >= 0 && tier < Tier.values().length ? Tier.values()[tier].name() : "tier" + tier;
        return String.format(java.util.Locale.ROOT, "%s %-10s %s id=%016x%016x req=%d pos=%d slot=%d refs=%d aux=%d",
            java.time.Instant.ofEpochSecond(0, timeNanos), type, tierName, idHi, idLo, requestId, position, slot,
            refCount, aux);
    }
}
