package io.kvbm4j.metrics;

import java.util.concurrent.atomic.AtomicLongArray;

import io.kvbm4j.api.Counter;
import io.kvbm4j.api.EngineCounters;

/**
 * The manager's counters. Each counter has one writing thread, which updates it with a plain read and a
 * release store ({@link #increment}); readers on any thread load with acquire semantics. Counters that
 * several threads may bump (handler errors) use {@link #incrementShared}, an atomic add.
 *
 * <p>Writers: the serving thread writes the operation counters; {@link Counter#METADATA_UPDATES} is
 * written by the metadata handler thread; {@link Counter#HANDLER_ERRORS} by any handler thread.
 */
public final class CounterArray implements EngineCounters
{
    private final AtomicLongArray values = new AtomicLongArray(Counter.values().length);

    /** Single-writer increment: release store, so readers never see a torn or stale-forever value. */
    public void increment(final Counter counter)
    {
        add(counter, 1);
    }

    /** Single-writer add. */
    public void add(final Counter counter, final long delta)
    {
        final int i = counter.ordinal();
        values.setRelease(i, values.getPlain(i) + delta);
    }

    /** Multi-writer increment (atomic read-modify-write). */
    public void incrementShared(final Counter counter)
    {
        values.getAndIncrement(counter.ordinal());
    }

    @Override
    public long get(final Counter counter)
    {
        // acquire: pairs with the writer's release store
        return values.getAcquire(counter.ordinal());
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Counter c : Counter.values())
        {
            final long v = get(c);
            if (v != 0)
            {
                sb.append(c.name().toLowerCase(java.util.Locale.ROOT)).append('=').append(v).append(' ');
            }
        }
        return sb.toString().trim();
    }
}
