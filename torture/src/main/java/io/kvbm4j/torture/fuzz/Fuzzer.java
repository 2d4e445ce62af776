package io.kvbm4j.torture.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one {@link FuzzTarget}: replays every seed, then mutates seeds for a fixed number of iterations or
 * seconds, whichever ends first, from a fixed list of random seeds (so a run is repeatable). Each input
 * runs on a worker thread under a generous deadline; one that does not finish is a hang (the worker is
 * abandoned, a fresh one continues). Findings are written, with the input, under {@code findingsDir}.
 */
public final class Fuzzer
{
    /** Fixed seeds: run i of a target uses SEEDS[i % SEEDS.length] mixed with its name. */
    public static final long[] SEEDS = {0x5eed_0001L, 0x5eed_0002L, 0x5eed_0003L, 0xC0FFEEL, 0xBADC0DEL, 42L, 7L,
        0x1234_5678_9abcL};

    /** A crash, hang or wrong answer, with the input that caused it. */
    public record Finding(String target, String kind, String message, byte[] input, long seed, long iteration)
    {
        @Override
        public String toString()
        {
            final String m = message.length() > 300 ? message.substring(0, 300) + "..." : message;
            return target + ": " + kind + ": " + m + " (seed " + Long.toHexString(seed) + ", iteration " +
                iteration + ", " + input.length + " bytes)";
        }
    }

    /** What one run did. */
    public record Report(String target, long executions, long accepted, long rejected, long nanos, List<Finding> findings)
    {
        public String row()
        {
            return String.format("%-16s %9d execs %7.1f s %8.0f/s  accepted %7d  rejected %7d  findings %d", target,
                executions, nanos / 1e9, executions / Math.max(1e-9, nanos / 1e9), accepted, rejected, findings.size());
        }
    }

    private final long hangMillis;
    private final Path findingsDir;

    public Fuzzer(final long hangMillis, final Path findingsDir)
    {
        this.hangMillis = hangMillis;
        this.findingsDir = findingsDir;
    }

    /** Sizes from the system properties {@code kvbm4j.fuzz.seconds} and {@code kvbm4j.fuzz.iterations}. */
    public Report runConfigured(final FuzzTarget target)
    {
        return run(target, Long.getLong("kvbm4j.fuzz.iterations", 3000), Long.getLong("kvbm4j.fuzz.seconds", 4));
    }

    public Report run(final FuzzTarget target, final long iterations, final long seconds)
    {
        final List<byte[]> corpus = target.seeds();
        if (corpus.isEmpty())
        {
            throw new IllegalStateException(target.name() + ": empty corpus");
        }
        final List<Finding> findings = new ArrayList<>();
        final long[] counts = new long[3]; // executions, accepted, rejected
        ExecutorService worker = newWorker(target.name());
        final long start = System.nanoTime();
        final long end = start + TimeUnit.SECONDS.toNanos(seconds);
        try
        {
            for (final byte[] seed : corpus)
            {
                worker = once(target, seed, 0, -1, worker, counts, findings);
            }
            long it = 0;
            for (int s = 0; it < iterations && System.nanoTime() < end && findings.size() < 20; s++)
            {
                final long seed = SEEDS[s % SEEDS.length] ^ target.name().hashCode() ^ ((long)s << 40);
                final SplittableRandom random = new SplittableRandom(seed);
                final Mutator mutator = new Mutator(random);
                // Each seed drives a stretch of 500 iterations, then the next seed takes over.
                for (int k = 0; k < 500 && it < iterations && System.nanoTime() < end && findings.size() < 20; k++, it++)
                {
                    final byte[] base = corpus.get(random.nextInt(corpus.size()));
                    final byte[] input = target.mutate(mutator, base, corpus);
                    worker = once(target, input, seed, k, worker, counts, findings);
                }
            }
        }
        finally
        {
            worker.shutdownNow();
        }
        return new Report(target.name(), counts[0], counts[1], counts[2], System.nanoTime() - start,
            List.copyOf(findings));
    }

    private ExecutorService once(final FuzzTarget target, final byte[] input, final long seed, final long iteration,
                                 final ExecutorService worker, final long[] counts, final List<Finding> findings)
    {
        counts[0]++;
        final Future<?> f = worker.submit(() ->
        {
            target.run(input);
            return null;
        });
        try
        {
            f.get(hangMillis, TimeUnit.MILLISECONDS);
            counts[1]++;
            return worker;
        }
        catch (final TimeoutException ex)
        {
            f.cancel(true);
            worker.shutdownNow();
            record(findings, new Finding(target.name(), "hang", "no answer within " + hangMillis + " ms", input, seed,
                iteration));
            return newWorker(target.name());
        }
        catch (final ExecutionException ex)
        {
            final Throwable cause = ex.getCause();
            if (cause instanceof FuzzTarget.Rejected)
            {
                counts[2]++;
            }
            else
            {
                record(findings, new Finding(target.name(), cause.getClass().getName(), String.valueOf(cause.getMessage()),
                    input, seed, iteration));
                if (System.getProperty("kvbm4j.fuzz.trace") != null)
                {
                    cause.printStackTrace();
                }
            }
            return worker;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", ex);
        }
    }

    private void record(final List<Finding> findings, final Finding f)
    {
        findings.add(f);
        if (findingsDir == null)
        {
            return;
        }
        try
        {
            Files.createDirectories(findingsDir.resolve(f.target()));
            final Path file = findingsDir.resolve(f.target()).resolve("finding-" + findings.size() + ".bin");
            Files.write(file, f.input());
            Files.writeString(findingsDir.resolve(f.target()).resolve("finding-" + findings.size() + ".txt"),
                f + "\n" + Base64.getEncoder().encodeToString(f.input()) + "\n");
        }
        catch (final IOException ex)
        {
            // The finding is still in the report.
        }
    }

    private static ExecutorService newWorker(final String name)
    {
        return Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = new Thread(r, "fuzz-" + name);
            t.setDaemon(true);
            return t;
        });
    }
}
