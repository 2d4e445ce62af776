package io.kvbm4j.gds.disk;

/** Outcome of a G3 disk tier call. Every failure is a status and is counted; nothing is thrown. */
public enum DiskStatus
{
    /** Done: written and indexed, or read and verified. */
    OK,
    /** No block with that id on this tier. */
    MISS,
    /** The slot failed verification (magic, version, id, salt, length, checksum or generation): a miss; the slot is freed. */
    CORRUPT,
    /** The id is already on this tier; nothing written. */
    ALREADY_PRESENT,
    /** Every slot is in use: evict first. */
    NO_SLOT,
    /** Payload longer than the slot, or destination smaller than the payload rounded up to 4 KiB. */
    TOO_LARGE,
    /** Address not 4 KiB aligned, or a negative length. */
    INVALID,
    /** The file system reported ENOSPC. */
    NO_SPACE_ON_DEVICE,
    /** An I/O error (EIO, a cuFile error, a driver that timed out). */
    IO_ERROR,
    /** Fewer bytes moved than asked. */
    SHORT_IO,
    /** The tier saw too many failures in a row and refuses I/O until reopened. */
    DEGRADED,
    /** The tier is closed. */
    CLOSED,
    /** Accepted by {@code submitWrite}/{@code submitRead}: the outcome comes later from {@code pollCompletions}. */
    SUBMITTED,
    /** Every I/O of {@code g3.queue-depth} is in flight: collect completions, then submit again. Nothing was done. */
    BUSY
}
