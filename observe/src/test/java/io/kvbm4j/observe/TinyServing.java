package io.kvbm4j.observe;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.engine.DefaultKvBlockManager;

/**
 * A small deterministic serving loop for tests: requests of a shared prefix (one of a few families) and a
 * unique tail, each matched, the missing blocks allocated, filled, completed and registered, then released.
 * Enough to register, evict, offload and hit blocks in every configured tier.
 *
 * <p>With tokens on, requests of families 0..3 commit their new blocks with tokens ({@link #tokensOf}, a function of
 * the block id) and families 4..5 register by bare id, so a run has both kinds.
 */
public final class TinyServing
{
    private final DefaultKvBlockManager manager;
    private final Random random;
    private final BlockIds ids = new BlockIds(64);
    private final int[] held = new int[64];
    private final int[] fresh = new int[64];
    private final boolean withTokens;
    private final int[] tokens;
    /** Low id halves of the blocks of token families. */
    private final java.util.Set<Long> tokenBlocks = new java.util.HashSet<>();
    private long request;

    public TinyServing(final DefaultKvBlockManager manager, final long seed)
    {
        this(manager, seed, false);
    }

    public TinyServing(final DefaultKvBlockManager manager, final long seed, final boolean withTokens)
    {
        this.manager = manager;
        this.random = new Random(seed);
        this.withTokens = withTokens;
        this.tokens = new int[64 * manager.blockTokens()];
    }

    /** The tokens of the block whose id's low half is {@code idLo} (any block size). */
    public static int[] tokensOf(final long idLo, final int blockTokens)
    {
        final int[] t = new int[blockTokens];
        for (int i = 0; i < blockTokens; i++)
        {
            t[i] = (int)(mix(idLo + i) >>> 44); // vocabulary-sized, never negative
        }
        return t;
    }

    /** Whether the block whose id's low half is {@code idLo} is committed with its tokens. */
    public boolean committedWithTokens(final long idLo)
    {
        return tokenBlocks.contains(idLo);
    }

    /** Serves {@code n} requests one after another. */
    public void serve(final int n)
    {
        for (int i = 0; i < n; i++)
        {
            if (manager.ringRemaining() < manager.config().ringSize() / 2 &&
                !manager.awaitHandlers(30, TimeUnit.SECONDS))
            {
                throw new AssertionError("ring handlers did not drain");
            }
            one();
        }
    }

    /** Waits for transfers and ring handlers to finish what was submitted. */
    public void settle()
    {
        if (!manager.awaitTransfers(30, TimeUnit.SECONDS) || !manager.awaitHandlers(30, TimeUnit.SECONDS))
        {
            throw new AssertionError("transfers or ring handlers did not settle");
        }
    }

    private void one()
    {
        final long id = ++request;
        ids.clear();
        final int family = random.nextInt(6);
        final int shared = 3 + random.nextInt(3);
        long parent = 0;
        for (int b = 0; b < shared; b++)
        {
            parent = mix(family * 1_000_003L + b * 31L + 7);
            ids.add(mix(parent ^ 0x5bd1e995L), parent);
        }
        final int tail = 1 + random.nextInt(4);
        final boolean repeat = random.nextInt(3) == 0; // a third of the tails were seen before
        final long tailSeed = repeat ? random.nextInt(20) : 1_000_000L + id;
        for (int b = 0; b < tail; b++)
        {
            final long lo = mix(tailSeed * 7_919L + b + 13L * family);
            ids.add(mix(lo + 1), lo);
        }
        final int count = ids.size();
        final boolean tokenFamily = withTokens && family < 4;
        if (tokenFamily)
        {
            for (int b = 0; b < count; b++)
            {
                tokenBlocks.add(ids.lo(b));
            }
        }
        int k = manager.match(ids, count, id, held);
        if (k < 0)
        {
            throw new AssertionError("match refused: " + k);
        }
        final int missing = count - k;
        int n = 0;
        if (missing > 0)
        {
            final int allocated = manager.allocate(missing, id, fresh);
            if (allocated > 0 && tokenFamily)
            {
                final int bt = manager.blockTokens();
                for (int j = 0; j < allocated; j++)
                {
                    System.arraycopy(tokensOf(ids.lo(k + j), bt), 0, tokens, j * bt, bt);
                }
                check(manager.commit(fresh, allocated, ids, k, id, tokens, 0), "commit");
                System.arraycopy(fresh, 0, held, k, allocated);
                n = allocated;
            }
            else if (allocated > 0)
            {
                for (int j = 0; j < allocated; j++)
                {
                    final int slot = fresh[j];
                    check(manager.fill(slot, manager.blockTokens()), "fill");
                    check(manager.complete(slot, ids, k + j), "complete");
                    held[k + n++] = check(manager.register(slot), "register");
                }
            }
        }
        for (int j = 0; j < k + n; j++)
        {
            check(manager.release(held[j]), "release");
        }
    }

    private static int check(final int result, final String what)
    {
        if (result < 0)
        {
            throw new AssertionError(what + " refused: " + result);
        }
        return result;
    }

    static long mix(final long x)
    {
        long z = x + 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
