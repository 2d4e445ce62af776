package io.kvbm4j.config;

/**
 * The validated {@code transfers:} section plus {@code tiers.g1-memory}: how block payloads move between G1
 * and G2. Immutable.
 *
 * @param g1Memory    where G1 payloads live.
 * @param offload     when G1 blocks are copied down.
 * @param admission   which blocks are worth copying.
 * @param maxInFlight transfers worked on at once (K).
 * @param maxQueued   transfers that may wait behind them (M).
 * @param batchBlocks most blocks per transfer.
 * @param timeoutMs   deadline of a transfer after submission.
 * @param verifyG2    checksum on the way to G2, verified on the way back.
 */
public record TransferSettings(
    G1Memory g1Memory, Offload offload, Admission admission, int maxInFlight, int maxQueued, int batchBlocks,
    long timeoutMs, boolean verifyG2)
{
    /** {@code tiers.g1-memory}. */
    public enum G1Memory
    {
        /** Slot numbers only: the runtime owns the memory; nothing moves unless it hands its pointers over. */
        NONE,
        /** Host slots allocated by kvbm4j (CPU-only runs, tests). */
        HOST,
        /** A device arena through JCuda; NONE when CUDA is unavailable. */
        DEVICE;

        static G1Memory parse(final String name)
        {
            switch (name)
            {
                case "none":
                    return NONE;
                case "host":
                    return HOST;
                case "device":
                    return DEVICE;
                default:
                    return null;
            }
        }
    }

    /** {@code transfers.offload}. */
    public enum Offload
    {
        /** Copy an admitted block when its last reference goes (before it can be evicted). */
        WRITE_BACK,
        /** Copy an admitted block when it is registered. */
        WRITE_THROUGH,
        /** Never copy down. */
        OFF;

        static Offload parse(final String name)
        {
            switch (name)
            {
                case "write-back":
                    return WRITE_BACK;
                case "write-through":
                    return WRITE_THROUGH;
                case "off":
                    return OFF;
                default:
                    return null;
            }
        }
    }

    /** {@code transfers.admission}. */
    public enum Admission
    {
        /** Access count at least 2. */
        SEEN_TWICE,
        /** Every block. */
        ALWAYS;

        static Admission parse(final String name)
        {
            switch (name)
            {
                case "seen-twice":
                    return SEEN_TWICE;
                case "always":
                    return ALWAYS;
                default:
                    return null;
            }
        }
    }
}
