package io.kvbm4j.engine;

/**
 * What one transfer record carries for the {@link G4Copier} beyond the {@link io.kvbm4j.tiers.transfer.Transfer}:
 * each block's id (the store finds blocks by id), how its remote call ended, the checksum of what a read put
 * in G2, the remote calls still unanswered, and a lookup's answer.
 *
 * <p>One plan per record, preallocated. Ownership moves with the record: the serving thread fills the plan
 * before it submits the record and reads it after it polled the completion; the transfer thread owns it in
 * between (the engine's queues order those accesses). Invariant while the transfer thread owns it:
 * {@code pending} = calls submitted to the store whose completion has not been delivered.
 */
final class G4Plan
{
    /** {@link #status} not set by the copier yet (the block's call was never submitted). */
    static final byte NO_STATUS = -1;
    /** {@link #status} of a call the store refused at submit (busy, degraded, closed). */
    static final byte REFUSED = -3;

    final long[] idHi;
    final long[] idLo;
    /** Per block: a {@link io.kvbm4j.tiers.remote.RemoteOutcome} value, or one of the negative markers above. */
    final byte[] status;
    /** Per block read into G2: where it landed, and the G2 copy's checksum (0 when reads are not checksummed). */
    final long[] dstAddress;
    final long[] checksum;
    /** Remote calls submitted and not yet answered (transfer thread). */
    int pending;
    /** A lookup's answer: how it ended and the leading run found. */
    byte lookupStatus;
    int run;

    G4Plan(final int batchBlocks)
    {
        this.idHi = new long[batchBlocks];
        this.idLo = new long[batchBlocks];
        this.status = new byte[batchBlocks];
        this.dstAddress = new long[batchBlocks];
        this.checksum = new long[batchBlocks];
    }

    /** Block {@code i} of the record is the block with this id; its status is not known yet. */
    void block(final int i, final long hi, final long lo)
    {
        idHi[i] = hi;
        idLo[i] = lo;
        status[i] = NO_STATUS;
        dstAddress[i] = 0;
        checksum[i] = 0;
    }

    /** Before the record is submitted (again): nothing pending, no answer yet. */
    void reset()
    {
        pending = 0;
        lookupStatus = NO_STATUS;
        run = 0;
    }
}
