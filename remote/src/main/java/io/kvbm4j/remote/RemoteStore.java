package io.kvbm4j.remote;

/**
 * G4: block payloads in a store shared by serving nodes (Redis, Redis Cluster, S3). One key per block; its value
 * is a small versioned header followed by the payload ({@code io.kvbm4j.remote.value.BlockValueLayout}), so one
 * value holds everything needed to verify it.
 *
 * <p><b>Asynchronous and never blocking.</b> Every call submits and returns at once: {@link RemoteStatus#SUBMITTED}
 * or a refusal ({@link RemoteStatus#BUSY} when all {@code g4.max-in-flight} records are in use,
 * {@link RemoteStatus#DEGRADED}, {@link RemoteStatus#INVALID}, {@link RemoteStatus#CLOSED}), counted. The
 * answer comes later from {@link #poll}, which the owner drives from its duty cycle (the transfer engine's
 * thread, as it polls CUDA events and the G3 copier): poll hands each finished call to a handler, ends calls past
 * their deadline as {@link RemoteStatus#TIMED_OUT}, and runs the health probe while degraded. Nothing waits
 * on a future; completions arrive on the client library's I/O threads and reach the owner through a bounded
 * queue that can hold every record, so no offer fails.
 *
 * <p><b>Owner thread.</b> Submits and polls come from one thread (checked by assert); the first call takes
 * ownership, {@link #takeOwnership()} moves it (for example to the transfer thread once it starts).
 *
 * <p><b>Caller memory.</b> A READ's destination and a WRITE's source must stay valid until the call's completion
 * was delivered. After a READ completes with anything but OK the destination holds nothing the caller may use;
 * after it was delivered (TIMED_OUT included) the store never writes it again. A WRITE reads its source only
 * before its completion is delivered.
 *
 * <p><b>Integrity.</b> A READ is OK only after magic, layout version, id, salt, payload length and the payload's
 * XXH3-64 checksum matched; otherwise it ends CORRUPT (a miss, counted) and the store deletes the key.
 *
 * <p><b>Write-once.</b> A WRITE of a key that already holds a value stores nothing and ends ALREADY_PRESENT
 * (Redis {@code SET NX}, S3 conditional put or a HEAD first).
 */
public interface RemoteStore extends AutoCloseable
{
    /**
     * Asks which of {@code n} consecutive ids (a prefix chain, in order) are present; the completion's
     * {@link RemoteCompletion#run()} is the leading run. One round trip on a standalone Redis (pipelined
     * {@code EXISTS} per key), one per node in parallel on a cluster.
     *
     * @param n 1 .. {@code g4.max-lookup-ids}.
     */
    RemoteStatus lookup(long tag, long saltId, long[] idHi, long[] idLo, int from, int n);

    /**
     * Reads one block's value; on OK its payload lies verified at {@code dstAddress}.
     *
     * @param capacity bytes writable at {@code dstAddress}; a larger payload ends TOO_LARGE.
     */
    RemoteStatus read(long tag, long saltId, long idHi, long idLo, long dstAddress, long capacity);

    /** Writes one block's value (write-once) from {@code length} bytes at {@code srcAddress}; TTL {@code g4.ttl-ms}. */
    RemoteStatus write(long tag, long saltId, long idHi, long idLo, long srcAddress, long length);

    /**
     * {@link #write} with the payload's XXH3-64 ({@code PayloadChecksum}) already known to the caller (the engine
     * took it on the way to G2): the store puts it in the header without hashing the payload again. A checksum
     * that does not match the bytes makes every later read of the value CORRUPT (a miss, the key deleted), never
     * a wrong block.
     */
    RemoteStatus write(long tag, long saltId, long idHi, long idLo, long srcAddress, long length, long checksum);

    /** Deletes one block's key (OK whether or not it was there). */
    RemoteStatus delete(long tag, long saltId, long idHi, long idLo);

    /** One round trip that touches no key (Redis {@code PING}, S3 {@code HeadBucket}) on the lookup connection. */
    RemoteStatus ping(long tag);

    /**
     * Delivers finished calls to {@code handler}, ends overdue ones TIMED_OUT, probes the store while degraded.
     * Never blocks.
     *
     * @return completions delivered.
     */
    int poll(RemoteCompletionHandler handler);

    /** HEALTHY, DEGRADED or CLOSED. */
    RemoteHealth health();

    /** Calls submitted and not yet delivered. */
    int inFlight();

    /** A counter; readable from any thread. */
    long counter(RemoteCounter counter);

    /** The message of the last error the client library reported (null if none), for diagnostics; never a secret. */
    String lastFailure();

    /** The backend and endpoints, for a start-up line; never a secret. */
    String describe();

    /** Makes the calling thread the owner. */
    void takeOwnership();

    /** Closes the client; calls still in flight are delivered CLOSED by a last {@link #poll} (or dropped). Idempotent. */
    @Override
    void close();
}
