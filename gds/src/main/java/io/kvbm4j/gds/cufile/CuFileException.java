package io.kvbm4j.gds.cufile;

/** A set-up call (open, register, properties) failed; {@link #status()} says how. Never thrown by I/O calls. */
public final class CuFileException extends Exception
{
    private static final long serialVersionUID = 1L;

    private final CuFileStatus status;

    public CuFileException(final CuFileStatus status, final String message)
    {
        super(message);
        this.status = status;
    }

    public CuFileStatus status()
    {
        return status;
    }
}
