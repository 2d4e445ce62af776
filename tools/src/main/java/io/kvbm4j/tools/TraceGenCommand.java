package io.kvbm4j.tools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import io.kvbm4j.replay.ProductionShapedTrace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvbm4j trace-gen}: writes a seeded production-shaped Mooncake trace ({@link ProductionShapedTrace}) for
 * measuring the replay at scale (docs/PERF.md). ~200 MB with the defaults: never commit it.
 */
@Command(name = "trace-gen", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Writes a seeded production-shaped Mooncake trace (~7.5 K requests of ~2,300 blocks by default).")
public final class TraceGenCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The trace file to write.")
    private Path out;

    @Option(names = "--requests", defaultValue = "7500", paramLabel = "N",
        description = "Requests (default: ${DEFAULT-VALUE}).")
    private int requests;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "N", description = "Seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Override
    public Integer call()
    {
        if (requests < 1 || requests > 10_000_000)
        {
            throw new ParameterException(spec.commandLine(), "--requests: must be in 1..10000000, got " + requests);
        }
        try
        {
            final long accesses = ProductionShapedTrace.write(out, requests, seed);
            spec.commandLine().getErr().printf(Locale.ROOT, "%s: %,d requests, %,d block accesses (seed %d)%n", out,
                requests, accesses, seed);
            spec.commandLine().getErr().flush();
            return 0;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(out + ": " + ex.getMessage(), ex);
        }
    }
}
