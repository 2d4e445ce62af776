package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.identity.BlockHasher;
import io.kvbm4j.identity.Salt;

/** The serving loop of README.md and docs/EMBEDDING.md, compiled and run, so the example stays true. */
class EmbeddingExampleTest
{
    @Test
    void readmeServingLoopCachesASharedPrefixAcrossRequests()
    {
        final EngineConfig config = ConfigLoader.withOverrides(null, java.util.Map.of("tiers.g2-blocks", "0"));
        final int[] tokens = new int[1000];
        final SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < tokens.length; i++)
        {
            tokens[i] = r.nextInt(128_000);
        }
        try (DefaultKvBlockManager kv = Engines.open(config))
        {
            final BlockHasher hasher = new BlockHasher(config.hash(), config.blockTokens());
            final Salt salt = config.saltRecord().salt(config.hash());
            final BlockIds ids = new BlockIds(256);
            final int[] held = new int[256];
            final int[] fresh = new int[256];
            final int[] hits = new int[2];
            for (int request = 0; request < 2; request++)
            {
                final int tokenCount = request == 0 ? 600 : 1000; // the second extends the first
                // --- the loop as documented ---
                final int n = hasher.hashSequence(salt, tokens, tokenCount, ids);
                final int hit = Math.max(0, kv.match(ids, n, request, held));
                int stored = hit;
                if (kv.allocate(n - hit, request, fresh) == n - hit)
                {
                    // the model writes the KV of blocks hit .. n-1 into fresh[0 .. n-hit)
                    if (kv.commit(fresh, n - hit, ids, hit, request) == n - hit) // one event; fresh[i] may dedup
                    {
                        System.arraycopy(fresh, 0, held, hit, n - hit);
                        stored = n;
                    }
                }
                kv.release(held, stored); // when the request ends; never BACK_PRESSURED
                // --- end ---
                hits[request] = hit;
            }
            assertEquals(0, hits[0]);
            assertEquals(600 / 16, hits[1], "the second request finds the first one's 37 full blocks");
            assertEquals(1000 / 16, kv.counters().get(Counter.REGISTERED_BLOCKS));
            assertNull(kv.checkInvariants());
        }
    }
}
