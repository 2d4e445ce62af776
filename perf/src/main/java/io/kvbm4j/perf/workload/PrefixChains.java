package io.kvbm4j.perf.workload;

import java.util.SplittableRandom;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.identity.BlockHasher;
import io.kvbm4j.identity.HashAlgorithm;
import io.kvbm4j.identity.Salt;
import io.kvbm4j.identity.SaltRecord;

/**
 * Token sequences and their block-id chains, as a benchmark's input: {@code chains} independent prompts
 * of {@code blocks} full blocks each, with random token ids from a Llama-3-sized vocabulary, hashed with
 * the engine's own {@link BlockHasher} (XXH3-128) under one model's salt. Immutable once built; built in
 * {@code @Setup}.
 */
public final class PrefixChains
{
    /** Llama 3's vocabulary size: token ids are drawn from {@code 0 .. VOCABULARY-1}. */
    public static final int VOCABULARY = 128_256;

    private final int blockTokens;
    private final int[][] tokens;
    private final BlockIds[] ids;

    /**
     * @param chains      number of sequences.
     * @param blocks      full blocks per sequence.
     * @param blockTokens tokens per block.
     * @param seed        seeds the tokens; the same seed gives the same chains.
     */
    public PrefixChains(final int chains, final int blocks, final int blockTokens, final long seed)
    {
        this.blockTokens = blockTokens;
        final SplittableRandom random = new SplittableRandom(seed);
        final HashAlgorithm algorithm = HashAlgorithm.XXH3_128;
        final Salt salt = salt(blockTokens, algorithm);
        final BlockHasher hasher = new BlockHasher(algorithm, blockTokens);
        tokens = new int[chains][blocks * blockTokens];
        ids = new BlockIds[chains];
        for (int c = 0; c < chains; c++)
        {
            for (int t = 0; t < tokens[c].length; t++)
            {
                tokens[c][t] = random.nextInt(VOCABULARY);
            }
            ids[c] = new BlockIds(blocks);
            hasher.hashSequence(salt, tokens[c], tokens[c].length, ids[c]);
        }
    }

    /** The salt every benchmark uses: Llama 3.1 8B, bf16, default tenant, base model. */
    public static Salt salt(final int blockTokens, final HashAlgorithm algorithm)
    {
        return new SaltRecord("llama-3.1-8b", "main", "bf16", blockTokens, 1, "default", "", 0).salt(algorithm);
    }

    public int chains()
    {
        return ids.length;
    }

    public int blocksPerChain()
    {
        return ids[0].size();
    }

    public int blockTokens()
    {
        return blockTokens;
    }

    /** Block ids of chain {@code c} (do not modify). */
    public BlockIds ids(final int c)
    {
        return ids[c];
    }

    /** Tokens of chain {@code c} (do not modify). */
    public int[] tokens(final int c)
    {
        return tokens[c];
    }
}
