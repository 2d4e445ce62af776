package io.kvbm4j.tiers.host;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.tiers.memory.AlignedMemory;
import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * G2 host memory: {@code slotCount} fixed-size payload slots in off-heap memory, each starting on a
 * 4 KiB boundary, allocated up front.
 *
 * <p>Design: memory is taken in chunks of at most {@link #MAX_CHUNK_BYTES} (a direct buffer is limited
 * to 2 GiB), each chunk aligned to {@link #ALIGNMENT}; a slot never straddles two chunks. Slot stride is
 * the payload size rounded up to 4 KiB, so every slot is aligned (what O_DIRECT and DMA engines want).
 * Which slot is free is decided by the owning block pool (O(1) free list there); this class only maps a
 * slot number to its address.
 *
 * <p>Concurrency: the mapping is immutable after construction. The bytes of a slot belong to whoever the
 * pool handed the slot to (the serving runtime, or the transfer thread while a copy runs).
 *
 * <p>Invariants: {@code address(s) % 4096 == 0}; slots do not overlap; memory is released once by
 * {@link #close()}.
 */
public final class HostSlotMemory implements SlotMemory
{
    /** Alignment of every slot. */
    public static final int ALIGNMENT = 4096;
    /** Largest chunk taken in one allocation. */
    public static final long MAX_CHUNK_BYTES = 1L << 30;


    private final int slotCount;
    private final long payloadBytes;
    private final long slotStride;
    private final int slotsPerChunk;
    private final AlignedMemory[] chunks;
    private final long[] chunkAddresses;
    private boolean closed;

    /**
     * @param slotCount    number of slots, at least 1.
     * @param payloadBytes bytes per slot, 1 .. {@link #MAX_CHUNK_BYTES}.
     */
    public HostSlotMemory(final int slotCount, final long payloadBytes)
    {
        if (slotCount <= 0)
        {
            throw new IllegalArgumentException("slotCount must be > 0: " + slotCount);
        }
        if (payloadBytes <= 0 || payloadBytes > MAX_CHUNK_BYTES)
        {
            throw new IllegalArgumentException("payloadBytes must be in 1.." + MAX_CHUNK_BYTES + ": " + payloadBytes);
        }
        this.slotCount = slotCount;
        this.payloadBytes = payloadBytes;
        this.slotStride = align(payloadBytes);
        this.slotsPerChunk = (int)Math.min(slotCount, MAX_CHUNK_BYTES / slotStride);
        final int chunkCount = (slotCount + slotsPerChunk - 1) / slotsPerChunk;
        this.chunks = new AlignedMemory[chunkCount];
        this.chunkAddresses = new long[chunkCount];
        int remaining = slotCount;
        for (int c = 0; c < chunkCount; c++)
        {
            final int slots = Math.min(remaining, slotsPerChunk);
            final AlignedMemory chunk = new AlignedMemory((int)(slots * slotStride), ALIGNMENT);
            chunks[c] = chunk;
            chunkAddresses[c] = chunk.address();
            remaining -= slots;
        }
    }

    private static long align(final long bytes)
    {
        return (bytes + ALIGNMENT - 1) & ~((long)ALIGNMENT - 1);
    }

    @Override
    public int slotCount()
    {
        return slotCount;
    }

    /** Bytes of payload each slot holds. */
    @Override
    public long payloadBytes()
    {
        return payloadBytes;
    }

    /** Distance between two consecutive slots of a chunk: payload rounded up to 4 KiB. */
    public long slotStride()
    {
        return slotStride;
    }

    /** Total bytes reserved, padding included. */
    public long reservedBytes()
    {
        return slotCount * slotStride;
    }

    /**
     * Address of a slot's first byte. O(1), no allocation.
     *
     * @throws IndexOutOfBoundsException when the slot is outside {@code 0..slotCount-1}.
     */
    @Override
    public long address(final int slot)
    {
        if (slot < 0 || slot >= slotCount)
        {
            throw new IndexOutOfBoundsException("slot " + slot + " not in 0.." + (slotCount - 1));
        }
        if (closed)
        {
            throw new IllegalStateException("host memory closed");
        }
        final int chunk = slot / slotsPerChunk;
        return chunkAddresses[chunk] + (slot - (long)chunk * slotsPerChunk) * slotStride;
    }

    @Override
    public boolean hostAccessible()
    {
        return true;
    }

    /** Back to back when the stride equals the payload and the run stays inside one chunk. */
    @Override
    public boolean contiguous(final int first, final int count)
    {
        if (first < 0 || count <= 0 || first + count > slotCount)
        {
            return false;
        }
        return count == 1 || (slotStride == payloadBytes && first / slotsPerChunk == (first + count - 1) / slotsPerChunk);
    }

    /** Points a flyweight at a slot's payload bytes (no allocation). */
    public void wrap(final int slot, final UnsafeBuffer flyweight)
    {
        flyweight.wrap(address(slot), (int)payloadBytes);
    }

    /** Frees the memory; any later {@link #address(int)} throws. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int c = 0; c < chunks.length; c++)
        {
            chunks[c].close();
        }
    }
}
