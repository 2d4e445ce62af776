package io.kvbm4j.client;

/** An error reply of the service: its code ({@code Protocol.E_*}) and the message naming what was wrong. */
public final class KvServiceException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int code;

    public KvServiceException(final int code, final String message)
    {
        super(Protocol.errorName(code) + ": " + message);
        this.code = code;
    }

    /** The error code, one of {@code Protocol.E_*}. */
    public int code()
    {
        return code;
    }
}
