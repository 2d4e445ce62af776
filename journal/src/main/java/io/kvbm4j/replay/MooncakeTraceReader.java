package io.kvbm4j.replay;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads the Mooncake JSONL trace format: one JSON object per line with {@code hash_ids} (required: an
 * array of non-negative integers, one per block, position 0 first) and optional {@code timestamp} (ms),
 * {@code input_length}, {@code output_length} (numbers when present). Unknown fields are ignored; blank
 * lines are skipped.
 *
 * <p><b>Design.</b> A hand-written scanner over the bytes of a large read buffer: lines are found in place
 * and parsed where they lie (no line copy, no tokens, no strings, no boxing), field names are compared byte
 * by byte, numbers are accumulated as they are scanned. Nothing is allocated per line once the buffer and
 * the request's id list have grown, which is what lets it read at hundreds of MB/s per core (docs/PERF.md)
 * where a general JSON parser spent most of its time creating parsers and names. It still checks the whole
 * line is one well-formed JSON object (strings with escapes, nested values of unknown fields, literals), so
 * a damaged line is an error, never a silent misread. Field names are matched as raw bytes: a name spelled
 * with escapes ({@code "hash\u005fids"}) counts as an unknown field.
 *
 * <p>Streams: memory is bounded by the longest line, never the file. A line longer than
 * {@link #MAX_LINE_BYTES} or with more than {@link #MAX_IDS} ids is rejected. Every error names
 * {@code FILE:LINE}. Single-threaded.
 */
public final class MooncakeTraceReader implements TraceReader
{
    /** Longest accepted line. */
    public static final int MAX_LINE_BYTES = 16 << 20;
    /** Most ids accepted in one request. */
    public static final int MAX_IDS = 1_000_000;

    private static final int READ_CHUNK = 1 << 20;
    private static final int MAX_DEPTH = 512;
    private static final byte[] HASH_IDS = bytes("hash_ids");
    private static final byte[] TIMESTAMP = bytes("timestamp");
    private static final byte[] INPUT_LENGTH = bytes("input_length");
    private static final byte[] OUTPUT_LENGTH = bytes("output_length");

    // Value kinds, as describe() names them.
    private static final int STRING = 0;
    private static final int INTEGER = 1;
    private static final int FRACTION = 2;
    private static final int BOOLEAN = 3;
    private static final int NULL = 4;
    private static final int ARRAY = 5;
    private static final int OBJECT = 6;
    private static final int END = 7;

    private final String name;
    private final InputStream in;
    private final long totalBytes;
    private byte[] buf = new byte[READ_CHUNK * 2];
    private int limit;
    private int lineStart;
    private long lineNumber;
    private long bytesBeforeBuffer;
    private long bytesRead;
    private boolean eof;

    // Parse state of the current line.
    private int p;
    private int end;
    private long number;
    private boolean numberTooBig;

    public MooncakeTraceReader(final Path path)
    {
        this.name = path.toString();
        try
        {
            this.totalBytes = Files.size(path);
            this.in = Files.newInputStream(path);
        }
        catch (final IOException ex)
        {
            throw new TraceException(name + ": cannot open: " + ex.getMessage(), ex);
        }
    }

    /** Reads from a stream (tests, stdin); {@code name} is used in messages. */
    public MooncakeTraceReader(final InputStream in, final String name)
    {
        this.name = name;
        this.in = in;
        this.totalBytes = -1;
    }

    private static byte[] bytes(final String s)
    {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public boolean next(final TraceRequest into)
    {
        while (nextLine())
        {
            if (!isBlank())
            {
                parse(into);
                return true;
            }
        }
        return false;
    }

    /** Finds the next line: sets {@link #p} and {@link #end} around it (without '\n' and a final '\r'). */
    private boolean nextLine()
    {
        int scan = lineStart;
        while (true)
        {
            final int nl = indexOfNewline(scan, limit);
            if (nl >= 0)
            {
                if (nl - lineStart > MAX_LINE_BYTES)
                {
                    throw tooLong();
                }
                setLine(lineStart, nl);
                lineStart = nl + 1;
                bytesRead = bytesBeforeBuffer + lineStart;
                return true;
            }
            if (limit - lineStart > MAX_LINE_BYTES)
            {
                throw tooLong();
            }
            scan = limit;
            if (eof)
            {
                if (lineStart == limit)
                {
                    return false;
                }
                setLine(lineStart, limit);
                lineStart = limit;
                bytesRead = bytesBeforeBuffer + limit;
                return true;
            }
            scan -= fill();
        }
    }

    private TraceException tooLong()
    {
        return new TraceException(name + ":" + (lineNumber + 1) + ": line longer than " + (MAX_LINE_BYTES >> 20) +
            " MiB");
    }

    private void setLine(final int from, final int to)
    {
        lineNumber++;
        p = from;
        end = to > from && buf[to - 1] == '\r' ? to - 1 : to;
    }

    private int indexOfNewline(final int from, final int to)
    {
        final byte[] b = buf;
        for (int i = from; i < to; i++)
        {
            if (b[i] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * Moves the unfinished line to the front of the buffer (growing it when the line fills it) and reads
     * more. @return how far the line moved, so a scan position can follow it.
     */
    private int fill()
    {
        final int shift = lineStart;
        if (shift > 0)
        {
            System.arraycopy(buf, shift, buf, 0, limit - shift);
            limit -= shift;
            lineStart = 0;
            bytesBeforeBuffer += shift;
        }
        if (buf.length - limit < READ_CHUNK)
        {
            buf = Arrays.copyOf(buf, Math.min(buf.length * 2, MAX_LINE_BYTES + 2 * READ_CHUNK));
        }
        try
        {
            final int n = in.read(buf, limit, buf.length - limit);
            if (n < 0)
            {
                eof = true;
            }
            else
            {
                limit += n;
            }
        }
        catch (final IOException ex)
        {
            throw new TraceException(name + ":" + (lineNumber + 1) + ": read failed: " + ex.getMessage(), ex);
        }
        return shift;
    }

    private boolean isBlank()
    {
        for (int i = p; i < end; i++)
        {
            final byte b = buf[i];
            if (b != ' ' && b != '\t')
            {
                return false;
            }
        }
        return true;
    }

    private void parse(final TraceRequest into)
    {
        into.ids.clear();
        into.timestampMs = -1;
        into.line = lineNumber;
        boolean sawIds = false;
        skipWhitespace();
        if (p >= end || buf[p] != '{')
        {
            if (p < end && buf[p] != '[' && kindAt() < 0)
            {
                throw notJson("unexpected character " + printable(buf[p]));
            }
            throw error("expected a JSON object");
        }
        p++;
        skipWhitespace();
        if (p < end && buf[p] == '}')
        {
            p++;
        }
        else
        {
            while (true)
            {
                skipWhitespace();
                if (p >= end || buf[p] != '"')
                {
                    throw notJson("expected a field name");
                }
                final int nameStart = p + 1;
                skipString();
                final int nameEnd = p - 1;
                skipWhitespace();
                if (p >= end || buf[p] != ':')
                {
                    throw notJson("expected ':' after a field name");
                }
                p++;
                skipWhitespace();
                if (is(HASH_IDS, nameStart, nameEnd))
                {
                    final int kind = kindAt();
                    if (kind != ARRAY)
                    {
                        throw error("hash_ids must be an array of integers, got " + describe(kind));
                    }
                    readIds(into);
                    sawIds = true;
                }
                else if (is(TIMESTAMP, nameStart, nameEnd))
                {
                    final int kind = kindAt();
                    if (kind != INTEGER && kind != FRACTION)
                    {
                        throw error("timestamp must be a number, got " + describe(kind));
                    }
                    into.timestampMs = readTimestamp();
                }
                else if (is(INPUT_LENGTH, nameStart, nameEnd) || is(OUTPUT_LENGTH, nameStart, nameEnd))
                {
                    final int kind = kindAt();
                    if (kind != INTEGER)
                    {
                        throw error(new String(buf, nameStart, nameEnd - nameStart,
                            java.nio.charset.StandardCharsets.UTF_8) + " must be an integer, got " + describe(kind));
                    }
                    skipNumber();
                }
                else
                {
                    skipValue(0); // unknown fields are ignored
                }
                skipWhitespace();
                if (p < end && buf[p] == ',')
                {
                    p++;
                    continue;
                }
                if (p < end && buf[p] == '}')
                {
                    p++;
                    break;
                }
                throw notJson(p >= end ? "unexpected end of line in an object" : "expected ',' or '}' in an object");
            }
        }
        skipWhitespace();
        if (p < end)
        {
            throw error("trailing content after the JSON object");
        }
        if (!sawIds)
        {
            throw error("missing required field hash_ids");
        }
    }

    private void readIds(final TraceRequest into)
    {
        p++; // '['
        skipWhitespace();
        if (p < end && buf[p] == ']')
        {
            p++;
            return;
        }
        final io.kvbm4j.api.BlockIds ids = into.ids;
        final byte[] b = buf;
        while (true)
        {
            // Fast path: a plain non-negative integer of at most 18 digits.
            int i = p;
            long v = 0;
            int digits = 0;
            byte c;
            while (i < end && (c = b[i]) >= '0' && c <= '9' && digits < 18)
            {
                v = v * 10 + (c - '0');
                i++;
                digits++;
            }
            if (digits == 0 || digits == 18 || (i < end && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) ||
                (digits > 1 && b[p] == '0'))
            {
                v = slowId(ids.size());
            }
            else
            {
                p = i;
            }
            if (ids.size() == MAX_IDS)
            {
                throw error("more than " + MAX_IDS + " ids in one request");
            }
            ids.add(0, v);
            // separator
            while (p < end && ((c = b[p]) == ' ' || c == '\t'))
            {
                p++;
            }
            if (p < end && b[p] == ',')
            {
                p++;
                while (p < end && ((c = b[p]) == ' ' || c == '\t' || c == '\r' || c == '\n'))
                {
                    p++;
                }
                continue;
            }
            skipWhitespace();
            if (p < end && b[p] == ']')
            {
                p++;
                return;
            }
            throw notJson(p >= end ? "unexpected end of line in an array" : "expected ',' or ']' in an array");
        }
    }

    /** Any id the fast path declined: checks it is an integer, non-negative and within 64 bits. */
    private long slowId(final int index)
    {
        final int kind = kindAt();
        if (kind != INTEGER)
        {
            if (kind == END)
            {
                throw notJson("unexpected end of line in an array");
            }
            throw error("hash_ids[" + index + "] must be an integer, got " + describe(kind));
        }
        final boolean negative = buf[p] == '-';
        scanInteger();
        if (numberTooBig)
        {
            throw error("hash_ids[" + index + "] does not fit in 64 bits");
        }
        if (negative && number != 0)
        {
            throw error("hash_ids[" + index + "] must not be negative, got " + number);
        }
        return number;
    }

    private long readTimestamp()
    {
        final int start = p;
        skipNumber();
        // Timestamps are small integers in practice; a fraction or exponent is read as a double.
        long v = 0;
        boolean negative = false;
        int i = start;
        if (buf[i] == '-')
        {
            negative = true;
            i++;
        }
        for (; i < p; i++)
        {
            final byte c = buf[i];
            if (c < '0' || c > '9' || v > (Long.MAX_VALUE - 9) / 10)
            {
                return (long)Double.parseDouble(new String(buf, start, p - start, java.nio.charset.StandardCharsets.US_ASCII));
            }
            v = v * 10 + (c - '0');
        }
        return negative ? -v : v;
    }

    /** Scans a JSON integer at p into {@link #number} (signed), setting {@link #numberTooBig} past 64 bits. */
    private void scanInteger()
    {
        boolean negative = false;
        if (buf[p] == '-')
        {
            negative = true;
            p++;
        }
        long magnitude = 0;
        boolean big = false;
        final int start = p;
        while (p < end && buf[p] >= '0' && buf[p] <= '9')
        {
            final int d = buf[p] - '0';
            if (!big)
            {
                if (magnitude > (Long.MAX_VALUE - d) / 10)
                {
                    big = !(negative && magnitude == 922337203685477580L && d == 8);
                    magnitude = big ? magnitude : Long.MIN_VALUE;
                }
                else
                {
                    magnitude = magnitude * 10 + d;
                }
            }
            p++;
        }
        if (p == start)
        {
            throw notJson("a '-' without digits");
        }
        if (p - start > 1 && buf[start] == '0')
        {
            throw notJson("leading zero in a number");
        }
        numberTooBig = big;
        number = negative ? -magnitude : magnitude;
    }

    /**
     * The kind of the JSON value starting at p (p at its first byte, whitespace skipped), without
     * consuming it: -1 when no JSON value starts there.
     */
    private int kindAt()
    {
        if (p >= end)
        {
            return END;
        }
        switch (buf[p])
        {
            case '"':
                return STRING;
            case '{':
                return OBJECT;
            case '[':
                return ARRAY;
            case 't':
            case 'f':
                return BOOLEAN;
            case 'n':
                return NULL;
            case '-':
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
            case '8':
            case '9':
                int i = p + 1;
                while (i < end && buf[i] >= '0' && buf[i] <= '9')
                {
                    i++;
                }
                return i < end && (buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E') ? FRACTION : INTEGER;
            default:
                return -1;
        }
    }

    private static String describe(final int kind)
    {
        switch (kind)
        {
            case STRING:
                return "a string";
            case FRACTION:
                return "a fraction";
            case INTEGER:
                return "an integer";
            case BOOLEAN:
                return "a boolean";
            case NULL:
                return "null";
            case ARRAY:
                return "an array";
            case OBJECT:
                return "an object";
            case END:
                return "end of line";
            default:
                return "something that is not JSON";
        }
    }

    /** Skips one JSON value (checking its syntax). */
    private void skipValue(final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw notJson("nested deeper than " + MAX_DEPTH);
        }
        skipWhitespace();
        if (p >= end)
        {
            throw notJson("unexpected end of line");
        }
        final byte c = buf[p];
        switch (c)
        {
            case '"' -> skipString();
            case '{' ->
            {
                p++;
                skipWhitespace();
                if (p < end && buf[p] == '}')
                {
                    p++;
                    return;
                }
                while (true)
                {
                    skipWhitespace();
                    if (p >= end || buf[p] != '"')
                    {
                        throw notJson("expected a field name");
                    }
                    skipString();
                    skipWhitespace();
                    if (p >= end || buf[p] != ':')
                    {
                        throw notJson("expected ':' after a field name");
                    }
                    p++;
                    skipValue(depth + 1);
                    skipWhitespace();
                    if (p < end && buf[p] == ',')
                    {
                        p++;
                        continue;
                    }
                    if (p < end && buf[p] == '}')
                    {
                        p++;
                        return;
                    }
                    throw notJson("expected ',' or '}' in an object");
                }
            }
            case '[' ->
            {
                p++;
                skipWhitespace();
                if (p < end && buf[p] == ']')
                {
                    p++;
                    return;
                }
                while (true)
                {
                    skipValue(depth + 1);
                    skipWhitespace();
                    if (p < end && buf[p] == ',')
                    {
                        p++;
                        continue;
                    }
                    if (p < end && buf[p] == ']')
                    {
                        p++;
                        return;
                    }
                    throw notJson("expected ',' or ']' in an array");
                }
            }
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default ->
            {
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    skipNumber();
                }
                else
                {
                    throw notJson("unexpected character " + printable(c));
                }
            }
        }
    }

    private void literal(final String word)
    {
        for (int i = 0; i < word.length(); i++)
        {
            if (p + i >= end || buf[p + i] != word.charAt(i))
            {
                throw notJson("unrecognised token");
            }
        }
        p += word.length();
    }

    /** Skips a JSON number, checking its grammar. */
    private void skipNumber()
    {
        if (buf[p] == '-')
        {
            p++;
        }
        final int intStart = p;
        while (p < end && buf[p] >= '0' && buf[p] <= '9')
        {
            p++;
        }
        if (p == intStart)
        {
            throw notJson("a '-' without digits");
        }
        if (p - intStart > 1 && buf[intStart] == '0')
        {
            throw notJson("leading zero in a number");
        }
        if (p < end && buf[p] == '.')
        {
            p++;
            final int f = p;
            while (p < end && buf[p] >= '0' && buf[p] <= '9')
            {
                p++;
            }
            if (p == f)
            {
                throw notJson("a '.' without digits");
            }
        }
        if (p < end && (buf[p] == 'e' || buf[p] == 'E'))
        {
            p++;
            if (p < end && (buf[p] == '+' || buf[p] == '-'))
            {
                p++;
            }
            final int e = p;
            while (p < end && buf[p] >= '0' && buf[p] <= '9')
            {
                p++;
            }
            if (p == e)
            {
                throw notJson("an exponent without digits");
            }
        }
    }

    /** Skips a string starting at p (the opening quote); p ends after the closing quote. */
    private void skipString()
    {
        p++;
        while (p < end)
        {
            final byte c = buf[p++];
            if (c == '"')
            {
                return;
            }
            if (c == '\\')
            {
                if (p >= end)
                {
                    break;
                }
                final byte e = buf[p++];
                if (e == 'u')
                {
                    for (int i = 0; i < 4; i++, p++)
                    {
                        if (p >= end || Character.digit(buf[p], 16) < 0)
                        {
                            throw notJson("bad \\u escape in a string");
                        }
                    }
                }
                else if ("\"\\/bfnrt".indexOf(e) < 0)
                {
                    throw notJson("bad escape in a string");
                }
            }
            else if ((c & 0xff) < 0x20)
            {
                throw notJson("control character in a string");
            }
        }
        throw notJson("unterminated string");
    }

    private void skipWhitespace()
    {
        while (p < end)
        {
            final byte c = buf[p];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            {
                return;
            }
            p++;
        }
    }

    private boolean is(final byte[] field, final int from, final int to)
    {
        if (to - from != field.length)
        {
            return false;
        }
        for (int i = 0; i < field.length; i++)
        {
            if (buf[from + i] != field[i])
            {
                return false;
            }
        }
        return true;
    }

    private static String printable(final byte b)
    {
        return b >= 0x20 && b < 0x7f ? "'" + (char)b + "'" : String.format("0x%02x", b & 0xff);
    }

    private TraceException notJson(final String what)
    {
        return error("not valid JSON: " + what);
    }

    private TraceException error(final String what)
    {
        return new TraceException(name + ":" + lineNumber + ": " + what);
    }

    @Override
    public long bytesRead()
    {
        return bytesRead;
    }

    @Override
    public long totalBytes()
    {
        return totalBytes;
    }

    @Override
    public void close()
    {
        try
        {
            in.close();
        }
        catch (final IOException ex)
        {
            throw new TraceException(name + ": close failed: " + ex.getMessage(), ex);
        }
    }
}
