package io.kvbm4j.remote.store;

import java.util.concurrent.atomic.AtomicInteger;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.remote.RemoteCompletion;
import io.kvbm4j.remote.RemoteOpKind;
import io.kvbm4j.remote.RemoteStatus;

/**
 * One in-flight G4 call: a preallocated, reusable record (nothing is allocated per call by the store itself).
 *
 * <p>Ownership moves with the record. The owner thread fills the call's fields, then hands the record to the
 * backend (the client library's queue orders those writes before its I/O thread reads them). The backend's I/O
 * thread may touch caller memory only between {@link AbstractRemoteStore#beginIo} and
 * {@link AbstractRemoteStore#endIo}/{@link AbstractRemoteStore#complete}, writes only the {@code io*} fields and
 * the lookup answers, and hands the record back through the store's completion queue (release/acquire). The
 * {@link #state} word decides races between an answer and the owner's deadline:
 *
 * <pre>
 *   FREE --submit--> PENDING --beginIo--> IN_IO --endIo--> PENDING        (I/O thread)
 *                    PENDING|IN_IO --complete--> DONE --poll: delivered--> FREE
 *                    PENDING --deadline (owner)--> TIMED_OUT (delivered) --complete--> LATE --poll--> FREE
 * </pre>
 *
 * A record in IN_IO is never timed out (the copy is about to finish), and a TIMED_OUT record is never touched
 * by I/O again (beginIo fails), so caller memory is never written after TIMED_OUT was delivered.
 */
public final class OpRecord implements RemoteCompletion
{
    static final int FREE = 0;
    static final int PENDING = 1;
    static final int IN_IO = 2;
    static final int DONE = 3;
    static final int TIMED_OUT = 4;
    static final int LATE = 5;

    final int index;
    final AtomicInteger state = new AtomicInteger(FREE);

    // ---- the call (written by the owner before hand-over; read by the I/O thread)
    RemoteOpKind kind;
    /** Owner-side: a store-internal call (health probe, deletion of a corrupt key), never delivered. */
    boolean internal;
    long tag;
    long saltId;
    long idHi;
    long idLo;
    long address;
    long length;
    /** WRITE: the caller gave the payload's XXH3-64 ({@link #checksum}); the store does not hash it again. */
    boolean checksumKnown;
    /** WRITE: the payload checksum the caller gave; READ (OK): the payload checksum verified. */
    long checksum;
    long submittedNanos;
    long deadlineNanos;
    int count;
    final long[] idsHi;
    final long[] idsLo;
    /** Redis key (or S3 key bytes) of a single-key call, and of each id of a lookup. */
    public final byte[] key;
    public final byte[][] keys;

    // ---- the answer (written by the I/O thread before complete)
    /** Status the I/O side found. */
    public volatile RemoteStatus ioStatus;
    /** Payload bytes read or written. */
    public long ioLength;
    /** LOOKUP: 1 = present, 0 = absent, 2 = failed, per id. */
    public final byte[] present;
    /** LOOKUP: sub-calls still to answer. */
    public final AtomicInteger remaining = new AtomicInteger();

    // ---- what the owner delivers
    RemoteStatus status;
    int run;
    long completedNanos;

    /** A view the I/O thread may use for header bytes (one per record, so no allocation). */
    public final UnsafeBuffer header = new UnsafeBuffer(new byte[0]);
    /** A view the I/O thread may use over caller memory. */
    public final UnsafeBuffer memory = new UnsafeBuffer(new byte[0]);
    /** Backend per-record state (Lettuce outputs, S3 buffers), set once at construction. */
    public Object backend;

    OpRecord(final int index, final int maxIds, final int keyLength)
    {
        this.index = index;
        this.idsHi = new long[maxIds];
        this.idsLo = new long[maxIds];
        this.present = new byte[maxIds];
        this.key = new byte[keyLength];
        this.keys = new byte[maxIds][keyLength];
    }

    public int index()
    {
        return index;
    }

    /** For the backend: the call's kind and arguments. */
    public RemoteOpKind callKind()
    {
        return kind;
    }

    public long saltId()
    {
        return saltId;
    }

    public long address()
    {
        return address;
    }

    /** READ: destination capacity; WRITE: payload length. */
    public long length()
    {
        return length;
    }

    public long idHi(final int i)
    {
        return idsHi[i];
    }

    public long idLo(final int i)
    {
        return idsLo[i];
    }

    // ---- RemoteCompletion (valid while delivered)

    @Override
    public long tag()
    {
        return tag;
    }

    @Override
    public RemoteOpKind kind()
    {
        return kind;
    }

    @Override
    public RemoteStatus status()
    {
        return status;
    }

    @Override
    public int run()
    {
        return run;
    }

    @Override
    public int count()
    {
        return count;
    }

    @Override
    public long payloadLength()
    {
        return ioLength;
    }

    @Override
    public long checksum()
    {
        return checksum;
    }

    /** WRITE: whether the caller gave the payload's checksum (I/O thread, while it holds the call). */
    public boolean checksumKnown()
    {
        return checksumKnown;
    }

    /** READ: the I/O thread records the checksum it verified. */
    public void verifiedChecksum(final long value)
    {
        checksum = value;
    }

    @Override
    public long idHi()
    {
        return idHi;
    }

    @Override
    public long idLo()
    {
        return idLo;
    }

    @Override
    public long latencyNanos()
    {
        return completedNanos - submittedNanos;
    }

    @Override
    public String toString()
    {
        return "OpRecord[" + index + " " + kind + " state=" + state.get() + " status=" + status + "]";
    }
}
