package io.kvbm4j.torture.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.kvbm4j.config.ConfigException;
import io.kvbm4j.config.ConfigLoader;

/**
 * Fuzzes the YAML configuration (ConfigLoader.parse, the path of a user's file) and the {@code --set key=value}
 * overrides. The expected outcome for a bad input is a {@link ConfigException} whose message names the source and
 * the key or line; anything else is a finding.
 */
class ConfigFuzzTest
{
    private static final String SOURCE = "fuzz.yaml";
    /** "fuzz.yaml: key...: " or "fuzz.yaml:LINE: ". */
    private static final Pattern LOCATED = Pattern.compile("(?s)fuzz\\.yaml(:\\d+)?: \\S.*");
    private static final Pattern SET_LOCATED = Pattern.compile("(?s)(--set .*: |embedded default with --set \\[.*\\]: )\\S.*");

    /** Values that have broken parsers elsewhere: NUL in paths, huge and odd numbers, YAML tags and aliases. */
    static final String[] HOSTILE = {"\"a\\0b\"", "\"\\u0000\"", "\"/tmp/\\0x\"", "\"\"", "~", "null", "-1", "0",
        "2147483648", "9223372036854775808", "1e400", ".nan", "-.inf", "0x10", "[1, 2]", "{a: 1}", "!!binary AAAA",
        "&x 1", "*x", "\"" + "x".repeat(5000) + "\"", "\"../../../../etc/passwd\"", "true", "\"\\t\"", "'\\'",
        "!!java.lang.Object {}", "\"g3\\u0000root\"", "1_000", "0o17", "+12", "\"12\"", "12.0", "1.0e+2"};

    static final class YamlTarget implements FuzzTarget
    {
        @Override
        public String name()
        {
            return "config-yaml";
        }

        @Override
        public List<byte[]> seeds()
        {
            final List<byte[]> seeds = Corpus.load(name());
            try
            {
                seeds.add(Files.readAllBytes(Corpus.repo().resolve("config/kvbm4j.yaml")));
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
            return seeds;
        }

        /** Half the time a structure-aware move: the value of one "key: value" line becomes a hostile value. */
        @Override
        public byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
        {
            final java.util.SplittableRandom random = mutator.random();
            if (random.nextBoolean())
            {
                return mutator.mutate(input, corpus);
            }
            final String[] lines = new String(input, StandardCharsets.UTF_8).split("\n", -1);
            for (int tries = 0; tries < 8; tries++)
            {
                final int i = random.nextInt(lines.length);
                final int colon = lines[i].indexOf(": ");
                if (colon > 0 && !lines[i].trim().startsWith("#"))
                {
                    lines[i] = lines[i].substring(0, colon + 2) + HOSTILE[random.nextInt(HOSTILE.length)];
                    break;
                }
            }
            return String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            try
            {
                ConfigLoader.parse(new String(input, StandardCharsets.UTF_8), SOURCE);
            }
            catch (final ConfigException ex)
            {
                if (!LOCATED.matcher(ex.getMessage()).matches())
                {
                    throw new AssertionError("error without a location: " + ex.getMessage(), ex);
                }
                throw new Rejected(ex);
            }
        }
    }

    static final class SetTarget implements FuzzTarget
    {
        @Override
        public String name()
        {
            return "config-set";
        }

        @Override
        public List<byte[]> seeds()
        {
            return Corpus.load(name());
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            final String s = new String(input, StandardCharsets.UTF_8);
            final int eq = s.indexOf('=');
            final String key = eq < 0 ? s : s.substring(0, eq);
            final String value = eq < 0 ? "" : s.substring(eq + 1);
            try
            {
                ConfigLoader.withOverrides(null, Map.of(key, value));
            }
            catch (final ConfigException ex)
            {
                if (!SET_LOCATED.matcher(ex.getMessage()).matches())
                {
                    throw new AssertionError("error without a key: " + ex.getMessage(), ex);
                }
                throw new Rejected(ex);
            }
        }
    }

    @Test
    void mutatedYamlIsAcceptedOrRefusedWithItsKeyOrLine()
    {
        final Fuzzer.Report r = Corpus.fuzzer().runConfigured(new YamlTarget());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }

    @Test
    void mutatedSetOverridesAreAcceptedOrRefusedWithTheirKey()
    {
        final Fuzzer.Report r = Corpus.fuzzer().runConfigured(new SetTarget());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }
}
