package io.kvbm4j.observe;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.engine.DefaultKvBlockManager;

/**
 * A small deterministic serving loop for tests: requests of a shared prefix (one of a few families) and a
 * unique tail, each matched, the missing blocks allocated, filled, completed and registered, then released.
 * Enough to register, evict, offload and hit blocks in every configured tier.
 */
public final class TinyServing
{
    private final DefaultKvBlockManager manager;
    private final Random random;
    private final BlockIds ids = new BlockIds(64);
    private final int[] held = new int[64];
    private final int[] fresh = new int[64];
    private long request;

    public TinyServing(final DefaultKvBlockManager manager, final long seed)
    {
        this.manager = manager;
        this.random = new Random(seed);
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
            if (allocated > 0)
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
