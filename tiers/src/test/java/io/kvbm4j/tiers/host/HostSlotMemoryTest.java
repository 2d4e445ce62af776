package io.kvbm4j.tiers.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class HostSlotMemoryTest
{
    @Test
    void everySlotIsFourKibAlignedAndSlotsDoNotOverlap()
    {
        try (HostSlotMemory mem = new HostSlotMemory(37, 10_000))
        {
            assertEquals(12_288, mem.slotStride(), "10,000 bytes round up to three pages");
            final UnsafeBuffer view = new UnsafeBuffer(0, 0);
            for (int s = 0; s < 37; s++)
            {
                assertEquals(0, mem.address(s) % HostSlotMemory.ALIGNMENT, "slot " + s);
                mem.wrap(s, view);
                assertEquals(10_000, view.capacity());
                view.setMemory(0, 10_000, (byte)s);
            }
            for (int s = 0; s < 37; s++)
            {
                mem.wrap(s, view);
                assertEquals((byte)s, view.getByte(0));
                assertEquals((byte)s, view.getByte(9_999), "slot " + s + " was not overwritten by a neighbour");
            }
        }
    }

    @Test
    void outOfRangeSlotsAndUseAfterCloseAreRefused()
    {
        final HostSlotMemory mem = new HostSlotMemory(2, 4096);
        assertThrows(IndexOutOfBoundsException.class, () -> mem.address(2));
        assertThrows(IndexOutOfBoundsException.class, () -> mem.address(-1));
        mem.close();
        assertThrows(IllegalStateException.class, () -> mem.address(0));
        mem.close();
        assertTrue(mem.reservedBytes() > 0);
    }

    @Test
    void invalidSizesAreRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> new HostSlotMemory(0, 4096));
        assertThrows(IllegalArgumentException.class, () -> new HostSlotMemory(1, 0));
    }
}
