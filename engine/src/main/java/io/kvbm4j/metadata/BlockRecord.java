package io.kvbm4j.metadata;

import static io.kvbm4j.metadata.BlockRecordLayout.*;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Tier;

/**
 * A flyweight over one metadata record (see {@link BlockRecordLayout}), wrapping a reusable byte array.
 * Not thread-safe: one per thread.
 */
public final class BlockRecord
{
    private final byte[] bytes = new byte[RECORD_BYTES];
    private final UnsafeBuffer buffer = new UnsafeBuffer(bytes);

    /** The backing array (what the map stores). */
    public byte[] bytes()
    {
        return bytes;
    }

    /** Resets to an empty record: no residency, every tier slot -1. */
    public void clear()
    {
        buffer.setMemory(0, RECORD_BYTES, (byte)0);
        for (int t = 0; t < 4; t++)
        {
            buffer.putInt(slotOffset(t), -1);
        }
    }

    public BlockState state()
    {
        return BlockState.fromCode(buffer.getInt(STATE_OFFSET));
    }

    public void state(final BlockState state)
    {
        buffer.putInt(STATE_OFFSET, state.code());
    }

    public int residency()
    {
        return buffer.getInt(RESIDENCY_OFFSET);
    }

    public boolean residentIn(final Tier tier)
    {
        return (residency() & tier.bit()) != 0;
    }

    /** Marks the block resident at {@code slot} of a tier, or not resident when slot is -1. */
    public void slot(final int tierOrdinal, final int slot)
    {
        buffer.putInt(slotOffset(tierOrdinal), slot);
        final int bit = 1 << tierOrdinal;
        final int residency = buffer.getInt(RESIDENCY_OFFSET);
        buffer.putInt(RESIDENCY_OFFSET, slot >= 0 ? residency | bit : residency & ~bit);
    }

    public int slot(final Tier tier)
    {
        return buffer.getInt(slotOffset(tier.ordinal()));
    }

    public int refCount()
    {
        return buffer.getInt(REF_COUNT_OFFSET);
    }

    public void refCount(final int refCount)
    {
        buffer.putInt(REF_COUNT_OFFSET, refCount);
    }

    public int position()
    {
        return buffer.getInt(POSITION_OFFSET);
    }

    public void position(final int position)
    {
        buffer.putInt(POSITION_OFFSET, position);
    }

    public long parentHi()
    {
        return buffer.getLong(PARENT_HI_OFFSET);
    }

    public long parentLo()
    {
        return buffer.getLong(PARENT_LO_OFFSET);
    }

    public void parent(final long hi, final long lo)
    {
        buffer.putLong(PARENT_HI_OFFSET, hi);
        buffer.putLong(PARENT_LO_OFFSET, lo);
    }

    public long payloadBytes()
    {
        return buffer.getLong(PAYLOAD_BYTES_OFFSET);
    }

    public void payloadBytes(final long bytes)
    {
        buffer.putLong(PAYLOAD_BYTES_OFFSET, bytes);
    }

    public long checksum()
    {
        return buffer.getLong(CHECKSUM_OFFSET);
    }

    public void checksum(final long checksum)
    {
        buffer.putLong(CHECKSUM_OFFSET, checksum);
    }

    public long lastAccess()
    {
        return buffer.getLong(LAST_ACCESS_OFFSET);
    }

    public int accessCount()
    {
        return buffer.getInt(ACCESS_COUNT_OFFSET);
    }

    /** Sets the access count. */
    public void accessCount(final int count)
    {
        buffer.putInt(ACCESS_COUNT_OFFSET, count);
    }

    /** Records an access at {@code tick}. */
    public void touch(final long tick, final boolean countIt)
    {
        buffer.putLong(LAST_ACCESS_OFFSET, tick);
        if (countIt)
        {
            final int c = buffer.getInt(ACCESS_COUNT_OFFSET);
            if (c != Integer.MAX_VALUE)
            {
                buffer.putInt(ACCESS_COUNT_OFFSET, c + 1);
            }
        }
    }

    public float score()
    {
        return buffer.getFloat(SCORE_OFFSET);
    }

    public void score(final float score)
    {
        buffer.putFloat(SCORE_OFFSET, score);
    }
}
