package io.kvbm4j.remote.value;

import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The value stored under one block's key in G4: a fixed header followed by the payload, in ONE value (never
 * metadata and bytes under two keys: a store may evict one without the other).
 *
 * <pre>
 *  +--------+-----------------------------------------------------------------+
 *  | offset | field (little endian)                                           |
 *  +--------+-----------------------------------------------------------------+
 *  |   0    | magic              u64  "KVBM4jG4"                              |
 *  |   8    | layout version     u32  1                                       |
 *  |  12    | header bytes       u32  56                                      |
 *  |  16    | block id hi        u64  (128-bit block id, high half)           |
 *  |  24    | block id lo        u64                                          |
 *  |  32    | salt id            u64  (tenant / model / LoRA salt)            |
 *  |  40    | payload length     u64  bytes that follow the header            |
 *  |  48    | payload checksum   u64  XXH3-64 (seed 0) of the payload bytes   |
 *  +--------+-----------------------------------------------------------------+
 *  |  56    | payload (payload length bytes); value length = 56 + payload     |
 *  +--------+-----------------------------------------------------------------+
 * </pre>
 *
 * A value counts only when all of these hold ({@link #verifyHeader} then the payload checksum): magic and
 * version known, header bytes 56, id and salt equal to the ones asked for, payload length equal to the value's
 * length minus 56, and the payload's XXH3-64 equal to the header's. A bit flipped anywhere in the header or
 * payload, or a value cut short, fails one of them. Version 1 is the only layout; a reader meeting another
 * version treats the value as a miss (a rolling upgrade writes a new namespace).
 */
public final class BlockValueLayout
{
    public static final long MAGIC = 0x3447_6a34_4d42_564bL; // "KVBM4jG4" read little endian
    public static final int LAYOUT_VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_BYTES_OFFSET = 12;
    public static final int ID_HI_OFFSET = 16;
    public static final int ID_LO_OFFSET = 24;
    public static final int SALT_OFFSET = 32;
    public static final int LENGTH_OFFSET = 40;
    public static final int CHECKSUM_OFFSET = 48;
    public static final int HEADER_BYTES = 56;

    /** Magic written instead of {@link #MAGIC} when a write was abandoned mid-encoding: never valid. */
    public static final long ABANDONED_MAGIC = 0x5858_6a34_4d42_564bL; // "KVBM4jXX"

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** {@link #verifyHeader} results. */
    public static final int VALID = 0;
    public static final int BAD_MAGIC = 1;
    public static final int BAD_VERSION = 2;
    public static final int WRONG_ID = 3;
    public static final int WRONG_SALT = 4;
    public static final int BAD_LENGTH = 5;

    private BlockValueLayout()
    {
    }

    /** Writes the header at {@code offset} of {@code b}. */
    public static void encode(final MutableDirectBuffer b, final int offset, final long idHi, final long idLo,
                              final long saltId, final long payloadLength, final long payloadChecksum)
    {
        b.putLong(offset + MAGIC_OFFSET, MAGIC, LE);
        b.putInt(offset + VERSION_OFFSET, LAYOUT_VERSION, LE);
        b.putInt(offset + HEADER_BYTES_OFFSET, HEADER_BYTES, LE);
        b.putLong(offset + ID_HI_OFFSET, idHi, LE);
        b.putLong(offset + ID_LO_OFFSET, idLo, LE);
        b.putLong(offset + SALT_OFFSET, saltId, LE);
        b.putLong(offset + LENGTH_OFFSET, payloadLength, LE);
        b.putLong(offset + CHECKSUM_OFFSET, payloadChecksum, LE);
    }

    /**
     * Checks a header read back against what was asked for and the value's total length.
     *
     * @return {@link #VALID} or the first field that does not match.
     */
    public static int verifyHeader(final DirectBuffer b, final int offset, final long valueLength, final long idHi,
                                   final long idLo, final long saltId)
    {
        if (valueLength < HEADER_BYTES || b.getLong(offset + MAGIC_OFFSET, LE) != MAGIC)
        {
            return valueLength < HEADER_BYTES ? BAD_LENGTH : BAD_MAGIC;
        }
        if (b.getInt(offset + VERSION_OFFSET, LE) != LAYOUT_VERSION || b.getInt(offset + HEADER_BYTES_OFFSET, LE) != HEADER_BYTES)
        {
            return BAD_VERSION;
        }
        if (b.getLong(offset + ID_HI_OFFSET, LE) != idHi || b.getLong(offset + ID_LO_OFFSET, LE) != idLo)
        {
            return WRONG_ID;
        }
        if (b.getLong(offset + SALT_OFFSET, LE) != saltId)
        {
            return WRONG_SALT;
        }
        return b.getLong(offset + LENGTH_OFFSET, LE) == valueLength - HEADER_BYTES ? VALID : BAD_LENGTH;
    }

    public static long payloadLength(final DirectBuffer b, final int offset)
    {
        return b.getLong(offset + LENGTH_OFFSET, LE);
    }

    public static long payloadChecksum(final DirectBuffer b, final int offset)
    {
        return b.getLong(offset + CHECKSUM_OFFSET, LE);
    }
}
