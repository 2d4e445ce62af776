package io.kvbm4j.perf.engine;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.agrona.concurrent.OffsetEpochNanoClock;

import io.kvbm4j.api.Status;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.observe.Observability;
import io.kvbm4j.perf.pipeline.RingRefusals;

/**
 * A manager opened for one benchmark trial, with its default ring handlers (the metadata store on its own
 * thread), and the benchmark's policy for a full ring.
 *
 * <p>Every manager call publishes ring events, and the metadata handler applies registrations and
 * evictions to a Chronicle Map (about a microsecond each); a serving thread that outruns the handlers fills
 * the ring and gets {@code BACK_PRESSURED}. Two
 * policies, chosen by the benchmarks' {@code fullRing} parameter:
 * <ul>
 *   <li>{@value #SPIN}: a refused call is counted ({@link RingRefusals}) and retried inside the timed
 *       operation. The score is then the rate the whole manager sustains, handlers included: when the
 *       refusal count is high, the score measures the handlers, not the serving path.</li>
 *   <li>{@value #DRAIN}: before an invocation that could find the ring short of room, the benchmark waits,
 *       untimed, for the handlers to drain it ({@link #beforeInvocation()} from a
 *       {@code @Setup(Level.Invocation)}). The score is the serving thread's own cost, a rate the handlers
 *       do not sustain; refusals should be 0 and are still counted.</li>
 * </ul>
 * Any refusal other than {@code BACK_PRESSURED} fails the benchmark: a score must never count failed calls.
 *
 * <p>The {@code clock} parameter picks the clock stamped on events: {@value #ENGINE_CLOCK} is what
 * {@link Engines#open} wires (Agrona's {@code SystemEpochNanoClock}, which reads {@code Instant.now()});
 * {@value #OFFSET_CLOCK} is Agrona's {@link OffsetEpochNanoClock} ({@code System.nanoTime()} plus an epoch
 * offset), to compare the serving thread's allocation with and without {@code Instant}.
 *
 * <p>Owned by the benchmark thread, which is the manager's serving thread (JMH runs a thread-scoped
 * state's trial setup on the thread that then runs the benchmark).
 */
final class ManagerHarness implements AutoCloseable
{
    static final String SPIN = "spin";
    static final String DRAIN = "drain";
    static final String ENGINE_CLOCK = "engine";
    static final String OFFSET_CLOCK = "offset";
    private static final long DRAIN_TIMEOUT_SECONDS = 60;

    private final DefaultKvBlockManager manager;
    private final Observability observe;
    private final RingRefusals refusals;
    private final boolean drain;
    private final long roomPerInvocation;
    private boolean preparing = true;

    /**
     * @param overrides         configuration keys over the embedded default (see config/kvbm4j.yaml).
     * @param fullRing          {@value #SPIN} or {@value #DRAIN}.
     * @param clock             {@value #ENGINE_CLOCK} or {@value #OFFSET_CLOCK}.
     * @param roomPerInvocation ring entries one benchmark invocation publishes at most.
     */
    ManagerHarness(
        final Map<String, String> overrides, final String fullRing, final String clock,
        final RingRefusals refusals, final int roomPerInvocation)
    {
        if (!SPIN.equals(fullRing) && !DRAIN.equals(fullRing))
        {
            throw new IllegalArgumentException("fullRing must be " + SPIN + " or " + DRAIN + ", got " + fullRing);
        }
        if (!ENGINE_CLOCK.equals(clock) && !OFFSET_CLOCK.equals(clock))
        {
            throw new IllegalArgumentException("clock must be " + ENGINE_CLOCK + " or " + OFFSET_CLOCK + ", got " +
                clock);
        }
        final EngineConfig config = ConfigLoader.withOverrides(null, overrides);
        if (roomPerInvocation > config.ringSize())
        {
            throw new IllegalArgumentException("an invocation publishes " + roomPerInvocation + " events, more " +
                "than ring.size " + config.ringSize());
        }
        final Engines.Builder builder = OFFSET_CLOCK.equals(clock) ?
            Engines.builder(config).clock(new OffsetEpochNanoClock()) : Engines.builder(config);
        // kv-events / metrics keys in the overrides turn the observe module on (nothing is added otherwise)
        this.observe = Observability.attach(config, builder);
        this.manager = builder.open();
        observe.bind(manager);
        this.refusals = refusals;
        this.drain = DRAIN.equals(fullRing);
        this.roomPerInvocation = roomPerInvocation;
    }

    DefaultKvBlockManager manager()
    {
        return manager;
    }

    /**
     * Judges a manager call's result: false when it was accepted; true when the ring refused it and the
     * caller must retry (counted while measuring; while preparing, the handlers drain first); throws for
     * any other refusal.
     */
    boolean refused(final int result, final String operation)
    {
        if (result >= 0)
        {
            return false;
        }
        if (result != Status.BACK_PRESSURED)
        {
            throw new IllegalStateException(operation + " refused with " + Status.name(result) + "; counters: " +
                manager.counters());
        }
        if (preparing)
        {
            awaitDrained();
        }
        else
        {
            refusals.refused();
        }
        return true;
    }

    /** Ends preparation: from here on refusals are counted, and the handlers have caught up. */
    void prepared()
    {
        awaitDrained();
        preparing = false;
    }

    /** Under {@value #DRAIN}, waits (untimed, called from a per-invocation setup) until the ring has room. */
    void beforeInvocation()
    {
        if (drain && manager.ringRemaining() < roomPerInvocation)
        {
            awaitDrained();
        }
    }

    private void awaitDrained()
    {
        if (!manager.awaitHandlers(DRAIN_TIMEOUT_SECONDS, TimeUnit.SECONDS))
        {
            throw new IllegalStateException("ring handlers did not drain within " + DRAIN_TIMEOUT_SECONDS + " s; " +
                "counters: " + manager.counters());
        }
    }

    /**
     * Waits for the handlers to drain, prints the manager's counters (refusals, evictions, metadata
     * updates) once, and closes it. Draining first by parking keeps the close cheap: the Disruptor's
     * shutdown spins on a backlog check that allocates an iterator each time, which would show in the
     * last iteration's allocation.
     */
    @Override
    public void close()
    {
        awaitDrained();
        System.out.println("manager counters: " + manager.counters());
        manager.close();
        observe.close();
    }
}
