package io.kvbm4j.server;

import java.util.concurrent.TimeUnit;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.client.Protocol;
import io.kvbm4j.engine.DefaultKvBlockManager;

/**
 * Every call the service makes into the engine, in one class: {@code matchOnboard} / {@code pollOnboard},
 * {@code allocate}, the batch {@code commit(slots, n, ids, first, requestId)} and {@code release(slots, n)}.
 *
 * <p>Owned by the serving thread, like the manager it wraps (the manager checks that by {@code assert}).
 *
 * <p>The engine's first tier (G1, the slots its API hands out) is the service's shared-memory file: the clients
 * of the node play the runtime. Its G2 (private host memory) and G3 (disk) sit below it and are fed by the usual
 * write-back policy; a LOOKUP continues the prefix there and onboards it into shared memory.
 */
final class EngineSide implements AutoCloseable
{
    private final DefaultKvBlockManager engine;
    private final BlockIds positioned = new BlockIds(Protocol.MAX_BLOCKS + 1);
    private final int[] run = new int[Protocol.MAX_BLOCKS];
    private final int[] rejected = new int[Protocol.MAX_BLOCKS];

    EngineSide(final DefaultKvBlockManager engine)
    {
        this.engine = engine;
    }

    /**
     * Pins the cached prefix of {@code ids[0..n)} in G1 and schedules the onboard of its continuation in G2/G3.
     *
     * @return the prefix (hits + scheduled, {@code h.count} = hits, {@code h.scheduled} = scheduled) or a
     * negative {@link Status}.
     */
    int lookup(final BlockIds ids, final int n, final long requestId, final Handle h)
    {
        final int r = engine.matchOnboard(ids, n, requestId, h.slots(n), h.onboard);
        if (r >= 0)
        {
            h.count = h.onboard.hits();
            h.scheduled = h.onboard.scheduled();
        }
        return r;
    }

    /**
     * Collects a lease's onboard if it finished. @return the blocks that arrived (added to {@code h.count}),
     * 0 when none was pending, or {@link Status#NOT_READY}.
     */
    int poll(final Handle h)
    {
        if (!h.onboard.pending())
        {
            return 0;
        }
        final int r = engine.pollOnboard(h.onboard, h.slots);
        if (r == Status.NOT_READY)
        {
            return r;
        }
        final int arrived = Math.max(r, 0);
        h.count += arrived;
        h.scheduled = 0;
        return arrived;
    }

    /** Drops the references a handle holds on its slots (a lease's blocks, or a store's unregistered slots). */
    void releaseAll(final Handle h)
    {
        if (h.count > 0)
        {
            engine.release(h.slots, h.count);
        }
        h.count = 0;
    }

    /** Allocates {@code n} slots for a store into {@code h.slots}. @return n or a negative {@link Status}. */
    int allocate(final int n, final long requestId, final Handle h)
    {
        final int r = engine.allocate(n, requestId, h.slots(n));
        if (r >= 0)
        {
            h.count = r;
        }
        return r;
    }

    /**
     * Registers a store's written blocks with the batch API: every run of consecutive verified blocks is one
     * {@code commit} (fill, complete, register, deduplicated per block) and one {@code release} (the blocks stay
     * cached, inactive, and are written back down the tiers by the policy); the blocks that failed verification go
     * back to the free pool in one {@code release}.
     *
     * @param verified  per block of the store, whether its checksum matched.
     * @param outcomes  receives per block {@code Protocol.STORED}, {@code DEDUPLICATED}, {@code CHECKSUM_MISMATCH}
     *                  or {@code NOT_STORED}.
     */
    void commit(final Handle h, final boolean[] verified, final byte[] outcomes, final long requestId)
    {
        final int n = h.count;
        // the batch API reads block p's id at index p and its parent at p - 1: lay the store's ids out by position
        positioned.clear();
        final int parents = h.first > 0 ? 1 : 0;
        for (int p = 0; p < h.first - parents; p++)
        {
            positioned.add(0, 0);
        }
        for (int i = 0; i < h.ids.size(); i++)
        {
            positioned.add(h.ids.hi(i), h.ids.lo(i));
        }
        int bad = 0;
        for (int a = 0; a < n; )
        {
            if (!verified[a])
            {
                outcomes[a] = (byte)Protocol.CHECKSUM_MISMATCH;
                rejected[bad++] = h.slots[a++];
                continue;
            }
            int b = a;
            while (b < n && verified[b])
            {
                run[b - a] = h.slots[b];
                b++;
            }
            final int len = b - a;
            if (engine.commit(run, len, positioned, h.first + a, requestId) < 0)
            {
                for (int i = a; i < b; i++)
                {
                    outcomes[i] = (byte)Protocol.NOT_STORED;
                    rejected[bad++] = h.slots[i];
                }
            }
            else
            {
                for (int i = a; i < b; i++)
                {
                    outcomes[i] = (byte)(run[i - a] == h.slots[i] ? Protocol.STORED : Protocol.DEDUPLICATED);
                }
                engine.release(run, len);
            }
            a = b;
        }
        if (bad > 0)
        {
            engine.release(rejected, bad);
        }
        h.count = 0;
    }

    /**
     * Lets transfers progress while no request calls in: applies finished copies and submits staged offloads
     * (the engine does that at the top of each call). Cheap; no wait.
     */
    void idle()
    {
        engine.awaitTransfers(0, TimeUnit.NANOSECONDS);
    }

    /** Waits (shutdown only) until submitted transfers are applied, so written-back blocks reach G2 and G3. */
    boolean settle(final long timeoutMs)
    {
        return engine.awaitTransfers(timeoutMs, TimeUnit.MILLISECONDS);
    }

    long counter(final Counter counter)
    {
        return engine.counters().get(counter);
    }

    /** The pools' invariants, for tests: null when they hold. */
    String checkInvariants()
    {
        return engine.checkInvariants();
    }


    @Override
    public void close()
    {
        engine.close();
    }
}
