package io.kvbm4j.pipeline;

import com.lmax.disruptor.BlockingWaitStrategy;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.SleepingWaitStrategy;
import com.lmax.disruptor.WaitStrategy;
import com.lmax.disruptor.YieldingWaitStrategy;

/**
 * How ring handlers wait for events. The publisher (the serving thread) never waits under any of them;
 * they differ in handler CPU use and wake-up latency.
 */
public enum WaitStrategyKind
{
    /** Spin, then yield, then park 100 µs: no cost to the publisher, little CPU when idle. The default. */
    SLEEPING("sleeping"),
    /** Spin then yield: lower latency, one core per handler when busy. */
    YIELDING("yielding"),
    /** Lock and condition: least CPU, but the publisher signals when handlers sleep. */
    BLOCKING("blocking"),
    /** Spin: lowest latency, a dedicated core per handler. */
    BUSY_SPIN("busy-spin");

    /** Sleeping: spins, then yields, before the first park (Disruptor's default). */
    static final int SLEEP_RETRIES = 200;
    /** Sleeping: how long an idle handler parks between looks at the ring. */
    static final long SLEEP_NANOS = 100_000;

    private final String configName;

    WaitStrategyKind(final String configName)
    {
        this.configName = configName;
    }

    public String configName()
    {
        return configName;
    }

    /** A new wait strategy of this kind. */
    public WaitStrategy create()
    {
        switch (this)
        {
            case SLEEPING:
                // Disruptor's default sleeps 100 ns, which wakes an idle handler tens of thousands of times a second
                // (a few per cent of a core each, charged to every idle moment); 100 µs is what this kind promises.
                return new SleepingWaitStrategy(SLEEP_RETRIES, SLEEP_NANOS);
            case YIELDING:
                return new YieldingWaitStrategy();
            case BLOCKING:
                return new BlockingWaitStrategy();
            case BUSY_SPIN:
                return new BusySpinWaitStrategy();
            default:
                throw new IllegalStateException("unknown wait strategy " + this);
        }
    }

    /** @return the kind, or {@code null} for an unknown spelling. */
    public static WaitStrategyKind parse(final String name)
    {
        for (final WaitStrategyKind k : values())
        {
            if (k.configName.equals(name))
            {
                return k;
            }
        }
        return null;
    }
}
