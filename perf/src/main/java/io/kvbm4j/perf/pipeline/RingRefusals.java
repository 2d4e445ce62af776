package io.kvbm4j.perf.pipeline;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Secondary result of the ring-backed benchmarks: how often the ring had no room and the measured code
 * had to retry, so that a score never silently measures refusals. A manager call refused with
 * {@code BACK_PRESSURED}, or a ring claim refused by {@code tryClaim}, counts once per attempt.
 *
 * <p>JMH reports it as {@code :backPressured}, the number of refused attempts in an iteration (an
 * {@link AuxCounters.Type#EVENTS} counter, summed over threads; JMH's summary line for it is the total
 * over all measured iterations). Zero is the expected value in {@code fullRing=drain} runs.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class RingRefusals
{
    /** Attempts refused because the ring was full, in this iteration. */
    public long backPressured;

    @Setup(Level.Iteration)
    public void reset()
    {
        backPressured = 0;
    }

    /** Counts one refused attempt and hints the CPU that the caller spins before retrying. */
    public void refused()
    {
        backPressured++;
        Thread.onSpinWait();
    }
}
