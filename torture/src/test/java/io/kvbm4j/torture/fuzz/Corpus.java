package io.kvbm4j.torture.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The corpus kept in the repository: {@code torture/src/test/resources/corpus/<target>/}. */
final class Corpus
{
    private Corpus()
    {
    }

    static Path dir(final String target)
    {
        return Path.of("src", "test", "resources", "corpus", target);
    }

    /** The repository root (the tests run in the torture module's folder). */
    static Path repo()
    {
        return Path.of(System.getProperty("kvbm4j.repo", "..")).toAbsolutePath().normalize();
    }

    static List<byte[]> load(final String target)
    {
        final List<byte[]> out = new ArrayList<>();
        final Path dir = dir(target);
        if (!Files.isDirectory(dir))
        {
            return out;
        }
        try (Stream<Path> files = Files.list(dir))
        {
            for (final Path f : files.sorted().toList())
            {
                out.add(Files.readAllBytes(f));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return out;
    }

    static Fuzzer fuzzer()
    {
        return new Fuzzer(30_000, Path.of("target", "fuzz-findings"));
    }
}
