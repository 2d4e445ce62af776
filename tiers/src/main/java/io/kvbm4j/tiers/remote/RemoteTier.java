package io.kvbm4j.tiers.remote;

/**
 * G4 as the transfer engine sees it: a store of block payloads shared by serving nodes, reached
 * asynchronously. The engine depends on this interface only; the {@code remote} module implements it (Redis,
 * Redis Cluster, S3) and is found through a {@link RemoteTierProvider}, so an embedder without G4 pulls no
 * client library.
 *
 * <p><b>Never blocking.</b> Every submit answers at once: {@code true} (the completion comes later from
 * {@link #poll}) or {@code false} (refused: every in-flight record in use, the tier degraded or closed, bad
 * arguments; counted by the store). Completions reach a {@link RemoteTierListener} inside {@link #poll}, on the
 * owner thread; a call past its deadline completes {@link RemoteOutcome#TIMED_OUT}.
 *
 * <p><b>Owner.</b> One thread submits and polls (the transfer thread); {@link #takeOwnership()} moves it.
 * {@link #healthy()}, {@link #maxLookupIds()} and {@link #maxInFlight()} may be read from any thread.
 *
 * <p><b>Integrity.</b> A read completes {@link RemoteOutcome#OK} only after the value's id, salt, length and
 * payload checksum matched; any mismatch is {@link RemoteOutcome#CORRUPT} (a miss; the store deletes the key).
 *
 * <p><b>Memory.</b> A read's destination and a write's source stay valid until the call's completion was
 * delivered; after delivery the store never touches them again.
 */
public interface RemoteTier extends AutoCloseable
{
    /**
     * Asks which of the {@code n} ids {@code from..from+n-1} (a prefix chain, in order) are present; the
     * completion's run is the leading run found. One round trip where the store allows.
     *
     * @param n 1 .. {@link #maxLookupIds()}.
     */
    boolean lookup(long tag, long saltId, long[] idHi, long[] idLo, int from, int n);

    /** Reads one block's payload into {@code capacity} bytes at {@code dstAddress}, verified. */
    boolean read(long tag, long saltId, long idHi, long idLo, long dstAddress, long capacity);

    /**
     * Writes one block's payload (write-once: an existing key completes {@link RemoteOutcome#ALREADY_PRESENT}).
     *
     * @param checksumKnown whether {@code checksum} is the payload's XXH3-64 ({@code PayloadChecksum}), taken by
     *                      the caller; then the store does not hash the payload again (a wrong one makes every
     *                      later read CORRUPT, never a wrong block). Otherwise the store hashes it.
     */
    boolean write(long tag, long saltId, long idHi, long idLo, long srcAddress, long length, boolean checksumKnown,
        long checksum);

    /**
     * Delivers finished calls to {@code listener}, ends overdue ones TIMED_OUT, probes the store while it is
     * degraded. Never blocks. Call it from the owner's duty cycle even when nothing is in flight, so a degraded
     * tier can come back.
     *
     * @return completions delivered.
     */
    int poll(RemoteTierListener listener);

    /** False while the store is degraded (or closed): matches and offloads skip G4. Any thread. */
    boolean healthy();

    /** The most ids one {@link #lookup} takes. Any thread. */
    int maxLookupIds();

    /** Calls that may be in flight at once. Any thread. */
    int maxInFlight();

    /** Calls submitted and not yet delivered (owner thread). */
    int inFlight();

    /** The backend and endpoints, for a start-up line; never a secret. */
    String describe();

    /** Makes the calling thread the owner. */
    void takeOwnership();

    /** Closes the client. Idempotent. */
    @Override
    void close();
}
