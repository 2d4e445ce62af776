package io.kvbm4j.observe.events;

/**
 * The last {@code capacity} published batches (sequence number and payload), for replay. Written by the
 * publisher thread once per batch, read by the replay thread per request; both under this object's lock, held
 * for an array store or a copy of references, never for I/O.
 */
public final class ReplayBuffer
{
    private final long[] seqs;
    private final byte[][] payloads;
    private long next; // batches added so far; slot of batch k is k % capacity

    public ReplayBuffer(final int capacity)
    {
        this.seqs = new long[capacity];
        this.payloads = new byte[capacity][];
    }

    public synchronized void add(final long seq, final byte[] payload)
    {
        final int i = (int)(next % seqs.length);
        seqs[i] = seq;
        payloads[i] = payload;
        next++;
    }

    /** A visitor of buffered batches. */
    public interface Visitor
    {
        void batch(long seq, byte[] payload);
    }

    /**
     * Visits the buffered batches with sequence {@code >= from}, oldest first. The batches are copied out
     * under the lock, visited outside it.
     *
     * @return batches visited.
     */
    public int from(final long from, final Visitor visitor)
    {
        final long[] s;
        final byte[][] p;
        synchronized (this)
        {
            final int held = (int)Math.min(next, seqs.length);
            s = new long[held];
            p = new byte[held][];
            for (int k = 0; k < held; k++)
            {
                final int i = (int)((next - held + k) % seqs.length);
                s[k] = seqs[i];
                p[k] = payloads[i];
            }
        }
        int n = 0;
        for (int k = 0; k < s.length; k++)
        {
            if (s[k] >= from)
            {
                visitor.batch(s[k], p[k]);
                n++;
            }
        }
        return n;
    }
}
