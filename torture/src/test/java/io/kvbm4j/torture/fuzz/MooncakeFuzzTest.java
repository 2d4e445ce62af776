package io.kvbm4j.torture.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.kvbm4j.replay.MooncakeTraceReader;
import io.kvbm4j.replay.TraceException;
import io.kvbm4j.replay.TraceRequest;

/** Fuzzes Mooncake trace lines: a bad line is a {@link TraceException} naming {@code FILE:LINE}. */
class MooncakeFuzzTest
{
    private static final Pattern LOCATED = Pattern.compile("(?s)fuzz\\.jsonl:\\d+: \\S.*");

    static final class Target implements FuzzTarget
    {
        @Override
        public String name()
        {
            return "mooncake";
        }

        @Override
        public List<byte[]> seeds()
        {
            return Corpus.load(name());
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            final TraceRequest r = new TraceRequest();
            try (MooncakeTraceReader reader = new MooncakeTraceReader(new ByteArrayInputStream(input), "fuzz.jsonl"))
            {
                while (reader.next(r))
                {
                    if (r.ids.size() > MooncakeTraceReader.MAX_IDS)
                    {
                        throw new AssertionError("more ids than MAX_IDS: " + r.ids.size());
                    }
                }
            }
            catch (final TraceException ex)
            {
                if (!LOCATED.matcher(ex.getMessage()).matches())
                {
                    throw new AssertionError("error without FILE:LINE: " + ex.getMessage(), ex);
                }
                throw new Rejected(ex);
            }
        }
    }

    @Test
    void mutatedTraceLinesAreReadOrRefusedWithTheirLine()
    {
        final Fuzzer.Report r = Corpus.fuzzer().runConfigured(new Target());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }
}
