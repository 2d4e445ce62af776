package io.kvbm4j.pipeline;

import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A bounded off-heap ring of token ids, written by the serving thread when a registration carries its blocks'
 * tokens ({@code KvBlockManager.commit(..., tokens, tokenOffset)}), read by ring handlers (the KV-event
 * publisher) that find a token position on a STORED block ({@link BlockEvent#tokenPos}).
 *
 * <pre>
 *   position p (a token count since start, never wraps) lives at int slot p & (capacity - 1)
 *
 *   0                                                    capacity ints (4 bytes each, native order)
 *   +-------------------------------+--------------------+
 *   | tokens of older registrations | ... newest  ^ tail |   tail = end of what the writer has claimed
 *   +-------------------------------+--------------------+
 * </pre>
 *
 * <p>The writer never waits for readers: it overwrites the oldest tokens. A reader that comes too late (the
 * writer has claimed past {@code p + capacity}) is <em>lapped</em>: {@link #read} answers false and the
 * caller sends the block without tokens (and counts it). Protocol (a seqlock with a monotonic tail):
 * <ul>
 *   <li>writer: {@code tail.setOpaque(p + n)}, {@code storeStoreFence} (the claim becomes visible before any
 *       overwrite of older tokens), then the plain stores of the tokens; the ring publish of the event that
 *       carries {@code p} then orders those stores before the reader's loads;</li>
 *   <li>reader: loads the tokens, {@code loadLoadFence} (the loads complete before the tail is read again),
 *       then checks {@code tail - p <= capacity}: if so no overwrite of {@code [p, p + n)} had been claimed
 *       when the loads ran, so they are the writer's tokens.</li>
 * </ul>
 *
 * <p>Writer: the serving thread only (one writer). Readers: any number, any thread; a read changes nothing.
 * No allocation after construction.
 */
public final class TokenRing
{
    private final UnsafeBuffer buffer;
    private final int capacity;
    private final int mask;
    /** End of the tokens claimed by the writer (written by the writer only). */
    private final AtomicLong tail = new AtomicLong();
    /** Registrations whose tokens did not fit the ring at all (longer than its capacity). */
    private final AtomicLong refused = new AtomicLong();
    private Thread owner;

    /** @param capacity tokens held, a power of two of at least 16. */
    public TokenRing(final int capacity)
    {
        if (capacity < 16 || Integer.bitCount(capacity) != 1 || capacity > (1 << 28))
        {
            throw new IllegalArgumentException("token ring capacity must be a power of two in 16 .. 2^28: " + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4 * capacity));
    }

    /** The smallest power of two of at least {@code tokens} (at least 16). */
    public static int capacityFor(final long tokens)
    {
        final long c = Math.max(16, Long.highestOneBit(Math.max(1, tokens - 1)) << 1);
        if (c > (1 << 28))
        {
            throw new IllegalArgumentException("token ring of " + tokens + " tokens: at most 2^28");
        }
        return (int)c;
    }

    /** Tokens held. */
    public int capacity()
    {
        return capacity;
    }

    /** Off-heap bytes. */
    public long bytes()
    {
        return 4L * capacity;
    }

    private boolean ownedByCaller()
    {
        final Thread current = Thread.currentThread();
        if (owner == null)
        {
            owner = current;
        }
        return owner == current;
    }

    /**
     * Appends {@code tokens[offset .. offset + n)}. Writer (serving thread) only.
     *
     * @return the position of the first token, or -1 when {@code n} exceeds the capacity (counted in
     * {@link #refused()}; the registration's events go out without tokens).
     */
    public long write(final int[] tokens, final int offset, final int n)
    {
        assert ownedByCaller() : "token ring written from " + Thread.currentThread() + ", owned by " + owner;
        if (n > capacity)
        {
            refused.setRelease(refused.getPlain() + 1);
            return -1;
        }
        final long p = tail.getPlain();
        tail.setOpaque(p + n);
        VarHandle.storeStoreFence(); // the claim is visible before the first overwrite below
        for (int i = 0; i < n; i++)
        {
            buffer.putInt(4 * (int)((p + i) & mask), tokens[offset + i]);
        }
        return p;
    }

    /**
     * Copies the {@code n} tokens written at {@code position} into {@code dst[dstOffset ..)}. Any thread, after it
     * saw (through the event ring) the event that carries {@code position}.
     *
     * @return false when the writer has overwritten (or begun to overwrite) them: {@code dst} is then garbage.
     */
    public boolean read(final long position, final int n, final int[] dst, final int dstOffset)
    {
        if (n > capacity || tail.getOpaque() - position > capacity)
        {
            return false;
        }
        for (int i = 0; i < n; i++)
        {
            dst[dstOffset + i] = buffer.getInt(4 * (int)((position + i) & mask));
        }
        VarHandle.loadLoadFence(); // the token loads above complete before the tail is read again
        return tail.getOpaque() - position <= capacity; // slot p is overwritten once the tail passes p + capacity
    }

    /** Tokens written since start. Any thread. */
    public long written()
    {
        return tail.getOpaque();
    }

    /** Registrations whose tokens were longer than the ring. Any thread. */
    public long refused()
    {
        return refused.getAcquire();
    }
}
