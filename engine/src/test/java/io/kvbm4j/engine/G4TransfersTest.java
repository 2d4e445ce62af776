package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * G2→G4 write-back and G4→G2→G1 onboards (lookup, verified reads, G2→G1 leg on one ticket) between two managers
 * sharing one store: here the {@link InMemoryRemoteTier} double, so every step runs on the test's thread (the
 * same flows on a real redis-server, in two JVMs, are in the tools module's G4EngineSharingTest).
 */
class G4TransfersTest extends EngineFixture
{
    private static final long WAIT = TimeUnit.SECONDS.toNanos(10);

    private final Map<InMemoryRemoteTier.Key, InMemoryRemoteTier.Value> shared = new ConcurrentHashMap<>();

    @TempDir
    Path root;

    private static EngineConfig tiered(final String... extra)
    {
        final String[] base = {"tiers.g2-blocks", "4", "tiers.g1-memory", "host", "transfers.admission", "always",
            "g4.index-blocks", "16"};
        final String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return config(8, all);
    }

    private DefaultKvBlockManager node(final InMemoryRemoteTier store, final String... extra)
    {
        return openInvoked(Engines.builder(tiered(extra)).g4(store));
    }

    private static long word(final long hi, final long lo, final long i)
    {
        return hi * 0x9E3779B97F4A7C15L + lo * 31 + i;
    }

    private static boolean hasPayload(final SlotMemory memory, final int slot, final long hi, final long lo)
    {
        final long base = memory.address(slot);
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            if (UnsafeApi.getLong(base + i) != word(hi, lo, i))
            {
                return false;
            }
        }
        return true;
    }

    /** Serves a chain with real payloads and releases it: write-back to G2, then G4. */
    private static void serve(final DefaultKvBlockManager m, final BlockIds ids)
    {
        final int n = ids.size();
        final int[] slots = new int[n];
        assertEquals(0, m.match(ids, n, 1, slots));
        assertEquals(n, m.allocate(n, 1, slots));
        for (int i = 0; i < n; i++)
        {
            final long base = m.g1Memory().address(slots[i]);
            for (long b = 0; b < m.g1Memory().payloadBytes(); b += 8)
            {
                UnsafeApi.putLong(base + b, word(ids.hi(i), ids.lo(i), b));
            }
            assertEquals(m.blockTokens(), m.fill(slots[i], m.blockTokens()));
            assertEquals(0, m.complete(slots[i], ids, i));
            assertEquals(slots[i], m.register(slots[i]));
        }
        releaseAll(m, slots, n);
        settle(m);
    }

    /** matchOnboard + awaitOnboard of the whole chain. @return the blocks onboarded (slots released after checking bytes). */
    private static int onboard(final DefaultKvBlockManager m, final BlockIds ids)
    {
        final int n = ids.size();
        final int[] slots = new int[n];
        final Onboard onboard = new Onboard();
        final int k = m.matchOnboard(ids, n, 7, slots, onboard);
        assertTrue(k >= 0, "match status " + k);
        assertEquals(0, onboard.hits());
        final int got = onboard.pending() ? m.awaitOnboard(onboard, slots, WAIT) : 0;
        assertTrue(got >= 0, "onboard status " + got);
        for (int i = 0; i < got; i++)
        {
            assertEquals(BlockState.REGISTERED, m.state(slots[i]));
            assertTrue(hasPayload(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i)), "block " + i + " bytes");
        }
        releaseAll(m, slots, got);
        settle(m);
        return got;
    }

    @Test
    void aBlockOneNodeWroteBackIsOnboardedByAnotherFromG4WithItsBytes()
    {
        final InMemoryRemoteTier storeA = new InMemoryRemoteTier(shared);
        final DefaultKvBlockManager a = node(storeA);
        final BlockIds ids = chain(1, 4);
        serve(a, ids);
        assertEquals(4, a.counters().get(Counter.G4_OFFLOADED_BLOCKS));
        assertEquals(4, shared.size(), "written to the store");
        for (int i = 0; i < 4; i++)
        {
            assertTrue(a.pool(Tier.G4).lookup(ids.hi(i), ids.lo(i)) >= 0, "in A's G4 index (STORED G4)");
        }
        final InMemoryRemoteTier storeB = new InMemoryRemoteTier(shared);
        final DefaultKvBlockManager b = node(storeB);
        assertEquals(4, onboard(b, ids));
        assertEquals(1, b.counters().get(Counter.G4_LOOKUPS));
        assertEquals(4, b.counters().get(Counter.G4_LOOKUP_HITS));
        assertEquals(4, b.counters().get(Counter.G4_ONBOARDED_BLOCKS));
        assertEquals(1, storeB.lookups, "one prefix lookup");
        assertEquals(4, storeB.reads, "reads of the run only");
        final int[] slots = new int[4];
        assertEquals(4, b.match(ids, 4, 8, slots), "in B's G1 now");
        releaseAll(b, slots, 4);
    }

    @Test
    void withG3OnTooAWrittenBackBlockReachesG3AndG4AndIsOnboardedFromEachWithItsBytes()
    {
        // G3 on its asynchronous path (4 I/Os in flight) under G4: the G4 copier hands the disk's records to the
        // G3 copier and both answer from their own poll on the transfer thread.
        final InMemoryRemoteTier storeA = new InMemoryRemoteTier(shared);
        final DefaultKvBlockManager a = node(storeA, "g3.slot-count", "32", "g3.root", root.resolve("a").toString(),
            "g3.queue-depth", "4");
        final BlockIds ids = chain(1, 4);
        serve(a, ids);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(a.pool(Tier.G3).lookup(ids.hi(i), ids.lo(i)) >= 0, "block " + i + " in A's G3");
            assertTrue(a.pool(Tier.G4).lookup(ids.hi(i), ids.lo(i)) >= 0, "block " + i + " in A's G4 index");
        }
        assertEquals(4, shared.size(), "written to the store");

        final DefaultKvBlockManager b = node(new InMemoryRemoteTier(shared), "g3.slot-count", "32", "g3.root",
            root.resolve("b").toString(), "g3.queue-depth", "4");
        assertEquals(4, onboard(b, ids), "B, with an empty G3 of its own, onboards from G4");
        assertEquals(4, b.counters().get(Counter.G4_ONBOARDED_BLOCKS));
        assertEquals(0, b.counters().get(Counter.G3_ONBOARDED_BLOCKS));

        serve(a, chain(2, 4)); // fills A's G2: the first chain now lives in G3 (and G4) only, below G1
        G3TransfersTest.evictG1(a);
        settle(a);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(a.pool(Tier.G2).lookup(ids.hi(i), ids.lo(i)) < 0, "block " + i + " out of A's G2");
        }
        assertEquals(4, onboard(a, ids), "A onboards its own G3 copy");
        assertEquals(4, a.counters().get(Counter.G3_ONBOARDED_BLOCKS));
        assertEquals(0, a.counters().get(Counter.G4_ONBOARDED_BLOCKS), "G3 answered before G4 was asked");
    }

    @Test
    void anotherSaltNeverHitsTheSameSaltDoes()
    {
        serve(node(new InMemoryRemoteTier(shared)), chain(1, 4));
        final DefaultKvBlockManager other = node(new InMemoryRemoteTier(shared), "identity.tenant", "someone-else");
        assertEquals(0, onboard(other, chain(1, 4)));
        assertEquals(0, other.counters().get(Counter.G4_LOOKUP_HITS));
        assertEquals(4, onboard(node(new InMemoryRemoteTier(shared)), chain(1, 4)));
    }

    @Test
    void aCorruptValueIsAMissCountedDeletedAndEndsTheRun()
    {
        serve(node(new InMemoryRemoteTier(shared)), chain(1, 4));
        final InMemoryRemoteTier store = new InMemoryRemoteTier(shared);
        for (final InMemoryRemoteTier.Key key : shared.keySet())
        {
            if (key.lo() == 3)
            {
                store.corrupt(key.salt(), key.hi(), key.lo());
            }
        }
        final DefaultKvBlockManager b = node(store);
        assertEquals(2, onboard(b, chain(1, 4)), "the run ends before the corrupt third block");
        assertEquals(1, b.counters().get(Counter.G4_CORRUPT_BLOCKS));
        assertEquals(1, b.counters().get(Counter.CHECKSUM_MISMATCHES));
        assertEquals(3, shared.size(), "the corrupt value was deleted");
    }

    @Test
    void aTimedOutOrFailedReadIsAMissCountedAndNeverHandsOutTheSlot()
    {
        serve(node(new InMemoryRemoteTier(shared)), chain(1, 4));
        final InMemoryRemoteTier slow = new InMemoryRemoteTier(shared);
        slow.failReadsWith = io.kvbm4j.tiers.remote.RemoteOutcome.TIMED_OUT;
        final DefaultKvBlockManager b = node(slow);
        assertEquals(0, onboard(b, chain(1, 4)), "a timeout is a miss");
        assertEquals(4, b.counters().get(Counter.G4_LOOKUP_HITS), "the lookup found them");
        assertEquals(4, b.counters().get(Counter.G4_TIMEOUTS));
        assertEquals(4, b.counters().get(Counter.G4_READ_FAILED_BLOCKS));
        assertEquals(0, b.counters().get(Counter.G4_ONBOARDED_BLOCKS));
        slow.failReadsWith = io.kvbm4j.tiers.remote.RemoteOutcome.FAILED;
        assertEquals(0, onboard(b, chain(1, 4)), "an error is a miss");
        assertEquals(8, b.counters().get(Counter.G4_READ_FAILED_BLOCKS));
        slow.failReadsWith = -1;
        assertEquals(4, onboard(b, chain(1, 4)), "the store answers again: hits");
    }

    @Test
    void aDegradedG4IsSkippedByOffloadsAndMatches()
    {
        final InMemoryRemoteTier store = new InMemoryRemoteTier(shared);
        store.healthy = false;
        final DefaultKvBlockManager a = node(store);
        serve(a, chain(1, 4));
        assertEquals(4, a.counters().get(Counter.G4_OFFLOAD_DROPPED));
        assertEquals(0, store.writes);
        assertEquals(0, shared.size());
        assertEquals(1, a.counters().get(Counter.TIERS_DEGRADED), "DEGRADED G4 published once");
        assertEquals(0, onboard(a, chain(9, 4)));
        assertEquals(0, a.counters().get(Counter.G4_LOOKUPS), "no lookup while degraded");
        store.healthy = true;
        serve(a, chain(5, 4));
        assertEquals(4, a.counters().get(Counter.G4_OFFLOADED_BLOCKS), "written again once healthy");
    }

    @Test
    void forgettingTheLruEntryOfAFullG4IndexIsARemovedG4Event()
    {
        final DefaultKvBlockManager a = openInvoked(Engines.builder(config(8, "tiers.g2-blocks", "4",
            "tiers.g1-memory", "host", "transfers.admission", "always", "g4.index-blocks", "4"))
            .g4(new InMemoryRemoteTier(shared)));
        serve(a, chain(1, 4));
        serve(a, chain(2, 4));
        assertEquals(8, a.counters().get(Counter.G4_OFFLOADED_BLOCKS));
        assertEquals(4, a.counters().get(Counter.G4_EVICTED_BLOCKS));
        assertEquals(8, shared.size(), "the store keeps what the node forgot");
        // the residency checker (after the test) holds the REMOVED G4 events against the index pool
    }
}
