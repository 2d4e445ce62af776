package io.kvbm4j.gds.disk;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;

import net.openhft.hashing.LongHashFunction;

/**
 * The header that opens every G3 slot. A slot is a 4 KiB header block followed by the payload, rounded
 * up to 4 KiB, so header and payload are each O_DIRECT-aligned and travel in one vectored I/O.
 *
 * <pre>
 *  slot s at file offset s * stride, stride = 4096 + roundUp(maxPayload, 4096)
 *  +--------+----------------------------------------------------------------------+
 *  | offset | field (little endian)                                                |
 *  +--------+----------------------------------------------------------------------+
 *  |   0    | magic              u64  "KVBM4jG3"                                   |
 *  |   8    | format version     u32  3                                            |
 *  |  12    | header bytes       u32  88 (bytes covered by the header checksum + 8) |
 *  |  16    | block id hi        u64                                               |
 *  |  24    | block id lo        u64                                               |
 *  |  32    | salt id            u64                                               |
 *  |  40    | payload length     u64  bytes, <= maxPayload                         |
 *  |  48    | payload checksum   u64  chunked XXH3-64 of the payload ({@link #payloadSum}) |
 *  |  56    | write generation   u64  tier-wide, increasing; newest copy wins      |
 *  |  64    | caller checksum    u64  the caller's own checksum of the payload, 0: none |
 *  |  72    | flags              u32  bit 0: payload checksum is XXH3-64 of the whole payload |
 *  |  76    | reserved           u32  0                                            |
 *  |  80    | header checksum    u64  XXH3-64 of bytes 0..79                       |
 *  |  88    | zero up to 4096                                                      |
 *  +--------+----------------------------------------------------------------------+
 *  | 4096   | payload, then zero/stale bytes up to the stride                      |
 *  +--------+----------------------------------------------------------------------+
 * </pre>
 *
 * A free slot has an all-zero header (magic 0). A read counts as a hit only when magic, version,
 * header checksum, id, salt, length, generation and payload checksum all match.
 *
 * <p>Payload checksum (format version 2): the payload is cut into {@link #CHECKSUM_CHUNK} (1 MiB)
 * chunks, the last one shorter; chunk {@code i} contributes {@code fmix64(XXH3-64(chunk i) ^ (i + 1) *
 * 0x9E3779B97F4A7C15)}, and the checksum is the sum of the contributions modulo 2^64. Position enters
 * through the chunk index, so swapped chunks fail; the sum lets the parts of one block be hashed by
 * different I/O threads, each right after (read) or before (write) its own I/O, in any order
 * ({@link #partSum}). Version 1 (one XXH3-64 over the whole payload) could only be taken serially; its
 * slots read as broken and are misses. The chunk size is part of the format, not of the
 * configuration, so any {@code g3.part-bytes} reads any slot.
 *
 * <p>Caller checksum (format version 3): a checksum the caller already holds for the payload (the engine's
 * XXH3-64 of the whole block, {@code PayloadChecksum}, taken from G1 when the block went down to G2), kept
 * under the header checksum and handed back with a verified read, so neither side hashes the payload again
 * for it: a write need not re-hash its source to know what it wrote, a read need not hash what it read to
 * give it the caller's checksum. The tier never interprets it; the payload checksum alone decides whether a
 * read is valid.
 *
 * <p>Whole-payload checksum (format 3, flag bit 0): when the caller gives its checksum (the XXH3-64 of the
 * whole payload: the engine's own, taken from G1 with the G2 copy compared to G1), the tier writes it as the
 * payload checksum and hashes nothing: every part goes to disk at once, with no pass over the payload before
 * it. A read of such a slot hashes the whole payload once (XXH3-64) instead of chunk by chunk, on the thread of
 * part 0 once every part landed, so whatever the bytes became before or after the write, a read that does not
 * match the caller's checksum is CORRUPT. Format 2 slots (header bytes 72, header
 * checksum at 64, chunked payload checksum, no caller checksum) still read, with caller checksum 0: a tier
 * written by an earlier version stays warm.
 */
public final class SlotHeaderLayout
{
    public static final long MAGIC = 0x3347_6a34_4d42_564bL; // "KVBM4jG3" read little endian
    public static final int FORMAT_VERSION = 3;
    /** The previous format: read (caller checksum 0), never written. */
    public static final int FORMAT_VERSION_2 = 2;
    /** Bytes per checksum chunk (format constant, see the class note). */
    public static final long CHECKSUM_CHUNK = 1L << 20;
    private static final long CHUNK_MIX = 0x9E37_79B9_7F4A_7C15L;
    public static final int HEADER_BLOCK = 4096;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_BYTES_OFFSET = 12;
    public static final int ID_HI_OFFSET = 16;
    public static final int ID_LO_OFFSET = 24;
    public static final int SALT_OFFSET = 32;
    public static final int LENGTH_OFFSET = 40;
    public static final int CHECKSUM_OFFSET = 48;
    public static final int GENERATION_OFFSET = 56;
    public static final int CALLER_CHECKSUM_OFFSET = 64;
    public static final int FLAGS_OFFSET = 72;
    public static final int HEADER_CHECKSUM_OFFSET = 80;
    public static final int HEADER_BYTES = 88;
    /** Flag: the payload checksum is XXH3-64 of the whole payload (= the caller checksum), not chunked. */
    public static final int WHOLE_PAYLOAD_SUM = 1;
    /** Format 2: header checksum at 64 over bytes 0..63, header bytes 72. */
    public static final int HEADER_CHECKSUM_OFFSET_2 = 64;
    public static final int HEADER_BYTES_2 = 72;

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final LongHashFunction XXH3 = LongHashFunction.xx3();

    /** Result of {@link #check}: what the header says about its slot. */
    public static final int EMPTY = 0;
    public static final int VALID = 1;
    public static final int BROKEN = 2;

    private SlotHeaderLayout()
    {
    }

    public static long alignUp(final long bytes)
    {
        return (bytes + HEADER_BLOCK - 1) & -(long)HEADER_BLOCK;
    }

    /** XXH3-64 of {@code length} bytes at {@code address} (headers and index entries). */
    public static long checksum(final long address, final long length)
    {
        return XXH3.hashMemory(address, length);
    }

    /** The payload checksum of {@code length} bytes at {@code address}: {@code partSum(address, 0, length)}. */
    public static long payloadSum(final long address, final long length)
    {
        return partSum(address, 0, length);
    }

    /**
     * The contribution of the payload bytes {@code [from, from + length)} to the payload checksum; {@code from}
     * is a multiple of {@link #CHECKSUM_CHUNK} and the part ends at a chunk boundary or at the payload's
     * end. The payload checksum is the sum (mod 2^64) of the contributions of parts that tile it.
     *
     * @param payload address of the payload's first byte (the part starts at {@code payload + from})
     */
    public static long partSum(final long payload, final long from, final long length)
    {
        long sum = 0;
        long chunk = from / CHECKSUM_CHUNK;
        for (long o = 0; o < length; o += CHECKSUM_CHUNK)
        {
            final long h = XXH3.hashMemory(payload + from + o, Math.min(CHECKSUM_CHUNK, length - o));
            sum += fmix64(h ^ (++chunk) * CHUNK_MIX);
        }
        return sum;
    }

    private static long fmix64(final long x)
    {
        long h = x;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /** Writes a complete header without a caller checksum (0); bytes 88..4095 must already be zero. */
    public static void encode(final UnsafeBuffer h, final long idHi, final long idLo, final long salt,
                              final long length, final long payloadChecksum, final long generation)
    {
        encode(h, idHi, idLo, salt, length, payloadChecksum, generation, 0, 0);
    }

    /**
     * Writes a complete header (and its checksum) into {@code h}; bytes 88..4095 must already be zero.
     * With {@link #WHOLE_PAYLOAD_SUM} in {@code flags}, {@code payloadChecksum} is XXH3-64 of the whole payload.
     */
    public static void encode(final UnsafeBuffer h, final long idHi, final long idLo, final long salt,
                              final long length, final long payloadChecksum, final long generation,
                              final long callerChecksum, final int flags)
    {
        h.putLong(MAGIC_OFFSET, MAGIC, LE);
        h.putInt(VERSION_OFFSET, FORMAT_VERSION, LE);
        h.putInt(HEADER_BYTES_OFFSET, HEADER_BYTES, LE);
        h.putLong(ID_HI_OFFSET, idHi, LE);
        h.putLong(ID_LO_OFFSET, idLo, LE);
        h.putLong(SALT_OFFSET, salt, LE);
        h.putLong(LENGTH_OFFSET, length, LE);
        h.putLong(CHECKSUM_OFFSET, payloadChecksum, LE);
        h.putLong(GENERATION_OFFSET, generation, LE);
        h.putLong(CALLER_CHECKSUM_OFFSET, callerChecksum, LE);
        h.putInt(FLAGS_OFFSET, flags, LE);
        h.putInt(FLAGS_OFFSET + 4, 0, LE);
        h.putLong(HEADER_CHECKSUM_OFFSET, checksum(h.addressOffset(), HEADER_CHECKSUM_OFFSET), LE);
    }

    /** Zeroes the header fields: a free slot. */
    public static void clear(final UnsafeBuffer h)
    {
        h.setMemory(0, HEADER_BYTES, (byte)0);
    }

    /**
     * Classifies a header read from disk: {@link #EMPTY} (all zero), {@link #VALID} (magic, version,
     * header checksum and a length within {@code maxPayload}) or {@link #BROKEN}.
     */
    public static int check(final UnsafeBuffer h, final long maxPayload)
    {
        final long magic = h.getLong(MAGIC_OFFSET, LE);
        if (magic == 0 && h.getLong(HEADER_CHECKSUM_OFFSET, LE) == 0 && h.getLong(ID_LO_OFFSET, LE) == 0 &&
            h.getLong(ID_HI_OFFSET, LE) == 0)
        {
            return EMPTY;
        }
        final int version = h.getInt(VERSION_OFFSET, LE);
        final int sumAt = version == FORMAT_VERSION ? HEADER_CHECKSUM_OFFSET :
            version == FORMAT_VERSION_2 ? HEADER_CHECKSUM_OFFSET_2 : -1;
        if (magic != MAGIC || sumAt < 0 || h.getInt(HEADER_BYTES_OFFSET, LE) != sumAt + 8 ||
            h.getLong(sumAt, LE) != checksum(h.addressOffset(), sumAt) ||
            (version == FORMAT_VERSION &&
                ((h.getInt(FLAGS_OFFSET, LE) & ~WHOLE_PAYLOAD_SUM) != 0 || h.getInt(FLAGS_OFFSET + 4, LE) != 0)))
        {
            return BROKEN; // a flag or reserved bit this version does not know is not guessed at
        }
        final long length = h.getLong(LENGTH_OFFSET, LE);
        return length >= 0 && length <= maxPayload ? VALID : BROKEN;
    }

    public static long idHi(final UnsafeBuffer h)
    {
        return h.getLong(ID_HI_OFFSET, LE);
    }

    public static long idLo(final UnsafeBuffer h)
    {
        return h.getLong(ID_LO_OFFSET, LE);
    }

    public static long salt(final UnsafeBuffer h)
    {
        return h.getLong(SALT_OFFSET, LE);
    }

    public static long length(final UnsafeBuffer h)
    {
        return h.getLong(LENGTH_OFFSET, LE);
    }

    public static long payloadChecksum(final UnsafeBuffer h)
    {
        return h.getLong(CHECKSUM_OFFSET, LE);
    }

    public static long generation(final UnsafeBuffer h)
    {
        return h.getLong(GENERATION_OFFSET, LE);
    }

    /** Whether a {@link #VALID} header's payload checksum is XXH3-64 of the whole payload (else chunked). */
    public static boolean wholePayloadSum(final UnsafeBuffer h)
    {
        return h.getInt(VERSION_OFFSET, LE) == FORMAT_VERSION && (h.getInt(FLAGS_OFFSET, LE) & WHOLE_PAYLOAD_SUM) != 0;
    }

    /** The checksum of {@code length} payload bytes at {@code address} in the kind a {@link #VALID} header names. */
    public static long payloadSumFor(final UnsafeBuffer h, final long address, final long length)
    {
        return wholePayloadSum(h) ? XXH3.hashMemory(address, length) : payloadSum(address, length);
    }

    /** The caller checksum of a {@link #VALID} header: 0 when none was given, or in a format 2 header. */
    public static long callerChecksum(final UnsafeBuffer h)
    {
        return h.getInt(VERSION_OFFSET, LE) == FORMAT_VERSION ? h.getLong(CALLER_CHECKSUM_OFFSET, LE) : 0;
    }
}
