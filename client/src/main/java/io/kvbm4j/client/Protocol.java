package io.kvbm4j.client;

/**
 * The kvbm4j node service's wire protocol, version {@value #VERSION}: constants and the frame layout, shared by
 * the service and the Java client (docs/PROTOCOL.md describes every message). All integers little-endian.
 *
 * <pre>
 *  0          4      5       6          8          12
 *  +----------+------+-------+----------+----------+-------------------+
 *  | length   | op   | flags | reserved | tag      | payload ...       |
 *  | u32      | u8   | u8    | u16 (0)  | u32      | length - 8 bytes  |
 *  +----------+------+-------+----------+----------+-------------------+
 * </pre>
 * {@code length} counts the bytes after itself (8 + payload) and is at most {@link #MAX_FRAME}. A reply echoes
 * the request's tag; its op is the request's op with {@link #REPLY} set, or {@link #OP_ERROR}. One request is
 * outstanding per connection: the service reads the next frame after it wrote the reply.
 */
public final class Protocol
{
    private Protocol()
    {
    }

    /** The protocol version this build speaks. */
    public static final int VERSION = 1;

    /** Bytes of the frame header, the length field included. */
    public static final int HEADER_BYTES = 12;
    /** Offsets in the header. */
    public static final int LENGTH_OFFSET = 0;
    public static final int OP_OFFSET = 4;
    public static final int FLAGS_OFFSET = 5;
    public static final int RESERVED_OFFSET = 6;
    public static final int TAG_OFFSET = 8;
    /** Largest value of the length field (1 MiB): a longer frame is refused and the connection closed. */
    public static final int MAX_FRAME = 1 << 20;
    /** Most ids (or blocks of tokens) in one LOOKUP, and most blocks in one LOAD or STORE. */
    public static final int MAX_BLOCKS = 4096;
    /** Largest position of a stored block in its sequence (STORE_PREPARE's first). */
    public static final int MAX_POSITION = 1 << 20;
    /** Most tokens in one LOOKUP by tokens. */
    public static final int MAX_TOKENS = 200_000;
    /** Most block bytes in one READ or WRITE frame (copy mode moves a block in pieces). */
    public static final int MAX_COPY_PIECE = 512 * 1024;
    /** Longest string field (model, tenant, LoRA), in UTF-8 bytes. */
    public static final int MAX_STRING = 256;

    // Requests.
    public static final int OP_HELLO = 1;
    public static final int OP_LOOKUP = 2;
    public static final int OP_LOAD = 3;
    public static final int OP_STORE_PREPARE = 4;
    public static final int OP_STORE_COMMIT = 5;
    public static final int OP_RELEASE = 6;
    public static final int OP_STATS = 7;
    /** Copy mode: a loaded block's bytes through the socket. */
    public static final int OP_READ = 8;
    /** Copy mode: a prepared block's bytes through the socket. */
    public static final int OP_WRITE = 9;
    /** Bit set in the op of a successful reply. */
    public static final int REPLY = 0x80;
    /** The op of an error reply: u16 code, string message. */
    public static final int OP_ERROR = 0xFF;

    // LOOKUP kinds.
    public static final int LOOKUP_IDS = 0;
    public static final int LOOKUP_TOKENS = 1;

    // Checksum kinds, negotiated in HELLO (the client names one; the service answers the one it will verify).
    public static final int CHECKSUM_XXH3_64 = 1;
    public static final int CHECKSUM_CRC32 = 2;

    // HELLO mode.
    /** The client maps the shared-memory file and moves bytes itself. */
    public static final int MODE_MAP = 1;
    /** The client never maps: block bytes go through the socket (READ / WRITE). */
    public static final int MODE_COPY = 0;

    // Per-block outcome of STORE_COMMIT.
    public static final int STORED = 0;
    public static final int DEDUPLICATED = 1;
    public static final int CHECKSUM_MISMATCH = 2;
    public static final int NOT_STORED = 3;

    // Error codes.
    public static final int E_MALFORMED = 1;
    public static final int E_TOO_LARGE = 2;
    public static final int E_UNKNOWN_OP = 3;
    public static final int E_VERSION = 4;
    public static final int E_NO_SESSION = 5;
    public static final int E_UNKNOWN_HANDLE = 6;
    public static final int E_OUT_OF_RANGE = 7;
    public static final int E_BUSY = 8;
    public static final int E_NO_SPACE = 9;
    public static final int E_LAYOUT = 10;
    public static final int E_NOT_PERMITTED = 11;
    public static final int E_SHUTTING_DOWN = 12;
    public static final int E_INTERNAL = 13;
    public static final int E_LIMIT = 14;

    /** Name of an error code, for messages. */
    public static String errorName(final int code)
    {
        switch (code)
        {
            case E_MALFORMED: return "MALFORMED";
            case E_TOO_LARGE: return "TOO_LARGE";
            case E_UNKNOWN_OP: return "UNKNOWN_OP";
            case E_VERSION: return "VERSION";
            case E_NO_SESSION: return "NO_SESSION";
            case E_UNKNOWN_HANDLE: return "UNKNOWN_HANDLE";
            case E_OUT_OF_RANGE: return "OUT_OF_RANGE";
            case E_BUSY: return "BUSY";
            case E_NO_SPACE: return "NO_SPACE";
            case E_LAYOUT: return "LAYOUT";
            case E_NOT_PERMITTED: return "NOT_PERMITTED";
            case E_SHUTTING_DOWN: return "SHUTTING_DOWN";
            case E_INTERNAL: return "INTERNAL";
            case E_LIMIT: return "LIMIT";
            default: return "E" + code;
        }
    }
}
