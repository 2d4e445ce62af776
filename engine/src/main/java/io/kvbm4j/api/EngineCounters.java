package io.kvbm4j.api;

/**
 * Monotonic counters of a manager. Readable from any thread: each value is written by one thread with
 * release semantics and read with acquire semantics, so a reader sees a recent value, never a torn one.
 */
public interface EngineCounters
{
    /** Current value of a counter. */
    long get(Counter counter);
}
