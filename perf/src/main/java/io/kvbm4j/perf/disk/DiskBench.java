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
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.gds.disk.DiskCompletionHandler;
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.gds.disk.DiskTier;
import io.kvbm4j.gds.disk.DiskTierConfig;
import io.kvbm4j.gds.disk.SlotHeaderLayout;
import io.kvbm4j.gds.disk.SlotIo;
import io.kvbm4j.tiers.host.HostSlotMemory;

/**
 * G3 disk tier throughput and CPU against fio, and restart time. Not JMH: the figure is device throughput
 * at a queue depth, set side by side with fio on the same file system, sizes and depths in the same run.
 *
 * <p>Columns, per operation, block size and queue depth QD (blocks in flight):
 * <ul>
 * <li><b>G3</b> ({@code --path tier}, the default): the tier alone through its asynchronous API, as a
 * transfer thread would drive it: one owner thread keeps QD blocks in flight with
 * {@code DiskTier.submitWrite}/{@code submitRead} and collects them with {@code pollCompletions} (never
 * blocking); the tier's {@code g3.queue-depth} is QD x the parts per block ({@code --part-mib}), its I/O
 * threads checksum and move the parts. Writes evict the id and write it again (index entry included); reads
 * verify header and checksum.</li>
 * <li><b>engine</b> ({@code --path engine}; both paths by default): G2→G3 write-back and G3→G2→G1 onboards
 * through a real manager and its transfer engine, the G3 copier on the tier's asynchronous API (see
 * {@link EnginePath}), in the same repeat loop as the tier and fio, so each ratio is paired with the same fio
 * runs. Its CPU includes everything the engine does per block (G1↔G2 copies, their checksums, the ring
 * handlers); {@code --cpu-breakdown} prints it per kind of thread.</li>
 * <li><b>G3 I/O only</b>: QD threads, each with its own {@code SlotIo}, doing the same vectored O_DIRECT
 * I/O without checksums (the tier's CPU and speed without our checksum).</li>
 * <li><b>fio</b>: libaio, {@code iodepth=QD}, {@code randwrite}/{@code randread}, {@code direct=1}, same
 * block size, a file of the same size in the same directory; <b>fio+verify</b>: the same with
 * {@code --verify=xxhash} (writes embed the checksum; reads verify it, on a file laid out with
 * verify headers).</li>
 * </ul>
 * CPU per GiB is user + sys per GiB of payload moved: for G3 the whole JVM's process CPU time
 * (GC and JIT included), for fio its own {@code usr_cpu + sys_cpu} of the job's runtime.
 *
 * <p>Restart: fills a tier of {@code --restart-blocks} slots (4 KiB payloads: 8 KiB per slot), closes it,
 * and times {@link DiskTier#open} twice from the index file, then once more with the index file deleted
 * (a header scan with 16 threads).
 *
 * <p>Run: {@code make bench-disk} (perf/bench-disk.sh; 198 s of measurement: 1 s per run, tier, fio and engine
 * 3 times interleaved, I/O only and fio+verify once, no restart figure; about 4.5 minutes in all on the shared
 * 2-core machine), or {@code make bench-disk ARGS=--full} (3 s per run, 5 repeats, fio psync too, 2 GiB
 * region, 1 M-block restart: about 40 minutes). Options:
 * {@code --seconds 1 --repeats 3 --sizes 512K,2M,8M --qd 1,4,16 --part-mib 4 --region-mib 256
 * --restart-blocks 0 --fio fio --path tier,engine --cpu-breakdown} ({@code --fio none} skips fio;
 * {@code --sizes none} the throughput table).
 */
public final class DiskBench
{
    /** Untimed run of each path before a cell's measured runs. */
    private static final double WARMUP_SECONDS = 0.3;

    private static final com.sun.management.OperatingSystemMXBean OS =
        (com.sun.management.OperatingSystemMXBean)java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** How long the owner thread parks when a poll found nothing: up to 100 µs late on a 1-10 ms I/O, at most 10,000 wake-ups a second. */
    private static final long IDLE_NANOS = 100_000;

    private DiskBench()
    {
    }

    /** One measurement: payload MiB/s and CPU seconds (user + sys) per GiB moved. */
    private record Run(double mibs, double cpuPerGib)
    {
    }

    public static void main(final String[] args) throws Exception
    {
        Path dir = null;
        double seconds = 1;
        String sizes = "512K,2M,8M";
        String depths = "1,4,16";
        long regionMiB = 256;
        int restartBlocks = 0;
        String fio = "fio";
        int repeats = 3;
        long partMiB = 4;
        boolean psync = false;
        String path = "tier,engine";
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
                case "--part-mib" -> partMiB = Long.parseLong(v);
                case "--path" -> path = v;
                case "--cpu-breakdown" ->
                {
                    EnginePath.breakdown = true;
                    i--;
                }
                case "--full" ->
                {
                    seconds = 3;
                    repeats = 5;
                    restartBlocks = 1_000_000;
                    regionMiB = 2048;
                    psync = true;
                    i--;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] +
                    " (--dir --seconds --sizes --qd --region-mib --restart-blocks --fio --repeats --part-mib --path " +
                    "--cpu-breakdown --full)");
            }
        }
        if (dir == null)
        {
            throw new IllegalArgumentException("--dir DIR is required (a directory on the disk to measure)");
        }
        final boolean tierPath = Arrays.asList(path.split(",")).contains("tier");
        final boolean enginePath = Arrays.asList(path.split(",")).contains("engine");
        if (!tierPath && !enginePath)
        {
            throw new IllegalArgumentException("--path: tier, engine or tier,engine, not " + path);
        }
        Files.createDirectories(dir);
        final boolean haveFio = !"none".equals(fio) && fioWorks(fio);
        System.out.printf(Locale.ROOT, "# G3 disk tier vs fio, %s, dir %s, %.1f s per run, G3 and fio %d times " +
                "interleaved (median [min-max]), I/O only and fio+verify %s, region %d MiB, parts of %d MiB, %d cores, " +
                "load %.2f, payload checksum %.1f GB per CPU-second%n",
            java.time.Instant.now(), dir, seconds, repeats, psync ? repeats + " times" : "once", regionMiB, partMiB,
            Runtime.getRuntime().availableProcessors(), OS.getSystemLoadAverage(), xxh3GigabytesPerSecond());
        if (!haveFio)
        {
            System.out.println("# fio not available: fio columns are empty (install the Debian package fio)");
        }
        System.out.println();
        System.out.println("| op | path | block | QD | G3 MiB/s | fio MiB/s | G3/fio | goal ≥0.9 | fio spread | G3 I/O only MiB/s | " +
            "G3 CPU s/GiB | G3 I/O only CPU s/GiB | fio+verify MiB/s | fio+verify CPU s/GiB | CPU G3/fio+verify | " +
            "goal ≤1.5 |" + (psync ? " fio psync MiB/s |" : "") + " G3 failures |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + (psync ? "---|" : "") + "---|");
        int maxQd = 1;
        for (final String q : depths.split(","))
        {
            maxQd = Math.max(maxQd, Integer.parseInt(q.trim()));
        }
        for (final String size : "none".equals(sizes) ? new String[0] : sizes.split(","))
        {
            final long block = parseSize(size);
            final long partBytes = partMiB << 20;
            final int partsPerBlock = (int)Math.max(1, (block + partBytes - 1) / partBytes);
            final Path sub = dir.resolve("g3-" + size);
            deleteTree(sub); // a fresh tier per block size, whatever an interrupted run left
            final Path engineRoot = dir.resolve("engine-" + size);
            deleteTree(engineRoot);
            final EnginePath.Ids engineIds = new EnginePath.Ids();
            final boolean engineHere = enginePath && EnginePath.supports(block);
            if (enginePath && !engineHere)
            {
                System.out.println("# engine path: " + size + " is not a whole number of llama-3.1-8b tokens (128 KiB): skipped");
            }
            final int ids = (int)Math.max(16, regionMiB * (1L << 20) / DiskTier.strideOf(block));
            final long regionBytes = ids * DiskTier.strideOf(block);
            // The engine's G3 holds at least twice the blocks its write phase keeps between release and their G3
            // outcome (EnginePath.Pacer), so a write-back never finds G3 full of blocks still being written.
            final int engineSlots = Math.max(ids, 2 * EnginePath.window(maxQd) + 8);
            if (haveFio)
            {
                fioLayout(fio, dir, block, regionBytes);
            }
            for (final String w : new String[] {"write", "read"})
            {
                if (engineHere && "read".equals(w))
                {
                    EnginePath.fill(engineRoot, block, 4, partMiB << 20, engineSlots, engineIds); // untimed: G3 full
                }
                for (final String q : depths.split(","))
                {
                    final int qd = Integer.parseInt(q.trim());
                    final DiskTierConfig config = DiskTierConfig.posix(sub, ids + 2 * maxQd, block)
                        .withQueueDepth(Math.min(DiskTierConfig.MAX_QUEUE_DEPTH, qd * partsPerBlock), partBytes);
                    final long[] failures = new long[1];
                    final Run[] g3 = new Run[repeats];
                    final Run[] aios = new Run[repeats];
                    final Run[] psyncs = new Run[psync ? repeats : 0];
                    final Run[] engine = new Run[engineHere ? repeats : 0];
                    final long[] engineFailures = new long[1];
                    final Run raw;
                    final Run verify;
                    try (DiskTier tier = DiskTier.open(config);
                         HostSlotMemory g2 = new HostSlotMemory(Math.max(qd, maxQd), block);
                         DefaultKvBlockManager manager = engineHere ?
                             EnginePath.openFor(engineRoot, block, qd, partBytes, engineSlots, "write".equals(w)) : null)
                    {
                        if (!tier.directIo())
                        {
                            System.out.println("# " + sub + " refused O_DIRECT: G3 figures are buffered I/O");
                        }
                        pattern(g2, block);
                        if (tier.size() < ids)
                        {
                            fill(tier, g2, block, ids);
                        }
                        // Untimed warm-up of both paths (JIT, first touches of fresh memory): a 1 s run charges
                        // the JIT's compile threads to the figures otherwise; fio has none.
                        if (tierPath)
                        {
                            async(tier, g2, block, qd, ids, "write".equals(w), WARMUP_SECONDS, new long[1]);
                        }
                        if (engineHere)
                        {
                            if ("write".equals(w))
                            {
                                EnginePath.write(manager, block, qd, engineIds, WARMUP_SECONDS);
                            }
                            else
                            {
                                EnginePath.read(manager, block, qd, engineSlots, engineIds, WARMUP_SECONDS);
                            }
                        }
                        for (int r = 0; r < repeats; r++)
                        {
                            g3[r] = tierPath ? async(tier, g2, block, qd, ids, "write".equals(w), seconds, failures) : null;
                            aios[r] = haveFio ? fio(fio, dir, w, block, qd, regionBytes, seconds, false, false) : null;
                            if (engineHere)
                            {
                                final EnginePath.Result e = "write".equals(w) ?
                                    EnginePath.write(manager, block, qd, engineIds, seconds) :
                                    EnginePath.read(manager, block, qd, engineSlots, engineIds, seconds);
                                engine[r] = new Run(e.mibs(), e.cpuPerGib());
                                engineFailures[0] += e.failures();
                            }
                            if (psync)
                            {
                                psyncs[r] = haveFio ? fio(fio, dir, w, block, qd, regionBytes, seconds, true, false) : null;
                            }
                        }
                        raw = tierPath ? ioOnly(tier, g2, block, qd, ids, "write".equals(w), seconds, failures) : null;
                        verify = haveFio ? fio(fio, dir, w, block, qd, regionBytes, seconds, false, true) : null;
                    }
                    final double aio = median(aios, true);
                    final double cpuVerify = verify == null ? Double.NaN : verify.cpuPerGib();
                    if (tierPath)
                    {
                        row("write".equals(w) ? "G2→G3 write" : "G3→G2 read", "tier", size, qd, g3, aios, raw,
                            verify, cpuVerify, psync ? " " + fmt(median(psyncs, true)) + " |" : "", failures[0]);
                    }
                    if (engineHere)
                    {
                        row("write".equals(w) ? "G2→G3 write-back" : "G3→G2→G1 onboard", "engine", size, qd, engine,
                            aios, null, verify, cpuVerify, psync ? " |" : "", engineFailures[0]);
                    }
                    System.out.flush();
                }
            }
            deleteTree(sub);
            deleteTree(engineRoot);
            Files.deleteIfExists(dir.resolve("fio.dat"));
            Files.deleteIfExists(dir.resolve("fio-verify.dat"));
        }
        if (restartBlocks > 0)
        {
            restart(dir.resolve("g3-restart"), restartBlocks);
        }
    }

    /** One table row: ours (tier or engine path) against the same run's fio. */
    private static void row(final String op, final String path, final String size, final int qd, final Run[] ours,
                            final Run[] aios, final Run raw, final Run verify, final double cpuVerify,
                            final String psyncColumn, final long failures)
    {
        final double speed = median(ours, true);
        final double aio = median(aios, true);
        final double ratio = speed / aio;
        final double cpu = median(ours, false);
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %d | %s [%s] | %s [%s] | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%s %d |%n",
            op, path, size, qd, fmt(speed), range(ours), fmt(aio), range(aios), fmt2(ratio),
            Double.isNaN(ratio) ? "" : ratio >= 0.9 ? "met" : "NOT met", spread(aios),
            raw == null ? "" : fmt(raw.mibs()), fmt2(cpu), raw == null ? "" : fmt2(raw.cpuPerGib()),
            verify == null ? "" : fmt(verify.mibs()), fmt2(cpuVerify), fmt2(cpu / cpuVerify),
            Double.isNaN(cpuVerify) || Double.isNaN(cpu) ? "" : cpu <= 1.5 * cpuVerify ? "met" : "NOT met",
            psyncColumn, failures);
    }

    /** CPU time (user + sys) of this whole process, in nanoseconds. */
    static long processCpuNanos()
    {
        return OS.getProcessCpuTime();
    }

    private static double median(final Run[] runs, final boolean speed)
    {
        if (runs.length == 0 || runs[0] == null)
        {
            return Double.NaN;
        }
        final double[] c = new double[runs.length];
        int n = 0;
        for (final Run r : runs)
        {
            final double v = r == null ? Double.NaN : speed ? r.mibs() : r.cpuPerGib();
            if (!Double.isNaN(v))
            {
                c[n++] = v;
            }
        }
        if (n == 0)
        {
            return Double.NaN;
        }
        Arrays.sort(c, 0, n);
        return c[n / 2];
    }

    private static String range(final Run[] runs)
    {
        if (runs.length == 0 || runs[0] == null || Double.isNaN(runs[0].mibs()))
        {
            return "";
        }
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (final Run r : runs)
        {
            lo = Math.min(lo, r.mibs());
            hi = Math.max(hi, r.mibs());
        }
        return String.format(Locale.ROOT, "%.0f-%.0f", lo, hi);
    }

    /** fio against itself: max / min of its repeats (1.00 = steady; above 1.11 the disk varies more than the goal's 10 %). */
    private static String spread(final Run[] runs)
    {
        if (runs.length < 2 || runs[0] == null)
        {
            return "";
        }
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (final Run r : runs)
        {
            lo = Math.min(lo, r.mibs());
            hi = Math.max(hi, r.mibs());
        }
        return String.format(Locale.ROOT, "%.2f", hi / lo);
    }

    private static String fmt2(final double v)
    {
        return Double.isNaN(v) || Double.isInfinite(v) ? "" : String.format(Locale.ROOT, "%.2f", v);
    }

    /**
     * The payload checksum over a 8 MiB off-heap buffer, 32 times: GB per second of this thread's CPU time
     * (so a loaded machine does not hide what a checksum costs).
     */
    private static double xxh3GigabytesPerSecond()
    {
        final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        try (HostSlotMemory m = new HostSlotMemory(1, 8L << 20))
        {
            long sink = 0;
            final long t0 = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < 32; i++)
            {
                sink += SlotHeaderLayout.payloadSum(m.address(0), 8L << 20);
            }
            final double gbs = 32 * (8L << 20) / ((threads.getCurrentThreadCpuTime() - t0) / 1e9) / 1e9;
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

    /** Writes ids 0 .. ids-1 through the asynchronous path, so reads find verified, indexed blocks. */
    private static void pattern(final HostSlotMemory g2, final long block)
    {
        final UnsafeBuffer b = new UnsafeBuffer(0, 0);
        for (int t = 0; t < g2.slotCount(); t++)
        {
            g2.wrap(t, b);
            for (int p = 0; p + 8 <= block; p += 8)
            {
                b.putLong(p, p * 31L); // every G2 slot holds the same bytes (see ioOnly)
            }
        }
    }

    private static void fill(final DiskTier tier, final HostSlotMemory g2, final long block, final int ids)
    {
        final long[] done = new long[1];
        final DiskCompletionHandler h = (tag, write, status, callerChecksum) -> done[0]++;
        int next = 0;
        while (done[0] < ids)
        {
            while (next < ids)
            {
                final DiskStatus s = tier.submitWrite(idHi(next), idLo(next), 1, g2.address(0), block, next);
                if (s == DiskStatus.ALREADY_PRESENT)
                {
                    done[0]++;
                }
                else if (s != DiskStatus.SUBMITTED)
                {
                    break; // BUSY: collect completions first
                }
                next++;
            }
            if (tier.pollCompletions(h, Integer.MAX_VALUE) == 0)
            {
                LockSupport.parkNanos(IDLE_NANOS);
            }
        }
    }

    /** The owner thread's side of the asynchronous path: QD blocks in flight, each with its own G2 slot. */
    private static final class Driver implements DiskCompletionHandler
    {
        final int[] freeBuffers;
        int freeTop;
        long ok;
        long failed;

        Driver(final int qd)
        {
            freeBuffers = new int[qd];
            for (int i = 0; i < qd; i++)
            {
                freeBuffers[freeTop++] = i;
            }
        }

        @Override
        public void onComplete(final long tag, final boolean write, final DiskStatus status, final long callerChecksum)
        {
            freeBuffers[freeTop++] = (int)tag;
            if (status == DiskStatus.OK || status == DiskStatus.ALREADY_PRESENT)
            {
                ok++;
            }
            else
            {
                failed++;
            }
        }
    }

    /**
     * MiB/s and CPU/GiB of the tier's asynchronous path driven from this (the owner) thread with {@code qd}
     * blocks in flight on random ids. A write evicts the id and writes it again.
     */
    private static Run async(final DiskTier tier, final HostSlotMemory g2, final long block, final int qd, final int ids,
                             final boolean write, final double seconds, final long[] failures)
    {
        final Driver d = new Driver(qd);
        final SplittableRandom rnd = new SplittableRandom(qd * 31L + block);
        final long durationNanos = (long)(seconds * 1e9);
        final long cpu0 = OS.getProcessCpuTime();
        final long begin = System.nanoTime();
        long now = begin;
        while (now - begin < durationNanos)
        {
            while (d.freeTop > 0)
            {
                final int buffer = d.freeBuffers[d.freeTop - 1];
                final int id = rnd.nextInt(ids);
                final DiskStatus s;
                if (write)
                {
                    tier.evict(idHi(id), idLo(id));
                    s = tier.submitWrite(idHi(id), idLo(id), 1, g2.address(buffer), block, buffer);
                }
                else
                {
                    s = tier.submitRead(idHi(id), idLo(id), 1, g2.address(buffer), g2.slotStride(), buffer);
                }
                if (s == DiskStatus.SUBMITTED)
                {
                    d.freeTop--;
                }
                else if (s == DiskStatus.BUSY)
                {
                    break;
                }
                else
                {
                    break; // a miss (id rewritten by an in-flight write) or no slot: nothing moved, poll first
                }
            }
            if (tier.pollCompletions(d, Integer.MAX_VALUE) == 0)
            {
                LockSupport.parkNanos(IDLE_NANOS); // an idle strategy, as a transfer agent's: do not spin on 2 cores
            }
            now = System.nanoTime();
        }
        while (d.freeTop < qd)
        {
            if (tier.pollCompletions(d, Integer.MAX_VALUE) == 0)
            {
                LockSupport.parkNanos(IDLE_NANOS);
            }
        }
        final long end = System.nanoTime();
        final long cpu = OS.getProcessCpuTime() - cpu0;
        failures[0] += d.failed;
        final double bytes = d.ok * (double)block;
        return new Run(bytes / (1 << 20) / ((end - begin) / 1e9), cpu / 1e9 / (bytes / (1L << 30)));
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
     * The same vectored O_DIRECT I/O as the tier, from {@code qd} threads each with its own {@link SlotIo},
     * without checksums or index: what the tier costs without our checksum (a breakdown, not a mode of the
     * tier). Writes move the payload part of a slot only (every block holds the same bytes, so headers stay
     * valid for the verified reads that follow); reads move header + payload in one vectored read.
     */
    private static Run ioOnly(final DiskTier tier, final HostSlotMemory g2, final long block, final int qd, final int ids,
                              final boolean write, final double seconds, final long[] failures)
        throws Exception
    {
        final AtomicLong ops = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final CyclicBarrier start = new CyclicBarrier(qd);
        final long durationNanos = (long)(seconds * 1e9);
        final long cpu0 = OS.getProcessCpuTime();
        final long t0 = System.nanoTime();
        final long[] window = new long[2];
        parallel(qd, tier.slotCount(), (io, thread, from, to) ->
        {
            final long buffer = g2.address(0); // the fill's bytes; reads overwrite them with the same bytes
            final SplittableRandom rnd = new SplittableRandom(from);
            start.await();
            final long begin = System.nanoTime();
            synchronized (window)
            {
                window[0] = window[0] == 0 ? begin : Math.min(window[0], begin);
            }
            long n = 0;
            long bad = 0;
            long now = begin;
            final long aligned = SlotHeaderLayout.alignUp(block);
            while (now - begin < durationNanos)
            {
                final int s = from + rnd.nextInt(to - from);
                final DiskStatus st;
                if (write)
                {
                    // The payload part of the slot only, with the bytes every block has (its header stays
                    // valid for the later verified reads); 4 KiB less per block than the tier writes.
                    st = io.writeAt(s * tier.stride() + SlotHeaderLayout.HEADER_BLOCK, buffer, aligned);
                }
                else
                {
                    st = io.read(s * tier.stride(), g2.address(thread % g2.slotCount()), aligned);
                }
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
        final long cpu = OS.getProcessCpuTime() - cpu0;
        failures[0] += failed.get();
        final double bytes = ops.get() * (double)block;
        final double secs = (window[1] - Math.max(window[0], t0)) / 1e9;
        return new Run(bytes / (1 << 20) / secs, cpu / 1e9 / (bytes / (1L << 30)));
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

    private static final Pattern IO_BYTES = Pattern.compile("\"io_bytes\"\\s*:\\s*(\\d+)");
    private static final Pattern RUNTIME = Pattern.compile("\"job_runtime\"\\s*:\\s*(\\d+)");
    private static final Pattern USR = Pattern.compile("\"usr_cpu\"\\s*:\\s*([0-9.eE+-]+)");
    private static final Pattern SYS = Pattern.compile("\"sys_cpu\"\\s*:\\s*([0-9.eE+-]+)");

    /** Lays out fio's two files once per block size: fio.dat (plain) and fio-verify.dat (xxhash verify headers). */
    private static void fioLayout(final String fio, final Path dir, final long block, final long size) throws Exception
    {
        for (final String f : new String[] {"fio.dat", "fio-verify.dat"})
        {
            Files.deleteIfExists(dir.resolve(f));
        }
        runFio(List.of(fio, "--name=layout", "--filename=" + dir.resolve("fio.dat"), "--size=" + size, "--bs=" + block,
            "--rw=write", "--direct=1", "--ioengine=libaio", "--iodepth=4", "--output-format=json"));
        runFio(List.of(fio, "--name=layout", "--filename=" + dir.resolve("fio-verify.dat"), "--size=" + size,
            "--bs=" + block, "--rw=write", "--direct=1", "--ioengine=libaio", "--iodepth=4", "--verify=xxhash",
            "--do_verify=0", "--verify_state_save=0", "--output-format=json"));
    }

    private static String runFio(final List<String> cmd) throws Exception
    {
        final Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final String out;
        try (InputStream in = p.getInputStream())
        {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return p.waitFor() == 0 ? out : null;
    }

    /**
     * fio's MiB/s and CPU s/GiB for the same operation, block size, depth and file size, O_DIRECT, same
     * directory; {@code verify}: {@code --verify=xxhash} on the verify file (reads verify every block).
     */
    private static Run fio(final String fio, final Path dir, final String op, final long block, final int qd,
                           final long size, final double seconds, final boolean psync, final boolean verify)
        throws Exception
    {
        final List<String> cmd = new ArrayList<>(List.of(fio, "--name=g3peer",
            "--filename=" + dir.resolve(verify ? "fio-verify.dat" : "fio.dat"),
            "--size=" + size, "--bs=" + block, "--rw=rand" + op, "--direct=1", "--time_based",
            "--runtime=" + Math.max(1, Math.round(seconds * 1000)) + "ms", "--norandommap", "--randrepeat=0",
            "--output-format=json"));
        if (verify)
        {
            cmd.addAll(List.of("--verify=xxhash", "--verify_state_save=0",
                "write".equals(op) ? "--do_verify=0" : "--do_verify=1"));
        }
        if (psync)
        {
            cmd.addAll(List.of("--ioengine=psync", "--numjobs=" + qd, "--group_reporting", "--thread"));
        }
        else
        {
            cmd.addAll(List.of("--ioengine=libaio", "--iodepth=" + qd));
        }
        final String out = runFio(cmd);
        if (out == null)
        {
            return new Run(Double.NaN, Double.NaN);
        }
        final int section = out.indexOf("\"" + op + "\"");
        final Matcher bytes = IO_BYTES.matcher(out);
        final Matcher runtime = RUNTIME.matcher(out);
        final Matcher usr = USR.matcher(out);
        final Matcher sys = SYS.matcher(out);
        if (section < 0 || !bytes.find(section) || !runtime.find() || !usr.find() || !sys.find())
        {
            return new Run(Double.NaN, Double.NaN);
        }
        final double moved = Long.parseLong(bytes.group(1));
        final double secs = Long.parseLong(runtime.group(1)) / 1e3;
        final double cpu = (Double.parseDouble(usr.group(1)) + Double.parseDouble(sys.group(1))) / 100 * secs *
            (psync ? qd : 1);
        return new Run(moved / (1 << 20) / secs, cpu / (moved / (1L << 30)));
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
