package io.kvbm4j.tiers.transfer;

/**
 * How one block of a transfer ended. Every block of every submitted transfer ends as exactly one of
 * {@link #DONE}, {@link #FAILED}, {@link #CANCELLED}, {@link #TIMED_OUT}; only {@code DONE} makes the
 * block resident in the target tier.
 */
public final class TransferOutcome
{
    /** Not finished yet (the only value that is not final). */
    public static final byte PENDING = 0;
    /** Copied, and the checksum (when checked) matched. */
    public static final byte DONE = 1;
    /** The copy failed, or the bytes read back did not match their checksum. */
    public static final byte FAILED = 2;
    /** Not started: the engine shut down first. */
    public static final byte CANCELLED = 3;
    /** Not finished before the transfer's deadline (a copy that ends late counts here too). */
    public static final byte TIMED_OUT = 4;

    private TransferOutcome()
    {
    }

    /** Name for messages. */
    public static String name(final int outcome)
    {
        switch (outcome)
        {
            case PENDING:
                return "PENDING";
            case DONE:
                return "DONE";
            case FAILED:
                return "FAILED";
            case CANCELLED:
                return "CANCELLED";
            case TIMED_OUT:
                return "TIMED_OUT";
            default:
                throw new IllegalStateException("unknown transfer outcome " + outcome);
        }
    }
}
