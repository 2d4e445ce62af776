package io.kvbm4j.torture.fault;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.gds.disk.SlotIo;
import io.kvbm4j.tiers.host.HostSlotMemory;
import io.kvbm4j.torture.soak.BlockPayload;
import io.kvbm4j.torture.soak.EngineSoakWorker;
import io.kvbm4j.torture.soak.SoakIds;

/**
 * The engine as the fault tests drive it, on the test's thread (its serving thread): the soak's configuration
 * (G1 host slots it owns, G2, G3 write-through), chains of {@link SoakIds}, and a check of every block handed
 * back against the payload derived from its id. Every call's answer is a count or a {@link Status}; a call that
 * throws fails the test.
 */
final class EngineUnderTest implements AutoCloseable
{
    private static final long SETTLE = TimeUnit.SECONDS.toNanos(60);

    final HostSlotMemory g1;
    final DefaultKvBlockManager m;
    private final int[] slots = new int[SoakIds.MAX_LENGTH];
    private final int[] fresh = new int[SoakIds.MAX_LENGTH];
    private final BlockIds ids = new BlockIds(SoakIds.MAX_LENGTH);
    private final Onboard onboard = new Onboard();
    private long requestId;
    long served;
    long wrong;
    long asked;
    long notReady;

    EngineUnderTest(final Path g3Root, final UnaryOperator<SlotIo> io, final String... extra)
    {
        final EngineConfig config = EngineSoakWorker.config(g3Root, 1024, extra);
        g1 = new HostSlotMemory(128, config.layout().blockBytes());
        DefaultKvBlockManager opened = null;
        try
        {
            opened = Engines.builder(config).g1Memory(g1).g3Io(io).open();
        }
        finally
        {
            if (opened == null)
            {
                g1.close();
            }
        }
        m = opened;
    }

    long counter(final Counter c)
    {
        return m.counters().get(c);
    }

    /** Stores the full chains [from, to), letting transfers settle after each (offline, deterministic). */
    void store(final int from, final int to)
    {
        for (int c = from; c < to; c++)
        {
            SoakIds.chain(c, SoakIds.MAX_LENGTH, ids);
            final int k = lookUp(SoakIds.MAX_LENGTH, Long.MAX_VALUE);
            int held = k;
            final int need = SoakIds.MAX_LENGTH - k;
            if (need > 0 && m.allocate(need, requestId, fresh) == need)
            {
                for (int j = 0; j < need; j++)
                {
                    final int slot = fresh[j];
                    BlockPayload.fill(g1.address(slot), (int)g1.payloadBytes(), ids.hi(k + j), ids.lo(k + j));
                    int r = m.fill(slot, EngineSoakWorker.BLOCK_TOKENS);
                    r = r < 0 ? r : m.complete(slot, ids, k + j);
                    r = r < 0 ? r : m.register(slot);
                    if (r < 0)
                    {
                        m.release(slot);
                        break;
                    }
                    slots[held++] = r;
                }
            }
            release(held);
            settle();
        }
    }

    /** Looks up the full chains [from, to); every block handed back is checked. @return blocks served. */
    long lookUp(final int from, final int to, final long onboardWaitNanos)
    {
        final long before = served;
        for (int c = from; c < to; c++)
        {
            SoakIds.chain(c, SoakIds.MAX_LENGTH, ids);
            release(lookUp(SoakIds.MAX_LENGTH, onboardWaitNanos));
        }
        return served - before;
    }

    private int lookUp(final int n, final long waitNanos)
    {
        requestId++;
        asked += n;
        int k = m.matchOnboard(ids, n, requestId, slots, onboard);
        if (k < 0)
        {
            return 0; // a status (BACK_PRESSURED, NO_SPACE): nothing held
        }
        if (onboard.pending())
        {
            int d = m.awaitOnboard(onboard, slots, Math.min(waitNanos, SETTLE));
            if (d == Status.NOT_READY)
            {
                notReady++;
                d = m.awaitOnboard(onboard, slots, SETTLE); // every onboard must be collected
            }
            k = onboard.hits() + Math.max(0, d);
        }
        for (int j = 0; j < k; j++)
        {
            served++;
            if (!BlockPayload.matches(g1.address(slots[j]), (int)g1.payloadBytes(), ids.hi(j), ids.lo(j)))
            {
                wrong++;
            }
        }
        return k;
    }

    private void release(final int held)
    {
        for (int j = held - 1; j >= 0; j--)
        {
            m.release(slots[j]);
        }
    }

    boolean settle()
    {
        return m.awaitTransfers(SETTLE, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close()
    {
        try
        {
            m.close();
        }
        finally
        {
            g1.close();
        }
    }
}
