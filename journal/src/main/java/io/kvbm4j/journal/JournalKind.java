package io.kvbm4j.journal;

/**
 * What one journal record says happened to one block. The ring carries runs of blocks
 * ({@link io.kvbm4j.pipeline.BlockEvent}); the journal writes one record per block of a run, so a reader sees
 * accesses one by one. Ordinals are the record's {@code type} byte: append, never reorder.
 */
public enum JournalKind
{
    /** A match found and pinned the block. */
    MATCH_HIT,
    /** A match stopped here: the id at {@code position} was not cached ({@code aux} = blocks missed). */
    MATCH_MISS,
    /** The block became resident in {@code tier} (G1 registration, a lower-tier copy landed, or found on disk). */
    STORED,
    /** A registration found the id already resident; the caller got that block ({@code aux} = its freed slot). */
    DEDUP,
    /** The block left {@code tier} ({@code aux} = access count earned). */
    REMOVED,
    /** A reference was added. */
    ACQUIRE,
    /** References were dropped ({@code aux} = how many; refCount after). */
    RELEASE,
    /** {@code tier} stopped serving; no block. */
    DEGRADED;

    private static final JournalKind[] KINDS = values();
    /**
     * Format version 1 (written before run events) stored the old per-block event type; its ordinals, mapped to
     * kinds. Types that no longer exist (ALLOCATE, FILL, COMPLETE, RESET, NOOP: private changes) map to null
     * and are skipped by the reader.
     */
    private static final JournalKind[] V1 = {
        null, null, null, STORED, DEDUP, MATCH_HIT, MATCH_MISS, ACQUIRE, RELEASE, null, REMOVED, null, STORED};

    /** The kind of a version-2 type byte, or null when unknown. */
    static JournalKind of(final int ordinal)
    {
        return ordinal >= 0 && ordinal < KINDS.length ? KINDS[ordinal] : null;
    }

    /** Whether {@code ordinal} is a known version-1 type. */
    static boolean knownV1(final int ordinal)
    {
        return ordinal >= 0 && ordinal < V1.length;
    }

    /** The kind of a known version-1 type byte; null for a type that no longer exists (skipped). */
    static JournalKind ofV1(final int ordinal)
    {
        return V1[ordinal];
    }
}
