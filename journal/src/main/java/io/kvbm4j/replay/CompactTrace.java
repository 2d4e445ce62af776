package io.kvbm4j.replay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.function.LongConsumer;

import io.kvbm4j.api.BlockIds;
import net.openhft.hashing.LongHashFunction;

/**
 * A trace parsed once, held as dense ids: every distinct block id gets a number 0..D-1 in order of first
 * appearance, and the trace becomes one int per block access plus one offset per request. Many
 * simulators, on many threads, replay it at once without parsing again ({@link PolicyReplay}); the
 * exact LRU pass ({@link LruStackReplay}) and OPT's next-use index read the dense ids directly.
 *
 * <p><b>Memory.</b> 4 bytes per block access (the ids), 4 per request (offsets) and 8 per request
 * (timestamps), 16 per distinct id (the original 128-bit ids, so a replay sees exactly the ids of the
 * file), plus about 40 per distinct id while building (the dictionary). Loaded from a cache file
 * ({@link #load}), the per-access ids are a read-only memory mapping of the file: the page cache holds
 * them, not the heap, and several processes share them.
 *
 * <p><b>Cache file</b> (little-endian; written by {@link #save}, all sections 8-byte aligned):
 * <pre>
 *  0  "KVBMTRC1"                 magic and format version
 *  8  long source size           bytes of the source trace file
 * 16  long source hash           {@link #hashFile} of the source trace file
 * 24  long requests R
 * 32  long accesses A
 * 40  long distinct D
 * 48  int[R + 1] request offsets (padded to 8)
 *  .  long[R] timestamps (-1: none)
 *  .  long[D] id high words, long[D] id low words
 *  .  int[A] dense ids
 * </pre>
 * Immutable once built; safe to share between threads.
 */
public final class CompactTrace
{
    private static final long MAGIC = 0x3143525442564B4BL; // "KVBMTRC1" little-endian
    private static final int HEADER = 48;

    private final IntBuffer ids;
    private final int[] requestStart;
    private final long[] timestamps;
    private final long[] idHi;
    private final long[] idLo;

    private CompactTrace(final IntBuffer ids, final int[] requestStart, final long[] timestamps, final long[] idHi,
        final long[] idLo)
    {
        this.ids = ids;
        this.requestStart = requestStart;
        this.timestamps = timestamps;
        this.idHi = idHi;
        this.idLo = idLo;
    }

    /**
     * Reads a whole trace.
     *
     * @param progress receives the bytes read every 64 requests (may be null).
     * @throws TraceException for malformed input, or a trace of more than 2^31 - 1 block accesses.
     */
    public static CompactTrace read(final TraceReader reader, final LongConsumer progress)
    {
        final IdDictionary dictionary = new IdDictionary(1 << 16);
        int[] ids = new int[1 << 20];
        int[] starts = new int[1 << 12];
        long[] stamps = new long[1 << 12];
        int accesses = 0;
        int requests = 0;
        final TraceRequest req = new TraceRequest();
        while (reader.next(req))
        {
            final int n = req.ids.size();
            if ((long)accesses + n > Integer.MAX_VALUE - 8)
            {
                throw new TraceException("trace line " + req.line + ": more than " + (Integer.MAX_VALUE - 8) +
                    " block accesses; split the trace");
            }
            if (requests + 1 >= starts.length)
            {
                starts = java.util.Arrays.copyOf(starts, starts.length * 2);
                stamps = java.util.Arrays.copyOf(stamps, stamps.length * 2);
            }
            if (accesses + n > ids.length)
            {
                ids = java.util.Arrays.copyOf(ids, (int)Math.min(Integer.MAX_VALUE - 8,
                    Math.max((long)accesses + n, ids.length * 2L)));
            }
            starts[requests] = accesses;
            stamps[requests] = req.timestampMs;
            for (int j = 0; j < n; j++)
            {
                ids[accesses++] = dictionary.intern(req.ids.hi(j), req.ids.lo(j));
            }
            requests++;
            if (progress != null && (requests & 63) == 0)
            {
                progress.accept(reader.bytesRead());
            }
        }
        starts[requests] = accesses;
        return new CompactTrace(IntBuffer.wrap(ids, 0, accesses).slice(), java.util.Arrays.copyOf(starts, requests + 1),
            java.util.Arrays.copyOf(stamps, requests), dictionary.hiWords(), dictionary.loWords());
    }

    /** Requests in the trace. */
    public int requests()
    {
        return requestStart.length - 1;
    }

    /** Block accesses in the trace. */
    public int accesses()
    {
        return requestStart[requestStart.length - 1];
    }

    /** Distinct block ids. */
    public int distinct()
    {
        return idHi.length;
    }

    /** Index of request {@code r}'s first access. */
    public int start(final int r)
    {
        return requestStart[r];
    }

    /** Number of blocks of request {@code r}. */
    public int length(final int r)
    {
        return requestStart[r + 1] - requestStart[r];
    }

    /** Dense id (0..D-1) of access {@code a}. */
    public int id(final int a)
    {
        return ids.get(a);
    }

    /** High word of the original id of dense id {@code d}. */
    public long idHi(final int d)
    {
        return idHi[d];
    }

    /** Low word of the original id of dense id {@code d}. */
    public long idLo(final int d)
    {
        return idLo[d];
    }

    /** Arrival time of request {@code r} in ms, or -1. */
    public long timestampMs(final int r)
    {
        return timestamps[r];
    }

    /** Fills {@code into} with request {@code r}'s original ids. */
    public void request(final int r, final BlockIds into)
    {
        into.clear();
        final int end = requestStart[r + 1];
        for (int a = requestStart[r]; a < end; a++)
        {
            final int d = ids.get(a);
            into.add(idHi[d], idLo[d]);
        }
    }

    /** A reader that replays this trace (for the streaming consumers). */
    public TraceReader reader()
    {
        return new TraceReader()
        {
            private int next;

            @Override
            public boolean next(final TraceRequest into)
            {
                if (next == requests())
                {
                    return false;
                }
                request(next, into.ids);
                into.timestampMs = timestamps[next];
                into.line = ++next;
                return true;
            }

            @Override
            public long bytesRead()
            {
                return -1;
            }

            @Override
            public long totalBytes()
            {
                return -1;
            }

            @Override
            public void close()
            {
            }
        };
    }

    // ---------------------------------------------------------------------------------------------------
    // Cache file

    /**
     * The trace of {@code source}, from {@code cacheDir} when a cache file there matches the source's size
     * and hash, else parsed with {@code parse} and saved there (written to a temporary file and moved, so a
     * killed run never leaves a torn cache).
     *
     * @param notes receives one line saying whether the cache was used (may be null).
     */
    public static CompactTrace cached(final Path source, final Path cacheDir,
        final java.util.function.Supplier<TraceReader> parse, final LongConsumer progress,
        final java.util.function.Consumer<String> notes)
    {
        try
        {
            final long size = Files.size(source);
            final long hash = hashFile(source);
            Files.createDirectories(cacheDir);
            final Path file = cacheDir.resolve(source.getFileName() + String.format(".%016x.kvtrace", hash));
            if (Files.isRegularFile(file))
            {
                final CompactTrace loaded = load(file, size, hash);
                if (loaded != null)
                {
                    if (notes != null)
                    {
                        notes.accept("trace cache: " + file + " (source unchanged, not parsed)");
                    }
                    return loaded;
                }
            }
            final CompactTrace trace;
            try (TraceReader reader = parse.get())
            {
                trace = read(reader, progress);
            }
            final Path tmp = Files.createTempFile(cacheDir, ".kvtrace", ".tmp");
            try
            {
                trace.save(tmp, size, hash);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            finally
            {
                Files.deleteIfExists(tmp);
            }
            if (notes != null)
            {
                notes.accept("trace cache: wrote " + file);
            }
            return trace;
        }
        catch (final IOException ex)
        {
            throw new TraceException(cacheDir + ": trace cache: " + ex.getMessage(), ex);
        }
    }

    /** A 64-bit hash of a file's bytes (XXH3 of each MiB, chained). */
    public static long hashFile(final Path file) throws IOException
    {
        final LongHashFunction xx3 = LongHashFunction.xx3();
        final ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        long h = 0x9E3779B97F4A7C15L;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
        {
            while (true)
            {
                chunk.clear();
                final int n = ch.read(chunk);
                if (n < 0)
                {
                    break;
                }
                chunk.flip();
                h = xx3.hashLong(h ^ xx3.hashBytes(chunk));
            }
        }
        return h;
    }

    /** Writes this trace as a cache file for a source of the given size and hash. */
    public void save(final Path file, final long sourceSize, final long sourceHash) throws IOException
    {
        final int r = requests();
        final int a = accesses();
        final int d = distinct();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING))
        {
            final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            header.putLong(MAGIC).putLong(sourceSize).putLong(sourceHash).putLong(r).putLong(a).putLong(d).flip();
            writeFully(ch, header);
            final ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i <= r; i++)
            {
                chunk.putInt(requestStart[i]);
                flushIfFull(ch, chunk, 4);
            }
            if (((r + 1) & 1) != 0)
            {
                chunk.putInt(0);
            }
            for (final long[] words : new long[][] {timestamps, idHi, idLo})
            {
                for (final long w : words)
                {
                    flushIfFull(ch, chunk, 8);
                    chunk.putLong(w);
                }
            }
            for (int i = 0; i < a; i++)
            {
                flushIfFull(ch, chunk, 4);
                chunk.putInt(ids.get(i));
            }
            chunk.flip();
            writeFully(ch, chunk);
            ch.force(false);
        }
    }

    private static void flushIfFull(final FileChannel ch, final ByteBuffer chunk, final int need) throws IOException
    {
        if (chunk.remaining() < need)
        {
            chunk.flip();
            writeFully(ch, chunk);
            chunk.clear();
        }
    }

    private static void writeFully(final FileChannel ch, final ByteBuffer b) throws IOException
    {
        while (b.hasRemaining())
        {
            ch.write(b);
        }
    }

    /**
     * Maps a cache file. @return null when it was written for another source (size or hash differ) or is
     * not a complete cache file of this version (it is then rebuilt).
     */
    static CompactTrace load(final Path file, final long sourceSize, final long sourceHash) throws IOException
    {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ))
        {
            final long fileSize = ch.size();
            if (fileSize < HEADER)
            {
                return null;
            }
            final ByteBuffer header = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
            while (header.hasRemaining() && ch.read(header, header.position()) > 0)
            {
                // read the header
            }
            header.flip();
            if (header.getLong() != MAGIC || header.getLong() != sourceSize || header.getLong() != sourceHash)
            {
                return null;
            }
            final long r = header.getLong();
            final long a = header.getLong();
            final long d = header.getLong();
            final long offsetsBytes = ((r + 1 + 1) & ~1L) * 4;
            final long tablesBytes = (r + 2 * d) * 8;
            final long idsAt = HEADER + offsetsBytes + tablesBytes;
            if (r < 0 || a < 0 || d < 0 || a > Integer.MAX_VALUE || idsAt + a * 4 != fileSize)
            {
                return null;
            }
            final ByteBuffer tables = ch.map(FileChannel.MapMode.READ_ONLY, HEADER, offsetsBytes + tablesBytes)
                .order(ByteOrder.LITTLE_ENDIAN);
            final int[] starts = new int[(int)r + 1];
            tables.asIntBuffer().get(starts);
            final LongBuffer longs = tables.position((int)offsetsBytes).slice().order(ByteOrder.LITTLE_ENDIAN)
                .asLongBuffer();
            final long[] stamps = new long[(int)r];
            final long[] hi = new long[(int)d];
            final long[] lo = new long[(int)d];
            longs.get(stamps).get(hi).get(lo);
            final IntBuffer ids = a == 0 ? IntBuffer.allocate(0) :
                ch.map(FileChannel.MapMode.READ_ONLY, idsAt, a * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            if (starts[(int)r] != a)
            {
                return null;
            }
            return new CompactTrace(ids, starts, stamps, hi, lo);
        }
    }

    /**
     * Open addressing (hi, lo) → dense id, in order of first appearance. One array of 3 longs per slot (lo, hi,
     * dense id + 1; 0 = empty), so a lookup touches one cache line: the build is bound by these lookups (one
     * per block access, over a table far larger than the caches). Building only.
     */
    private static final class IdDictionary
    {
        private long[] table;
        private long[] byDenseHi;
        private long[] byDenseLo;
        private int size;
        private int mask;

        IdDictionary(final int capacity)
        {
            final int n = Integer.highestOneBit(Math.max(16, capacity) - 1) << 1;
            table = new long[3 * n];
            mask = n - 1;
            byDenseHi = new long[n / 2];
            byDenseLo = new long[n / 2];
        }

        int intern(final long h, final long l)
        {
            final long[] t = table;
            int i = (int)mix(h, l) & mask;
            while (true)
            {
                final int at = 3 * i;
                final long d = t[at + 2];
                if (d == 0)
                {
                    break;
                }
                if (t[at] == l && t[at + 1] == h)
                {
                    return (int)d - 1;
                }
                i = (i + 1) & mask;
            }
            if (size == byDenseHi.length)
            {
                grow();
                return intern(h, l);
            }
            final int at = 3 * i;
            t[at] = l;
            t[at + 1] = h;
            t[at + 2] = size + 1;
            byDenseHi[size] = h;
            byDenseLo[size] = l;
            return size++;
        }

        private static long mix(final long h, final long l)
        {
            long x = l * 0x9E3779B97F4A7C15L ^ h * 0xC2B2AE3D27D4EB4FL;
            x ^= x >>> 29;
            x *= 0xBF58476D1CE4E5B9L;
            return x ^ (x >>> 32);
        }

        private void grow()
        {
            final long[] old = table;
            final int n = (mask + 1) * 2;
            table = new long[3 * n];
            mask = n - 1;
            for (int at = 0; at < old.length; at += 3)
            {
                if (old[at + 2] != 0)
                {
                    int j = (int)mix(old[at + 1], old[at]) & mask;
                    while (table[3 * j + 2] != 0)
                    {
                        j = (j + 1) & mask;
                    }
                    table[3 * j] = old[at];
                    table[3 * j + 1] = old[at + 1];
                    table[3 * j + 2] = old[at + 2];
                }
            }
            byDenseHi = java.util.Arrays.copyOf(byDenseHi, n / 2);
            byDenseLo = java.util.Arrays.copyOf(byDenseLo, n / 2);
        }

        long[] hiWords()
        {
            return java.util.Arrays.copyOf(byDenseHi, size);
        }

        long[] loWords()
        {
            return java.util.Arrays.copyOf(byDenseLo, size);
        }
    }
}
