package io.kvbm4j.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.BlockState;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.pool.BlockPool;
import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Seeded random serving (match + onboard, allocate, fill, register, release) mixed with offloads,
 * onboards, injected copy failures and G2 corruption. Whatever happens, every block handed to the caller
 * carries its own bytes, and the pools' invariants hold after every step.
 */
class TransfersRandomizedTest extends EngineFixture
{
    private static final int SEQUENCES = 8;
    private static final int MAX_LENGTH = 6;

    private static long word(final long hi, final long lo, final long i)
    {
        return hi * 0x9E3779B97F4A7C15L + lo * 31 + i;
    }

    private static void write(final SlotMemory memory, final int slot, final long hi, final long lo)
    {
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            UnsafeApi.putLong(memory.address(slot) + i, word(hi, lo, i));
        }
    }

    private static boolean carries(final SlotMemory memory, final int slot, final long hi, final long lo)
    {
        for (long i = 0; i < memory.payloadBytes(); i += 8)
        {
            if (UnsafeApi.getLong(memory.address(slot) + i) != word(hi, lo, i))
            {
                return false;
            }
        }
        return true;
    }

    @Test
    void servedBlocksAlwaysCarryTheirOwnBytes()
    {
        for (final long seed : new long[] {1, 2, 3})
        {
            run(seed);
        }
    }

    @Test
    void servedBlocksAlwaysCarryTheirOwnBytesWithTheNextUsePolicyOnG1AndG2()
    {
        run(4, "tiers.g1-policy", "nextuse", "tiers.g2-policy", "nextuse");
    }

    private void run(final long seed, final String... policies)
    {
        final Random random = new Random(seed);
        final FaultInjectingCopier copier = new FaultInjectingCopier();
        final String[] settings = {"tiers.g2-blocks", "24", "tiers.g1-memory", "host", "transfers.admission",
            "always", "transfers.max-in-flight", "2", "transfers.max-queued", "2", "transfers.batch-blocks", "4"};
        final String[] all = java.util.Arrays.copyOf(settings, settings.length + policies.length);
        System.arraycopy(policies, 0, all, settings.length, policies.length);
        final DefaultKvBlockManager m = openInvoked(Engines.builder(config(16, all)).copier(copier));
        final BlockIds[] chains = new BlockIds[SEQUENCES];
        for (int c = 0; c < SEQUENCES; c++)
        {
            chains[c] = chain(seed * 1000 + c, 1 + random.nextInt(MAX_LENGTH));
        }
        final int[] slots = new int[MAX_LENGTH];
        final int[] fresh = new int[MAX_LENGTH];
        final Onboard onboard = new Onboard();
        long served = 0;
        for (int step = 0; step < 200; step++)
        {
            final String where = "seed " + seed + " step " + step;
            final int op = random.nextInt(10);
            if (op == 0)
            {
                corruptSomeG2Block(m, random);
            }
            else if (op == 1)
            {
                copier.failOnboard = random.nextBoolean();
                copier.corruptOnboard = random.nextInt(4) == 0;
            }
            else if (op == 2)
            {
                settle(m);
            }
            else
            {
                final BlockIds ids = chains[random.nextInt(SEQUENCES)];
                final int n = ids.size();
                final int available = m.matchOnboard(ids, n, step, slots, onboard);
                assertTrue(available >= 0, where + ": " + Status.name(available));
                int have = onboard.hits();
                if (onboard.pending())
                {
                    final int d = m.awaitOnboard(onboard, slots, TimeUnit.SECONDS.toNanos(10));
                    assertTrue(d >= 0 && d <= onboard.scheduled(), where + ": onboard " + Status.name(d));
                    have += d;
                }
                for (int i = 0; i < have; i++)
                {
                    assertTrue(carries(m.g1Memory(), slots[i], ids.hi(i), ids.lo(i)),
                        where + ": block " + i + " handed out with wrong bytes");
                }
                served += have;
                final int missing = n - have;
                if (missing > 0 && m.allocate(missing, step, fresh) == missing)
                {
                    for (int i = 0; i < missing; i++)
                    {
                        write(m.g1Memory(), fresh[i], ids.hi(have + i), ids.lo(have + i));
                        m.fill(fresh[i], m.blockTokens());
                        m.complete(fresh[i], ids, have + i);
                        slots[have + i] = m.register(fresh[i]);
                    }
                    have = n;
                }
                releaseAll(m, slots, have);
            }
            assertNull(m.checkInvariants(), where);
        }
        assertTrue(m.stopTransfers(10, TimeUnit.SECONDS));
        assertNull(m.checkInvariants());
        assertEquals(0, m.pool(Tier.G1).activeCount(), "seed " + seed + ": no pins after shutdown");
        assertEquals(0, m.pool(Tier.G2).activeCount() + m.pool(Tier.G2).partialCount());
        assertTrue(served > 0);
        assertTrue(m.counters().get(Counter.ONBOARDED_BLOCKS) > 0, "seed " + seed + ": onboards happened");
    }

    private static void corruptSomeG2Block(final DefaultKvBlockManager m, final Random random)
    {
        final BlockPool g2 = m.pool(Tier.G2);
        final int start = random.nextInt(g2.capacity());
        for (int k = 0; k < g2.capacity(); k++)
        {
            final int slot = (start + k) % g2.capacity();
            if (g2.state(slot) == BlockState.REGISTERED && g2.table().refCount(slot) == 0)
            {
                final long at = m.hostMemory().address(slot) + random.nextInt((int)m.hostMemory().payloadBytes());
                UnsafeApi.putByte(at, (byte)(UnsafeApi.getByte(at) ^ 1));
                return;
            }
        }
    }
}
