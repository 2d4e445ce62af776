package io.kvbm4j.gds.disk;

/** The G3 tier could not open: the message names the setting or the reason (space, GDS, file). */
public final class DiskTierException extends Exception
{
    private static final long serialVersionUID = 1L;

    public DiskTierException(final String message)
    {
        super(message);
    }

    public DiskTierException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
