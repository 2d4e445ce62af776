package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;

class ManagerLifecycleTest extends EngineFixture
{
    @Test
    void matchRightAfterRegisterFromTheSameThreadFindsTheBlock()
    {
        final DefaultKvBlockManager m = open(config(64));
        final BlockIds ids = chain(7, 3);
        final int[] held = new int[3];
        assertEquals(0, store(m, ids, 1, held));
        final int[] matched = new int[3];
        assertEquals(3, m.match(ids, 3, 2, matched));
        assertEquals(held[0], matched[0]);
        assertEquals(held[2], matched[2]);
        releaseAll(m, held, 3);
        releaseAll(m, matched, 3);
    }

    @Test
    void matchStopsAtFirstMissingBlock()
    {
        final DefaultKvBlockManager m = open(config(64));
        final BlockIds stored = chain(7, 2);
        final int[] held = new int[2];
        store(m, stored, 1, held);
        releaseAll(m, held, 2);
        final BlockIds longer = chain(7, 4);
        final int[] out = new int[4];
        assertEquals(2, m.match(longer, 4, 2, out));
        releaseAll(m, out, 2);

        final BlockIds other = chain(8, 4);
        assertEquals(0, m.match(other, 4, 3, out));
        assertEquals(2, m.counters().get(Counter.MATCH_HIT_BLOCKS));
        // store() matched 2 (both missing), then 2 of 4 and 0 of 4.
        assertEquals(8, m.counters().get(Counter.MATCH_MISS_BLOCKS));
    }

    @Test
    void registeredBlockIsActiveWhileReferencedAndInactiveAtZero()
    {
        final DefaultKvBlockManager m = open(config(8));
        final int[] held = new int[1];
        store(m, chain(1, 1), 1, held);
        assertEquals(BlockState.REGISTERED, m.state(held[0]));
        assertEquals(1, m.pool(io.kvbm4j.api.Tier.G1).activeCount());
        assertEquals(2, m.acquire(held[0]));
        assertEquals(1, m.release(held[0]));
        assertEquals(0, m.release(held[0]));
        assertEquals(1, m.pool(io.kvbm4j.api.Tier.G1).inactiveCount());
        assertEquals(Status.INVALID_STATE, m.release(held[0]), "no reference left to drop");
        assertEquals(1, m.counters().get(Counter.INVALID_STATE));
    }

    @Test
    void registeringAnIdAlreadyRegisteredDeduplicatesAndFreesTheNewBlock()
    {
        final DefaultKvBlockManager m = open(config(8));
        final BlockIds ids = chain(3, 1);
        final int[] a = new int[1];
        m.allocate(1, 1, a);
        final int[] b = new int[1];
        m.allocate(1, 2, b);
        m.fill(a[0], 16);
        m.fill(b[0], 16);
        m.complete(a[0], ids, 0);
        m.complete(b[0], ids, 0);
        assertEquals(a[0], m.register(a[0]));
        assertEquals(a[0], m.register(b[0]), "the caller gets the existing block");
        assertEquals(BlockState.RESET, m.state(b[0]));
        assertEquals(3, m.acquire(a[0]), "the existing block holds both callers' references, plus this one");
        assertEquals(1, m.counters().get(Counter.DEDUPLICATED_BLOCKS));
        m.release(a[0]);
        m.release(a[0]);
        m.release(a[0]);
    }

    @Test
    void illegalTransitionsAreRejectedWithAStatusAndChangeNothing()
    {
        final DefaultKvBlockManager m = open(config(8));
        final int[] s = new int[1];
        assertEquals(Status.INVALID_STATE, m.register(0), "RESET cannot be registered");
        assertEquals(Status.INVALID_STATE, m.fill(0, 1), "RESET cannot be filled");
        assertEquals(Status.INVALID_STATE, m.acquire(0), "RESET cannot be acquired");
        assertEquals(Status.INVALID_STATE, m.release(0), "RESET cannot be released");
        m.allocate(1, 1, s);
        assertEquals(Status.INVALID_STATE, m.register(s[0]), "PARTIAL cannot be registered");
        assertEquals(Status.INVALID_STATE, m.complete(s[0], 1, 1, 0, 0, 0), "a block not yet full cannot complete");
        assertEquals(Status.INVALID_ARGUMENT, m.fill(s[0], 17), "more tokens than a block holds");
        assertEquals(Status.INVALID_ARGUMENT, m.fill(s[0], 0));
        assertEquals(Status.INVALID_ARGUMENT, m.fill(99, 1), "no such slot");
        assertEquals(0, m.allocate(0, 1, s), "nothing asked, nothing done");
        assertEquals(Status.INVALID_ARGUMENT, m.allocate(-1, 1, s));
        assertEquals(Status.INVALID_ARGUMENT, m.allocate(2, 1, s), "slotsOut too short");
        assertEquals(BlockState.PARTIAL, m.state(s[0]));
        assertEquals(0, m.pool(io.kvbm4j.api.Tier.G1).table().tokens(s[0]));
        assertEquals(16, m.fill(s[0], 16));
        assertEquals(Status.INVALID_STATE, m.acquire(s[0]), "unregistered blocks hold no references");
        assertEquals(0, m.complete(s[0], 1, 1, 0, 0, 0));
        assertEquals(Status.INVALID_STATE, m.complete(s[0], 1, 1, 0, 0, 0), "already COMPLETE");
        assertEquals(0, m.release(s[0]), "a COMPLETE block goes straight back to the pool");
        assertEquals(BlockState.RESET, m.state(s[0]));
        assertNull(m.checkInvariants());
    }

    @Test
    void allocateEvictsLeastRecentlyUsedLeavesBeforeTheirParents()
    {
        final DefaultKvBlockManager m = open(config(6));
        final int[] a = new int[3];
        store(m, chain(1, 3), 1, a); // a0 <- a1 <- a2
        releaseAll(m, new int[] {a[2], a[1], a[0]}, 3); // leaf released first: oldest
        final int[] b = new int[3];
        store(m, chain(2, 3), 2, b);
        releaseAll(m, b, 3);
        final int[] c = new int[2];
        assertEquals(2, m.allocate(2, 3, c));
        // Chain 1 is least recently used: its leaf a2 goes first, then a1 (now a leaf), never a0 before them.
        assertEquals(BlockState.PARTIAL, m.state(a[2]));
        assertEquals(BlockState.PARTIAL, m.state(a[1]));
        assertEquals(BlockState.REGISTERED, m.state(a[0]));
        assertEquals(2, m.counters().get(Counter.EVICTED_BLOCKS));
        final int[] out = new int[3];
        assertEquals(1, m.match(chain(1, 3), 3, 4, out), "the surviving prefix still matches");
        m.release(out[0]);
        m.release(c[0]);
        m.release(c[1]);
    }

    @Test
    void aParentWithACachedChildIsNeverEvicted()
    {
        final DefaultKvBlockManager m = open(config(3));
        final int[] a = new int[2];
        store(m, chain(1, 2), 1, a);
        m.release(a[0]); // parent inactive but its child is still referenced
        final int[] c = new int[2];
        assertEquals(Status.NO_SPACE, m.allocate(2, 2, c), "only one free slot; the parent is not evictable");
        assertEquals(1, m.allocate(1, 2, c));
        assertEquals(BlockState.REGISTERED, m.state(a[0]));
        m.release(a[1]);
        m.release(c[0]);
    }

    @Test
    void allocateCascadesUpAChainWhoseLowerBlocksAreAllInactive()
    {
        final DefaultKvBlockManager m = open(config(4));
        final int[] a = new int[4];
        store(m, chain(1, 4), 1, a);
        releaseAll(m, a, 4);
        assertEquals(1, m.pool(io.kvbm4j.api.Tier.G1).evictableCount(), "only the leaf is a candidate now");
        final int[] s = new int[4];
        assertEquals(4, m.allocate(4, 2, s), "evicting the leaf makes its parent a candidate, and so on");
        assertEquals(4, m.counters().get(Counter.EVICTED_BLOCKS));
        releaseAll(m, s, 4);
    }

    @Test
    void cascadeThatRunsIntoABlockInUseGivesNoSpaceAndTakesNoSlot()
    {
        final DefaultKvBlockManager m = open(config(4));
        final int[] a = new int[4];
        store(m, chain(1, 3), 1, a);
        m.release(a[0]);
        m.release(a[1]); // a2, the leaf, stays in use: a0 and a1 are inactive but not evictable
        final int[] s = new int[3];
        assertEquals(Status.NO_SPACE, m.allocate(3, 2, s));
        assertEquals(1, m.pool(io.kvbm4j.api.Tier.G1).freeCount());
        assertEquals(BlockState.REGISTERED, m.state(a[0]));
        m.release(a[2]);
    }

    @Test
    void allocateIsAllOrNothingWhenSpaceIsShort()
    {
        final DefaultKvBlockManager m = open(config(4));
        final int[] s = new int[4];
        assertEquals(3, m.allocate(3, 1, s));
        assertEquals(Status.NO_SPACE, m.allocate(2, 2, new int[2]));
        assertEquals(1, m.pool(io.kvbm4j.api.Tier.G1).freeCount(), "nothing was taken");
        assertEquals(1, m.counters().get(Counter.NO_SPACE));
        for (int i = 0; i < 3; i++)
        {
            m.release(s[i]);
        }
    }

    @Test
    void fullMetadataStoreGivesNoSpaceOnRegister()
    {
        final DefaultKvBlockManager m = open(config(8, "metadata.max-entries", "2"));
        final int[] held = new int[2];
        store(m, chain(1, 2), 1, held);
        final int[] s = new int[1];
        m.allocate(1, 2, s);
        m.fill(s[0], 16);
        m.complete(s[0], 9, 9, 0, 0, 0);
        assertEquals(Status.NO_SPACE, m.register(s[0]));
        assertEquals(BlockState.COMPLETE, m.state(s[0]), "the block is left as it was; the caller may release it");
        m.release(s[0]);
        releaseAll(m, held, 2);
    }

    @Test
    void callsAfterCloseReturnClosed()
    {
        final DefaultKvBlockManager m = open(config(8));
        m.close();
        assertEquals(Status.CLOSED, m.allocate(1, 1, new int[1]));
        assertEquals(Status.CLOSED, m.match(chain(1, 1), 1, 1, new int[1]));
    }

    @Test
    void idsFromATraceAreUsedDirectly()
    {
        final DefaultKvBlockManager m = open(config(8));
        final BlockIds ids = new BlockIds(2);
        ids.add(0, 17);
        ids.add(0, 18);
        final int[] held = new int[2];
        store(m, ids, 1, held);
        final int[] out = new int[2];
        assertEquals(2, m.match(ids, 2, 2, out));
        assertNotEquals(out[0], out[1]);
        releaseAll(m, held, 2);
        releaseAll(m, out, 2);
    }
}
