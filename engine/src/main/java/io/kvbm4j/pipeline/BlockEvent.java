package io.kvbm4j.pipeline;

/**
 * One preallocated ring entry. Written by the serving thread between claim and publish; read by handlers
 * after publish (the ring's sequence barrier orders the two). Handlers must not keep a reference past
 * {@code onEvent}: the entry is reused.
 */
public final class BlockEvent
{
    /** What happened. */
    public BlockEventType type;
    /** Tier ordinal ({@link io.kvbm4j.api.Tier#ordinal()}). */
    public int tier;
    /** Slot in the tier, or -1 (a match miss). */
    public int slot;
    /** Block id (0 for blocks whose id is not known yet: ALLOCATE, FILL, RESET of a PARTIAL). */
    public long idHi;
    public long idLo;
    /** Parent id (0 when the parent is the root). */
    public long parentHi;
    public long parentLo;
    /** Position of the block in its sequence. */
    public int position;
    /** The caller's request id. */
    public long requestId;
    /** The manager's logical clock at the operation (one tick per call). */
    public long tick;
    /** Wall-clock time of the operation, epoch nanoseconds. */
    public long timeNanos;
    /** Reference count of the block after the event. */
    public int refCount;
    /**
     * Residency bits ({@link io.kvbm4j.api.Tier#bit()}) of the block in tiers other than {@link #tier}, as
     * the serving thread knows them (0 while only G1 holds blocks). Lets the metadata handler write or
     * drop a record without reading it first.
     */
    public int otherTiers;
    /**
     * Type-specific: tokens after a FILL, the caller's freed slot for DEDUP, blocks missed for MATCH_MISS,
     * the access count the block had earned for EVICT, else 0.
     */
    public int aux;

    /** Sets every field; used by the publisher so no stale value leaks from a previous use. */
    public void set(
        final BlockEventType type, final int tier, final int slot, final long idHi, final long idLo,
        final long parentHi, final long parentLo, final int position, final long requestId, final long tick,
        final long timeNanos, final int refCount, final int aux)
    {
        this.type = type;
        this.tier = tier;
        this.slot = slot;
        this.idHi = idHi;
        this.idLo = idLo;
        this.parentHi = parentHi;
        this.parentLo = parentLo;
        this.position = position;
        this.requestId = requestId;
        this.tick = tick;
        this.timeNanos = timeNanos;
        this.refCount = refCount;
        this.aux = aux;
        this.otherTiers = 0;
    }

    @Override
    public String toString()
    {
        return type + "[tier=" + tier + ", slot=" + slot + ", id=" + String.format("%016x%016x", idHi, idLo) +
            ", position=" + position + ", request=" + requestId + ", tick=" + tick + ", refs=" + refCount +
            ", aux=" + aux + "]";
    }
}
