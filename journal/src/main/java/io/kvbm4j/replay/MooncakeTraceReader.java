package io.kvbm4j.replay;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads the Mooncake JSONL trace format: one JSON object per line with {@code hash_ids} (required: an
 * array of non-negative integers, one per block, position 0 first) and optional {@code timestamp} (ms),
 * {@code input_length}, {@code output_length} (numbers when present). Unknown fields are ignored; blank
 * lines are skipped.
 *
 * <p>Streams: memory is bounded by the longest line, never the file. A line longer than
 * {@link #MAX_LINE_BYTES} or with more than {@link #MAX_IDS} ids is rejected. Every error names
 * {@code FILE:LINE}.
 */
public final class MooncakeTraceReader implements TraceReader
{
    /** Longest accepted line. */
    public static final int MAX_LINE_BYTES = 16 << 20;
    /** Most ids accepted in one request. */
    public static final int MAX_IDS = 1_000_000;

    private static final JsonFactory JSON = new JsonFactory();

    private final String name;
    private final InputStream in;
    private final long totalBytes;
    private byte[] line = new byte[64 * 1024];
    private long lineNumber;
    private long bytesRead;
    private boolean eof;

    public MooncakeTraceReader(final Path path)
    {
        this.name = path.toString();
        try
        {
            this.totalBytes = Files.size(path);
            this.in = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
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
        this.in = new BufferedInputStream(in, 1 << 16);
        this.totalBytes = -1;
    }

    @Override
    public boolean next(final TraceRequest into)
    {
        while (true)
        {
            final int length = readLine();
            if (length < 0)
            {
                return false;
            }
            if (isBlank(length))
            {
                continue;
            }
            parse(length, into);
            return true;
        }
    }

    /** @return the line's length, or -1 at end of input. */
    private int readLine()
    {
        if (eof)
        {
            return -1;
        }
        int length = 0;
        try
        {
            while (true)
            {
                final int b = in.read();
                if (b < 0)
                {
                    eof = true;
                    if (length == 0)
                    {
                        return -1;
                    }
                    break;
                }
                bytesRead++;
                if (b == '\n')
                {
                    break;
                }
                if (length == MAX_LINE_BYTES)
                {
                    throw new TraceException(name + ":" + (lineNumber + 1) + ": line longer than " +
                        (MAX_LINE_BYTES >> 20) + " MiB");
                }
                if (length == line.length)
                {
                    line = java.util.Arrays.copyOf(line, Math.min(MAX_LINE_BYTES, line.length * 2));
                }
                line[length++] = (byte)b;
            }
        }
        catch (final IOException ex)
        {
            throw new TraceException(name + ":" + (lineNumber + 1) + ": read failed: " + ex.getMessage(), ex);
        }
        lineNumber++;
        if (length > 0 && line[length - 1] == '\r')
        {
            length--;
        }
        return length;
    }

    private boolean isBlank(final int length)
    {
        for (int i = 0; i < length; i++)
        {
            final byte b = line[i];
            if (b != ' ' && b != '\t')
            {
                return false;
            }
        }
        return true;
    }

    private void parse(final int length, final TraceRequest into)
    {
        into.ids.clear();
        into.timestampMs = -1;
        into.line = lineNumber;
        boolean sawIds = false;
        try (JsonParser p = JSON.createParser(line, 0, length))
        {
            if (p.nextToken() != JsonToken.START_OBJECT)
            {
                throw error("expected a JSON object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME)
            {
                final String field = p.currentName();
                final JsonToken value = p.nextToken();
                switch (field)
                {
                    case "hash_ids":
                        if (value != JsonToken.START_ARRAY)
                        {
                            throw error("hash_ids must be an array of integers, got " + describe(value));
                        }
                        readIds(p, into);
                        sawIds = true;
                        break;
                    case "timestamp":
                        if (!value.isNumeric())
                        {
                            throw error("timestamp must be a number, got " + describe(value));
                        }
                        into.timestampMs = p.getValueAsLong();
                        break;
                    case "input_length":
                    case "output_length":
                        if (value != JsonToken.VALUE_NUMBER_INT)
                        {
                            throw error(field + " must be an integer, got " + describe(value));
                        }
                        break;
                    default:
                        p.skipChildren(); // unknown fields are ignored
                        break;
                }
            }
            if (t != JsonToken.END_OBJECT)
            {
                throw error("malformed object");
            }
            if (p.nextToken() != null)
            {
                throw error("trailing content after the JSON object");
            }
        }
        catch (final JsonProcessingException ex)
        {
            // Parse errors, and limits such as a number longer than Jackson's 1000 digits (found by fuzzing:
            // it escaped as an UncheckedIOException without the line).
            throw error("not valid JSON: " + ex.getOriginalMessage());
        }
        catch (final IOException ex)
        {
            // The parser reads a byte array, so every IOException is about the line's bytes: a line whose
            // first bytes make Jackson guess UTF-16/32 (found by fuzzing) is not UTF-8 JSON.
            throw error("not valid UTF-8 JSON: " + ex.getMessage());
        }
        if (!sawIds)
        {
            throw error("missing required field hash_ids");
        }
    }

    private void readIds(final JsonParser p, final TraceRequest into) throws IOException
    {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY)
        {
            if (t != JsonToken.VALUE_NUMBER_INT)
            {
                throw error("hash_ids[" + into.ids.size() + "] must be an integer, got " + describe(t));
            }
            if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER)
            {
                throw error("hash_ids[" + into.ids.size() + "] does not fit in 64 bits");
            }
            final long id = p.getLongValue();
            if (id < 0)
            {
                throw error("hash_ids[" + into.ids.size() + "] must not be negative, got " + id);
            }
            if (into.ids.size() == MAX_IDS)
            {
                throw error("more than " + MAX_IDS + " ids in one request");
            }
            into.ids.add(0, id);
        }
    }

    private static String describe(final JsonToken t)
    {
        if (t == null)
        {
            return "end of line";
        }
        switch (t)
        {
            case VALUE_STRING:
                return "a string";
            case VALUE_NUMBER_FLOAT:
                return "a fraction";
            case VALUE_NUMBER_INT:
                return "an integer";
            case VALUE_TRUE:
            case VALUE_FALSE:
                return "a boolean";
            case VALUE_NULL:
                return "null";
            case START_ARRAY:
                return "an array";
            case START_OBJECT:
                return "an object";
            default:
                return t.toString();
        }
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
            throw new UncheckedIOException(ex);
        }
    }
}
