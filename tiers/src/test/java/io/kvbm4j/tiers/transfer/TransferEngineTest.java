package io.kvbm4j.tiers.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.CachedNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.kvbm4j.tiers.host.HostSlotMemory;
import io.kvbm4j.tiers.memory.SlotMemory;

class TransferEngineTest
{
    private static final long BYTES = 8192;
    private HostSlotMemory upper;
    private HostSlotMemory lower;
    private final CachedNanoClock clock = new CachedNanoClock();
    private TransferEngine engine;

    @BeforeEach
    void memories()
    {
        upper = new HostSlotMemory(16, BYTES);
        lower = new HostSlotMemory(16, BYTES);
        for (int s = 0; s < 16; s++)
        {
            fill(upper, s, 1000 + s);
        }
    }

    @AfterEach
    void close()
    {
        if (engine != null)
        {
            engine.stop(10, TimeUnit.SECONDS);
        }
        upper.close();
        lower.close();
    }

    private static void fill(final SlotMemory memory, final int slot, final long seed)
    {
        final long base = memory.address(slot);
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            UnsafeApi.putLong(base + i, seed * 31 + i);
        }
    }

    private static boolean sameBytes(final SlotMemory a, final int sa, final SlotMemory b, final int sb)
    {
        for (long i = 0; i < a.payloadBytes(); i += 8)
        {
            if (UnsafeApi.getLong(a.address(sa) + i) != UnsafeApi.getLong(b.address(sb) + i))
            {
                return false;
            }
        }
        return true;
    }

    private Transfer next(final long timeoutSeconds)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        Transfer t;
        while ((t = engine.pollCompleted()) == null && System.nanoTime() < deadline)
        {
            Thread.onSpinWait();
        }
        return t;
    }

    private Transfer offload(final int... pairs)
    {
        final Transfer t = engine.claim();
        assertNotNull(t);
        t.begin(Transfer.OFFLOAD, upper, lower, clock.nanoTime() + 1_000_000, true);
        for (int i = 0; i < pairs.length; i += 2)
        {
            t.add(pairs[i], pairs[i + 1], 0);
        }
        engine.submit(t);
        return t;
    }

    @Test
    void offloadCopiesAdjacentBlocksInOneCopyAndChecksumsTheSource()
    {
        engine = new TransferEngine(2, 4, 8, new HostCopier(), clock, "test");
        offload(3, 0, 4, 1, 5, 2);
        final Transfer t = next(10);
        assertNotNull(t, "completion");
        for (int i = 0; i < 3; i++)
        {
            assertEquals(TransferOutcome.DONE, t.outcome(i));
            assertTrue(sameBytes(upper, 3 + i, lower, i));
            assertEquals(PayloadChecksum.of(upper.address(3 + i), BYTES), t.checksum(i));
        }
        assertEquals(1, engine.copies(), "slots 3,4,5 -> 0,1,2 are one run");
        assertEquals(3 * BYTES, engine.copiedBytes());
    }

    @Test
    void aLayerSeparateG1GoesToContiguousG2PieceByPieceAndComesBack()
    {
        // 4 regions (2 layers x K/V) of 2 KiB per block, each region its own array of 16 slots.
        try (io.kvbm4j.tiers.memory.AlignedMemory raw = new io.kvbm4j.tiers.memory.AlignedMemory(4 * 16 * 2048, 4096))
        {
            final long[] bases = new long[4];
            for (int r = 0; r < 4; r++)
            {
                bases[r] = raw.address() + r * 16L * 2048;
            }
            final io.kvbm4j.tiers.memory.LayerSeparateSlotMemory layered =
                new io.kvbm4j.tiers.memory.LayerSeparateSlotMemory(bases, 2048, 16, BYTES);
            for (int slot = 0; slot < 2; slot++)
            {
                for (int r = 0; r < 4; r++)
                {
                    for (long i = 0; i < 2048; i += 8)
                    {
                        UnsafeApi.putLong(layered.pieceAddress(slot, r, 4) + i, slot * 1_000_000L + r * 10_000L + i);
                    }
                }
            }
            final HostCopier host = new HostCopier();
            assertTrue(host.supports(layered, lower) && host.supports(lower, layered));
            engine = new TransferEngine(2, 4, 8, host, clock, "test");
            final Transfer down = engine.claim();
            down.begin(Transfer.OFFLOAD, layered, lower, clock.nanoTime() + 1_000_000, true);
            down.add(0, 5, 0);
            down.add(1, 6, 0);
            engine.submit(down);
            assertNotNull(next(10));
            for (int slot = 0; slot < 2; slot++)
            {
                assertEquals(TransferOutcome.DONE, down.outcome(slot));
                for (int r = 0; r < 4; r++)
                {
                    for (long i = 0; i < 2048; i += 8)
                    {
                        assertEquals(slot * 1_000_000L + r * 10_000L + i,
                            UnsafeApi.getLong(lower.address(5 + slot) + r * 2048L + i), "G2 holds [layer][k|v] in order");
                    }
                }
                assertEquals(PayloadChecksum.of(lower.address(5 + slot), BYTES), down.checksum(slot));
            }
            engine.recycle(down);
            final Transfer up = engine.claim();
            up.begin(Transfer.ONBOARD, lower, layered, clock.nanoTime() + 1_000_000, true);
            up.add(5, 2, down.checksum(0));
            up.add(6, 3, down.checksum(1) ^ 1); // a wrong checksum: refused before it reaches G1
            engine.submit(up);
            assertNotNull(next(10));
            assertEquals(TransferOutcome.DONE, up.outcome(0));
            assertEquals(TransferOutcome.FAILED, up.outcome(1));
            assertTrue(up.checksumMismatch(1));
            for (int r = 0; r < 4; r++)
            {
                assertEquals(r * 10_000L + 8, UnsafeApi.getLong(layered.pieceAddress(2, r, 4) + 8));
                assertEquals(0, UnsafeApi.getLong(layered.pieceAddress(3, r, 4) + 8), "never written");
            }
            engine.stop(10, TimeUnit.SECONDS);
            engine = null;
        }
    }

    @Test
    void nonAdjacentBlocksGoInSeparateCopies()
    {
        engine = new TransferEngine(2, 4, 8, new HostCopier(), clock, "test");
        offload(3, 0, 7, 1, 8, 5);
        assertNotNull(next(10));
        assertEquals(3, engine.copies());
    }

    @Test
    void onboardWithAWrongChecksumFailsThatBlockOnly()
    {
        engine = new TransferEngine(2, 4, 8, new HostCopier(), clock, "test");
        fill(lower, 0, 7);
        fill(lower, 1, 8);
        final Transfer t = engine.claim();
        t.begin(Transfer.ONBOARD, lower, upper, clock.nanoTime() + 1_000_000, true);
        t.add(0, 10, PayloadChecksum.of(lower.address(0), BYTES));
        t.add(1, 11, PayloadChecksum.of(lower.address(1), BYTES) ^ 1);
        engine.submit(t);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.DONE, t.outcome(0));
        assertFalse(t.checksumMismatch(0));
        assertEquals(TransferOutcome.FAILED, t.outcome(1));
        assertTrue(t.checksumMismatch(1));
    }

    /** A host copier that flips one byte of the destination of block {@code bad} (a copy gone wrong). */
    private static BlockCopier corrupting(final SlotMemory memory, final int badDst)
    {
        final HostCopier host = new HostCopier();
        return new BlockCopier()
        {
            @Override
            public int copy(final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot,
                final int blocks, final Transfer transfer)
            {
                final int r = host.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
                if (dst == memory && badDst >= dstSlot && badDst < dstSlot + blocks)
                {
                    final long at = dst.address(badDst) + 77;
                    UnsafeApi.putByte(at, (byte)~UnsafeApi.getByte(at));
                }
                return r;
            }

            @Override
            public boolean supports(final SlotMemory src, final SlotMemory dst)
            {
                return true;
            }
        };
    }

    @Test
    void anOffloadCopyThatDiffersFromItsSourceFailsThatBlockAsAMismatch()
    {
        engine = new TransferEngine(2, 4, 8, corrupting(lower, 1), clock, "test");
        offload(3, 0, 4, 1, 5, 2);
        final Transfer t = next(10);
        assertNotNull(t);
        assertEquals(TransferOutcome.DONE, t.outcome(0));
        assertEquals(TransferOutcome.FAILED, t.outcome(1), "the copy is compared with the bytes its checksum is of");
        assertTrue(t.checksumMismatch(1));
        assertEquals(TransferOutcome.DONE, t.outcome(2));
    }

    @Test
    void anOnboardFromAJustVerifiedSourceComparesTheCopyWithItInsteadOfHashingIt()
    {
        engine = new TransferEngine(2, 4, 8, corrupting(upper, 11), clock, "test");
        fill(lower, 0, 7);
        fill(lower, 1, 8);
        fill(lower, 2, 9);
        final Transfer t = engine.claim();
        t.begin(Transfer.ONBOARD, lower, upper, clock.nanoTime() + 1_000_000, true);
        // The caller vouches for a verified source: its checksum is not looked at, the copy is compared.
        t.add(0, 10, 12345, true);
        t.add(1, 11, PayloadChecksum.of(lower.address(1), BYTES), true); // a bad copy of a good source
        t.add(2, 12, 12345, false); // not vouched for: hashed, and the checksum is wrong
        engine.submit(t);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.DONE, t.outcome(0));
        assertTrue(sameBytes(lower, 0, upper, 10));
        assertEquals(TransferOutcome.FAILED, t.outcome(1), "a copy that differs from its source fails");
        assertTrue(t.checksumMismatch(1));
        assertEquals(TransferOutcome.FAILED, t.outcome(2));
        assertTrue(t.checksumMismatch(2));
    }

    @Test
    void aCopierThatFailsEndsTheRunFailed()
    {
        engine = new TransferEngine(2, 4, 8, new BlockCopier()
        {
            @Override
            public int copy(final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot,
                final int blocks, final Transfer transfer)
            {
                return TransferOutcome.FAILED;
            }

            @Override
            public boolean supports(final SlotMemory src, final SlotMemory dst)
            {
                return true;
            }
        }, clock, "test");
        final Transfer t = offload(1, 1);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.FAILED, t.outcome(0));
    }

    @Test
    void aCopierThatThrowsEndsFailedAndTheThreadKeepsGoing()
    {
        engine = new TransferEngine(2, 4, 8, new BlockCopier()
        {
            private int calls;

            @Override
            public int copy(final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot,
                final int blocks, final Transfer transfer)
            {
                if (calls++ == 0)
                {
                    throw new IllegalStateException("injected");
                }
                return host.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
            }

            private final HostCopier host = new HostCopier();

            @Override
            public boolean supports(final SlotMemory src, final SlotMemory dst)
            {
                return true;
            }
        }, clock, "test");
        final Transfer first = offload(1, 1);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.FAILED, first.outcome(0));
        engine.recycle(first);
        final Transfer second = offload(2, 2);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.DONE, second.outcome(0));
    }

    @Test
    void aCopyThatEndsAfterItsDeadlineIsTimedOut()
    {
        final HostCopier host = new HostCopier();
        engine = new TransferEngine(2, 4, 8, new BlockCopier()
        {
            @Override
            public int copy(final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot,
                final int blocks, final Transfer transfer)
            {
                clock.update(clock.nanoTime() + 2_000_000); // the copy "takes" 2 ms of a 1 ms budget
                return host.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
            }

            @Override
            public boolean supports(final SlotMemory src, final SlotMemory dst)
            {
                return true;
            }
        }, clock, "test");
        final Transfer t = offload(1, 1);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.TIMED_OUT, t.outcome(0));
    }

    @Test
    void aRequestPastItsDeadlineIsNotCopied()
    {
        engine = new TransferEngine(2, 4, 8, new HostCopier(), clock, "test");
        final Transfer t = engine.claim();
        t.begin(Transfer.OFFLOAD, upper, lower, clock.nanoTime() - 1, true);
        t.add(1, 1, 0);
        engine.submit(t);
        assertNotNull(next(10));
        assertEquals(TransferOutcome.TIMED_OUT, t.outcome(0));
        assertEquals(0, engine.copies());
    }

    @Test
    void claimAnswersNullOnceInFlightPlusQueuedAreOutstanding()
    {
        engine = new TransferEngine(2, 3, 1, new HostCopier(), clock, "test");
        for (int i = 0; i < 5; i++)
        {
            assertNotNull(engine.claim(), "record " + i);
        }
        assertNull(engine.claim());
        assertEquals(5, engine.outstanding());
    }

    @Test
    void onAnInvokerNothingMovesUntilTheOwnerRunsTheDutyCycle()
    {
        engine = new TransferEngine(1, 2, 8, new HostCopier(), clock, "test", true);
        assertTrue(engine.invokerMode());
        final Transfer first = offload(3, 0, 4, 1);
        final Transfer second = offload(7, 5);
        assertNull(engine.pollCompleted(), "submitted, not yet run");
        assertEquals(0, engine.copies());
        assertTrue(engine.invoke() > 0, "one duty cycle: both requests taken and copied (synchronous copies)");
        assertEquals(first, engine.pollCompleted());
        assertEquals(second, engine.pollCompleted());
        assertEquals(0, engine.invoke(), "idle");
        assertEquals(TransferOutcome.DONE, first.outcome(1));
        assertTrue(sameBytes(upper, 4, lower, 1));
        assertTrue(sameBytes(upper, 7, lower, 5));
    }

    @Test
    void stopOnAnInvokerCancelsTheQueueOnTheCallersThread()
    {
        engine = new TransferEngine(1, 2, 1, new HostCopier(), clock, "test", true);
        final Transfer queued = offload(1, 1);
        assertTrue(engine.stop(10, TimeUnit.SECONDS));
        assertEquals(queued, engine.pollCompleted());
        assertEquals(TransferOutcome.CANCELLED, queued.outcome(0));
        assertEquals(0, engine.invoke(), "a stopped agent does no more work");
        assertNull(engine.claim());
        engine = null;
    }

    @Test
    void stopCancelsWhatHasNotStartedAndFinishesWhatHas() throws Exception
    {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        engine = new TransferEngine(1, 4, 1, blockingCopier(entered, proceed), clock, "test");
        final Transfer running = offload(1, 1);
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        final Transfer queued1 = offload(2, 2);
        final Transfer queued2 = offload(3, 3);
        final Thread releaser = new Thread(() ->
        {
            while (!engine.stopping())
            {
                Thread.onSpinWait();
            }
            proceed.countDown();
        });
        releaser.start();
        assertTrue(engine.stop(10, TimeUnit.SECONDS));
        releaser.join();
        int seen = 0;
        Transfer t;
        while ((t = engine.pollCompleted()) != null)
        {
            seen++;
        }
        assertEquals(3, seen, "every submitted record comes back once");
        assertEquals(TransferOutcome.DONE, running.outcome(0));
        assertEquals(TransferOutcome.CANCELLED, queued1.outcome(0));
        assertEquals(TransferOutcome.CANCELLED, queued2.outcome(0));
        assertNull(engine.claim(), "a stopped engine hands out nothing");
        engine = null;
    }

    @Test
    void stopGivesUpOnAStuckCopyAtItsDeadline() throws Exception
    {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        engine = new TransferEngine(1, 1, 1, blockingCopier(entered, proceed), clock, "test");
        offload(1, 1);
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        assertFalse(engine.stop(50, TimeUnit.MILLISECONDS), "stuck copy: thread abandoned");
        proceed.countDown(); // let it end before the memory is freed
        assertNotNull(next(10));
        engine = null;
    }

    private static BlockCopier blockingCopier(final CountDownLatch entered, final CountDownLatch proceed)
    {
        final HostCopier host = new HostCopier();
        return new BlockCopier()
        {
            @Override
            public int copy(final SlotMemory src, final int srcSlot, final SlotMemory dst, final int dstSlot,
                final int blocks, final Transfer transfer)
            {
                entered.countDown();
                try
                {
                    proceed.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return TransferOutcome.FAILED;
                }
                return host.copy(src, srcSlot, dst, dstSlot, blocks, transfer);
            }

            @Override
            public boolean supports(final SlotMemory src, final SlotMemory dst)
            {
                return true;
            }
        };
    }
}
