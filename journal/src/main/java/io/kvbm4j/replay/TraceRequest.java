package io.kvbm4j.replay;

import io.kvbm4j.api.BlockIds;

/**
 * One request of a trace, reused by the reader for every line (no allocation per request once the id
 * list has grown). Valid until the next call to the reader.
 */
public final class TraceRequest
{
    /** The request's block ids, position 0 first. Trace ids {@code x} are stored as (0, x). */
    public final BlockIds ids = new BlockIds(256);
    /** Arrival time in milliseconds, or -1 when the trace does not give one. */
    public long timestampMs;
    /** 1-based line (or record) number, for messages. */
    public long line;
}
