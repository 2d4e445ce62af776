package io.kvbm4j.torture.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutation of valid inputs, the fallback the issue names for fuzzing without a coverage-guided engine:
 * bit flips, interesting bytes, little-endian boundary integers at aligned offsets, truncation, deleted and
 * duplicated chunks, splices with another corpus entry, decimal numbers replaced by boundary values, deep
 * nesting and long runs. Deterministic for a given {@link SplittableRandom}, so a failing input is
 * reproduced from its seed and iteration.
 */
public final class Mutator
{
    private static final byte[] INTERESTING_BYTES = {0, (byte)0xff, 0x7f, (byte)0x80, '\n', '\r', '"', '\'', '{', '[',
        ':', ',', '\\', '-', ' ', '\t', '#', '&', '*', '!', '|', '>', '%', '@', '`'};
    private static final long[] INTERESTING_LONGS = {0, 1, -1, 2, 63, 64, 72, 4095, 4096, 4097, 0x7f, 0x80, 0xff,
        0x7fff, 0x8000, 0xffff, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xffffffffL, 1L << 32, Long.MAX_VALUE,
        Long.MIN_VALUE, 1L << 31, (1L << 31) - 1, 1L << 40, 16L << 20, 1 << 24};
    private static final String[] INTERESTING_NUMBERS = {"-1", "0", "1", "2147483647", "2147483648", "-2147483649",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616", "1e400",
        "-0", "0.5", "1e-400", "NaN", "Infinity", ".inf", "0x7fffffff", "0o777", "1_000", "4096", "16777217",
        "99999999999999999999999999999999999999", "1".repeat(1200), "~", "null", "true", "\"\"", "[]", "{}"};

    private final SplittableRandom random;

    public Mutator(final SplittableRandom random)
    {
        this.random = random;
    }

    /** The random source, for targets' own structure-aware moves. */
    public SplittableRandom random()
    {
        return random;
    }

    /** One to four mutations of {@code input}; {@code corpus} feeds splices. Never returns the input array. */
    public byte[] mutate(final byte[] input, final List<byte[]> corpus)
    {
        byte[] b = input.clone();
        final int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++)
        {
            b = once(b, corpus);
        }
        return b;
    }

    private byte[] once(final byte[] b, final List<byte[]> corpus)
    {
        if (b.length == 0)
        {
            return corpus.get(random.nextInt(corpus.size())).clone();
        }
        switch (random.nextInt(12))
        {
            case 0:
            {
                final int at = random.nextInt(b.length);
                b[at] ^= (byte)(1 << random.nextInt(8));
                return b;
            }
            case 1:
                b[random.nextInt(b.length)] = INTERESTING_BYTES[random.nextInt(INTERESTING_BYTES.length)];
                return b;
            case 2:
                return boundaryInteger(b);
            case 3:
                return Arrays.copyOf(b, random.nextInt(b.length));
            case 4:
            {
                final int from = random.nextInt(b.length);
                final int len = 1 + random.nextInt(Math.min(b.length - from, 64));
                final byte[] out = new byte[b.length - len];
                System.arraycopy(b, 0, out, 0, from);
                System.arraycopy(b, from + len, out, from, b.length - from - len);
                return out;
            }
            case 5:
            {
                final int from = random.nextInt(b.length);
                final int len = 1 + random.nextInt(Math.min(b.length - from, 128));
                return insert(b, random.nextInt(b.length + 1), Arrays.copyOfRange(b, from, from + len));
            }
            case 6:
            {
                final byte[] other = corpus.get(random.nextInt(corpus.size()));
                final int cut = random.nextInt(b.length + 1);
                final int from = other.length == 0 ? 0 : random.nextInt(other.length);
                final byte[] out = Arrays.copyOf(b, cut + other.length - from);
                System.arraycopy(other, from, out, cut, other.length - from);
                return out;
            }
            case 7:
            case 8:
                return replaceNumber(b);
            case 9:
            {
                final String open = random.nextBoolean() ? "[" : "{\"a\":";
                return insert(b, random.nextInt(b.length + 1),
                    open.repeat(500 + random.nextInt(3000)).getBytes(StandardCharsets.US_ASCII));
            }
            case 10:
            {
                final byte[] run = new byte[1 + random.nextInt(random.nextBoolean() ? 64 : 20_000)];
                Arrays.fill(run, b[random.nextInt(b.length)]);
                return insert(b, random.nextInt(b.length + 1), run);
            }
            default:
            {
                // swap two bytes
                final int x = random.nextInt(b.length);
                final int y = random.nextInt(b.length);
                final byte t = b[x];
                b[x] = b[y];
                b[y] = t;
                return b;
            }
        }
    }

    /** Overwrites 4 or 8 bytes at an aligned offset with a boundary value, little endian. */
    public byte[] boundaryInteger(final byte[] b)
    {
        final int width = random.nextBoolean() ? 8 : 4;
        if (b.length < width)
        {
            return b;
        }
        final int at = random.nextInt(b.length / width) * width;
        long v = INTERESTING_LONGS[random.nextInt(INTERESTING_LONGS.length)];
        if (random.nextInt(4) == 0)
        {
            v += random.nextInt(3) - 1;
        }
        for (int i = 0; i < width; i++)
        {
            b[at + i] = (byte)(v >>> (8 * i));
        }
        return b;
    }

    /** Replaces a run of decimal digits (or, without one, a random position) with a boundary number. */
    private byte[] replaceNumber(final byte[] b)
    {
        final int start = random.nextInt(b.length);
        int from = -1;
        for (int i = start; i < b.length; i++)
        {
            if (b[i] >= '0' && b[i] <= '9')
            {
                from = i;
                break;
            }
        }
        final byte[] number = INTERESTING_NUMBERS[random.nextInt(INTERESTING_NUMBERS.length)]
            .getBytes(StandardCharsets.US_ASCII);
        if (from < 0)
        {
            return insert(b, start, number);
        }
        int to = from;
        while (to < b.length && b[to] >= '0' && b[to] <= '9')
        {
            to++;
        }
        final byte[] out = new byte[b.length - (to - from) + number.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(number, 0, out, from, number.length);
        System.arraycopy(b, to, out, from + number.length, b.length - to);
        return out;
    }

    private static byte[] insert(final byte[] b, final int at, final byte[] what)
    {
        final byte[] out = new byte[b.length + what.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(what, 0, out, at, what.length);
        System.arraycopy(b, at, out, at + what.length, b.length - at);
        return out;
    }
}
