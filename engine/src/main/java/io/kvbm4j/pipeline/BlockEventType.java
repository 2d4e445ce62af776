package io.kvbm4j.pipeline;

/**
 * What a run event says happened to its blocks. One ring entry carries a run of up to
 * {@link BlockEvent#RUN} blocks of one type in one tier; a call publishes one run (⌈n / RUN⌉ entries) per
 * kind of change it made. Changes private to a request (allocating a free slot, filling or completing a
 * PARTIAL block, handing an unregistered block back) publish nothing.
 *
 * <p>Residency: a consumer that applies {@link #STORED} (blocks without {@link BlockEvent#DEDUP}) and
 * {@link #REMOVED} per tier knows what every tier holds as of its ring position.
 */
public enum BlockEventType
{
    /**
     * A match in G1: the leading blocks found and pinned (refCount after the hit), then, when the match
     * stopped before the end, one block flagged {@link BlockEvent#MISS}: the first id not cached (slot -1,
     * {@code aux} = blocks missed).
     */
    MATCH,
    /**
     * Blocks became resident in {@code tier}: G1 registrations (commit, register, onboard), G2/G3/G4 copies
     * that landed and verified, G3 blocks found on disk at start ({@link BlockEvent#RESTORED}). A block
     * flagged {@link BlockEvent#DEDUP} was already resident: the caller got that block ({@code slot}), its own
     * slot ({@code aux}) went back to the free pool; no residency change. refCount is the count after the call.
     */
    STORED,
    /**
     * Blocks left {@code tier}: evicted to make room ({@code aux} = the access count they had earned), or
     * dropped because a copy failed verification ({@link BlockEvent#CORRUPT}).
     */
    REMOVED,
    /** References added to registered G1 blocks (refCount after). */
    ACQUIRE,
    /**
     * References dropped from registered G1 blocks (refCount after; 0 = now INACTIVE, cached, evictable).
     * {@code aux} is how many references this entry drops (more than 1 when releases made while the ring
     * was full were folded into one entry).
     */
    RELEASE,
    /** {@code tier} stopped serving (repeated I/O failures); no block entries. Matches skip it from now on. */
    DEGRADED,
    /** A claimed entry that carries nothing (a call that stopped midway); handlers skip it. */
    NOOP
}
