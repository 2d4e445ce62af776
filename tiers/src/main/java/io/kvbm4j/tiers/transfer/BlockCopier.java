package io.kvbm4j.tiers.transfer;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * The copy step of the transfer engine, one per pair of media: host↔host ({@link HostCopier}), host↔device
 * (the CUDA copier, asynchronous on its own streams), and later file-backed stores (G3), which copy
 * synchronously from the transfer thread. All calls come from the transfer thread only.
 *
 * <p>Protocol for one transfer: {@link #copy} once per run of blocks, then {@link #finish} once; a
 * copier that returned {@link #QUEUED} from a run returns {@link TransferOutcome#PENDING} from
 * {@code finish}, and the engine calls {@link #poll} until it says {@code DONE} or {@code FAILED}.
 * A synchronous copier does the work in {@code copy} and answers {@code DONE} from {@code finish}.
 * No call may throw on a copy failure: failures are outcomes.
 */
public interface BlockCopier extends AutoCloseable
{
    /** {@link #copy} enqueued the run (asynchronous copier); the result comes from {@link #poll}. */
    int QUEUED = 5;

    /**
     * Copies {@code blocks} payloads from {@code src} slots {@code srcSlot..} to {@code dst} slots
     * {@code dstSlot..}; when {@code blocks > 1} both ranges are contiguous.
     *
     * @return {@link TransferOutcome#DONE}, {@link TransferOutcome#FAILED} or {@link #QUEUED}.
     */
    int copy(SlotMemory src, int srcSlot, SlotMemory dst, int dstSlot, int blocks, Transfer transfer);

    /** After the last run of {@code transfer}: DONE, FAILED, or PENDING when runs are still queued. */
    default int finish(final Transfer transfer)
    {
        return TransferOutcome.DONE;
    }

    /** For a PENDING transfer: PENDING, DONE or FAILED. Never blocks. */
    default int poll(final Transfer transfer)
    {
        return TransferOutcome.DONE;
    }

    /**
     * Once per duty cycle of the transfer thread, whatever is in flight: a copier with background work of its
     * own (G4's completions and health probe) does it here. Never blocks. @return the work done.
     */
    default int duty()
    {
        return 0;
    }

    /** Whether this copier moves bytes between these two memories. */
    boolean supports(SlotMemory src, SlotMemory dst);

    @Override
    default void close()
    {
    }
}
