package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.value.BlockValueLayout;

/** The G4 value header: what verifies and which field a change breaks. */
class BlockValueLayoutTest
{
    @Test
    void headerVerifiesOnlyAgainstItsOwnIdSaltAndLength()
    {
        final UnsafeBuffer b = new UnsafeBuffer(new byte[BlockValueLayout.HEADER_BYTES]);
        BlockValueLayout.encode(b, 0, 1, 2, 3, 100, 0x1234);
        final long value = BlockValueLayout.HEADER_BYTES + 100;
        assertEquals(BlockValueLayout.VALID, BlockValueLayout.verifyHeader(b, 0, value, 1, 2, 3));
        assertEquals(BlockValueLayout.WRONG_ID, BlockValueLayout.verifyHeader(b, 0, value, 1, 3, 3));
        assertEquals(BlockValueLayout.WRONG_ID, BlockValueLayout.verifyHeader(b, 0, value, 0, 2, 3));
        assertEquals(BlockValueLayout.WRONG_SALT, BlockValueLayout.verifyHeader(b, 0, value, 1, 2, 4));
        assertEquals(BlockValueLayout.BAD_LENGTH, BlockValueLayout.verifyHeader(b, 0, value - 1, 1, 2, 3));
        assertEquals(BlockValueLayout.BAD_LENGTH, BlockValueLayout.verifyHeader(b, 0, 10, 1, 2, 3));
        assertEquals(0x1234, BlockValueLayout.payloadChecksum(b, 0));
        b.putInt(BlockValueLayout.VERSION_OFFSET, 2, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(BlockValueLayout.BAD_VERSION, BlockValueLayout.verifyHeader(b, 0, value, 1, 2, 3));
        b.putLong(BlockValueLayout.MAGIC_OFFSET, BlockValueLayout.ABANDONED_MAGIC, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(BlockValueLayout.BAD_MAGIC, BlockValueLayout.verifyHeader(b, 0, value, 1, 2, 3));
    }
}
