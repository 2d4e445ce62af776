package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;

/**
 * Base for engine tests: opens managers on a small config and, after every test, drains their handlers,
 * checks every pool invariant and closes them.
 */
public abstract class EngineFixture
{
    private final List<DefaultKvBlockManager> open = new ArrayList<>();
    private final Map<DefaultKvBlockManager, ResidencyChecker> checkers = new HashMap<>();

    /** A small config: tiny-test model, 16-token blocks, the given G1 blocks, no G2, small ring. */
    protected static EngineConfig config(final int g1Blocks, final String... extra)
    {
        final Map<String, String> overrides = new HashMap<>();
        overrides.put("model", "tiny-test");
        overrides.put("tiers.g1-blocks", Integer.toString(g1Blocks));
        overrides.put("tiers.g2-blocks", "0");
        overrides.put("ring.size", "4096");
        for (int i = 0; i < extra.length; i += 2)
        {
            overrides.put(extra[i], extra[i + 1]);
        }
        return ConfigLoader.withOverrides(null, overrides);
    }

    protected DefaultKvBlockManager open(final EngineConfig config)
    {
        return open(Engines.builder(config));
    }

    /** Opens with a {@link ResidencyChecker} on the ring, compared with the pools and the map after the test. */
    protected DefaultKvBlockManager open(final Engines.Builder builder)
    {
        final ResidencyChecker checker = new ResidencyChecker();
        final DefaultKvBlockManager m = builder.handler(checker).open();
        open.add(m);
        checkers.put(m, checker);
        return m;
    }

    /**
     * Opens with the transfer engine on an invoker: transfers move only when this thread runs their duty
     * cycle ({@link #settle}, {@code awaitOnboard}, {@code invokeTransfers}), so every step is deterministic.
     */
    protected DefaultKvBlockManager openInvoked(final EngineConfig config)
    {
        return openInvoked(Engines.builder(config));
    }

    protected DefaultKvBlockManager openInvoked(final Engines.Builder builder)
    {
        return open(builder.transferInvoker());
    }

    /**
     * Runs the transfer engine's duty cycle on this thread until every submitted transfer is applied (the
     * bound only guards a stalled ring; nothing is waited for on another thread's schedule).
     */
    protected static void settle(final DefaultKvBlockManager m)
    {
        assertTrue(!m.transfersEnabled() || m.transfersOnInvoker(), "settle drives an invoker");
        assertTrue(m.awaitTransfers(10, TimeUnit.SECONDS), "transfers settled");
    }

    @AfterEach
    void checkInvariantsAndClose()
    {
        try
        {
            for (final DefaultKvBlockManager m : open)
            {
                if (!m.isClosed())
                {
                    assertNull(m.checkInvariants(), "pool invariants after the test");
                    m.publishStartup(); // a manager reopened on G3 and not called since
                    assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS), "handlers drained");
                    assertNull(checkers.get(m).compare(m), "every tier's residency rebuilt from the ring events");
                }
            }
        }
        finally
        {
            open.forEach(DefaultKvBlockManager::close);
            open.clear();
            checkers.clear();
        }
    }

    /** Ids 1..n as a chain with a distinguishing prefix {@code base}. */
    protected static BlockIds chain(final long base, final int n)
    {
        final BlockIds ids = new BlockIds(n);
        for (int i = 0; i < n; i++)
        {
            ids.add(base, i + 1);
        }
        return ids;
    }

    /**
     * Stores a whole sequence the way a serving loop does: match, allocate the rest, fill, complete,
     * register. The caller holds a reference to every block; their slots go to {@code held}.
     *
     * @return the number of blocks that were already cached.
     */
    protected static int store(final DefaultKvBlockManager m, final BlockIds ids, final long requestId, final int[] held)
    {
        final int hits = m.match(ids, ids.size(), requestId, held);
        assertTrue(hits >= 0, "match status " + hits);
        final int missing = ids.size() - hits;
        if (missing > 0)
        {
            final int[] fresh = new int[missing];
            final int got = m.allocate(missing, requestId, fresh);
            assertTrue(got == missing, "allocate status " + got);
            for (int i = 0; i < missing; i++)
            {
                final int index = hits + i;
                assertTrue(m.fill(fresh[i], m.blockTokens()) == m.blockTokens());
                assertTrue(m.complete(fresh[i], ids, index) == 0);
                final int slot = m.register(fresh[i]);
                assertTrue(slot >= 0, "register status " + slot);
                held[index] = slot;
            }
        }
        return hits;
    }

    protected static void releaseAll(final DefaultKvBlockManager m, final int[] held, final int n)
    {
        for (int i = 0; i < n; i++)
        {
            assertTrue(m.release(held[i]) >= 0);
        }
    }
}
