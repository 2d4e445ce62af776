package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Status;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.BlockEventType;
import io.kvbm4j.pipeline.TokenRing;

/** Commits that carry their blocks' tokens: the tokens reach ring handlers through the token ring. */
class TokenCommitTest extends EngineFixture
{
    /** Per stored block, in ring order: its id's low half and its tokens (null when the event carried none). */
    private static final class TokenReader implements EventHandler<BlockEvent>
    {
        private final TokenRing ring;
        private final int blockTokens;
        final List<long[]> ids = new ArrayList<>();
        final List<int[]> tokens = new ArrayList<>();
        final List<Integer> flags = new ArrayList<>();

        TokenReader(final TokenRing ring, final int blockTokens)
        {
            this.ring = ring;
            this.blockTokens = blockTokens;
        }

        @Override
        public synchronized void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
        {
            if (event.type != BlockEventType.STORED)
            {
                return;
            }
            for (int i = 0; i < event.count; i++)
            {
                int[] t = null;
                if (event.tokenPos[i] >= 0)
                {
                    t = new int[blockTokens];
                    assertTrue(ring != null && ring.read(event.tokenPos[i], blockTokens, t, 0), "tokens lapped");
                }
                ids.add(new long[] {event.idHi[i], event.idLo[i]});
                tokens.add(t);
                flags.add(event.flags[i]);
            }
        }
    }

    private static int[] tokensOf(final int blocks, final int blockTokens, final int seed)
    {
        final int[] t = new int[blocks * blockTokens + 3]; // 3 leading tokens: the offset is honoured
        for (int i = 0; i < t.length; i++)
        {
            t[i] = seed * 100_000 + i;
        }
        return t;
    }

    private int[] allocate(final DefaultKvBlockManager m, final int n, final long request)
    {
        final int[] slots = new int[n];
        assertEquals(n, m.allocate(n, request, slots));
        return slots;
    }

    @Test
    void commitWithTokensCarriesEachBlocksTokensToTheHandlers()
    {
        final TokenRing ring = new TokenRing(4096);
        final TokenReader reader = new TokenReader(ring, 16);
        final DefaultKvBlockManager m = open(Engines.builder(config(256)).tokenRing(ring).handler(reader));
        final int b = m.blockTokens();
        assertEquals(16, b);
        final BlockIds ids = chain(7, 40); // 40 blocks: two ring entries
        final int[] tokens = tokensOf(40, b, 1);
        final int[] slots = allocate(m, 40, 1);
        assertEquals(40, m.commit(slots, 40, ids, 0, 1, tokens, 3));
        // a second request continues the chain with two blocks committed by bare id
        final BlockIds longer = chain(7, 42);
        final int[] more = allocate(m, 2, 2);
        assertEquals(2, m.commit(more, 2, longer, 40, 2));
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        synchronized (reader)
        {
            assertEquals(42, reader.ids.size());
            for (int i = 0; i < 40; i++)
            {
                assertEquals(i + 1, reader.ids.get(i)[1]);
                final int[] want = java.util.Arrays.copyOfRange(tokens, 3 + i * b, 3 + (i + 1) * b);
                assertArrayEquals(want, reader.tokens.get(i), "tokens of block " + i);
            }
            assertNull(reader.tokens.get(40), "a bare-id commit carries no tokens");
            assertNull(reader.tokens.get(41));
        }
        releaseAll(m, slots, 40);
        releaseAll(m, more, 2);
    }

    /** The serving thread's cost of a token commit is a copy: nothing allocated per call. */
    @Test
    void tokenCommitsAllocateNothingOnTheServingThread()
    {
        final DefaultKvBlockManager m = open(Engines.builder(config(256)).tokenRing(new TokenRing(1 << 12)));
        final BlockIds ids = chain(9, 16);
        final int[] tokens = tokensOf(16, m.blockTokens(), 3);
        final int[] slots = new int[16];
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final long self = Thread.currentThread().getId();
        for (int round = 0; round < 2; round++)
        {
            final long before = threads.getThreadAllocatedBytes(self);
            for (int i = 0; i < 5_000; i++)
            {
                while (m.allocate(16, i, slots) == Status.BACK_PRESSURED)
                {
                    Thread.onSpinWait();
                }
                int r;
                while ((r = m.commit(slots, 16, ids, 0, i, tokens, 3)) == Status.BACK_PRESSURED)
                {
                    Thread.onSpinWait();
                }
                assertEquals(16, r);
                assertEquals(16, m.release(slots, 16));
            }
            final long allocated = threads.getThreadAllocatedBytes(self) - before;
            if (round == 1) // round 0 warms up (class loading, JIT)
            {
                assertTrue(allocated < 1024, "allocated " + allocated + " bytes in 5,000 token commits");
            }
        }
    }

    @Test
    void commitWithTooFewTokensIsRefusedAndChangesNothing()
    {
        final TokenRing ring = new TokenRing(1024);
        final DefaultKvBlockManager m = open(Engines.builder(config(64)).tokenRing(ring));
        final int[] slots = allocate(m, 2, 1);
        final int[] tokens = new int[2 * m.blockTokens() - 1];
        assertEquals(Status.INVALID_ARGUMENT, m.commit(slots, 2, chain(3, 2), 0, 1, tokens, 0));
        assertEquals(BlockState.PARTIAL, m.state(slots[0]));
        assertEquals(0, ring.written(), "nothing written for a refused call");
        releaseAll(m, slots, 2);
    }

    @Test
    void withoutATokenRingTokensAreAcceptedAndNotCarried()
    {
        final TokenReader reader = new TokenReader(null, 16);
        final DefaultKvBlockManager m = open(Engines.builder(config(64)).handler(reader));
        final int[] slots = allocate(m, 3, 1);
        assertEquals(3, m.commit(slots, 3, chain(5, 3), 0, 1, tokensOf(3, m.blockTokens(), 2), 0));
        assertTrue(m.awaitHandlers(10, TimeUnit.SECONDS));
        synchronized (reader)
        {
            assertEquals(3, reader.tokens.size());
            reader.tokens.forEach(t -> assertNull(t));
        }
        releaseAll(m, slots, 3);
    }
}
