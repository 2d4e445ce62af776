package io.kvbm4j.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MooncakeTraceReaderTest
{
    private static MooncakeTraceReader reader(final String text)
    {
        return new MooncakeTraceReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "t.jsonl");
    }

    private static String firstError(final String text)
    {
        try (MooncakeTraceReader r = reader(text))
        {
            final TraceRequest req = new TraceRequest();
            return assertThrows(TraceException.class, () ->
            {
                while (r.next(req))
                {
                    // read until the error
                }
            }).getMessage();
        }
    }

    @Test
    void readsIdsTimestampsAndSkipsBlankLinesAndUnknownFields()
    {
        try (MooncakeTraceReader r = reader("{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 2, " +
            "\"hash_ids\": [3, 4, 5], \"extra\": {\"nested\": [1, 2]}}\n\n  \r\n{\"hash_ids\": []}\r\n"))
        {
            final TraceRequest req = new TraceRequest();
            assertTrue(r.next(req));
            assertEquals(3, req.ids.size());
            assertEquals(4, req.ids.lo(1));
            assertEquals(0, req.ids.hi(1));
            assertEquals(5, req.timestampMs);
            assertEquals(1, req.line);
            assertTrue(r.next(req));
            assertEquals(0, req.ids.size());
            assertEquals(-1, req.timestampMs, "no timestamp given");
            assertEquals(4, req.line, "blank lines still count");
            assertFalse(r.next(req));
        }
    }

    @Test
    void malformedLinesNameTheFileTheLineAndWhatIsWrong()
    {
        final String good = "{\"hash_ids\": [1]}\n";
        assertEquals("t.jsonl:2: missing required field hash_ids", firstError(good + "{\"timestamp\": 1}\n"));
        assertEquals("t.jsonl:2: hash_ids must be an array of integers, got a string",
            firstError(good + "{\"hash_ids\": \"1,2\"}\n"));
        assertEquals("t.jsonl:2: hash_ids[1] must be an integer, got a fraction",
            firstError(good + "{\"hash_ids\": [1, 2.5]}\n"));
        assertEquals("t.jsonl:2: hash_ids[0] must not be negative, got -3",
            firstError(good + "{\"hash_ids\": [-3]}\n"));
        assertEquals("t.jsonl:2: timestamp must be a number, got a string",
            firstError(good + "{\"timestamp\": \"now\", \"hash_ids\": [1]}\n"));
        assertEquals("t.jsonl:2: input_length must be an integer, got null",
            firstError(good + "{\"input_length\": null, \"hash_ids\": [1]}\n"));
        assertEquals("t.jsonl:2: expected a JSON object", firstError(good + "[1, 2]\n"));
        assertEquals("t.jsonl:2: trailing content after the JSON object",
            firstError(good + "{\"hash_ids\": [1]} {}\n"));
        assertTrue(firstError(good + "{\"hash_ids\": [1,\n").startsWith("t.jsonl:2: not valid JSON"));
        assertEquals("t.jsonl:2: hash_ids[0] does not fit in 64 bits",
            firstError(good + "{\"hash_ids\": [123456789012345678901234567890]}\n"));
    }

    @Test
    void aLineOverSixteenMibIsRejectedWithoutReadingItWhole(@TempDir final Path dir) throws IOException
    {
        final Path file = dir.resolve("long.jsonl");
        try (OutputStream out = Files.newOutputStream(file))
        {
            out.write("{\"hash_ids\": [1]}\n{\"hash_ids\": [".getBytes(StandardCharsets.US_ASCII));
            final byte[] chunk = "1, ".repeat(4096).getBytes(StandardCharsets.US_ASCII);
            for (long written = 0; written <= MooncakeTraceReader.MAX_LINE_BYTES; written += chunk.length)
            {
                out.write(chunk);
            }
            out.write("1]}\n".getBytes(StandardCharsets.US_ASCII));
        }
        try (MooncakeTraceReader r = new MooncakeTraceReader(file))
        {
            final TraceRequest req = new TraceRequest();
            assertTrue(r.next(req));
            final TraceException ex = assertThrows(TraceException.class, () -> r.next(req));
            assertEquals(file + ":2: line longer than 16 MiB", ex.getMessage());
        }
    }

    @Test
    void moreThanAMillionIdsInOneRequestIsRejected()
    {
        final StringBuilder sb = new StringBuilder("{\"hash_ids\": [");
        for (int i = 0; i <= MooncakeTraceReader.MAX_IDS; i++)
        {
            sb.append(i % 10).append(',');
        }
        sb.setLength(sb.length() - 1);
        sb.append("]}\n");
        assertEquals("t.jsonl:1: more than 1000000 ids in one request", firstError(sb.toString()));
    }

    @Test
    void aMissingFileIsAClearError(@TempDir final Path dir)
    {
        final Path file = dir.resolve("absent.jsonl");
        final TraceException ex = assertThrows(TraceException.class, () -> new MooncakeTraceReader(file));
        assertTrue(ex.getMessage().startsWith(file + ": cannot open"), ex.getMessage());
    }

    /** Found by fuzzing (torture MooncakeFuzzTest) in the Jackson-based reader: escaped as UncheckedIOException(StreamConstraintsException). */
    @Test
    void aNumberLongerThanJacksonsDigitLimitIsRefusedWithItsLine()
    {
        final String msg = firstError("{\"hash_ids\": [1]}\n{\"hash_ids\": [" + "7".repeat(2000) + "]}\n");
        assertTrue(msg.startsWith("t.jsonl:2: "), msg);
    }

    /** Found by fuzzing: first bytes that make Jackson guess UTF-32 escaped as UncheckedIOException(CharConversionException). */
    @Test
    void aLineJacksonWouldDecodeAsUtf32IsRefusedWithItsLine()
    {
        final String msg = firstError("\u0000\u0000\u0000{\"hash_ids\": [1]}\n");
        assertTrue(msg.startsWith("t.jsonl:1: "), msg);
    }

    /** Found by fuzzing: nesting deeper than Jackson's limit inside an ignored field. */
    @Test
    void nestingDeeperThanJacksonsLimitIsRefusedWithItsLine()
    {
        final String msg = firstError("{\"x\": " + "[".repeat(5000) + "\n");
        assertTrue(msg.startsWith("t.jsonl:1: "), msg);
    }
}
