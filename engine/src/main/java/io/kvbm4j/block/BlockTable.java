package io.kvbm4j.block;

import static io.kvbm4j.block.BlockTableLayout.*;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * Off-heap array of slot records (see {@link BlockTableLayout}), one per block slot of a tier.
 *
 * <p>Owns: the records. Concurrency: owned by the tier's owning thread (the serving thread); no other
 * thread reads it. Accessors are plain loads and stores. No allocation after construction.
 */
public final class BlockTable implements AutoCloseable, io.kvbm4j.registry.BlockIndex.Keys
{
    private final int capacity;
    private final AlignedMemory memory;
    private final UnsafeBuffer buffer;

    public BlockTable(final int capacity)
    {
        if (capacity <= 0 || capacity > Integer.MAX_VALUE / RECORD_BYTES)
        {
            throw new IllegalArgumentException("capacity must be in 1.." + Integer.MAX_VALUE / RECORD_BYTES +
                ": " + capacity);
        }
        this.capacity = capacity;
        this.memory = new AlignedMemory(capacity * RECORD_BYTES, 64);
        this.buffer = memory.newBuffer();
    }

    public int capacity()
    {
        return capacity;
    }

    private static int at(final int slot, final int field)
    {
        return slot * RECORD_BYTES + field;
    }

    /** Zeroes a record and sets its parent slot to -1. */
    public void clear(final int slot)
    {
        buffer.setMemory(at(slot, 0), RECORD_BYTES, (byte)0);
        buffer.putInt(at(slot, PARENT_SLOT_OFFSET), -1);
    }

    public int state(final int slot)
    {
        return buffer.getInt(at(slot, STATE_OFFSET));
    }

    public void state(final int slot, final int state)
    {
        buffer.putInt(at(slot, STATE_OFFSET), state);
    }

    public int refCount(final int slot)
    {
        return buffer.getInt(at(slot, REF_COUNT_OFFSET));
    }

    public void refCount(final int slot, final int refCount)
    {
        buffer.putInt(at(slot, REF_COUNT_OFFSET), refCount);
    }

    @Override
    public long idHi(final int slot)
    {
        return buffer.getLong(at(slot, ID_HI_OFFSET));
    }

    @Override
    public long idLo(final int slot)
    {
        return buffer.getLong(at(slot, ID_LO_OFFSET));
    }

    public void id(final int slot, final long hi, final long lo)
    {
        buffer.putLong(at(slot, ID_HI_OFFSET), hi);
        buffer.putLong(at(slot, ID_LO_OFFSET), lo);
    }

    public long parentHi(final int slot)
    {
        return buffer.getLong(at(slot, PARENT_HI_OFFSET));
    }

    public long parentLo(final int slot)
    {
        return buffer.getLong(at(slot, PARENT_LO_OFFSET));
    }

    public void parentId(final int slot, final long hi, final long lo)
    {
        buffer.putLong(at(slot, PARENT_HI_OFFSET), hi);
        buffer.putLong(at(slot, PARENT_LO_OFFSET), lo);
    }

    public int parentSlot(final int slot)
    {
        return buffer.getInt(at(slot, PARENT_SLOT_OFFSET));
    }

    public void parentSlot(final int slot, final int parentSlot)
    {
        buffer.putInt(at(slot, PARENT_SLOT_OFFSET), parentSlot);
    }

    public int childCount(final int slot)
    {
        return buffer.getInt(at(slot, CHILD_COUNT_OFFSET));
    }

    public void childCount(final int slot, final int childCount)
    {
        buffer.putInt(at(slot, CHILD_COUNT_OFFSET), childCount);
    }

    public long lastAccess(final int slot)
    {
        return buffer.getLong(at(slot, LAST_ACCESS_OFFSET));
    }

    public int accessCount(final int slot)
    {
        return buffer.getInt(at(slot, ACCESS_COUNT_OFFSET));
    }

    /** Sets the access count (seeded from history when a block is registered). */
    public void accessCount(final int slot, final int count)
    {
        buffer.putInt(at(slot, ACCESS_COUNT_OFFSET), count);
    }

    /** Records an access: sets the last-access tick and bumps the access count (saturating). */
    public void touch(final int slot, final long tick)
    {
        buffer.putLong(at(slot, LAST_ACCESS_OFFSET), tick);
        final int count = buffer.getInt(at(slot, ACCESS_COUNT_OFFSET));
        if (count != Integer.MAX_VALUE)
        {
            buffer.putInt(at(slot, ACCESS_COUNT_OFFSET), count + 1);
        }
    }

    public int flags(final int slot)
    {
        return buffer.getInt(at(slot, FLAGS_OFFSET));
    }

    public boolean hasFlag(final int slot, final int flag)
    {
        return (buffer.getInt(at(slot, FLAGS_OFFSET)) & flag) != 0;
    }

    public void setFlag(final int slot, final int flag, final boolean on)
    {
        final int index = at(slot, FLAGS_OFFSET);
        final int flags = buffer.getInt(index);
        buffer.putInt(index, on ? flags | flag : flags & ~flag);
    }

    public int position(final int slot)
    {
        return buffer.getInt(at(slot, POSITION_OFFSET));
    }

    public void position(final int slot, final int position)
    {
        buffer.putInt(at(slot, POSITION_OFFSET), position);
    }

    public int tokens(final int slot)
    {
        return buffer.getInt(at(slot, TOKENS_OFFSET));
    }

    public void tokens(final int slot, final int tokens)
    {
        buffer.putInt(at(slot, TOKENS_OFFSET), tokens);
    }

    public long requestId(final int slot)
    {
        return buffer.getLong(at(slot, REQUEST_ID_OFFSET));
    }

    public void requestId(final int slot, final long requestId)
    {
        buffer.putLong(at(slot, REQUEST_ID_OFFSET), requestId);
    }

    public long checksum(final int slot)
    {
        return buffer.getLong(at(slot, CHECKSUM_OFFSET));
    }

    public void checksum(final int slot, final long checksum)
    {
        buffer.putLong(at(slot, CHECKSUM_OFFSET), checksum);
    }

    public long payloadBytes(final int slot)
    {
        return buffer.getLong(at(slot, PAYLOAD_BYTES_OFFSET));
    }

    public void payloadBytes(final int slot, final long bytes)
    {
        buffer.putLong(at(slot, PAYLOAD_BYTES_OFFSET), bytes);
    }

    @Override
    public void close()
    {
        memory.close();
    }
}
