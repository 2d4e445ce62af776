package io.kvbm4j.replay;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds ../shared/traces beside the repository (as CI lays it out). */
final class SharedTraces
{
    private SharedTraces()
    {
    }

    static Path mooncake()
    {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null)
        {
            final Path candidate = dir.resolveSibling("shared").resolve("traces/mooncake_synthetic.jsonl");
            if (Files.isRegularFile(candidate))
            {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("shared/traces/mooncake_synthetic.jsonl not found beside the repository " +
            "(CI clones the repo with ../shared beside it)");
    }
}
