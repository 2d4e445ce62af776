package io.kvbm4j.journal;

/** A journal excerpt kvbm4j did not write, or from another format version; names the queue index. */
public final class JournalFormatException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public JournalFormatException(final String message)
    {
        super(message);
    }
}
