package io.kvbm4j.replay;

/** A trace that cannot be replayed; the message reads {@code FILE:LINE: what is wrong}. */
public final class TraceException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public TraceException(final String message)
    {
        super(message);
    }

    public TraceException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
