package io.kvbm4j.replay;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A seeded generator of a Mooncake-format trace with the shape of a production agentic/coding workload, for
 * measuring the replay at scale without shipping a 200 MB file: by default ~7,500 requests of ~2,300 blocks
 * each (64-token blocks, so ~150 K-token contexts), ~17.5 M block accesses and ~0.8 M distinct ids.
 *
 * <p>Shape: sessions arrive over time and stay open for several turns, interleaved with the other live
 * sessions. A session starts from one of {@value #PREFIXES} shared tool/system prefixes (Zipf-popular,
 * 700..1,900 blocks) followed by its own initial context (a repository or document, 200..1,000 blocks);
 * every turn resends the whole history plus 20..100 new blocks, and ends in a partial block whose id is
 * never seen again. Some sessions fork (a retry or a sub-agent shares the history so far). Deterministic for
 * a seed; writes ~200 MB for the defaults. Never commit its output.
 */
public final class ProductionShapedTrace
{
    static final int PREFIXES = 24;
    static final int BLOCK_TOKENS = 64;

    private ProductionShapedTrace()
    {
    }

    /** Writes {@code requests} requests to {@code file}. @return the block accesses written. */
    public static long write(final Path file, final int requests, final long seed) throws IOException
    {
        final Random rnd = new Random(seed);
        final long[][] prefixes = new long[PREFIXES][];
        long nextId = 1;
        for (int p = 0; p < PREFIXES; p++)
        {
            prefixes[p] = new long[700 + rnd.nextInt(1201)];
            for (int j = 0; j < prefixes[p].length; j++)
            {
                prefixes[p][j] = scramble(nextId++);
            }
        }
        final double[] zipf = new double[PREFIXES];
        double sum = 0;
        for (int p = 0; p < PREFIXES; p++)
        {
            sum += 1.0 / (p + 1);
            zipf[p] = sum;
        }
        final int live = 64;
        final long[][] history = new long[live][];
        final int[] length = new int[live];
        final int[] turnsLeft = new int[live];
        long accesses = 0;
        long timestamp = 0;
        final byte[] buffer = new byte[1 << 20];
        int at = 0;
        try (OutputStream out = Files.newOutputStream(file))
        {
            for (int r = 0; r < requests; r++)
            {
                final int s = rnd.nextInt(live);
                if (turnsLeft[s] == 0)
                {
                    if (history[s] != null && rnd.nextInt(8) == 0)
                    {
                        // A fork: another session continues from this one's history.
                        final int t = rnd.nextInt(live);
                        history[t] = history[s].clone();
                        length[t] = length[s];
                        turnsLeft[t] = 2 + rnd.nextInt(8);
                    }
                    final double u = rnd.nextDouble() * sum;
                    int p = 0;
                    while (zipf[p] < u)
                    {
                        p++;
                    }
                    final int own = 200 + rnd.nextInt(801);
                    history[s] = new long[prefixes[p].length + own + 2000];
                    System.arraycopy(prefixes[p], 0, history[s], 0, prefixes[p].length);
                    length[s] = prefixes[p].length;
                    for (int j = 0; j < own; j++)
                    {
                        history[s][length[s]++] = scramble(nextId++);
                    }
                    turnsLeft[s] = 5 + rnd.nextInt(21);
                }
                final int added = 20 + rnd.nextInt(81);
                if (length[s] + added + 1 > history[s].length)
                {
                    history[s] = java.util.Arrays.copyOf(history[s], (length[s] + added + 1) * 2);
                }
                for (int j = 0; j < added; j++)
                {
                    history[s][length[s]++] = scramble(nextId++);
                }
                turnsLeft[s]--;
                final int n = length[s] + 1; // the history and a partial last block, never seen again
                timestamp += 1 + rnd.nextInt(200);
                at = put(out, buffer, at, "{\"timestamp\": ");
                at = put(out, buffer, at, timestamp);
                at = put(out, buffer, at, ", \"input_length\": ");
                at = put(out, buffer, at, (long)n * BLOCK_TOKENS - rnd.nextInt(BLOCK_TOKENS));
                at = put(out, buffer, at, ", \"output_length\": ");
                at = put(out, buffer, at, 50 + rnd.nextInt(500));
                at = put(out, buffer, at, ", \"hash_ids\": [");
                for (int j = 0; j < n; j++)
                {
                    if (j > 0)
                    {
                        at = put(out, buffer, at, ", ");
                    }
                    at = put(out, buffer, at, j < length[s] ? history[s][j] : scramble(nextId++));
                }
                at = put(out, buffer, at, "]}\n");
                accesses += n;
            }
            out.write(buffer, 0, at);
        }
        return accesses;
    }

    /**
     * A distinct id for each counter value below 2^32 (a bijection on 32 bits), so ids look random and have the
     * 9-10 digits of published traces' ids.
     */
    private static long scramble(final long counter)
    {
        long x = (counter * 0x9E3779B1L) & 0xFFFFFFFFL;
        x ^= x >>> 16;
        return x;
    }

    private static int put(final OutputStream out, final byte[] buffer, final int at, final String s)
        throws IOException
    {
        int i = flush(out, buffer, at, s.length());
        for (int c = 0; c < s.length(); c++)
        {
            buffer[i++] = (byte)s.charAt(c);
        }
        return i;
    }

    private static int put(final OutputStream out, final byte[] buffer, final int at, final long value)
        throws IOException
    {
        int i = flush(out, buffer, at, 20);
        if (value == 0)
        {
            buffer[i++] = '0';
            return i;
        }
        final int start = i;
        for (long v = value; v > 0; v /= 10)
        {
            buffer[i++] = (byte)('0' + v % 10);
        }
        for (int a = start, b = i - 1; a < b; a++, b--)
        {
            final byte t = buffer[a];
            buffer[a] = buffer[b];
            buffer[b] = t;
        }
        return i;
    }

    private static int flush(final OutputStream out, final byte[] buffer, final int at, final int need)
        throws IOException
    {
        if (at + need <= buffer.length)
        {
            return at;
        }
        out.write(buffer, 0, at);
        return 0;
    }
}
