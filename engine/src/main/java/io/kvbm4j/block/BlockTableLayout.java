package io.kvbm4j.block;

/**
 * Byte layout of one slot record in a {@link BlockTable}. One record per block slot of a tier,
 * {@link #RECORD_BYTES} apart; the hot fields share the first cache line.
 *
 * <pre>
 *   0        4          8                 16                24          28          32
 *   +--------+----------+-----------------+-----------------+-----------+-----------+
 *   | state  | refCount | idHi            | idLo            | parentSlot| childCount|
 *   +--------+----------+-----------------+-----------------+-----------+-----------+
 *   32                40          44        48         52       56                64
 *   +-----------------+-----------+---------+----------+--------+-----------------+
 *   | lastAccessTick  | accessCnt | flags   | position | tokens | requestId       |
 *   +-----------------+-----------+---------+----------+--------+-----------------+
 *   64                72                80                88                96..127
 *   +-----------------+-----------------+-----------------+-----------------+---------+
 *   | parentHi        | parentLo        | checksum        | payloadBytes    | reserved|
 *   +-----------------+-----------------+-----------------+-----------------+---------+
 * </pre>
 * Little-endian (native order on the platforms we run on), read and written through
 * {@link org.agrona.concurrent.UnsafeBuffer} by the owning thread only.
 */
public final class BlockTableLayout
{
    public static final int STATE_OFFSET = 0;
    public static final int REF_COUNT_OFFSET = 4;
    public static final int ID_HI_OFFSET = 8;
    public static final int ID_LO_OFFSET = 16;
    public static final int PARENT_SLOT_OFFSET = 24;
    public static final int CHILD_COUNT_OFFSET = 28;
    public static final int LAST_ACCESS_OFFSET = 32;
    public static final int ACCESS_COUNT_OFFSET = 40;
    public static final int FLAGS_OFFSET = 44;
    public static final int POSITION_OFFSET = 48;
    public static final int TOKENS_OFFSET = 52;
    public static final int REQUEST_ID_OFFSET = 56;
    public static final int PARENT_HI_OFFSET = 64;
    public static final int PARENT_LO_OFFSET = 72;
    public static final int CHECKSUM_OFFSET = 80;
    public static final int PAYLOAD_BYTES_OFFSET = 88;
    /** Size of one record: two cache lines. */
    public static final int RECORD_BYTES = 128;

    /** Flag: the block is in its tier's eviction candidate set (INACTIVE leaf). */
    public static final int FLAG_EVICTABLE = 1;
    /** Flag: the block has a real parent (position > 0); parentHi/Lo are meaningful. */
    public static final int FLAG_HAS_PARENT = 2;

    private BlockTableLayout()
    {
    }
}
