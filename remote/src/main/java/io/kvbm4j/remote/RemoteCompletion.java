package io.kvbm4j.remote;

/**
 * One finished G4 call, as {@link RemoteStore#poll} hands it to its handler. A flyweight over a reused
 * record: valid only during {@link RemoteCompletionHandler#onComplete}; copy what you need.
 */
public interface RemoteCompletion
{
    /** The caller's tag given at submit. */
    long tag();

    RemoteOpKind kind();

    /** {@link RemoteStatus#OK} or the failure; never SUBMITTED, BUSY, DEGRADED or INVALID. */
    RemoteStatus status();

    /** LOOKUP: how many ids, from the first, are present (0..n); stops at the first absent or failed id. */
    int run();

    /** LOOKUP: ids asked. */
    int count();

    /** READ (OK): payload bytes written to the destination. WRITE: payload bytes written. */
    long payloadLength();

    /** READ (OK): the payload's XXH3-64, verified against the value's header (the caller need not hash it again). */
    long checksum();

    /** READ, WRITE, DELETE: the block id. */
    long idHi();

    long idLo();

    /** Nanoseconds from submit to completion (as the store's clock saw them). */
    long latencyNanos();
}
