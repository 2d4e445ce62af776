package io.kvbm4j.pipeline;

import io.kvbm4j.api.Tier;

/**
 * One preallocated ring entry: a run of up to {@link #RUN} blocks that one call changed the same way in one
 * tier. Written by the serving thread (through {@link RingWriter}) between claim and publish; read by
 * handlers after publish (the ring's sequence barrier orders the two). Handlers must not keep a reference
 * past {@code onEvent}: the entry is reused.
 *
 * <p>Per-block fields are parallel arrays indexed {@code 0 .. count-1}; entries past {@code count} are stale.
 */
public final class BlockEvent
{
    /** Blocks per entry. A call touching n blocks of one kind claims ⌈n / RUN⌉ consecutive entries. */
    public static final int RUN = 32;

    /** Flag: the block where a match stopped (not cached; slot -1, aux = blocks missed). */
    public static final int MISS = 1;
    /** Flag: a registration found the id already resident; not a residency change. */
    public static final int DEDUP = 1 << 1;
    /** Flag: the block reached G1 by an onboard from a lower tier. */
    public static final int ONBOARD = 1 << 2;
    /** Flag: removed because a copy of it failed verification. */
    public static final int CORRUPT = 1 << 3;
    /** Flag: a G3 block found on disk when the manager started (warm restart). */
    public static final int RESTORED = 1 << 4;

    /** What happened. */
    public BlockEventType type;
    /** Tier ordinal ({@link Tier#ordinal()}). */
    public int tier;
    /** The caller's request id (0 for transfer-side changes that serve no request). */
    public long requestId;
    /** The manager's logical clock at the call. */
    public long tick;
    /** Wall-clock time of the call, epoch nanoseconds. */
    public long timeNanos;
    /** Blocks in this entry, 0 .. RUN. */
    public int count;

    /** Slot in {@link #tier}, or -1 (a match miss). */
    public final int[] slot = new int[RUN];
    /** Block id. */
    public final long[] idHi = new long[RUN];
    public final long[] idLo = new long[RUN];
    /** Parent id (0 when the parent is the root). */
    public final long[] parentHi = new long[RUN];
    public final long[] parentLo = new long[RUN];
    /** Position of the block in its sequence. */
    public final int[] position = new int[RUN];
    /** Reference count of the block in its tier after the call. */
    public final int[] refCount = new int[RUN];
    /** Type-specific, see {@link BlockEventType}. */
    public final int[] aux = new int[RUN];
    /** {@link #MISS}, {@link #DEDUP}, {@link #ONBOARD}, {@link #CORRUPT}, {@link #RESTORED}. */
    public final int[] flags = new int[RUN];
    /**
     * Residency bits ({@link Tier#bit()}) of the block in tiers other than {@link #tier} as of this event, set
     * on STORED and REMOVED: lets the metadata handler write or drop a record without reading it first.
     */
    public final int[] otherTiers = new int[RUN];
    /**
     * On a G1 STORED block registered with its tokens: the position of its {@code blockTokens} tokens in the
     * manager's {@link TokenRing}; -1 otherwise (a bare-id registration, or no token ring configured).
     */
    public final long[] tokenPos = new long[RUN];

    /** The tier as an enum. */
    public Tier tier()
    {
        return Tier.values()[tier];
    }

    /** Whether block {@code i} has flag {@code flag}. */
    public boolean has(final int i, final int flag)
    {
        return (flags[i] & flag) != 0;
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder().append(type).append("[tier=").append(tier).append(", request=")
            .append(requestId).append(", tick=").append(tick).append(", blocks=");
        for (int i = 0; i < count; i++)
        {
            sb.append(i == 0 ? "" : " ").append(slot[i]).append(':')
                .append(String.format("%016x%016x", idHi[i], idLo[i]));
            if (flags[i] != 0)
            {
                sb.append("/f").append(flags[i]);
            }
        }
        return sb.append(']').toString();
    }
}
