package io.kvbm4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;
import io.kvbm4j.metrics.CounterArray;

class RingWriterTest
{
    /** Records every entry's type and block count; blocks on its first entry until released. */
    private static final class Recorder implements EventHandler<BlockEvent>
    {
        final List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch release = new CountDownLatch(1);

        @Override
        public void onEvent(final BlockEvent e, final long sequence, final boolean endOfBatch) throws InterruptedException
        {
            release.await();
            seen.add(e.type + "x" + e.count);
        }
    }

    @Test
    void aRunSpillsIntoTheNextClaimedEntryAndUnusedEntriesGoOutAsNoop() throws InterruptedException
    {
        final Recorder recorder = new Recorder();
        recorder.release.countDown();
        try (BlockTable table = new BlockTable(8);
             EventPipeline pipeline = new EventPipeline(64, WaitStrategyKind.SLEEPING, List.of(recorder),
                 new CounterArray(), "test"))
        {
            final RingWriter writer = new RingWriter(pipeline, table, 8);
            assertEquals(3, RingWriter.entriesFor(BlockEvent.RUN * 2 + 1));
            assertTrue(writer.claim(3));
            writer.run(BlockEventType.STORED, Tier.G1, 1, 1, 0);
            for (int i = 0; i < BlockEvent.RUN + 5; i++)
            {
                writer.add(i, 1, i, 0, 0, i, 1, 0, 0, 0);
            }
            writer.publish();
            assertTrue(pipeline.awaitDrained(10, TimeUnit.SECONDS));
            assertEquals(List.of("STOREDx32", "STOREDx5", "NOOPx0"), recorder.seen);
        }
    }

    @Test
    void moreHeldReleasesThanOneClaimTakesGoOutInRingSizedPartsAheadOfAnythingElse() throws InterruptedException
    {
        final Recorder recorder = new Recorder();
        final int slots = 64 * BlockEvent.RUN + 10; // one claim of the whole ring holds 64 x 32 blocks
        try (BlockTable table = new BlockTable(slots);
             EventPipeline pipeline = new EventPipeline(64, WaitStrategyKind.SLEEPING, List.of(recorder),
                 new CounterArray(), "test"))
        {
            final RingWriter writer = new RingWriter(pipeline, table, slots);
            for (int s = 0; s < slots; s++)
            {
                writer.deferRelease(s, 1, 0);
            }
            writer.deferRelease(3, 2, 0); // twice: still one entry for slot 3
            assertEquals(slots, writer.deferredReleases());
            recorder.release.countDown();
            assertFalse(writer.claim(1), "the first part goes out; this call waits behind the rest");
            assertEquals(10, writer.deferredReleases());
            assertTrue(pipeline.awaitDrained(10, TimeUnit.SECONDS));
            assertTrue(writer.claim(1), "the rest and this call fit now");
            assertEquals(0, writer.deferredReleases());
            writer.single(BlockEventType.DEGRADED, Tier.G3, 0, 3, 0);
            writer.publish();
            assertTrue(pipeline.awaitDrained(10, TimeUnit.SECONDS));
            assertEquals(64 + 2, recorder.seen.size());
            assertEquals("RELEASEx10", recorder.seen.get(64), "the held releases precede the call's own event");
            assertEquals("DEGRADEDx0", recorder.seen.get(65));
        }
    }
}
