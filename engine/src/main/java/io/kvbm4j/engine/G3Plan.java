package io.kvbm4j.engine;

import io.kvbm4j.tiers.transfer.Transfer;

/**
 * What one transfer record carries for the {@link G3Copier} beyond the {@link Transfer}
 * itself: each block's id (the disk tier finds blocks by id, not by slot), the disk status it ended with, the
 * checksum of what a read put in G2, and the G3 evictions to do on disk before the record's writes.
 *
 * <p>One plan per record, preallocated. While the record's asynchronous I/O runs the plan also carries its
 * progress (next block to submit, blocks in flight); the record is handed back only when none is in flight,
 * so nothing the I/O threads touch (the G2 slot) is released under a running I/O. Ownership moves with the
 * record: the serving thread fills the plan before it submits the record and reads it after it polled the
 * completion; the transfer thread owns it in between (the engine's queues order those accesses, as for the
 * record's own fields).
 */
final class G3Plan
{
    /** {@link #status} not yet set by the copier: not submitted to the disk tier yet. */
    static final byte NO_STATUS = -1;
    /** {@link #status} of a block whose asynchronous I/O is in flight (submitted, completion not yet collected). */
    static final byte IN_FLIGHT = -3;

    final long[] idHi;
    final long[] idLo;
    /** Per block: a {@link io.kvbm4j.gds.disk.DiskStatus} ordinal, {@link #IN_FLIGHT} or {@link #NO_STATUS}. */
    final byte[] status;
    /** Per block read into G2: the G2 copy's checksum (0 when reads are not checksummed). */
    final long[] checksum;
    /** G3 blocks (by id) the disk frees before this record's writes. */
    final long[] evictHi;
    final long[] evictLo;
    int evictCount;

    // Transfer thread only, from the record's first copy until the copier answers DONE for it:
    /** The record this plan belongs to while its I/O runs (completions settle its blocks). */
    Transfer transfer;
    /** Whether the record's first copy happened (evictions done, blocks being submitted). */
    boolean started;
    /** The next block to submit to the disk tier; blocks before it are submitted or settled. */
    int cursor;
    /** Blocks submitted whose completion is not yet collected: the record is not handed back before 0. */
    int inFlight;
    /** Whether the record waits in the copier's FIFO for I/O threads to free up. */
    boolean waiting;

    G3Plan(final int batchBlocks)
    {
        this.idHi = new long[batchBlocks];
        this.idLo = new long[batchBlocks];
        this.status = new byte[batchBlocks];
        this.checksum = new long[batchBlocks];
        this.evictHi = new long[evictionsPerRecord(batchBlocks)];
        this.evictLo = new long[evictHi.length];
    }

    /** G3 evictions one record carries before its writes. */
    static int evictionsPerRecord(final int batchBlocks)
    {
        return 2 * batchBlocks;
    }

    /** Block {@code i} of the record is the block with this id; its status is not known yet. */
    void block(final int i, final long hi, final long lo)
    {
        idHi[i] = hi;
        idLo[i] = lo;
        status[i] = NO_STATUS;
    }
}
