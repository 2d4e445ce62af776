package io.kvbm4j.api;

/**
 * Lifecycle of a block slot in one tier.
 *
 * <pre>
 *   RESET --allocate--> PARTIAL --fill..complete--> COMPLETE --register--> REGISTERED
 *     ^                    |                           |                    (ACTIVE while refs > 0,
 *     +------release-------+-----------release---------+                     INACTIVE at 0)
 *     +-------------------------------evict (INACTIVE leaf only)-----------------+
 * </pre>
 */
public enum BlockState
{
    /** Free: in the pool's free list, holds nothing. */
    RESET(0),
    /** Handed to a request and being filled with tokens; not matchable. */
    PARTIAL(1),
    /** Full and its id is known; not yet indexed, not matchable. */
    COMPLETE(2),
    /** Indexed by id, matchable and shareable; ACTIVE while its reference count is above 0. */
    REGISTERED(3);

    private final int code;

    BlockState(final int code)
    {
        this.code = code;
    }

    /** The value stored in off-heap records. */
    public int code()
    {
        return code;
    }

    /** Inverse of {@link #code()}. */
    public static BlockState fromCode(final int code)
    {
        switch (code)
        {
            case 0:
                return RESET;
            case 1:
                return PARTIAL;
            case 2:
                return COMPLETE;
            case 3:
                return REGISTERED;
            default:
                throw new IllegalStateException("unknown block state code " + code);
        }
    }
}
