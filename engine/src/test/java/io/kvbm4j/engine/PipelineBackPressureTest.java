package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.BlockIds;
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

    /** One registered block (one STORED entry), its slot in {@code held[0]}. */
    private static void storeOne(final DefaultKvBlockManager m, final long base, final int[] held)
    {
        store(m, chain(base, 1), base, held);
    }

    @Test
    void fullRingReturnsBackPressuredLeavesStateConsistentAndRecovers() throws InterruptedException
    {
        final StalledHandler stall = new StalledHandler();
        final DefaultKvBlockManager m = open(Engines.builder(config(512, "ring.size", "64")).handler(stall));
        final int[] held = new int[1];
        storeOne(m, 1, held); // two entries (the match's miss, the STORED): the handler stalls on the first
        assertTrue(stall.stalled.await(10, TimeUnit.SECONDS));
        int accepted = 2;
        int refused = 0;
        for (int i = 0; i < 200; i++)
        {
            final int refs = m.pool(Tier.G1).table().refCount(held[0]);
            final int r = m.acquire(held[0]); // one entry each
            if (r == Status.BACK_PRESSURED)
            {
                refused++;
                assertEquals(refs, m.pool(Tier.G1).table().refCount(held[0]), "a refused call changes nothing");
            }
            else
            {
                assertEquals(refs + 1, r);
                accepted++;
            }
        }
        assertEquals(64, accepted, "exactly the ring's capacity was accepted");
        assertEquals(200 - 62, refused);
        assertEquals(refused, m.counters().get(Counter.BACK_PRESSURED));
        assertNull(m.checkInvariants());

        // release never answers BACK_PRESSURED: applied now, its event held back
        assertEquals(62, m.release(held[0]));
        assertEquals(1, m.counters().get(Counter.RELEASES_DEFERRED));
        final int[] other = new int[1];
        assertEquals(Status.BACK_PRESSURED, m.match(chain(1, 1), 1, 9, other),
            "a call that needs the ring cannot publish ahead of the held release");

        stall.release.countDown();
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        assertEquals(1, m.match(chain(1, 1), 1, 9, other), "after the handler drains, calls go through again");
        final int refs = m.pool(Tier.G1).table().refCount(held[0]);
        for (int i = 0; i < refs; i++)
        {
            assertTrue(m.release(held[0]) >= 0);
        }
        assertEquals(BlockState.REGISTERED, m.state(held[0]));
        assertEquals(0, m.pool(Tier.G1).table().refCount(held[0]));
    }

    @Test
    void releasesMadeWhileTheRingIsFullAreNeverRefusedAndPrecedeTheEvictionsTheyAllow() throws InterruptedException
    {
        final StalledHandler stall = new StalledHandler();
        final List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        final EventHandler<BlockEvent> recorder = (e, sequence, endOfBatch) ->
        {
            for (int i = 0; i < e.count; i++)
            {
                seen.add(e.type + ":" + e.slot[i]);
            }
        };
        final DefaultKvBlockManager m = open(Engines.builder(config(4, "ring.size", "64")).handler(stall)
            .handler(recorder));
        final int[] held = new int[4];
        store(m, chain(7, 4), 7, held); // 4 STORED entries; the G1 pool is full and every block in use
        assertTrue(stall.stalled.await(10, TimeUnit.SECONDS));
        while (m.acquire(held[0]) >= 0)
        {
            // fill the ring
        }
        final int[] out = new int[1];
        for (int i = 3; i >= 1; i--)
        {
            assertTrue(m.release(held[i]) >= 0, "release is never refused");
        }
        assertEquals(3, m.counters().get(Counter.RELEASES_DEFERRED));
        assertEquals(Status.BACK_PRESSURED, m.allocate(1, 8, out), "the eviction must wait behind the releases");
        stall.release.countDown();
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        assertEquals(1, m.allocate(1, 8, out), "evicts the leaf the deferred release made inactive");
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        final int release = seen.lastIndexOf("RELEASE:" + held[3]);
        final int removed = seen.indexOf("REMOVED:" + held[3]);
        assertTrue(release >= 0 && removed > release, "RELEASE of the leaf precedes its REMOVED: " + seen);
        m.release(out[0]);
        final int refs = m.pool(Tier.G1).table().refCount(held[0]);
        for (int i = 0; i < refs; i++)
        {
            m.release(held[0]);
        }
    }

    @Test
    void aBatchCommitIsOneEventAndIsRefusedWholeWhenItsEntriesDoNotFit() throws InterruptedException
    {
        final StalledHandler stall = new StalledHandler();
        final EventTypeCounter counts = new EventTypeCounter();
        final DefaultKvBlockManager m = open(Engines.builder(config(512, "ring.size", "64")).handler(stall)
            .handler(counts));
        final int[] one = new int[1];
        storeOne(m, 1, one);
        assertTrue(stall.stalled.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 61; i++)
        {
            assertTrue(m.acquire(one[0]) > 0); // 2 + 61 entries used, 1 free
        }
        final BlockIds ids = chain(50, 40);
        final int[] slots = new int[40];
        assertEquals(40, m.allocate(40, 2, slots), "allocating free slots publishes nothing");
        assertEquals(Status.BACK_PRESSURED, m.commit(slots, 40, ids, 0, 2), "40 blocks need 2 entries, 1 is free");
        for (final int s : slots)
        {
            assertEquals(BlockState.PARTIAL, m.state(s), "a refused commit changes nothing");
        }
        final long published = m.counters().get(Counter.EVENTS_PUBLISHED);
        assertEquals(32, m.commit(slots, 32, ids, 0, 2));
        assertEquals(published + 1, m.counters().get(Counter.EVENTS_PUBLISHED), "32 new blocks: one ring entry");
        stall.release.countDown();
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        final int[] rest = java.util.Arrays.copyOfRange(slots, 32, 40);
        assertEquals(8, m.commit(rest, 8, ids, 32, 2));
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        assertEquals(1 + 40, counts.blocks(io.kvbm4j.pipeline.BlockEventType.STORED));
        assertEquals(41, m.metadata().size());
        assertEquals(32, m.release(slots, 32));
        assertEquals(8, m.release(rest, 8));
        final int refs = m.pool(Tier.G1).table().refCount(one[0]);
        for (int i = 0; i < refs; i++)
        {
            m.release(one[0]);
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
        assertEquals(20, counts.blocks(BlockEventType.STORED));
        assertEquals(20, m.metadata().size(), "the metadata handler kept up too");
    }
}
