package io.kvbm4j.replay;

import java.util.concurrent.atomic.LongAdder;

/**
 * Shared between a parallel replay's workers and whoever watches it: block accesses simulated so far (for
 * a progress bar, summed over all (policy, capacity) runs) and a stop flag (Ctrl-C). Thread-safe.
 */
public final class ReplayControl
{
    private final LongAdder done = new LongAdder();
    private volatile boolean stopped;

    /** Asks every worker to stop after its current request; their results so far are kept, as partial. */
    public void stop()
    {
        stopped = true; // volatile write: workers read it between requests
    }

    public boolean stopped()
    {
        return stopped;
    }

    /** Block accesses simulated so far, all runs together. */
    public long done()
    {
        return done.sum();
    }

    void add(final long accesses)
    {
        done.add(accesses);
    }
}
