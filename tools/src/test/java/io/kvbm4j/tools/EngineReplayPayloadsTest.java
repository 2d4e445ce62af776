package io.kvbm4j.tools;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.kvbm4j.tiers.host.HostSlotMemory;

class EngineReplayPayloadsTest
{
    @Test
    void aSlotHoldingAnotherBlockOrOneFlippedBitDoesNotMatch()
    {
        try (HostSlotMemory memory = new HostSlotMemory(4, 2048))
        {
            final EngineReplay.Payloads payloads = new EngineReplay.Payloads(memory);
            payloads.write(1, 7, 42);
            payloads.write(2, 7, 43);
            assertTrue(payloads.matches(1, 7, 42));
            assertFalse(payloads.matches(1, 7, 43), "another block's id");
            assertFalse(payloads.matches(2, 7, 42), "another slot");
            assertFalse(payloads.matches(1, 8, 42), "the high half of the id counts too");
            final UnsafeBuffer raw = new UnsafeBuffer(memory.address(1), 2048);
            raw.putByte(2047, (byte)(raw.getByte(2047) ^ 1));
            assertFalse(payloads.matches(1, 7, 42), "the last byte is checked");
        }
    }
}
