package io.kvbm4j.journal;

/**
 * One journal record, little-endian, {@link #RECORD_BYTES} bytes, one Chronicle Queue excerpt each:
 *
 * <pre>
 *   0         1      2      3      4           8                16               24
 *   +---------+------+------+------+-----------+----------------+----------------+
 *   | version | type | tier | flags| slot      | time (epoch ns)| idHi           |
 *   +---------+------+------+------+-----------+----------------+----------------+
 *   24               32               40               48         52         56        60
 *   +----------------+----------------+----------------+----------+----------+---------+
 *   | idLo           | requestId      | tick           | position | refCount | aux     |
 *   +----------------+----------------+----------------+----------+----------+---------+
 * </pre>
 * One record per block of a ring run. {@code type} is the ordinal of {@link JournalKind}; the outcome of an
 * access is its kind (MATCH_HIT, MATCH_MISS with {@code aux} = blocks missed, ...); {@code flags} are the
 * block's {@link io.kvbm4j.pipeline.BlockEvent} flags (low 8 bits). Version 1 (per-block ring events, before
 * run events) had the same layout with the old event type in {@code type} and no flags: readers map it (see
 * {@link JournalKind}). A reader refuses a record of another length, an unknown version or an unknown type,
 * naming them.
 */
public final class JournalRecordLayout
{
    /** Bump when the layout changes. */
    public static final byte VERSION = 2;
    /** The oldest version readers still understand. */
    public static final byte OLDEST_READABLE = 1;
    public static final int VERSION_OFFSET = 0;
    public static final int TYPE_OFFSET = 1;
    public static final int TIER_OFFSET = 2;
    public static final int FLAGS_OFFSET = 3;
    public static final int SLOT_OFFSET = 4;
    public static final int TIME_OFFSET = 8;
    public static final int ID_HI_OFFSET = 16;
    public static final int ID_LO_OFFSET = 24;
    public static final int REQUEST_ID_OFFSET = 32;
    public static final int TICK_OFFSET = 40;
    public static final int POSITION_OFFSET = 48;
    public static final int REF_COUNT_OFFSET = 52;
    public static final int AUX_OFFSET = 56;
    public static final int RECORD_BYTES = 60;

    private JournalRecordLayout()
    {
    }
}
