package io.kvbm4j.perf.identity;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.identity.BlockHasher;
import io.kvbm4j.identity.HashAlgorithm;
import io.kvbm4j.identity.Salt;
import io.kvbm4j.perf.workload.PrefixChains;

/**
 * Cost of computing block ids, in ns per token: {@link BlockHasher#hashSequence} over a prompt of
 * {@value #BLOCKS} blocks x {@value #BLOCK_TOKENS} tokens, with XXH3-128 (the default) and SHA-256.
 * Each block hashes a 41-byte header (salt, parent id, count) plus its 64 bytes of tokens and chains to
 * the previous block's id, so the blocks of one sequence are hashed one after another.
 *
 * <p>Inputs (random token ids, the salt, the hasher and its output list) are built in {@code @Setup};
 * the measured call allocates nothing.
 *
 * <p>Run:
 * <pre>
 * perf/run-bench.sh BlockHashingBenchmark -prof gc
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain BlockHashingBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class BlockHashingBenchmark
{
    static final int BLOCKS = 64;
    static final int BLOCK_TOKENS = 16;
    public static final int TOKENS = BLOCKS * BLOCK_TOKENS;

    @Param({"XXH3_128", "SHA_256"})
    public HashAlgorithm algorithm;

    private BlockHasher hasher;
    private Salt salt;
    private int[] tokens;
    private BlockIds ids;

    @Setup(Level.Trial)
    public void setUp()
    {
        hasher = new BlockHasher(algorithm, BLOCK_TOKENS);
        salt = PrefixChains.salt(BLOCK_TOKENS, algorithm);
        tokens = new PrefixChains(1, BLOCKS, BLOCK_TOKENS, 42).tokens(0);
        ids = new BlockIds(BLOCKS);
    }

    /** Ids of all 64 blocks of the prompt; the score is per token. */
    @Benchmark
    @OperationsPerInvocation(TOKENS)
    public long hashSequence()
    {
        hasher.hashSequence(salt, tokens, TOKENS, ids);
        return ids.lo(BLOCKS - 1); // the last id depends on every block before it
    }
}
