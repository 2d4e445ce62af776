package io.kvbm4j.replay;

/** Streams the requests of a trace in order. */
public interface TraceReader extends AutoCloseable
{
    /**
     * Reads the next request into {@code into}.
     *
     * @return false at the end of the trace.
     * @throws TraceException for malformed input, naming the file and line.
     */
    boolean next(TraceRequest into);

    /** Bytes read so far (for progress), or -1 when unknown. */
    long bytesRead();

    /** Total bytes, or -1 when unknown. */
    long totalBytes();

    @Override
    void close();
}
