package io.kvbm4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BlockIndexTest
{
    private record Key(long hi, long lo)
    {
    }

    /** Slot records as the index sees them: the id each slot holds. */
    private static final class Slots implements BlockIndex.Keys
    {
        final long[] hi;
        final long[] lo;

        Slots(final int n)
        {
            hi = new long[n];
            lo = new long[n];
        }

        @Override
        public long idHi(final int slot)
        {
            return hi[slot];
        }

        @Override
        public long idLo(final int slot)
        {
            return lo[slot];
        }
    }

    @Test
    void behavesLikeAMapUnderRandomPutsAndRemovesWithSmallSequentialIds()
    {
        final long seed = System.nanoTime();
        final SplittableRandom r = new SplittableRandom(seed);
        final int capacity = 256;
        final Slots slots = new Slots(capacity);
        try (BlockIndex index = new BlockIndex(capacity, slots))
        {
            final Map<Key, Integer> model = new HashMap<>();
            final ArrayDeque<Integer> free = new ArrayDeque<>();
            for (int s = 0; s < capacity; s++)
            {
                free.add(s);
            }
            for (int step = 0; step < 200_000; step++)
            {
                // Small ids: exercises probing, hash-only mismatches and backward shifts.
                final Key k = new Key(r.nextInt(3), r.nextInt(400));
                final int op = r.nextInt(3);
                if (op == 0)
                {
                    final Integer old = model.get(k);
                    if (old != null)
                    {
                        assertEquals((int)old, index.putIfAbsent(k.hi(), k.lo(), -7 /* unused */), "seed " + seed);
                    }
                    else if (free.isEmpty())
                    {
                        assertEquals(-2, index.putIfAbsent(k.hi(), k.lo(), 0), "full; seed " + seed);
                    }
                    else
                    {
                        final int slot = free.poll();
                        slots.hi[slot] = k.hi();
                        slots.lo[slot] = k.lo();
                        assertEquals(-1, index.putIfAbsent(k.hi(), k.lo(), slot), "seed " + seed);
                        model.put(k, slot);
                    }
                }
                else if (op == 1)
                {
                    final Integer old = model.remove(k);
                    assertEquals(old == null ? -1 : old, index.remove(k.hi(), k.lo()), "seed " + seed);
                    if (old != null)
                    {
                        slots.hi[old] = -1; // the slot is reused for another id later
                        slots.lo[old] = -1;
                        free.add(old);
                    }
                }
                else
                {
                    final Integer v = model.get(k);
                    assertEquals(v == null ? -1 : v, index.get(k.hi(), k.lo()), "seed " + seed);
                }
                assertEquals(model.size(), index.size(), "seed " + seed);
            }
            final int[] visited = {0};
            index.forEach((hi, lo, slot, consistent) ->
            {
                assertTrue(consistent);
                assertEquals(model.get(new Key(hi, lo)), slot);
                visited[0]++;
            });
            assertEquals(model.size(), visited[0]);
        }
    }

    @Test
    void aFullIndexRefusesNewIds()
    {
        final Slots slots = new Slots(2);
        try (BlockIndex index = new BlockIndex(2, slots))
        {
            for (int s = 0; s < 2; s++)
            {
                slots.lo[s] = s + 10;
                assertEquals(-1, index.putIfAbsent(0, s + 10, s));
            }
            assertEquals(-2, index.putIfAbsent(0, 99, 0));
            assertEquals(1, index.get(0, 11));
        }
    }
}
