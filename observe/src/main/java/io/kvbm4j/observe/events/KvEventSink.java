package io.kvbm4j.observe.events;

import io.kvbm4j.api.Tier;

/**
 * What the observe module needs to hear from the engine, in its own terms: blocks that became resident in a
 * tier, blocks that left one, the whole cache cleared, and block accesses (for the miss-ratio curves).
 *
 * <p>Called by one thread (a ring handler thread, through {@link io.kvbm4j.observe.ring.RingEventAdapter});
 * implementations are owned by that thread. Arrays are the caller's and reused: copy what you keep.
 * {@link #endOfBatch} marks the end of a run of ring events: a natural point to flush.
 */
public interface KvEventSink
{
    /**
     * Blocks {@code idHi[i], idLo[i]} (i < n) became resident in {@code tier}, each the child of the one
     * before it, the first the child of {@code parentHi, parentLo} when {@code hasParent}.
     *
     * @param tokens the blocks' token ids in order ({@code tokenCount} of them, n x block tokens), or
     *               {@code tokenCount == 0} when the registration carried none (a bare-id registration).
     */
    void stored(Tier tier, long[] idHi, long[] idLo, int n, boolean hasParent, long parentHi, long parentLo,
        int[] tokens, int tokenCount, long timeNanos);

    /** Blocks left {@code tier} (evicted, or their copy there dropped). */
    void removed(Tier tier, long[] idHi, long[] idLo, int n, long timeNanos);

    /** Every block of every tier is gone (a reset). */
    void cleared(long timeNanos);

    /**
     * A request referenced block {@code idHi, idLo} (found cached, or computed and registered): one call per
     * requested block, in request order. The miss-ratio curves are built from this stream.
     */
    default void accessed(final long idHi, final long idLo)
    {
    }

    /** The end of a run of ring events; {@code timeNanos} is the last event's time (epoch ns). */
    default void endOfBatch(final long timeNanos)
    {
    }
}
