package io.kvbm4j.journal;

/**
 * One journal record, little-endian, {@link #RECORD_BYTES} bytes, one Chronicle Queue excerpt each:
 *
 * <pre>
 *   0         1      2      3      4           8                16               24
 *   +---------+------+------+------+-----------+----------------+----------------+
 *   | version | type | tier | pad  | slot      | time (epoch ns)| idHi           |
 *   +---------+------+------+------+-----------+----------------+----------------+
 *   24               32               40               48         52         56        60
 *   +----------------+----------------+----------------+----------+----------+---------+
 *   | idLo           | requestId      | tick           | position | refCount | aux     |
 *   +----------------+----------------+----------------+----------+----------+---------+
 * </pre>
 * {@code type} is the ordinal of {@link io.kvbm4j.pipeline.BlockEventType}; the outcome of an access is
 * its type (MATCH_HIT, MATCH_MISS with {@code aux} = blocks missed, ...). A reader refuses a record of
 * another length or version, or with an unknown type.
 */
public final class JournalRecordLayout
{
    /** Bump when the layout changes. */
    public static final byte VERSION = 1;
    public static final int VERSION_OFFSET = 0;
    public static final int TYPE_OFFSET = 1;
    public static final int TIER_OFFSET = 2;
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
