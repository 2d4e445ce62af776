package io.kvbm4j.metadata;

/**
 * Byte layout of a block's metadata record in the Chronicle Map (value side; the key is the 16-byte id,
 * hi then lo, little-endian).
 *
 * <pre>
 *   0        4           8                             24         28         32
 *   +--------+-----------+-----------------------------+----------+----------+
 *   | state  | residency | slot per tier: g1 g2 g3 g4  | refCount | position |
 *   |        | tier bits | int32 x 4, -1 = not there   | (G1)     |          |
 *   +--------+-----------+-----------------------------+----------+----------+
 *   32               40               48               56               64
 *   +----------------+----------------+----------------+----------------+
 *   | parentHi       | parentLo       | payloadBytes   | checksum       |
 *   +----------------+----------------+----------------+----------------+
 *   64               72            76        80
 *   +----------------+-------------+---------+
 *   | lastAccessTick | accessCount | score   |
 *   +----------------+-------------+---------+
 * </pre>
 */
public final class BlockRecordLayout
{
    public static final int STATE_OFFSET = 0;
    public static final int RESIDENCY_OFFSET = 4;
    public static final int SLOTS_OFFSET = 8;
    public static final int REF_COUNT_OFFSET = 24;
    public static final int POSITION_OFFSET = 28;
    public static final int PARENT_HI_OFFSET = 32;
    public static final int PARENT_LO_OFFSET = 40;
    public static final int PAYLOAD_BYTES_OFFSET = 48;
    public static final int CHECKSUM_OFFSET = 56;
    public static final int LAST_ACCESS_OFFSET = 64;
    public static final int ACCESS_COUNT_OFFSET = 72;
    public static final int SCORE_OFFSET = 76;
    public static final int RECORD_BYTES = 80;
    public static final int KEY_BYTES = 16;

    private BlockRecordLayout()
    {
    }

    /** Offset of the slot of tier {@code tierOrdinal}. */
    public static int slotOffset(final int tierOrdinal)
    {
        return SLOTS_OFFSET + 4 * tierOrdinal;
    }
}
