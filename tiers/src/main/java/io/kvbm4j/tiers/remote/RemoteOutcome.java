package io.kvbm4j.tiers.remote;

/** How a G4 call ended, as {@link RemoteTierListener#onComplete} reports it. Nothing is thrown for a remote failure. */
public final class RemoteOutcome
{
    /** A lookup answered, a read verified, a write stored. */
    public static final int OK = 0;
    /** Write: the key already held a value (write-once); the block is in G4. */
    public static final int ALREADY_PRESENT = 1;
    /** Read: no value under the key. */
    public static final int MISS = 2;
    /** Read: the value failed verification (id, salt, length or checksum); the store deleted the key. */
    public static final int CORRUPT = 3;
    /** No answer before the call's deadline: a miss, or a failed write. */
    public static final int TIMED_OUT = 4;
    /** The store answered an error or could not be reached. */
    public static final int FAILED = 5;
    /** Read: the payload is larger than the destination (a miss; the key is kept). */
    public static final int TOO_LARGE = 6;
    /** The store closed before the call finished. */
    public static final int CLOSED = 7;

    private static final String[] NAMES = {"OK", "ALREADY_PRESENT", "MISS", "CORRUPT", "TIMED_OUT", "FAILED",
        "TOO_LARGE", "CLOSED"};

    private RemoteOutcome()
    {
    }

    /** The outcome's name, for messages. */
    public static String name(final int outcome)
    {
        return outcome >= 0 && outcome < NAMES.length ? NAMES[outcome] : "UNKNOWN(" + outcome + ")";
    }
}
