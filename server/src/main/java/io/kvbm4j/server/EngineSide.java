package io.kvbm4j.server;

import java.util.concurrent.TimeUnit;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.engine.DefaultKvBlockManager;

/**
 * Every call the service makes into the engine, in one class, so adapting to the engine's batch API
 * ({@code commit(slots, n, ids, first, requestId)}, {@code release(slots, n)}) is a change here only.
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
    private final int blockTokens;

    EngineSide(final DefaultKvBlockManager engine)
    {
        this.engine = engine;
        this.blockTokens = engine.blockTokens();
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
        for (int i = 0; i < h.count; i++)
        {
            engine.release(h.slots[i]);
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
     * Registers one written block: fill, complete with its id and parent, register (deduplicated against a
     * block already cached), then drops the service's reference so it is cached, inactive and offloaded down the
     * tiers by the write-back policy. On any refusal the slot goes back to the free pool.
     *
     * @return {@code Protocol.STORED}, {@code Protocol.DEDUPLICATED} or {@code Protocol.NOT_STORED}.
     */
    int commit(final int slot, final long hi, final long lo, final long parentHi, final long parentLo,
        final int position)
    {
        if (engine.fill(slot, blockTokens) < 0 || engine.complete(slot, hi, lo, parentHi, parentLo, position) < 0)
        {
            engine.release(slot);
            return io.kvbm4j.client.Protocol.NOT_STORED;
        }
        final int registered = engine.register(slot);
        if (registered < 0)
        {
            engine.release(slot);
            return io.kvbm4j.client.Protocol.NOT_STORED;
        }
        engine.release(registered);
        return registered == slot ? io.kvbm4j.client.Protocol.STORED : io.kvbm4j.client.Protocol.DEDUPLICATED;
    }

    /** Returns one slot of a store that will not be registered. */
    void releaseSlot(final int slot)
    {
        engine.release(slot);
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
