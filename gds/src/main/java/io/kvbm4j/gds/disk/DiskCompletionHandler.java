package io.kvbm4j.gds.disk;

/**
 * Receives the outcome of an asynchronous G3 I/O from {@link DiskTier#pollCompletions}, on the owner
 * thread. Implement it once (a field, not a capturing lambda per call): the poll allocates nothing.
 */
@FunctionalInterface
public interface DiskCompletionHandler
{
    /**
     * @param tag    what the caller passed to {@code submitWrite}/{@code submitRead}
     * @param write  true for a write, false for a read
     * @param status the outcome (see {@link DiskTier#pollCompletions})
     * @param callerChecksum a read completing OK whose payload was verified against the caller checksum its write
     *                       stored (slot format 3, whole-payload sum): that checksum; otherwise 0 (none given,
     *                       a chunk-summed or format 2 slot, or a write)
     */
    void onComplete(long tag, boolean write, DiskStatus status, long callerChecksum);
}
