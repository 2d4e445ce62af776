package io.kvbm4j.remote;

/**
 * Outcome of a G4 call: what a submit answers at once, and what a completion carries. Nothing is thrown for
 * a remote failure; every failure is one of these and is counted ({@link RemoteCounter}).
 */
public enum RemoteStatus
{
    /** Submit only: accepted; the completion comes through {@link RemoteStore#poll}. */
    SUBMITTED,
    /** Done: a lookup answered (see {@link RemoteCompletion#run()}), a read verified, a write stored, a delete or ping answered. */
    OK,
    /** Write only: the key already held a value (write-once); nothing written. Success for the caller. */
    ALREADY_PRESENT,
    /** Read only: no value under the key (never written, evicted, expired, or vanished since the lookup). */
    MISS,
    /** Read only: the value failed verification (magic, version, id, salt, length or checksum): a miss; the key is deleted. */
    CORRUPT,
    /** No answer before the call's deadline ({@code g4.timeout-ms}): a miss or a failed write. */
    TIMED_OUT,
    /** The store answered an error or could not be reached (connection refused, out of memory, ...). */
    FAILED,
    /** Read only: the value's payload is larger than the destination's capacity (a miss, the key is kept). */
    TOO_LARGE,
    /** Submit only: every in-flight record is in use ({@code g4.max-in-flight}); try later. */
    BUSY,
    /** Submit only: the tier is degraded after repeated failures; a health probe brings it back. */
    DEGRADED,
    /** Submit only: arguments out of range (n ids above {@code g4.max-lookup-ids}, a negative length, ...). */
    INVALID,
    /** Submit only: the store is closed. Completion: the store closed before the call finished. */
    CLOSED;

    /** Whether a completion with this status means the tier worked (it answered in time, hit or miss). */
    public boolean answered()
    {
        return this == OK || this == ALREADY_PRESENT || this == MISS || this == CORRUPT || this == TOO_LARGE;
    }
}
