package io.kvbm4j.tiers.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KvLayoutTest
{
    @Test
    void blockBytesCountKeysAndValuesOfEveryLayer()
    {
        final KvLayout llama8b = new KvLayout("llama-3.1-8b", 32, 8, 128, Dtype.BF16, 16);
        assertEquals(131_072, llama8b.bytesPerToken());
        assertEquals(2 * 1024 * 1024, llama8b.blockBytes());
        assertEquals(8 * 128 * 2 * 16, llama8b.layerRunBytes());
    }

    @Test
    void nonPositiveDimensionsAndHugeBlocksAreRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> new KvLayout("m", 0, 8, 128, Dtype.BF16, 16));
        assertThrows(IllegalArgumentException.class, () -> new KvLayout("m", 80, 64, 256, Dtype.FP32, 4096));
    }
}
