package io.kvbm4j.api;

/** What {@link EngineCounters} counts. Every per-block event is a counter, never a log line. */
public enum Counter
{
    /** Calls to match. */
    MATCH_CALLS,
    /** Blocks found and pinned by match. */
    MATCH_HIT_BLOCKS,
    /** Blocks asked for by match and not found (the missing block and everything after it). */
    MATCH_MISS_BLOCKS,
    /** Blocks handed out by allocate. */
    ALLOCATED_BLOCKS,
    /** fill calls accepted. */
    FILLS,
    /** Blocks that became COMPLETE. */
    COMPLETED_BLOCKS,
    /** Blocks registered under a new id. */
    REGISTERED_BLOCKS,
    /** Registrations of an id already registered (the caller got the existing block). */
    DEDUPLICATED_BLOCKS,
    /** References added by acquire. */
    ACQUIRES,
    /** References dropped by release on registered blocks. */
    RELEASES,
    /** Unregistered blocks given back to the free pool (release of PARTIAL/COMPLETE, dedup losers). */
    RESETS,
    /** Registered blocks evicted to make room. */
    EVICTED_BLOCKS,
    /** Operations refused because the ring was full. */
    BACK_PRESSURED,
    /** Operations refused for want of space (tier or metadata store). */
    NO_SPACE,
    /** Operations refused because a block was in the wrong state. */
    INVALID_STATE,
    /** Operations refused for a bad argument. */
    INVALID_ARGUMENT,
    /** Events that a ring handler failed on (reported, pipeline kept running). */
    HANDLER_ERRORS,
    /** Events applied to the metadata store. */
    METADATA_UPDATES,
    /** Events published on the ring. */
    EVENTS_PUBLISHED,
    /** G1 blocks copied to G2 (DONE): resident in G2. */
    OFFLOADED_BLOCKS,
    /** Offloads dropped: K + M transfers outstanding, or G2 full of blocks in use. */
    OFFLOAD_DROPPED,
    /** Blocks whose onboard from G2 was scheduled by matchOnboard. */
    ONBOARD_SCHEDULED_BLOCKS,
    /** Blocks onboarded from G2 (DONE): registered in G1 again. */
    ONBOARDED_BLOCKS,
    /** matchOnboard calls that found blocks in G2 but answered "not now" (transfers or G1 full). */
    ONBOARD_NOT_NOW,
    /** Blocks of transfers that ended FAILED (copy failed or checksum mismatch): misses. */
    TRANSFER_FAILED_BLOCKS,
    /** Blocks of transfers that ended CANCELLED (shutdown): misses. */
    TRANSFER_CANCELLED_BLOCKS,
    /** Blocks of transfers that ended TIMED_OUT: misses. */
    TRANSFER_TIMED_OUT_BLOCKS,
    /** Blocks read back from a lower tier whose bytes did not match their checksum (bad copy dropped). */
    CHECKSUM_MISMATCHES,
    /** G2 blocks evicted by G2's own policy to make room for offloads. */
    G2_EVICTED_BLOCKS
}
