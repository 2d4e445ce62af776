package io.kvbm4j.gds.disk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import net.openhft.hashing.LongHashFunction;

import io.kvbm4j.tiers.memory.AlignedMemory;
import io.kvbm4j.torture.fuzz.FuzzTarget;
import io.kvbm4j.torture.fuzz.Fuzzer;
import io.kvbm4j.torture.fuzz.Mutator;
import io.kvbm4j.torture.soak.BlockPayload;

/**
 * Fuzzes what the G3 disk tier reads back from its own files after a restart: the slot headers (the scan path,
 * {@code g3-slots.dat} without an index) and the persisted index ({@code g3-index.dat}). Besides byte
 * mutations, a structure-aware move rewrites one field with a boundary value and recomputes the checksum that
 * covers it, so the values behind the checksums are exercised too (id and payload checksum excepted in slot
 * headers: a header forged with a valid checksum over another block's id cannot be told from the real one).
 * Expected: open succeeds or fails with a {@link DiskTierException}; every read answers a status; a read that
 * answers OK serves exactly the payload derived from the id; a block written afterwards reads back. In package
 * {@code io.kvbm4j.gds.disk} for the index file's layout constants.
 */
class DiskFuzzTest
{
    static final int SLOTS = 8;
    static final int MAX = 4096;
    static final long SALT = 0x5A17L;
    static final int SEEDED = 6;
    private static final LongHashFunction XXH3 = LongHashFunction.xx3();
    /** The tier logs its I/O path at every open: thousands of lines here. Held so the level sticks. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger(DiskTier.class.getName());

    static
    {
        QUIET.setLevel(java.util.logging.Level.WARNING);
    }
    private static final Path WORK = Path.of("target", "fuzz-g3");
    private static final long[] FIELD_VALUES = {0, 1, -1, 72, 4095, 4096, 4097, MAX - 8, MAX + 1, Integer.MAX_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE, SLOTS, SLOTS + 1, 1L << 40, SALT, SALT + 1};

    static long idHi(final long i)
    {
        return 0x1000_0000_0000_0000L | i;
    }

    static long idLo(final long i)
    {
        return i * 0x9E3779B97F4A7C15L + 1;
    }

    static int length(final long i)
    {
        return MAX - 8 * (int)(i % 4);
    }

    /** A tier with SEEDED blocks written and closed: the seed of both targets. */
    static Path seedTier()
    {
        final Path dir = WORK.resolve("seed");
        delete(dir);
        try (DiskTier tier = DiskTier.open(DiskTierConfig.posix(dir, SLOTS, MAX));
             AlignedMemory src = new AlignedMemory(MAX, 4096))
        {
            for (int i = 0; i < SEEDED; i++)
            {
                BlockPayload.fill(src.address(), length(i), idHi(i), idLo(i));
                assertEquals(DiskStatus.OK, tier.write(idHi(i), idLo(i), SALT, src.address(), length(i)));
            }
            tier.evict(idHi(2), idLo(2)); // one freed slot whose bytes stay on disk
        }
        catch (final DiskTierException ex)
        {
            throw new IllegalStateException(ex);
        }
        return dir;
    }

    /** Opens the tier in {@code dir} and checks every read; a DiskTierException is the expected refusal. */
    static void openAndCheck(final Path dir) throws FuzzTarget.Rejected
    {
        final DiskTier tier;
        try
        {
            tier = DiskTier.open(DiskTierConfig.posix(dir, SLOTS, MAX));
        }
        catch (final DiskTierException ex)
        {
            throw new FuzzTarget.Rejected(ex);
        }
        try (tier; AlignedMemory dst = new AlignedMemory(MAX, 4096))
        {
            final List<long[]> ids = new ArrayList<>();
            tier.forEachBlock((hi, lo, salt, len) -> ids.add(new long[] {hi, lo}));
            if (tier.size() > SLOTS || ids.size() != tier.size())
            {
                throw new AssertionError("size " + tier.size() + ", visited " + ids.size());
            }
            for (int i = 0; i < SEEDED + 2; i++)
            {
                ids.add(new long[] {idHi(i), idLo(i)});
            }
            for (final long[] id : ids)
            {
                final long len = tier.payloadLength(id[0], id[1]);
                final DiskStatus s = tier.read(id[0], id[1], SALT, dst.address(), dst.length());
                if (s == DiskStatus.OK && !BlockPayload.matches(dst.address(), (int)len, id[0], id[1]))
                {
                    throw new AssertionError("WRONG BLOCK served for id " + Long.toHexString(id[0]));
                }
            }
            // The tier still works: a new block goes in and comes back.
            final long fresh = 1000;
            tier.evict(idHi(fresh), idLo(fresh));
            BlockPayload.fill(dst.address(), length(fresh), idHi(fresh), idLo(fresh));
            final DiskStatus w = tier.write(idHi(fresh), idLo(fresh), SALT, dst.address(), length(fresh));
            if (w == DiskStatus.OK)
            {
                dst.newBuffer().setMemory(0, MAX, (byte)0);
                final DiskStatus r = tier.read(idHi(fresh), idLo(fresh), SALT, dst.address(), dst.length());
                if (r != DiskStatus.OK || !BlockPayload.matches(dst.address(), length(fresh), idHi(fresh), idLo(fresh)))
                {
                    throw new AssertionError("a block written after the restart reads back " + r);
                }
            }
            else if (w != DiskStatus.NO_SLOT)
            {
                throw new AssertionError("write after the restart: " + w);
            }
        }
    }

    static void putLong(final byte[] b, final int at, final long v)
    {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, v);
    }

    static long checksum(final byte[] b, final int from, final int length)
    {
        return XXH3.hashBytes(b, from, length);
    }

    static void delete(final Path dir)
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> s = Files.walk(dir))
        {
            for (final Path p : s.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(p);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static byte[] read(final Path p)
    {
        try
        {
            return Files.readAllBytes(p);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** {@code g3-slots.dat} mutated, no index file: the header scan decides. */
    static final class SlotsTarget implements FuzzTarget
    {
        private int run;

        @Override
        public String name()
        {
            return "g3-slot-headers";
        }

        @Override
        public List<byte[]> seeds()
        {
            return List.of(read(seedTier().resolve(DiskTier.SLOT_FILE)));
        }

        @Override
        public byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
        {
            final SplittableRandom random = mutator.random();
            final byte[] b = input.clone();
            final long stride = DiskTier.strideOf(MAX);
            final int slot = random.nextInt(SLOTS);
            final int base = (int)(slot * stride);
            switch (random.nextInt(6))
            {
                case 0 -> b[base + random.nextInt(SlotHeaderLayout.HEADER_BYTES)] ^= (byte)(1 << random.nextInt(8));
                case 1 -> b[base + SlotHeaderLayout.HEADER_BLOCK + random.nextInt(MAX)] ^= (byte)(1 << random.nextInt(8));
                case 2 ->
                {
                    // A field behind a valid checksum: version, header bytes, salt, length, generation.
                    final int[] fields = {SlotHeaderLayout.VERSION_OFFSET, SlotHeaderLayout.SALT_OFFSET,
                        SlotHeaderLayout.LENGTH_OFFSET, SlotHeaderLayout.GENERATION_OFFSET};
                    final int f = fields[random.nextInt(fields.length)];
                    final long v = FIELD_VALUES[random.nextInt(FIELD_VALUES.length)];
                    if (f == SlotHeaderLayout.VERSION_OFFSET)
                    {
                        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(base + f, (int)v);
                    }
                    else
                    {
                        putLong(b, base + f, v);
                    }
                    putLong(b, base + SlotHeaderLayout.HEADER_CHECKSUM_OFFSET,
                        checksum(b, base, SlotHeaderLayout.HEADER_CHECKSUM_OFFSET));
                }
                case 3 ->
                {
                    // Another slot's header copied here: the same id twice (newest generation must win).
                    final int other = (int)(random.nextInt(SLOTS) * stride);
                    System.arraycopy(b, other, b, base, SlotHeaderLayout.HEADER_BYTES);
                    if (random.nextBoolean())
                    {
                        System.arraycopy(b, other + SlotHeaderLayout.HEADER_BLOCK, b, base + SlotHeaderLayout.HEADER_BLOCK, MAX);
                    }
                }
                case 4 -> mutator.boundaryInteger(b);
                default -> java.util.Arrays.fill(b, base, base + SlotHeaderLayout.HEADER_BYTES, (byte)0);
            }
            return random.nextInt(16) == 0 ? java.util.Arrays.copyOf(b, random.nextInt(b.length)) : b;
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            final Path dir = WORK.resolve("slots-" + run++);
            delete(dir);
            try
            {
                Files.createDirectories(dir);
                Files.write(dir.resolve(DiskTier.SLOT_FILE), input);
                openAndCheck(dir);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            finally
            {
                delete(dir);
            }
        }
    }

    /** {@code g3-index.dat} mutated over an intact slot file. */
    static final class IndexTarget implements FuzzTarget
    {
        private int run;
        private byte[] slots;

        @Override
        public String name()
        {
            return "g3-index";
        }

        @Override
        public List<byte[]> seeds()
        {
            final Path seed = seedTier();
            slots = read(seed.resolve(DiskTier.SLOT_FILE));
            return List.of(read(seed.resolve(SlotDirectory.FILE)));
        }

        @Override
        public byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
        {
            final SplittableRandom random = mutator.random();
            final byte[] b = input.clone();
            final int e = SlotDirectory.FILE_HEADER + random.nextInt(SLOTS) * SlotDirectory.ENTRY;
            switch (random.nextInt(5))
            {
                case 0 -> b[random.nextBoolean() ? random.nextInt(40) : e + random.nextInt(SlotDirectory.ENTRY)] ^=
                    (byte)(1 << random.nextInt(8));
                case 1 ->
                {
                    // An entry field behind a valid entry checksum (any field: entries are only hints).
                    putLong(b, e + 8 * random.nextInt(7), random.nextBoolean() ?
                        FIELD_VALUES[random.nextInt(FIELD_VALUES.length)] : random.nextLong());
                    putLong(b, e + SlotDirectory.CHECKSUM, checksum(b, e, SlotDirectory.CHECKSUM));
                }
                case 2 ->
                {
                    // Another entry copied here: two slots claim one id.
                    final int other = SlotDirectory.FILE_HEADER + random.nextInt(SLOTS) * SlotDirectory.ENTRY;
                    System.arraycopy(b, other, b, e, SlotDirectory.ENTRY);
                }
                case 3 ->
                {
                    // The file header's geometry behind a valid checksum.
                    putLong(b, 8 * (2 + random.nextInt(2)), FIELD_VALUES[random.nextInt(FIELD_VALUES.length)]);
                    putLong(b, 32, checksum(b, 0, 32));
                }
                default -> mutator.boundaryInteger(b);
            }
            return random.nextInt(16) == 0 ? java.util.Arrays.copyOf(b, random.nextInt(b.length)) : b;
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            final Path dir = WORK.resolve("index-" + run++);
            delete(dir);
            try
            {
                Files.createDirectories(dir);
                Files.write(dir.resolve(DiskTier.SLOT_FILE), slots);
                Files.write(dir.resolve(SlotDirectory.FILE), input);
                openAndCheck(dir);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
            finally
            {
                delete(dir);
            }
        }
    }

    private static Fuzzer fuzzer()
    {
        return new Fuzzer(30_000, Path.of("target", "fuzz-findings"));
    }

    @Test
    void mutatedSlotHeadersAreMissesOrVerifiedBlocksNeverWrongOnes()
    {
        final Fuzzer.Report r = fuzzer().runConfigured(new SlotsTarget());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }

    @Test
    void aMutatedIndexFileCostsMissesNeverWrongBlocks()
    {
        final Fuzzer.Report r = fuzzer().runConfigured(new IndexTarget());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }
}
