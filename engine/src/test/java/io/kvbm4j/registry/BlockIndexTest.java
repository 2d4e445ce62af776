package io.kvbm4j.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class BlockIndexTest
{
    private record Key(long hi, long lo)
    {
    }

    @Test
    void behavesLikeAMapUnderRandomPutsAndRemovesWithSmallSequentialIds()
    {
        final long seed = System.nanoTime();
        final SplittableRandom r = new SplittableRandom(seed);
        try (BlockIndex index = new BlockIndex(256))
        {
            final Map<Key, Integer> model = new HashMap<>();
            final List<Key> keys = new ArrayList<>();
            for (int step = 0; step < 200_000; step++)
            {
                // Small ids collide in the low bits: exercises probing and backward shifts.
                final Key k = new Key(r.nextInt(3), r.nextInt(400));
                final int op = r.nextInt(3);
                if (op == 0)
                {
                    final int slot = r.nextInt(1000);
                    final Integer old = model.get(k);
                    final int result = index.putIfAbsent(k.hi(), k.lo(), slot);
                    if (old != null)
                    {
                        assertEquals((int)old, result, "seed " + seed);
                    }
                    else if (model.size() == 256)
                    {
                        assertEquals(-2, result, "seed " + seed);
                    }
                    else
                    {
                        assertEquals(-1, result, "seed " + seed);
                        model.put(k, slot);
                        keys.add(k);
                    }
                }
                else if (op == 1)
                {
                    final Integer old = model.remove(k);
                    assertEquals(old == null ? -1 : old, index.remove(k.hi(), k.lo()), "seed " + seed);
                }
                else
                {
                    final Integer v = model.get(k);
                    assertEquals(v == null ? -1 : v, index.get(k.hi(), k.lo()), "seed " + seed);
                }
                assertEquals(model.size(), index.size(), "seed " + seed);
            }
            final int[] visited = {0};
            index.forEach((hi, lo, slot) ->
            {
                assertEquals(model.get(new Key(hi, lo)), slot);
                visited[0]++;
            });
            assertEquals(model.size(), visited[0]);
        }
    }
}
