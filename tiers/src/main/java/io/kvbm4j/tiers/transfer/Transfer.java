package io.kvbm4j.tiers.transfer;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * One transfer request: up to {@link #maxBlocks()} blocks copied from one tier's slots to another's.
 * A preallocated, reusable record; nothing is allocated per transfer.
 *
 * <p>Ownership moves with the record: the serving thread fills it and submits it through the engine's
 * request queue; from then the transfer thread owns it until it hands it back through the completion
 * queue; the queues' release/acquire ordering publishes every field written before the hand-over.
 * A record is never touched by both threads at once.
 *
 * <p>Integrity: {@link #checksums} holds, for an offload, the XXH3-64 of each block's payload taken on the
 * way down (filled by the transfer thread), and for an onboard the checksum each block must still have
 * when read back (filled by the submitter). {@link #mismatch} marks blocks whose bytes failed that check.
 */
public final class Transfer
{
    /** Copy to a lower tier (G1 → G2): the destination is written, its checksum taken. */
    public static final int OFFLOAD = 1;
    /** Copy to a higher tier (G2 → G1): the source is read back and verified. */
    public static final int ONBOARD = 2;

    private final int index;
    private int direction;
    private int count;
    private long deadlineNanos;
    private boolean checksummed;
    private SlotMemory source;
    private SlotMemory destination;
    final int[] srcSlots;
    final int[] dstSlots;
    final long[] checksums;
    final byte[] outcomes;
    final boolean[] mismatch;
    /** Onboards: the source's bytes were verified against their checksum just before (a copy is compared to them). */
    final boolean[] sourceVerified;
    /** The copier's handle for an asynchronous copy in flight (an event index); transfer thread only. */
    long copyHandle;
    /** When the owner submitted it (the engine's clock, set by {@code TransferEngine.submit}). */
    long submittedNanos;
    /** When the transfer thread posted it completed (the engine's clock). */
    long completedNanos;
    /** Owner's bookkeeping (for example a ticket generation); never read by the transfer engine. */
    public long tag;
    /** Owner's bookkeeping (for example the caller's request id); never read by the transfer engine. */
    public long requestId;

    Transfer(final int index, final int maxBlocks)
    {
        this.index = index;
        this.srcSlots = new int[maxBlocks];
        this.dstSlots = new int[maxBlocks];
        this.checksums = new long[maxBlocks];
        this.outcomes = new byte[maxBlocks];
        this.mismatch = new boolean[maxBlocks];
        this.sourceVerified = new boolean[maxBlocks];
    }

    /**
     * Nanoseconds from its submission to its completion (queueing, copy, verification), on the engine's clock;
     * read by the owner after it polled the record completed.
     */
    public long latencyNanos()
    {
        return completedNanos - submittedNanos;
    }

    /** The outcome of the whole transfer: DONE when every block is DONE, else the first other block outcome. */
    public byte outcome()
    {
        for (int i = 0; i < count; i++)
        {
            if (outcomes[i] != TransferOutcome.DONE)
            {
                return outcomes[i];
            }
        }
        return TransferOutcome.DONE;
    }

    /** Position of this record in its engine's pool, stable for the engine's life. */
    public int index()
    {
        return index;
    }

    public int maxBlocks()
    {
        return srcSlots.length;
    }

    /**
     * Starts a new request (owner thread, before submit).
     *
     * @param checksummed take (offload) or verify (onboard) a checksum of every block.
     */
    public void begin(
        final int direction, final SlotMemory source, final SlotMemory destination, final long deadlineNanos,
        final boolean checksummed)
    {
        if (direction != OFFLOAD && direction != ONBOARD)
        {
            throw new IllegalArgumentException("direction must be OFFLOAD or ONBOARD: " + direction);
        }
        this.direction = direction;
        this.source = source;
        this.destination = destination;
        this.deadlineNanos = deadlineNanos;
        this.checksummed = checksummed;
        this.count = 0;
        this.copyHandle = -1;
    }

    /** Moves the deadline (owner thread, before submit): a batch staged a while is timed from its submission. */
    public void deadlineNanos(final long deadlineNanos)
    {
        this.deadlineNanos = deadlineNanos;
    }

    /**
     * Appends a block (owner thread, before submit).
     *
     * @param expectedChecksum for an onboard, the checksum the source must match; ignored for an offload.
     * @return false when the record is full.
     */
    public boolean add(final int srcSlot, final int dstSlot, final long expectedChecksum)
    {
        return add(srcSlot, dstSlot, expectedChecksum, false);
    }

    /**
     * Appends a block (owner thread, before submit).
     *
     * @param expectedChecksum for an onboard, the checksum the source must match; ignored for an offload.
     * @param sourceVerified   for an onboard from host memory: the source's bytes were proven to have
     *                         {@code expectedChecksum} just before this record (a read the lower tier verified),
     *                         so the copy is checked by comparing it with them instead of hashing it.
     * @return false when the record is full.
     */
    public boolean add(final int srcSlot, final int dstSlot, final long expectedChecksum, final boolean sourceVerified)
    {
        if (count == srcSlots.length)
        {
            return false;
        }
        srcSlots[count] = srcSlot;
        dstSlots[count] = dstSlot;
        checksums[count] = expectedChecksum;
        outcomes[count] = TransferOutcome.PENDING;
        mismatch[count] = false;
        this.sourceVerified[count] = sourceVerified;
        count++;
        return true;
    }

    /** Whether block {@code i}'s source was verified just before (see {@link #add(int, int, long, boolean)}). */
    public boolean sourceVerified(final int i)
    {
        return sourceVerified[i];
    }

    public int direction()
    {
        return direction;
    }

    public int count()
    {
        return count;
    }

    public boolean isFull()
    {
        return count == srcSlots.length;
    }

    public long deadlineNanos()
    {
        return deadlineNanos;
    }

    public boolean checksummed()
    {
        return checksummed;
    }

    public SlotMemory source()
    {
        return source;
    }

    public SlotMemory destination()
    {
        return destination;
    }

    public int srcSlot(final int i)
    {
        return srcSlots[i];
    }

    public int dstSlot(final int i)
    {
        return dstSlots[i];
    }

    /** Offload: the checksum taken; onboard: the checksum expected. */
    public long checksum(final int i)
    {
        return checksums[i];
    }

    /** One of {@link TransferOutcome}'s values. */
    public byte outcome(final int i)
    {
        return outcomes[i];
    }

    /** True when block i failed because its bytes did not match their checksum. */
    public boolean checksumMismatch(final int i)
    {
        return mismatch[i];
    }

    /** The last outcome of the last block of the last run: for messages in tests. */
    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("Transfer[").append(direction == OFFLOAD ? "offload" : "onboard");
        for (int i = 0; i < count; i++)
        {
            sb.append(' ').append(srcSlots[i]).append("->").append(dstSlots[i]).append(':')
                .append(TransferOutcome.name(outcomes[i]));
        }
        return sb.append(']').toString();
    }

    /**
     * Settles block {@code i} with a final outcome if it is still PENDING (an asynchronous copier's
     * per-block failure, reported before it answers DONE from {@link BlockCopier#poll}). Transfer thread.
     */
    public void settle(final int i, final byte outcome)
    {
        if (outcomes[i] == TransferOutcome.PENDING)
        {
            outcomes[i] = outcome;
        }
    }

    void settlePending(final byte outcome)
    {
        for (int i = 0; i < count; i++)
        {
            if (outcomes[i] == TransferOutcome.PENDING)
            {
                outcomes[i] = outcome;
            }
        }
    }
}
