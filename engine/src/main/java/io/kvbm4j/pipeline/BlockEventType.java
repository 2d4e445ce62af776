package io.kvbm4j.pipeline;

/** What happened to a block; one ring event per block per operation. */
public enum BlockEventType
{
    /** RESET → PARTIAL: a slot was handed to a request. */
    ALLOCATE,
    /** Tokens written into a PARTIAL block ({@code aux} = token count after the fill). */
    FILL,
    /** PARTIAL → COMPLETE: the block is full and its id known. */
    COMPLETE,
    /** COMPLETE → REGISTERED under a new id. */
    REGISTER,
    /** A registration found the id already registered at {@code slot}; the caller got that block. */
    DEDUP,
    /** A match found and pinned the block. */
    MATCH_HIT,
    /** A match stopped here: the id at {@code position} is not cached (slot is -1). */
    MATCH_MISS,
    /** A reference was added to a registered block. */
    ACQUIRE,
    /** A reference was dropped from a registered block. */
    RELEASE,
    /** An unregistered block (PARTIAL, COMPLETE, or the loser of a dedup) went back to the free pool. */
    RESET,
    /** An INACTIVE leaf was evicted from its tier to make room. */
    EVICT,
    /** A claimed entry that carries nothing (a call that stopped midway); handlers skip it. */
    NOOP,
    /**
     * A finished copy made the block resident in a lower tier ({@code tier}, {@code slot} there; the block
     * is cached, no reference held). Appended last so journal ordinals stay stable.
     */
    OFFLOAD
}
