package io.kvbm4j.api;

/**
 * Status codes returned by {@link KvBlockManager} methods. Every method returns either a non-negative
 * result (a count or a slot) or one of these negative codes; nothing on the serving path throws.
 */
public final class Status
{
    /** The ring had no room for the operation's events; nothing changed. Retry later or treat as a miss. */
    public static final int BACK_PRESSURED = -1;
    /** The tier (or the metadata store) has no free or evictable block for the request; nothing changed. */
    public static final int NO_SPACE = -2;
    /** The block is not in a state that allows the operation (see {@link BlockState}); nothing changed. */
    public static final int INVALID_STATE = -3;
    /** An argument is outside its range (slot number, count, array too short); nothing changed. */
    public static final int INVALID_ARGUMENT = -4;
    /** The manager is closed. */
    public static final int CLOSED = -5;
    /** An onboard is still running; poll again later (or wait with a deadline). */
    public static final int NOT_READY = -6;

    private Status()
    {
    }

    /** True for any of the negative codes above. */
    public static boolean isError(final int result)
    {
        return result < 0;
    }

    /** Name of a code for logs and messages; a non-negative value reads as {@code "OK(n)"}. */
    public static String name(final int result)
    {
        switch (result)
        {
            case BACK_PRESSURED:
                return "BACK_PRESSURED";
            case NO_SPACE:
                return "NO_SPACE";
            case INVALID_STATE:
                return "INVALID_STATE";
            case INVALID_ARGUMENT:
                return "INVALID_ARGUMENT";
            case CLOSED:
                return "CLOSED";
            case NOT_READY:
                return "NOT_READY";
            default:
                return result >= 0 ? "OK(" + result + ")" : "UNKNOWN(" + result + ")";
        }
    }
}
