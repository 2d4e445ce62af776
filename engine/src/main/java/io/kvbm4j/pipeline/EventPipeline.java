package io.kvbm4j.pipeline;

import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.ExceptionHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.TimeoutException;
import com.lmax.disruptor.dsl.Disruptor;
import com.lmax.disruptor.dsl.ProducerType;

import io.kvbm4j.api.Counter;
import io.kvbm4j.metrics.CounterArray;

/**
 * The block-event ring: an LMAX Disruptor with preallocated {@link BlockEvent}s, one producer (the
 * serving thread) and any number of handlers, each on its own thread, each seeing every event in ring
 * order.
 *
 * <p>Claim protocol, used by the manager so that the serving thread never waits and a refused call
 * changes nothing: {@link #tryClaim(int)} first (checks capacity; returns -1 when full), then mutate
 * state and write the claimed events, then {@link #publish(long, long)}. With a single producer the
 * capacity check is exact, so {@code next(n)} after it never blocks.
 *
 * <p>A handler that throws is reported through a counting exception handler
 * ({@link Counter#HANDLER_ERRORS}) and the pipeline keeps running; the event is skipped by that handler
 * only.
 */
public final class EventPipeline implements AutoCloseable
{
    private static final System.Logger LOG = System.getLogger(EventPipeline.class.getName());

    private final Disruptor<BlockEvent> disruptor;
    private final RingBuffer<BlockEvent> ring;
    private final CounterArray counters;
    private final int ringSize;
    private boolean closed;

    /**
     * @param ringSize power of two.
     * @param handlers run in parallel after the producer, each on its own daemon thread.
     */
    public EventPipeline(
        final int ringSize, final WaitStrategyKind waitStrategy, final List<EventHandler<BlockEvent>> handlers,
        final CounterArray counters, final String threadPrefix)
    {
        this.ringSize = ringSize;
        this.counters = counters;
        this.disruptor = new Disruptor<>(
            BlockEvent::new, ringSize, daemonThreads(threadPrefix), ProducerType.SINGLE, waitStrategy.create());
        disruptor.setDefaultExceptionHandler(new CountingExceptionHandler(counters));
        if (!handlers.isEmpty())
        {
            @SuppressWarnings({"unchecked", "rawtypes"})
            final EventHandler<BlockEvent>[] array = handlers.toArray(new EventHandler[0]);
            disruptor.handleEventsWith(array);
        }
        this.ring = disruptor.start();
    }

    private static ThreadFactory daemonThreads(final String prefix)
    {
        final AtomicInteger n = new AtomicInteger();
        return r ->
        {
            final Thread t = new Thread(r, prefix + "-handler-" + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    public int ringSize()
    {
        return ringSize;
    }

    /**
     * Claims {@code n} consecutive entries without waiting.
     *
     * @return the highest claimed sequence (the first is {@code hi - n + 1}), or -1 when the ring has no
     * room (back-pressure).
     */
    public long tryClaim(final int n)
    {
        if (!ring.hasAvailableCapacity(n))
        {
            return -1;
        }
        return ring.next(n);
    }

    /** The entry at a claimed sequence. */
    public BlockEvent event(final long sequence)
    {
        return ring.get(sequence);
    }

    /** Publishes the claimed range {@code lo..hi}, making it visible to handlers. */
    public void publish(final long lo, final long hi)
    {
        ring.publish(lo, hi);
        counters.add(Counter.EVENTS_PUBLISHED, hi - lo + 1);
    }

    /** Entries free right now. */
    public long remainingCapacity()
    {
        return ring.remainingCapacity();
    }

    /**
     * Waits until every handler has processed everything published so far. For tests, tools and
     * shutdown; never called on the serving path.
     *
     * @return true when drained within the timeout.
     */
    public boolean awaitDrained(final long timeout, final TimeUnit unit)
    {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        final long target = ring.getCursor();
        while (ring.getMinimumGatingSequence() < target)
        {
            if (System.nanoTime() - deadline > 0)
            {
                return false;
            }
            LockSupport.parkNanos(50_000);
        }
        return true;
    }

    /**
     * Stops the handlers after they drain what was published, waiting at most {@code timeoutMillis};
     * past the deadline they are halted and the undrained events are reported once.
     */
    public void close(final long timeoutMillis)
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            disruptor.shutdown(timeoutMillis, TimeUnit.MILLISECONDS);
        }
        catch (final TimeoutException ex)
        {
            LOG.log(System.Logger.Level.WARNING, "ring handlers did not drain within {0} ms; halting with {1} " +
                "events unprocessed", timeoutMillis, ring.getCursor() - ring.getMinimumGatingSequence());
            disruptor.halt();
        }
    }

    @Override
    public void close()
    {
        close(5_000);
    }

    /** Counts handler failures; the handler moves on to the next event. */
    static final class CountingExceptionHandler implements ExceptionHandler<BlockEvent>
    {
        private final CounterArray counters;
        private volatile boolean reported;

        CountingExceptionHandler(final CounterArray counters)
        {
            this.counters = counters;
        }

        @Override
        public void handleEventException(final Throwable ex, final long sequence, final BlockEvent event)
        {
            counters.incrementShared(Counter.HANDLER_ERRORS);
            if (!reported)
            {
                reported = true; // a rare fault: log the first one, count them all
                LOG.log(System.Logger.Level.ERROR, "ring handler failed on event " + sequence + " " + event +
                    " (further failures are counted in handler_errors)", ex);
            }
        }

        @Override
        public void handleOnStartException(final Throwable ex)
        {
            counters.incrementShared(Counter.HANDLER_ERRORS);
            LOG.log(System.Logger.Level.ERROR, "ring handler failed to start", ex);
        }

        @Override
        public void handleOnShutdownException(final Throwable ex)
        {
            counters.incrementShared(Counter.HANDLER_ERRORS);
            LOG.log(System.Logger.Level.ERROR, "ring handler failed to shut down", ex);
        }
    }
}
