package io.kvbm4j.remote.redis;

import java.nio.ByteBuffer;

import io.kvbm4j.remote.store.AbstractRemoteStore;
import io.kvbm4j.remote.store.OpRecord;
import io.kvbm4j.remote.value.BlockValueLayout;
import io.kvbm4j.tiers.transfer.PayloadChecksum;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.ToByteBufEncoder;
import io.netty.buffer.ByteBuf;

/**
 * Lettuce codec of G4: keys are the records' preallocated key bytes; a value is a WRITE's {@link OpRecord},
 * encoded straight into Netty's outgoing buffer (header, then the payload copied from caller memory: one copy,
 * the estimate is exact so Lettuce writes no temporary buffer). Runs on Lettuce's I/O thread, when the command
 * is written to the socket; it takes the payload checksum there, so the owner thread never hashes a payload.
 *
 * <p>A WRITE that the owner already ended TIMED_OUT is encoded as a value of the same length whose magic is
 * {@link BlockValueLayout#ABANDONED_MAGIC} (never valid: a reader finds it CORRUPT and deletes it), so caller
 * memory is not read after the owner gave it back. Values are never decoded here: reads use
 * {@link RedisOutputs.Read}, which verifies and copies into caller memory.
 */
final class BlockValueCodec implements RedisCodec<byte[], OpRecord>, ToByteBufEncoder<byte[], OpRecord>
{
    static final BlockValueCodec INSTANCE = new BlockValueCodec();

    private BlockValueCodec()
    {
    }

    @Override
    public byte[] decodeKey(final ByteBuffer bytes)
    {
        final byte[] b = new byte[bytes.remaining()];
        bytes.get(b);
        return b;
    }

    @Override
    public OpRecord decodeValue(final ByteBuffer bytes)
    {
        throw new UnsupportedOperationException("G4 values are read through RedisOutputs.Read");
    }

    @Override
    public ByteBuffer encodeKey(final byte[] key)
    {
        return ByteBuffer.wrap(key);
    }

    @Override
    public ByteBuffer encodeValue(final OpRecord value)
    {
        throw new UnsupportedOperationException("G4 values are encoded into Netty buffers");
    }

    @Override
    public void encodeKey(final byte[] key, final ByteBuf target)
    {
        target.writeBytes(key);
    }

    @Override
    public void encodeValue(final OpRecord op, final ByteBuf target)
    {
        final int length = (int)op.length();
        final RedisOpState st = (RedisOpState)op.backend;
        target.ensureWritable(BlockValueLayout.HEADER_BYTES + length);
        if (AbstractRemoteStore.beginIo(op))
        {
            final long checksum = op.checksumKnown() ? op.checksum() : PayloadChecksum.of(op.address(), length);
            BlockValueLayout.encode(st.headerView, 0, op.idHi(), op.idLo(), op.saltId(), length, checksum);
            target.writeBytes(st.headerBytes);
            final int at = target.writerIndex();
            if (target.hasMemoryAddress())
            {
                st.copyView.wrap(target.memoryAddress() + at, length);
                st.copyView.putBytes(0, wrap(op, length), 0, length);
            }
            else
            {
                wrap(op, length).getBytes(0, target.nioBuffer(at, length), length);
            }
            target.writerIndex(at + length);
            op.ioLength = length;
            AbstractRemoteStore.endIo(op);
        }
        else
        {
            BlockValueLayout.encode(st.headerView, 0, op.idHi(), op.idLo(), op.saltId(), length, 0);
            st.headerView.putLong(BlockValueLayout.MAGIC_OFFSET, BlockValueLayout.ABANDONED_MAGIC,
                java.nio.ByteOrder.LITTLE_ENDIAN);
            target.writeBytes(st.headerBytes);
            target.writeZero(length);
        }
    }

    private static org.agrona.concurrent.UnsafeBuffer wrap(final OpRecord op, final int length)
    {
        op.memory.wrap(op.address(), length);
        return op.memory;
    }

    @Override
    public int estimateSize(final Object keyOrValue)
    {
        if (keyOrValue instanceof byte[] b)
        {
            return b.length;
        }
        if (keyOrValue instanceof OpRecord op)
        {
            return BlockValueLayout.HEADER_BYTES + (int)op.length();
        }
        return 0;
    }

    @Override
    public boolean isEstimateExact()
    {
        return true;
    }
}
