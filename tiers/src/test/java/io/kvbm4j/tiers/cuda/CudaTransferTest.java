package io.kvbm4j.tiers.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.Test;

import io.kvbm4j.tiers.transfer.PayloadChecksum;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferEngine;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/** The device path with real JCuda. Runs where an NVIDIA GPU and driver exist; skipped (with why) elsewhere. */
class CudaTransferTest
{
    private static final long BYTES = 2L << 20;

    @Test
    void withoutADriverTheProbeNamesWhyInsteadOfCrashing()
    {
        final String reason = CudaDevice.unavailableReason();
        assumeTrue(reason != null, "a CUDA device is present; this test covers machines without one");
        assertTrue(reason.length() > 0);
        assertEquals(reason, CudaDevice.unavailableReason(), "probed once, same answer");
    }

    @Test
    void deviceOffloadAndOnboardRoundTripThroughPinnedHostMemory()
    {
        final String reason = CudaDevice.unavailableReason();
        assumeTrue(reason == null, "needs an NVIDIA GPU and CUDA driver (JCuda 12.6): " + reason);
        try (CudaDevice device = CudaDevice.open(0);
             DeviceSlotMemory g1 = new DeviceSlotMemory(device, 8, BYTES);
             PinnedHostSlotMemory g2 = new PinnedHostSlotMemory(device, 8, BYTES);
             PinnedHostSlotMemory back = new PinnedHostSlotMemory(device, 8, BYTES))
        {
            for (long i = 0; i < BYTES; i += 8)
            {
                UnsafeApi.putLong(back.address(0) + i, i * 7 + 1);
                UnsafeApi.putLong(back.address(1) + i, i * 11 + 3);
            }
            final long c0 = PayloadChecksum.of(back.address(0), BYTES);
            final long c1 = PayloadChecksum.of(back.address(1), BYTES);
            // up: back[0..1] -> device[2..3] (onboard path), down: device[2..3] -> g2[4..5] (offload path)
            final TransferEngine up = new TransferEngine(2, 2, 4, new CudaCopier(device, g1, back, 4),
                new SystemNanoClock(), "cuda-up");
            final Transfer t = up.claim();
            t.begin(Transfer.ONBOARD, back, g1, System.nanoTime() + TimeUnit.SECONDS.toNanos(10), true);
            t.add(0, 2, c0);
            t.add(1, 3, c1);
            up.submit(t);
            assertNotNull(await(up));
            assertEquals(TransferOutcome.DONE, t.outcome(0));
            assertEquals(TransferOutcome.DONE, t.outcome(1));
            assertTrue(up.stop(10, TimeUnit.SECONDS));

            final TransferEngine down = new TransferEngine(2, 2, 4, new CudaCopier(device, g1, g2, 4),
                new SystemNanoClock(), "cuda-down");
            final Transfer d = down.claim();
            d.begin(Transfer.OFFLOAD, g1, g2, System.nanoTime() + TimeUnit.SECONDS.toNanos(10), true);
            d.add(2, 4, 0);
            d.add(3, 5, 0);
            down.submit(d);
            assertNotNull(await(down));
            assertEquals(TransferOutcome.DONE, d.outcome(0));
            assertEquals(c0, d.checksum(0), "bytes came back from the device unchanged");
            assertEquals(c1, d.checksum(1));
            assertTrue(down.stop(10, TimeUnit.SECONDS));
        }
    }

    private static Transfer await(final TransferEngine engine)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Transfer t;
        while ((t = engine.pollCompleted()) == null && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        return t;
    }
}
