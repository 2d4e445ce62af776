package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.metrics.TransferLatencies;

/** Finished transfers land in the latency histogram of their tier, direction and outcome, timed on the transfer clock. */
class TransferLatenciesTest extends EngineFixture
{
    private static final int G2 = 0;
    private static final int OFFLOAD = 0;
    private static final int ONBOARD = 1;
    private static final int DONE = 0;
    private static final int TIMED_OUT = 3;

    @Test
    void eachAppliedTransferIsTimedFromSubmissionToCompletion()
    {
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final DefaultKvBlockManager m = openInvoked(Engines.builder(config(8, "tiers.g2-blocks", "16",
            "tiers.g1-memory", "host", "transfers.admission", "always")).copier(copier).transferClock(copier.clock));
        final BlockIds ids = chain(1, 2);
        final int[] held = new int[2];
        store(m, ids, 1, held);
        releaseAll(m, held, 2);
        settle(m);
        final TransferLatencies lat = m.transferLatencies();
        final int offloadDone = TransferLatencies.series(G2, OFFLOAD, DONE);
        assertTrue(lat.count(offloadDone) >= 1, "the offload was recorded");
        assertEquals(lat.count(offloadDone), lat.bucket(offloadDone, 0), "the manual clock stood still: 0 ns, le 1 µs");

        final int[] slots = new int[m.capacity()];
        assertEquals(m.capacity(), m.allocate(m.capacity(), 99, slots)); // evicts the chain from G1
        releaseAll(m, slots, m.capacity());
        copier.lateOnboard = true; // the copy moves the clock past the deadline
        final Onboard onboard = new Onboard();
        m.matchOnboard(ids, 2, 2, held, onboard);
        assertEquals(0, m.awaitOnboard(onboard, held, TimeUnit.SECONDS.toNanos(10)));
        final int late = TransferLatencies.series(G2, ONBOARD, TIMED_OUT);
        assertEquals(1, lat.count(late));
        final long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(m.config().transfers().timeoutMs());
        assertTrue(lat.sumNanos(late) > timeoutNanos, "took longer than the timeout: " + lat.sumNanos(late));
        int bucket = 0;
        while (lat.bucket(late, bucket) == 0)
        {
            bucket++;
        }
        assertTrue(bucket == TransferLatencies.BUCKETS ||
            TransferLatencies.upperBoundSeconds(bucket) * 1e9 >= lat.sumNanos(late), "bucket " + bucket);
        assertTrue(bucket == 0 || TransferLatencies.upperBoundSeconds(bucket - 1) * 1e9 < lat.sumNanos(late));
    }

    @Test
    void bucketsAreUpperBoundsInMicrosecondsPowersOfTwo()
    {
        final TransferLatencies lat = new TransferLatencies();
        final int s = TransferLatencies.series(1, OFFLOAD, DONE);
        lat.record(1, 1, 1, 1_000); // 1 µs: le 1 µs
        lat.record(1, 1, 1, 1_001); // just over: le 2 µs
        lat.record(1, 1, 1, 4_000); // le 4 µs
        lat.record(1, 1, 1, 1_000_000_000_000L); // 1000 s: +Inf
        lat.record(1, 1, 9, 5); // not a final outcome: ignored
        assertEquals(1, lat.bucket(s, 0));
        assertEquals(1, lat.bucket(s, 1));
        assertEquals(1, lat.bucket(s, 2));
        assertEquals(1, lat.bucket(s, TransferLatencies.BUCKETS));
        assertEquals(4, lat.count(s));
        assertEquals(1_000_000_006_001L, lat.sumNanos(s));
    }

    @Test
    void withoutTransfersThereAreNoLatencies()
    {
        assertNull(open(config(8)).transferLatencies());
    }
}
