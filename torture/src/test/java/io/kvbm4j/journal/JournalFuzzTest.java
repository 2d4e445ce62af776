package io.kvbm4j.journal;

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
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.wire.DocumentContext;

import io.kvbm4j.replay.JournalTraceReader;
import io.kvbm4j.replay.TraceException;
import io.kvbm4j.replay.TraceRequest;
import io.kvbm4j.torture.fuzz.FuzzTarget;
import io.kvbm4j.torture.fuzz.Fuzzer;
import io.kvbm4j.torture.fuzz.Mutator;

/**
 * Fuzzes journal files as the replay reads them ({@link JournalTraceReader} over {@link JournalTailer}). Two
 * targets: {@code journal-records}, hostile excerpts written through Chronicle (any length, version, type,
 * position, request id), and {@code journal-file}, the bytes of a whole queue file mutated on disk. A bad
 * journal is a {@link TraceException} naming the journal (and the record index where the record is at fault);
 * a crash, a hang or memory out of proportion to the journal is a finding. In package {@code io.kvbm4j.journal}
 * for the journal's own appender.
 */
class JournalFuzzTest
{
    private static final Pattern LOCATED = Pattern.compile("(?s).*fuzz-journal[^:]*: \\S.*");
    private static final Path WORK = Path.of("target", "fuzz-journal");

    /** Input: a sequence of excerpts, each [u8 length][length bytes]. */
    static List<byte[]> split(final byte[] input)
    {
        final List<byte[]> out = new ArrayList<>();
        int p = 0;
        while (p < input.length)
        {
            final int n = Math.min(input[p] & 0xff, input.length - p - 1);
            out.add(java.util.Arrays.copyOfRange(input, p + 1, p + 1 + n));
            p += 1 + n;
        }
        return out;
    }

    /** A valid version-2 record, as JournalHandler writes it. */
    static byte[] record(final JournalKind kind, final long requestId, final int position, final long id)
    {
        return record(JournalRecordLayout.VERSION, kind.ordinal(), requestId, position, id);
    }

    static byte[] record(final int version, final int type, final long requestId, final int position, final long id)
    {
        final ByteBuffer b = ByteBuffer.allocate(1 + JournalRecordLayout.RECORD_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte)JournalRecordLayout.RECORD_BYTES);
        b.put((byte)version).put((byte)type).put((byte)0).put((byte)0).putInt(position);
        b.putLong(1_700_000_000_000_000_000L + requestId).putLong(id * 31 + 7).putLong(id).putLong(requestId)
            .putLong(requestId).putInt(position).putInt(1).putInt(0);
        return b.array();
    }

    /** Two requests: a miss then four blocks stored, and a hit on the first two then a dedup; then a removal. */
    static byte[] seedJournal()
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(record(JournalKind.MATCH_MISS, 1, 0, 0));
        for (int i = 0; i < 4; i++)
        {
            out.writeBytes(record(JournalKind.STORED, 1, i, 100 + i));
        }
        out.writeBytes(record(JournalKind.MATCH_HIT, 2, 0, 100));
        out.writeBytes(record(JournalKind.MATCH_HIT, 2, 1, 101));
        out.writeBytes(record(JournalKind.MATCH_MISS, 2, 2, 0));
        out.writeBytes(record(JournalKind.DEDUP, 2, 2, 102));
        out.writeBytes(record(JournalKind.REMOVED, 0, 3, 103));
        return out.toByteArray();
    }

    /** The same requests in format version 1 (old per-block types: 6 MATCH_MISS, 5 MATCH_HIT, 3 REGISTER, 4 DEDUP). */
    static byte[] seedJournalV1()
    {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(record(1, 6, 1, 0, 0));
        for (int i = 0; i < 4; i++)
        {
            out.writeBytes(record(1, 3, 1, i, 100 + i));
        }
        out.writeBytes(record(1, 5, 2, 0, 100));
        out.writeBytes(record(1, 4, 2, 1, 101));
        return out.toByteArray();
    }

    static Path writeJournal(final Path dir, final byte[] input)
    {
        try (Journal j = new Journal(dir, Journal.Roll.HOURLY); ExcerptAppender a = j.newAppender())
        {
            for (final byte[] excerpt : split(input))
            {
                try (DocumentContext dc = a.writingDocument())
                {
                    final Bytes<?> b = dc.wire().bytes();
                    b.write(excerpt);
                }
            }
        }
        return dir;
    }

    static void read(final Path dir) throws FuzzTarget.Rejected
    {
        final TraceRequest r = new TraceRequest();
        try (JournalTraceReader reader = new JournalTraceReader(dir))
        {
            while (reader.next(r))
            {
                if (r.ids.size() > 1_000_000)
                {
                    throw new AssertionError("request of " + r.ids.size() + " ids");
                }
            }
        }
        catch (final TraceException ex)
        {
            if (!LOCATED.matcher(ex.getMessage()).matches())
            {
                throw new AssertionError("error without the journal's name: " + ex.getMessage(), ex);
            }
            throw new FuzzTarget.Rejected(ex);
        }
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

    static List<byte[]> corpus(final String name)
    {
        final List<byte[]> seeds = new ArrayList<>();
        final Path dir = Path.of("src", "test", "resources", "corpus", name);
        if (Files.isDirectory(dir))
        {
            try (Stream<Path> files = Files.list(dir))
            {
                for (final Path f : files.sorted().toList())
                {
                    seeds.add(Files.readAllBytes(f));
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        seeds.add(seedJournal());
        seeds.add(seedJournalV1());
        return seeds;
    }

    static final class RecordsTarget implements FuzzTarget
    {
        private int run;

        @Override
        public String name()
        {
            return "journal-records";
        }

        @Override
        public List<byte[]> seeds()
        {
            return corpus(name());
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            final Path dir = WORK.resolve("fuzz-journal-" + run++);
            delete(dir);
            try
            {
                read(writeJournal(dir, input));
            }
            finally
            {
                delete(dir);
            }
        }
    }

    /** Whole queue files: the seed journal written by Chronicle, its bytes mutated, read back. */
    static final class FileTarget implements FuzzTarget
    {
        private int run;
        private String fileName;
        private int fileLength;

        @Override
        public String name()
        {
            return "journal-file";
        }

        @Override
        public List<byte[]> seeds()
        {
            final Path dir = WORK.resolve("fuzz-journal-seed");
            delete(dir);
            writeJournal(dir, seedJournal());
            try (Stream<Path> files = Files.list(dir))
            {
                final Path cq4 = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
                fileName = cq4.getFileName().toString();
                final byte[] all = Files.readAllBytes(cq4);
                fileLength = all.length;
                int used = all.length;
                while (used > 0 && all[used - 1] == 0)
                {
                    used--;
                }
                // Mutations aim at the used part; the zero tail is put back when the file is written.
                return List.of(java.util.Arrays.copyOf(all, Math.min(all.length, used + 64)));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        @Override
        public byte[] mutate(final Mutator mutator, final byte[] input, final List<byte[]> corpus)
        {
            final byte[] b = input.clone();
            final java.util.SplittableRandom random = mutator.random();
            final int moves = 1 + random.nextInt(3);
            for (int i = 0; i < moves; i++)
            {
                switch (random.nextInt(3))
                {
                    case 0 -> b[random.nextInt(b.length)] ^= (byte)(1 << random.nextInt(8));
                    case 1 -> mutator.boundaryInteger(b);
                    default -> b[random.nextInt(b.length)] = (byte)random.nextInt(256);
                }
            }
            return b;
        }

        @Override
        public void run(final byte[] input) throws Rejected
        {
            final Path dir = WORK.resolve("fuzz-journal-file-" + run++);
            delete(dir);
            try
            {
                Files.createDirectories(dir);
                // Content mutations: the file keeps its length (the zero tail is put back); truncation is
                // covered by JournalHostileInputTest.
                Files.write(dir.resolve(fileName), java.util.Arrays.copyOf(input, Math.max(input.length, fileLength)));
                read(dir);
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
    void hostileJournalRecordsAreReadOrRefusedWithTheJournalAndIndex()
    {
        final Fuzzer.Report r = fuzzer().runConfigured(new RecordsTarget());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }

    @Test
    void mutatedJournalFilesAreReadOrRefusedWithoutCrashOrHang()
    {
        final Fuzzer.Report r = fuzzer().runConfigured(new FileTarget());
        System.out.println(r.row());
        assertTrue(r.findings().isEmpty(), () -> String.join("\n", r.findings().stream().map(Object::toString).toList()));
    }
}
