package io.kvbm4j.remote;

/** Per-event counters of a G4 store. Incremented by the owner thread; readable from any thread. */
public enum RemoteCounter
{
    LOOKUPS,
    /** Ids asked by lookups. */
    LOOKUP_IDS,
    /** Ids found in the leading runs lookups answered. */
    LOOKUP_HITS,
    READS,
    /** Reads that ended OK (verified). */
    HITS,
    /** Reads that found no value. */
    MISSES,
    READ_BYTES,
    WRITES,
    /** Writes that stored a value. */
    STORED,
    /** Writes refused because the key already held a value (write-once). */
    ALREADY_PRESENT,
    WRITE_BYTES,
    DELETES,
    PINGS,
    /** Reads whose value failed verification (counted as a miss too, key deleted). */
    CORRUPT,
    /** Keys deleted because their value failed verification. */
    CORRUPT_DELETED,
    /** Reads whose value was larger than the destination. */
    TOO_LARGE,
    /** Calls that passed their deadline (g4.timeout-ms). */
    TIMEOUTS,
    /** Calls the store answered with an error or could not take. */
    FAILURES,
    /** Answers that came after their call had already been reported TIMED_OUT (dropped). */
    LATE_ANSWERS,
    /** Submits refused: no free in-flight record. */
    BUSY,
    /** Submits refused: the tier is degraded. */
    DEGRADED_REFUSALS,
    /** Times the tier became degraded. */
    DEGRADED,
    /** Times a health probe brought the tier back. */
    RESTORED,
    /** Health probes sent while degraded. */
    PROBES;

    private static final RemoteCounter[] VALUES = values();

    public static RemoteCounter of(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
