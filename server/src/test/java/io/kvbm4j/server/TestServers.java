package io.kvbm4j.server;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;

import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;

/** Configurations and data for service tests: the tiny-test model (2 KiB blocks), small tiers. */
final class TestServers
{
    private TestServers()
    {
    }

    /** The YAML of a small service: 64 shared blocks, 32 in G2, G3 in {@code g3Root} when not null. */
    static String yaml(final Path g3Root)
    {
        return "model: tiny-test\n" +
            "tiers:\n  g1-blocks: 64\n  g2-blocks: 32\n  g1-memory: host\n" +
            "transfers:\n  admission: always\n" +
            "ring:\n  size: 4096\n" +
            (g3Root == null ? "" : "g3:\n  slot-count: 256\n  root: " + g3Root + "\n");
    }

    static EngineConfig config(final Path g3Root)
    {
        return ConfigLoader.parse(yaml(g3Root), "test");
    }

    /** {@code n} ids of one sequence, as (hi, lo) pairs, distinct per seed. */
    static long[] ids(final long seed, final int n)
    {
        final long[] ids = new long[2 * n];
        final Random random = new Random(seed);
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = random.nextLong();
        }
        return ids;
    }

    /** A block's bytes: a pattern of the seed and the block's position. */
    static void fill(final ByteBuffer block, final long seed, final int position)
    {
        final Random random = new Random(seed * 1_000_003 + position);
        final ByteBuffer b = block.duplicate();
        while (b.remaining() >= 8)
        {
            b.putLong(random.nextLong());
        }
    }

    static ByteBuffer expected(final int bytes, final long seed, final int position)
    {
        final ByteBuffer b = ByteBuffer.allocate(bytes);
        fill(b, seed, position);
        return b;
    }
}
