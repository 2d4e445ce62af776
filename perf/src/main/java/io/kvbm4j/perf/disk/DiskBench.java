package io.kvbm4j.perf.disk;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.gds.disk.DiskTier;
import io.kvbm4j.gds.disk.DiskTierConfig;
import io.kvbm4j.gds.disk.SlotHeaderLayout;
import io.kvbm4j.gds.disk.SlotIo;
import io.kvbm4j.tiers.host.HostSlotMemory;

/**
 * G3 disk tier throughput against fio, and restart time. Not JMH: the figure is device throughput at a
 * queue depth, set side by side with fio on the same file system, sizes and depths in the same run.
 *
 * <p>G2→G3 write: {@code qd} threads, each with its own {@link SlotIo} and G2 slot ({@link HostSlotMemory}),
 * write random slots of their own part of the slot file ({@code DiskTier.writeSlot}: checksum, header,
 * one vectored O_DIRECT write). G3→G2 read: the same threads read and verify random slots
 * ({@code DiskTier.readSlot}: header + payload in one read, then id, salt, length and XXH3 checks).
 * Payload bytes are counted; the 4 KiB header per block is not. fio runs {@code randwrite}/{@code randread}
 * with {@code direct=1} on a file of the same size in the same directory, twice: libaio at
 * {@code iodepth=qd}, and psync with {@code numjobs=qd} (threads issuing blocking I/O, like the tier).
 *
 * <p>Restart: fills a tier of {@code --restart-blocks} slots (4 KiB payloads: 8 KiB per slot), closes it,
 * and times {@link DiskTier#open} twice from the index file, then once more with the index file deleted
 * (a header scan with 16 threads).
 *
 * <p>Run: {@code make bench-disk} (perf/bench-disk.sh), or
 * {@code java -cp perf/target/kvbm4j-perf.jar:perf/target/lib/* io.kvbm4j.perf.disk.DiskBench --dir DIR}.
 * Options: {@code --seconds 3 --repeats 3 --sizes 512K,2M,8M --qd 1,4,16 --region-mib 2048 --restart-blocks 1000000
 * --fio fio} ({@code --fio none} skips fio; {@code --sizes none} the throughput table; {@code --restart-blocks 0} the
 * restart figure).
 */
public final class DiskBench
{
    private DiskBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        Path dir = null;
        double seconds = 3;
        String sizes = "512K,2M,8M";
        String depths = "1,4,16";
        long regionMiB = 2048;
        int restartBlocks = 1_000_000;
        String fio = "fio";
        int repeats = 3;
        for (int i = 0; i < args.length; i += 2)
        {
            final String v = i + 1 < args.length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--dir" -> dir = Path.of(v);
                case "--seconds" -> seconds = Double.parseDouble(v);
                case "--sizes" -> sizes = v;
                case "--qd" -> depths = v;
                case "--region-mib" -> regionMiB = Long.parseLong(v);
                case "--restart-blocks" -> restartBlocks = Integer.parseInt(v);
                case "--fio" -> fio = v;
                case "--repeats" -> repeats = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i] +
                    " (--dir --seconds --sizes --qd --region-mib --restart-blocks --fio --repeats)");
            }
        }
        if (dir == null)
        {
            throw new IllegalArgumentException("--dir DIR is required (a directory on the disk to measure)");
        }
        Files.createDirectories(dir);
        final boolean haveFio = !"none".equals(fio) && fioWorks(fio);
        System.out.printf(Locale.ROOT, "# G3 disk tier vs fio, %s, dir %s, %.0f s per run, median of %d runs " +
                "(G3, fio libaio, fio psync interleaved), region %d MiB, %d cores, XXH3-64 %.1f GB/s%n",
            LocalDate.now(), dir, seconds, repeats, regionMiB, Runtime.getRuntime().availableProcessors(),
            xxh3GigabytesPerSecond());
        if (!haveFio)
        {
            System.out.println("# fio not available: fio columns are empty (install the Debian package fio)");
        }
        System.out.println();
        System.out.println("| op | block | QD | G3 MiB/s | fio libaio MiB/s | ratio | fio psync MiB/s | ratio | " +
            "G3 I/O only MiB/s | G3 failures |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        int maxQd = 1;
        for (final String q : depths.split(","))
        {
            maxQd = Math.max(maxQd, Integer.parseInt(q.trim()));
        }
        for (final String size : "none".equals(sizes) ? new String[0] : sizes.split(","))
        {
            final long block = parseSize(size);
            final Path sub = dir.resolve("g3-" + size);
            final DiskTierConfig config = DiskTierConfig.posix(sub,
                (int)Math.max(16, regionMiB * (1L << 20) / DiskTier.strideOf(block)), block);
            try (DiskTier tier = DiskTier.open(config);
                 HostSlotMemory g2 = new HostSlotMemory(maxQd, block))
            {
                if (!tier.directIo())
                {
                    System.out.println("# " + sub + " refused O_DIRECT: G3 figures are buffered I/O");
                }
                final long regionBytes = tier.slotCount() * tier.stride();
                fill(tier, g2, block);
                for (final String w : new String[] {"write", "read"})
                {
                    for (final String q : depths.split(","))
                    {
                        final int qd = Integer.parseInt(q.trim());
                        final long[] failures = new long[1];
                        final double[] g3 = new double[repeats];
                        final double[] aios = new double[repeats];
                        final double[] psyncs = new double[repeats];
                        final double[] raws = new double[repeats];
                        for (int r = 0; r < repeats; r++)
                        {
                            g3[r] = run(tier, g2, block, qd, "write".equals(w), seconds, failures, false);
                            raws[r] = run(tier, g2, block, qd, "write".equals(w), seconds, failures, true);
                            aios[r] = haveFio ? fio(fio, dir, w, block, qd, regionBytes, seconds, false) : Double.NaN;
                            psyncs[r] = haveFio ? fio(fio, dir, w, block, qd, regionBytes, seconds, true) : Double.NaN;
                        }
                        final double ours = median(g3);
                        final double aio = median(aios);
                        final double psync = median(psyncs);
                        System.out.printf(Locale.ROOT, "| %s | %s | %d | %.0f | %s | %s | %s | %s | %.0f | %d |%n",
                            "write".equals(w) ? "G2→G3 write" : "G3→G2 read", size, qd, ours, fmt(aio), ratio(ours, aio),
                            fmt(psync), ratio(ours, psync), median(raws), failures[0]);
                        System.out.flush();
                    }
                }
            }
            deleteTree(sub);
        }
        Files.deleteIfExists(dir.resolve("fio.dat"));
        if (restartBlocks > 0)
        {
            restart(dir.resolve("g3-restart"), restartBlocks);
        }
    }

    private static double median(final double[] v)
    {
        final double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    /** XXH3-64 over a 8 MiB off-heap buffer for about a second: what a checksum costs on this machine. */
    private static double xxh3GigabytesPerSecond()
    {
        try (HostSlotMemory m = new HostSlotMemory(1, 8L << 20))
        {
            long sink = 0;
            long bytes = 0;
            final long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 1_000_000_000L)
            {
                sink += SlotHeaderLayout.checksum(m.address(0), 8L << 20);
                bytes += 8L << 20;
            }
            final double gbs = bytes / ((System.nanoTime() - t0) / 1e9) / 1e9;
            return sink == 42 ? gbs + 1e-9 : gbs;
        }
    }

    private static String fmt(final double v)
    {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String ratio(final double ours, final double peer)
    {
        return Double.isNaN(peer) || peer <= 0 ? "" : String.format(Locale.ROOT, "%.2f", ours / peer);
    }

    private static long parseSize(final String s)
    {
        final String t = s.trim().toUpperCase(Locale.ROOT);
        final long unit = t.endsWith("K") ? 1L << 10 : t.endsWith("M") ? 1L << 20 : 1;
        return (long)(Double.parseDouble(unit == 1 ? t : t.substring(0, t.length() - 1)) * unit);
    }

    private static long idHi(final int slot)
    {
        return 0x4733L << 48 | slot;
    }

    private static long idLo(final int slot)
    {
        return slot * 0x9E3779B97F4A7C15L;
    }

    /** Writes every slot once, so reads find verified blocks and the file's blocks are allocated. */
    private static void fill(final DiskTier tier, final HostSlotMemory g2, final long block) throws Exception
    {
        final UnsafeBuffer b = new UnsafeBuffer(0, 0);
        for (int t = 0; t < g2.slotCount(); t++)
        {
            g2.wrap(t, b);
            for (int p = 0; p + 8 <= block; p += 8)
            {
                b.putLong(p, p * 31L + t);
            }
        }
        parallel(4, tier.slotCount(), (io, thread, from, to) ->
        {
            for (int s = from; s < to; s++)
            {
                tier.writeSlot(io, s, idHi(s), idLo(s), 1, g2.address(0), block, s + 1);
            }
            return 0;
        }, tier);
    }

    @FunctionalInterface
    private interface Part
    {
        long run(SlotIo io, int thread, int from, int to) throws Exception;
    }

    private static void parallel(final int threads, final int slots, final Part part, final DiskTier tier) throws Exception
    {
        final List<Thread> list = new ArrayList<>();
        final List<Exception> errors = new ArrayList<>();
        for (int t = 0; t < threads; t++)
        {
            final int from = (int)((long)slots * t / threads);
            final int to = (int)((long)slots * (t + 1) / threads);
            final int index = t;
            final Thread th = new Thread(() ->
            {
                try (SlotIo io = tier.newIo())
                {
                    part.run(io, index, from, to);
                }
                catch (final Exception e)
                {
                    synchronized (errors)
                    {
                        errors.add(e);
                    }
                }
            });
            th.start();
            list.add(th);
        }
        for (final Thread th : list)
        {
            th.join();
        }
        if (!errors.isEmpty())
        {
            throw errors.get(0);
        }
    }

    /**
     * MiB/s of payload moved by {@code qd} threads for {@code seconds}; {@code ioOnly}: the same vectored
     * I/O through the same {@link SlotIo} without computing or verifying checksums (a breakdown, not a
     * mode of the tier).
     */
    private static double run(final DiskTier tier, final HostSlotMemory g2, final long block, final int qd,
                              final boolean write, final double seconds, final long[] failures, final boolean ioOnly)
        throws Exception
    {
        final AtomicLong ops = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final CyclicBarrier start = new CyclicBarrier(qd);
        final long[] window = new long[2];
        final long durationNanos = (long)(seconds * 1e9);
        parallel(qd, tier.slotCount(), (io, thread, from, to) ->
        {
            final long buffer = g2.address(thread % g2.slotCount()); // one G2 slot per thread
            final SplittableRandom rnd = new SplittableRandom(from);
            final long sum = SlotHeaderLayout.checksum(buffer, block);
            start.await();
            final long begin = System.nanoTime();
            synchronized (window)
            {
                window[0] = window[0] == 0 ? begin : Math.min(window[0], begin);
            }
            long n = 0;
            long bad = 0;
            long now = begin;
            while (now - begin < durationNanos)
            {
                final int s = from + rnd.nextInt(to - from);
                if (ioOnly && write)
                {
                    // A valid header with the checksum taken once: later verified reads still find the block.
                    SlotHeaderLayout.encode(io.header(), idHi(s), idLo(s), 1, block, sum, s + 1);
                }
                final DiskStatus st = ioOnly ?
                    (write ? io.write(s * tier.stride(), buffer, SlotHeaderLayout.alignUp(block)) :
                        io.read(s * tier.stride(), buffer, SlotHeaderLayout.alignUp(block))) :
                    write ?
                        tier.writeSlot(io, s, idHi(s), idLo(s), 1, buffer, block, s + 1) :
                        tier.readSlot(io, s, idHi(s), idLo(s), 1, block, -1, buffer, g2.slotStride());
                if (st == DiskStatus.OK)
                {
                    n++;
                }
                else
                {
                    bad++;
                }
                now = System.nanoTime();
            }
            ops.addAndGet(n);
            failed.addAndGet(bad);
            synchronized (window)
            {
                window[1] = Math.max(window[1], now);
            }
            return n;
        }, tier);
        failures[0] += failed.get();
        return ops.get() * (double)block / (1 << 20) / ((window[1] - window[0]) / 1e9);
    }

    private static boolean fioWorks(final String fio)
    {
        try
        {
            final Process p = new ProcessBuilder(fio, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        }
        catch (final IOException | InterruptedException e)
        {
            return false;
        }
    }

    private static final Pattern BW = Pattern.compile("\"bw_bytes\"\\s*:\\s*(\\d+)");

    /** fio's MiB/s for the same operation, block size, depth and file size, O_DIRECT, same directory. */
    private static double fio(final String fio, final Path dir, final String op, final long block, final int qd,
                              final long size, final double seconds, final boolean psync) throws Exception
    {
        final List<String> cmd = new ArrayList<>(List.of(fio, "--name=g3peer", "--filename=" + dir.resolve("fio.dat"),
            "--size=" + size, "--bs=" + block, "--rw=rand" + op, "--direct=1", "--time_based",
            "--runtime=" + Math.max(1, Math.round(seconds)), "--norandommap", "--randrepeat=0",
            "--output-format=json"));
        if (psync)
        {
            cmd.addAll(List.of("--ioengine=psync", "--numjobs=" + qd, "--group_reporting", "--thread"));
        }
        else
        {
            cmd.addAll(List.of("--ioengine=libaio", "--iodepth=" + qd));
        }
        final Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out;
        try (InputStream in = p.getInputStream())
        {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (p.waitFor() != 0)
        {
            return Double.NaN;
        }
        final int section = out.indexOf("\"" + op + "\"");
        final Matcher m = BW.matcher(out);
        return section >= 0 && m.find(section) ? Long.parseLong(m.group(1)) / (double)(1 << 20) : Double.NaN;
    }

    private static void restart(final Path dir, final int blocks) throws Exception
    {
        final long payload = 4096;
        final DiskTierConfig config = DiskTierConfig.posix(dir, blocks, payload).withScanThreads(16);
        final long fillNanos;
        try (DiskTier tier = DiskTier.open(config);
             HostSlotMemory g2 = new HostSlotMemory(1, payload))
        {
            // The owner reserves, 8 I/O threads write, the owner commits: the transfer engine's shape.
            final long t0 = System.nanoTime();
            final int[] slots = new int[blocks];
            final long[] gens = new long[blocks];
            for (int b = 0; b < blocks; b++)
            {
                slots[b] = tier.reserve();
                gens[b] = tier.newGeneration();
            }
            parallel(8, blocks, (io, thread, from, to) ->
            {
                for (int b = from; b < to; b++)
                {
                    if (tier.writeSlot(io, slots[b], idHi(b), idLo(b), 1, g2.address(0), payload, gens[b]) != DiskStatus.OK)
                    {
                        throw new IllegalStateException("write of block " + b + " failed");
                    }
                }
                return 0;
            }, tier);
            for (int b = 0; b < blocks; b++)
            {
                tier.commit(slots[b], idHi(b), idLo(b), 1, payload, gens[b]);
            }
            fillNanos = System.nanoTime() - t0;
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "restart, %d blocks of 4 KiB (slot file %d MiB, index file %d MiB); fill %.1f s%n",
            blocks, DiskTier.strideOf(payload) * blocks >> 20, (64L * blocks + 4096) >> 20, fillNanos / 1e9);
        System.out.println();
        System.out.println("| restart from | open s | index rebuild s | recovered | corrupt |");
        System.out.println("|---|---|---|---|---|");
        for (final boolean scan : new boolean[] {false, false, true})
        {
            if (scan)
            {
                Files.delete(dir.resolve("g3-index.dat"));
            }
            final long t1 = System.nanoTime();
            try (DiskTier tier = DiskTier.open(config))
            {
                final long openNanos = System.nanoTime() - t1;
                System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %d | %d |%n",
                    tier.recoveredFromIndexFile() ? "index file (g3-index.dat)" :
                        "header scan, " + config.scanThreads() + " threads (index file deleted)",
                    openNanos / 1e9, tier.recoveryNanos() / 1e9, tier.counter(DiskCounter.RECOVERED_BLOCKS),
                    tier.counter(DiskCounter.CORRUPT_SLOTS));
            }
        }
        deleteTree(dir);
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> s = Files.walk(dir))
        {
            for (final Path p : (Iterable<Path>)s.sorted(Comparator.reverseOrder())::iterator)
            {
                Files.delete(p);
            }
        }
    }
}
