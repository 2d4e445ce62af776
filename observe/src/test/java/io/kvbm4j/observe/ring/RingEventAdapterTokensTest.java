package io.kvbm4j.observe.ring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.Tier;
import io.kvbm4j.observe.events.KvEventSink;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.TokenRing;

/** The adapter's token handling, driven with hand-written ring entries on the test's thread. */
class RingEventAdapterTokensTest
{
    private static final int B = 4;

    /** One {@code stored} call as the sink saw it. */
    private record Stored(long[] ids, int[] tokens)
    {
    }

    private static final class Sink implements KvEventSink
    {
        final List<Stored> stored = new ArrayList<>();

        @Override
        public void stored(final Tier tier, final long[] idHi, final long[] idLo, final int n, final boolean hasParent,
            final long parentHi, final long parentLo, final int[] tokens, final int tokenCount, final long timeNanos)
        {
            stored.add(new Stored(Arrays.copyOf(idLo, n), Arrays.copyOf(tokens, tokenCount)));
        }

        @Override
        public void removed(final Tier tier, final long[] idHi, final long[] idLo, final int n, final long timeNanos)
        {
        }

        @Override
        public void cleared(final long timeNanos)
        {
        }
    }

    /** A G1 STORED entry of a chain of blocks 1..n (ids 1, 2, ...), block i's tokens at {@code pos[i]}. */
    private static BlockEvent stored(final long... pos)
    {
        final BlockEvent e = new BlockEvent();
        e.type = BlockEventType.STORED;
        e.tier = Tier.G1.ordinal();
        e.count = pos.length;
        e.timeNanos = 1;
        for (int i = 0; i < pos.length; i++)
        {
            e.idLo[i] = i + 1;
            e.parentLo[i] = i;
            e.tokenPos[i] = pos[i];
        }
        return e;
    }

    private static int[] block(final int first)
    {
        return new int[] {first, first + 1, first + 2, first + 3};
    }

    @Test
    void aChainedRunCarriesEveryBlocksTokensInOrder()
    {
        final TokenRing ring = new TokenRing(64);
        final long p0 = ring.write(block(10), 0, B);
        final long p1 = ring.write(block(20), 0, B);
        final Sink sink = new Sink();
        final RingEventAdapter adapter = new RingEventAdapter(ring, B, sink);
        adapter.onEvent(stored(p0, p1), 0, true);
        assertEquals(1, sink.stored.size());
        assertArrayEquals(new long[] {1, 2}, sink.stored.get(0).ids());
        assertArrayEquals(new int[] {10, 11, 12, 13, 20, 21, 22, 23}, sink.stored.get(0).tokens());
        assertEquals(2, adapter.tokenBlocks());
        assertEquals(0, adapter.tokensLost());
    }

    @Test
    void aBlockWhoseTokensWereOverwrittenGoesOutWithoutTokensAndIsCounted()
    {
        final TokenRing ring = new TokenRing(16);
        final long p0 = ring.write(block(10), 0, B);
        final long p1 = ring.write(block(20), 0, B);
        ring.write(new int[12], 0, 12); // the writer laps the first block only
        final Sink sink = new Sink();
        final RingEventAdapter adapter = new RingEventAdapter(ring, B, sink);
        adapter.onEvent(stored(p0, p1), 0, true);
        assertEquals(2, sink.stored.size(), "a run carries tokens for all its blocks or none: it splits");
        assertArrayEquals(new long[] {1}, sink.stored.get(0).ids());
        assertEquals(0, sink.stored.get(0).tokens().length);
        assertArrayEquals(new long[] {2}, sink.stored.get(1).ids());
        assertArrayEquals(block(20), sink.stored.get(1).tokens());
        assertEquals(1, adapter.tokensLost());
    }

    @Test
    void bareIdBlocksAndBlocksWithTokensDoNotShareARun()
    {
        final TokenRing ring = new TokenRing(64);
        final long p1 = ring.write(block(20), 0, B);
        final Sink sink = new Sink();
        new RingEventAdapter(ring, B, sink).onEvent(stored(-1, p1, -1), 0, true);
        assertEquals(3, sink.stored.size());
        assertEquals(0, sink.stored.get(0).tokens().length);
        assertArrayEquals(block(20), sink.stored.get(1).tokens());
        assertEquals(0, sink.stored.get(2).tokens().length);
    }
}
