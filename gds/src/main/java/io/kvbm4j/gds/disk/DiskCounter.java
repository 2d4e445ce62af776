package io.kvbm4j.gds.disk;

import java.util.concurrent.atomic.AtomicLongArray;

/** Per-event counters of the G3 disk tier. Incremented by the thread that saw the event; read by any thread. */
public enum DiskCounter
{
    WRITES,
    WRITE_BYTES,
    HITS,
    READ_BYTES,
    MISSES,
    /** Slots that failed verification on a read or at restart, then freed. */
    CORRUPT_SLOTS,
    /** Slots found twice for the same id at restart: the older generation is freed. */
    DUPLICATE_SLOTS,
    /** Blocks found again by the restart scan. */
    RECOVERED_BLOCKS,
    EVICTIONS,
    NO_SLOT,
    IO_ERRORS,
    NO_SPACE_ERRORS,
    SHORT_IO,
    /** Calls refused because the tier is degraded. */
    DEGRADED_REFUSALS,
    /** Times the tier became degraded. */
    DEGRADED,
    /** The file system refused O_DIRECT (tmpfs): buffered I/O is used instead. */
    DIRECT_IO_REFUSED,
    /** The file system cannot fallocate: the slot file is extended sparsely instead. */
    FALLOCATE_UNSUPPORTED;

    private static final DiskCounter[] VALUES = values();

    /** A fresh array of counters, one per value. */
    public static AtomicLongArray newArray()
    {
        return new AtomicLongArray(VALUES.length);
    }

    public static DiskCounter of(final int ordinal)
    {
        return VALUES[ordinal];
    }
}
