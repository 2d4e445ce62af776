package io.kvbm4j.engine;

import java.util.concurrent.CountDownLatch;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.CachedNanoClock;

import io.kvbm4j.tiers.memory.SlotMemory;
import io.kvbm4j.tiers.transfer.BlockCopier;
import io.kvbm4j.tiers.transfer.HostCopier;
import io.kvbm4j.tiers.transfer.Transfer;
import io.kvbm4j.tiers.transfer.TransferOutcome;

/**
 * Test double of the copy step: host copies with injected faults (a copy that fails, corrupts one byte,
 * or ends after its deadline on a manual clock), and a gate that holds copies until the test opens it.
 * Fields are set by the test thread before the transfers they affect are submitted (volatile).
 */
final class FaultInjectingCopier implements BlockCopier
{
    final CachedNanoClock clock = new CachedNanoClock();
    private final HostCopier host = new HostCopier();
    volatile boolean failOnboard;
    volatile boolean corruptOnboard;
    volatile boolean corruptOffload;
    volatile boolean lateOnboard;
    volatile CountDownLatch gate;
    final CountDownLatch entered = new CountDownLatch(1);

    @Override
    public int copy(
        final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot, final int blocks,
        final Transfer transfer)
    {
        entered.countDown();
        final CountDownLatch g = gate;
        if (g != null)
        {
            try
            {
                g.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return TransferOutcome.FAILED;
            }
        }
        final boolean onboard = transfer.direction() == Transfer.ONBOARD;
        if (onboard && failOnboard)
        {
            return TransferOutcome.FAILED;
        }
        final int r = host.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
        if ((onboard && corruptOnboard) || (!onboard && corruptOffload))
        {
            final long at = dst.address(dstSlot) + 17;
            UnsafeApi.putByte(at, (byte)(UnsafeApi.getByte(at) ^ 0x40));
        }
        if (onboard && lateOnboard)
        {
            clock.update(transfer.deadlineNanos() + 1);
        }
        return r;
    }

    @Override
    public boolean supports(final SlotMemory src, final SlotMemory dst)
    {
        return host.supports(src, dst);
    }

    @Override
    public String toString()
    {
        return "FaultInjectingCopier";
    }
}
