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
    G2_EVICTED_BLOCKS,
    /** G2 blocks written to G3 (DONE: slot and index entry written): resident in G3. */
    G3_OFFLOADED_BLOCKS,
    /** G2→G3 writes not started: K + M transfers outstanding, G3 full of blocks in use, or the disk degraded. */
    G3_OFFLOAD_DROPPED,
    /** G2→G3 writes that did not end DONE (no slot, ENOSPC, EIO, degraded, timed out): not resident in G3. */
    G3_WRITE_FAILED_BLOCKS,
    /** G3 blocks read back into G2 with their slot verified (on their way to G1). */
    G3_ONBOARDED_BLOCKS,
    /** G3→G2 reads that did not end DONE: misses. */
    G3_READ_FAILED_BLOCKS,
    /** G3 reads whose slot failed verification (or was gone): misses; the G3 copy is dropped. */
    G3_CORRUPT_BLOCKS,
    /** G3 blocks evicted by G3's own policy to make room for writes. */
    G3_EVICTED_BLOCKS,
    /** G3 blocks found on disk when the engine opened (warm restart) and registered in the G3 pool. */
    G3_RESTORED_BLOCKS,
    /** G2 blocks written to G4 (stored, or already there: write-once): resident in G4 as far as this node knows. */
    G4_OFFLOADED_BLOCKS,
    /** G2→G4 writes not started: K + M transfers outstanding, the G4 index full of blocks in use, or G4 degraded. */
    G4_OFFLOAD_DROPPED,
    /** G2→G4 writes that did not succeed (refused, timed out, failed): not resident in G4. */
    G4_WRITE_FAILED_BLOCKS,
    /** Prefix lookups sent to G4 (one per onboard whose prefix ran past G2 and G3). */
    G4_LOOKUPS,
    /** Blocks G4 lookups found (the leading runs). */
    G4_LOOKUP_HITS,
    /** G4 blocks read back into G2, verified (id, salt, length, checksum), on their way to G1. */
    G4_ONBOARDED_BLOCKS,
    /** G4 lookups and reads that did not end with the block: misses (refused, timed out, failed, corrupt, gone). */
    G4_READ_FAILED_BLOCKS,
    /** G4 reads whose value failed verification: misses; the store deleted the key. */
    G4_CORRUPT_BLOCKS,
    /** G4 calls that ended TIMED_OUT (a miss or a failed write). */
    G4_TIMEOUTS,
    /** G4 index entries this node forgot (LRU) to make room: REMOVED G4 for this node; the store keeps them. */
    G4_EVICTED_BLOCKS,
    /** Releases applied while the ring was full; their RELEASE events went out ahead of the next call's. */
    RELEASES_DEFERRED,
    /** Tiers that became degraded (a DEGRADED event each). */
    TIERS_DEGRADED
}
