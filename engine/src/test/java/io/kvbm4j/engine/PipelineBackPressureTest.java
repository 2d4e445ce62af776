package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.EventTypeCounter;

class PipelineBackPressureTest extends EngineFixture
{
    /** A handler that blocks on its first event until released: a stalled consumer. */
    private static final class StalledHandler implements EventHandler<BlockEvent>
    {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch stalled = new CountDownLatch(1);

        @Override
        public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
            throws InterruptedException
        {
            stalled.countDown();
            release.await();
        }
    }

    @Test
    void fullRingReturnsBackPressuredLeavesStateConsistentAndRecovers() throws InterruptedException
    {
        final StalledHandler stall = new StalledHandler();
        final DefaultKvBlockManager m = open(Engines.builder(config(512, "ring.size", "64")).handler(stall));
        final int[] slot = new int[1];
        assertEquals(1, m.allocate(1, 1, slot));
        assertTrue(stall.stalled.await(10, TimeUnit.SECONDS));
        // The handler holds entry 0; fill the rest of the ring with single-event calls.
        int accepted = 1;
        int refused = 0;
        final int[] out = new int[1];
        for (int i = 0; i < 200; i++)
        {
            final int before = m.pool(Tier.G1).freeCount();
            final int r = m.allocate(1, 2, out);
            if (r == Status.BACK_PRESSURED)
            {
                refused++;
                assertEquals(before, m.pool(Tier.G1).freeCount(), "a refused call takes nothing");
            }
            else
            {
                assertEquals(1, r);
                accepted++;
            }
        }
        assertEquals(64, accepted, "exactly the ring's capacity was accepted");
        assertEquals(200 - 63, refused);
        assertEquals(refused, m.counters().get(Counter.BACK_PRESSURED));
        assertNull(m.checkInvariants());
        assertEquals(BlockState.PARTIAL, m.state(slot[0]));
        assertEquals(Status.BACK_PRESSURED, m.release(slot[0]));
        assertEquals(BlockState.PARTIAL, m.state(slot[0]), "release refused: the block is unchanged");

        stall.release.countDown();
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        assertEquals(0, m.release(slot[0]), "after the handler drains, calls go through again");
        assertEquals(BlockState.RESET, m.state(slot[0]));
        for (int s = 0; s < 512; s++)
        {
            if (m.state(s) == BlockState.PARTIAL)
            {
                assertEquals(0, m.release(s));
            }
        }
    }

    @Test
    void multiEventCallIsRefusedWholeWhenItsEventsDoNotFit() throws InterruptedException
    {
        final StalledHandler stall = new StalledHandler();
        final DefaultKvBlockManager m = open(Engines.builder(config(512, "ring.size", "64")).handler(stall));
        final int[] first = new int[60];
        assertEquals(60, m.allocate(60, 1, first));
        assertTrue(stall.stalled.await(10, TimeUnit.SECONDS));
        final int[] more = new int[8];
        assertEquals(Status.BACK_PRESSURED, m.allocate(8, 2, more), "8 events do not fit in the 4 free entries");
        assertEquals(512 - 60, m.pool(Tier.G1).freeCount());
        assertEquals(4, m.allocate(4, 2, more));
        stall.release.countDown();
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        for (final int s : first)
        {
            m.release(s);
        }
        for (int i = 0; i < 4; i++)
        {
            m.release(more[i]);
        }
    }

    @Test
    void handlerThatThrowsIsCountedAndThePipelineKeepsRunning()
    {
        final AtomicLong seen = new AtomicLong();
        final EventHandler<BlockEvent> faulty = (event, sequence, endOfBatch) ->
        {
            seen.incrementAndGet();
            if (sequence % 3 == 0)
            {
                throw new IllegalStateException("injected handler failure at " + sequence);
            }
        };
        final EventTypeCounter counts = new EventTypeCounter();
        final DefaultKvBlockManager m = open(Engines.builder(config(64)).handler(faulty).handler(counts));
        final int[] held = new int[4];
        for (int round = 0; round < 5; round++)
        {
            store(m, chain(round, 4), round, held);
            releaseAll(m, held, 4);
        }
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        final long published = m.counters().get(Counter.EVENTS_PUBLISHED);
        assertEquals(published, seen.get(), "the faulty handler saw every event");
        assertEquals(published, counts.total(), "other handlers are unaffected");
        assertEquals((published + 2) / 3, m.counters().get(Counter.HANDLER_ERRORS));
        assertEquals(20, counts.count(BlockEventType.REGISTER));
        assertEquals(20, m.metadata().size(), "the metadata handler kept up too");
    }
}
