package io.kvbm4j.perf.disk;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.gds.disk.DiskCounter;
import io.kvbm4j.gds.disk.DiskTierConfig;

/**
 * The engine path of {@code make bench-disk} ({@code --path engine}): G2→G3 write-back and G3→G2→G1 onboards
 * through a real {@link DefaultKvBlockManager} (transfer engine on its own thread, G1 and G2 in host memory,
 * the G3 copier on the disk tier's asynchronous API), driven by this thread as the serving thread.
 *
 * <p>One manager per cell (block size, operation, QD), kept open across the cell's repeats, on a G3 root of
 * its own that persists across the cells of one block size (a reopened tier restores its blocks, so reads
 * find what earlier writes left). Model {@code llama-3.1-8b} (128 KiB per
 * token), block-tokens = block / 128 KiB; {@code g3.queue-depth} = QD × parts per block, as for the tier alone;
 * {@code transfers.batch-blocks} 4, {@code transfers.max-in-flight} QD + 4 (so QD G3 records and some G1↔G2 ones
 * run at once); verify-g2 as shipped (on).
 *
 * <ul>
 * <li><b>write</b>: stores new single-block chains (allocate, commit, release: admission {@code always},
 * write-back), so each goes G1→G2 and then G2→G3, keeping at most 2 × QD + 4 blocks between their release and
 * their G3 outcome. Speed = payload bytes the disk tier wrote (index entry included) per second, from the
 * first store until every write settled.</li>
 * <li><b>read</b>: keeps QD single-block onboards outstanding on ids present in G3, taken in cyclic order over
 * more ids than G1 or G2 hold, so LRU G1 and G2 always miss and every onboard is G3→G2→G1 (verified by the
 * disk tier, then G2→G1 with the G2 checksum). Speed = payload bytes the disk tier read and verified per
 * second.</li>
 * </ul>
 * CPU per GiB is the whole process's (transfer thread, I/O threads, serving thread, ring handlers, G1↔G2
 * copies and their checksums).
 */
final class EnginePath
{
    private static final long TOKEN_BYTES = 128 << 10;
    private static final long HI = 0x4733_4547L << 32;
    private static final long IDLE_NANOS = 50_000;
    /** The pacer's stall guard: longer than a batch of 8 MiB blocks takes at QD 1 (a record settles whole). */
    private static final long STALL_NANOS = 250_000_000;

    /** MiB/s, CPU s/GiB, failures. */
    record Result(double mibs, double cpuPerGib, long failures)
    {
    }

    /** Set by {@code --cpu-breakdown}: each engine run prints the CPU seconds per GiB of each kind of thread. */
    static boolean breakdown;

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private EnginePath()
    {
    }

    /** CPU nanoseconds of every live thread, by id. */
    private static Map<Long, Long> threadCpu()
    {
        final Map<Long, Long> m = new HashMap<>();
        for (final long id : THREADS.getAllThreadIds())
        {
            m.put(id, THREADS.getThreadCpuTime(id));
        }
        return m;
    }

    /** Prints CPU s/GiB per kind of thread (names without digits) between {@code before} and now. */
    private static void printBreakdown(final String what, final Map<Long, Long> before, final double movedBytes)
    {
        if (!breakdown)
        {
            return;
        }
        final Map<String, Double> byKind = new TreeMap<>();
        for (final java.lang.management.ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds()))
        {
            if (info == null)
            {
                continue;
            }
            final long now = THREADS.getThreadCpuTime(info.getThreadId());
            final long was = before.getOrDefault(info.getThreadId(), 0L);
            final String kind = info.getThreadName().replaceAll("[0-9]+", "#");
            byKind.merge(kind, (now - was) / 1e9 / (movedBytes / (1L << 30)), Double::sum);
        }
        final StringBuilder b = new StringBuilder("# cpu s/GiB by thread, " + what + ":");
        byKind.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s=%.2f", k, v)));
        System.out.println(b);
    }

    /** Whether this block size can be a model block here (a whole number of 128 KiB tokens). */
    static boolean supports(final long block)
    {
        return block % TOKEN_BYTES == 0 && block / TOKEN_BYTES <= 4096;
    }

    private static DefaultKvBlockManager open(final Path root, final long block, final int qd, final long partBytes,
                                              final int slots, final boolean write)
    {
        final int parts = (int)Math.max(1, partBytes == 0 ? 1 : (block + partBytes - 1) / partBytes);
        // Reads: G1 and G2 hold fewer blocks than the cycle of ids, so every onboard misses them.
        // Writes: room for the pacer's window (2 × QD + 8 blocks between release and their G3 outcome, each
        // pinned in G2 until then) plus a batch filling, so a G1→G2 offload never finds G2 full of pins.
        final int g1 = write ? 2 * qd + 16 : qd + 4;
        final int g2 = write ? 2 * qd + 16 : qd + 4;
        final Map<String, String> o = new HashMap<>();
        o.put("model", "llama-3.1-8b");
        o.put("block-tokens", Long.toString(block / TOKEN_BYTES));
        o.put("tiers.g1-blocks", Integer.toString(g1));
        o.put("tiers.g2-blocks", Integer.toString(g2));
        o.put("tiers.g1-memory", "host");
        o.put("transfers.admission", "always");
        o.put("transfers.batch-blocks", "4");
        o.put("transfers.max-in-flight", Integer.toString(qd + 4));
        o.put("transfers.timeout-ms", "30000");
        o.put("g3.slot-count", Integer.toString(slots));
        o.put("g3.root", root.toString());
        o.put("g3.queue-depth", Integer.toString(Math.min(DiskTierConfig.MAX_QUEUE_DEPTH, qd * parts)));
        o.put("g3.part-bytes", Long.toString(partBytes));
        return Engines.open(ConfigLoader.withOverrides(null, o));
    }

    /** Ids written to a root so far (the next new id); kept across the runs of one block size. */
    static final class Ids
    {
        long next;
    }

    /** A manager for the runs of one cell (opened once, so its memory is allocated once per cell). */
    static DefaultKvBlockManager openFor(final Path root, final long block, final int qd, final long partBytes,
                                         final int slots, final boolean write)
    {
        return open(root, block, qd, partBytes, slots, write);
    }

    static Result write(final DefaultKvBlockManager m, final long block, final int qd, final Ids ids,
                        final double seconds)
    {
        final BlockIds chain = new BlockIds(1);
        final int[] slot = new int[1];
        final long bytes0 = m.g3Counter(DiskCounter.WRITE_BYTES);
        final long failed0 = m.counters().get(Counter.G3_WRITE_FAILED_BLOCKS);
        final Pacer pacer = new Pacer(m, qd);
        final Map<Long, Long> threads0 = breakdown ? threadCpu() : null;
        final long cpu0 = DiskBench.processCpuNanos();
        final long begin = System.nanoTime();
        final long duration = (long)(seconds * 1e9);
        long now = begin;
        while (now - begin < duration)
        {
            pacer.step(chain, slot, ids, now);
            now = System.nanoTime();
        }
        m.awaitTransfers(60, TimeUnit.SECONDS);
        final long end = System.nanoTime();
        final long cpu = DiskBench.processCpuNanos() - cpu0;
        final double moved = m.g3Counter(DiskCounter.WRITE_BYTES) - bytes0;
        printBreakdown("write " + block + " QD " + qd, threads0, moved);
        if (seconds >= 1)
        {
            System.out.println(pacer.summary("write " + size(block) + " QD " + qd));
        }
        return new Result(moved / (1 << 20) / ((end - begin) / 1e9), cpu / 1e9 / (moved / (1L << 30)),
            m.counters().get(Counter.G3_WRITE_FAILED_BLOCKS) - failed0);
    }

    /** Blocks the write phase keeps between their release and their G3 outcome at queue depth {@code qd}. */
    static int window(final int qd)
    {
        return 2 * qd + 8;
    }

    private static String size(final long block)
    {
        return block % (1 << 20) == 0 ? (block >> 20) + "M" : (block >> 10) + "K";
    }

    /**
     * The storing serving thread of the write phase, paced the way a serving loop that wants every block on
     * disk would be: at most {@code 2 × QD + 8} blocks between their release and their G3 outcome, and after
     * a write-back the manager dropped (its write-back records all out: {@code G3_OFFLOAD_DROPPED}) no new
     * block until a G3 write settles. Without the second rule a drop settles at once and frees a place in the
     * window, so the thread stores as fast as G1→G2 copies go and the engine drops most of them: that measures
     * the drop path, not the disk. A stall guard stores one more block when nothing settled for 250 ms.
     */
    static final class Pacer
    {
        private final DefaultKvBlockManager m;
        private final int window;
        private final long settled0;
        private final long dropped0;
        private final long g1g2Dropped0;
        private final long evicted0;
        private long stored;
        private long lastSettled;
        private long lastProgress;
        private long lastDropped;
        /** G3 writes settled when the last drop was seen: no store until more have. */
        private long holdUntilWritten = -1;
        private long stalls;

        Pacer(final DefaultKvBlockManager m, final int qd)
        {
            this.m = m;
            this.window = window(qd);
            this.settled0 = settledWrites(m);
            this.lastSettled = settled0;
            this.dropped0 = dropped(m);
            this.g1g2Dropped0 = m.counters().get(Counter.OFFLOAD_DROPPED);
            this.lastDropped = dropped0;
            this.evicted0 = m.counters().get(Counter.G3_EVICTED_BLOCKS);
            this.lastProgress = System.nanoTime();
        }

        private static long dropped(final DefaultKvBlockManager m)
        {
            return m.counters().get(Counter.G3_OFFLOAD_DROPPED) + m.counters().get(Counter.OFFLOAD_DROPPED);
        }

        private static long written(final DefaultKvBlockManager m)
        {
            return m.counters().get(Counter.G3_OFFLOADED_BLOCKS) + m.counters().get(Counter.G3_WRITE_FAILED_BLOCKS);
        }

        long stored()
        {
            return stored;
        }

        /** Stores one block if the window and the drop rule allow, else drives the manager and parks briefly. */
        void step(final BlockIds chain, final int[] slot, final Ids ids, final long now)
        {
            final long settled = settledWrites(m);
            if (settled != lastSettled)
            {
                lastSettled = settled;
                lastProgress = now;
            }
            final long dropped = dropped(m);
            if (dropped != lastDropped)
            {
                lastDropped = dropped;
                holdUntilWritten = written(m);
            }
            final boolean held = stored - (settled - settled0) >= window ||
                (holdUntilWritten >= 0 && written(m) <= holdUntilWritten);
            if (held && now - lastProgress <= STALL_NANOS)
            {
                m.match(chain, 0, 0, slot); // applies finished transfers, submits the staged write-back batch
                LockSupport.parkNanos(IDLE_NANOS);
                return;
            }
            if (held)
            {
                stalls++;
            }
            holdUntilWritten = -1;
            if (store(m, chain, slot, ids.next))
            {
                ids.next++;
                stored++;
                lastProgress = now;
            }
            else
            {
                LockSupport.parkNanos(IDLE_NANOS);
            }
        }

        String summary(final String what)
        {
            return String.format(Locale.ROOT, "# engine %s: %d blocks stored, %d dropped by the manager (%d G1→G2), " +
                "%d G3 evictions, %d stall-guard stores", what, stored, dropped(m) - dropped0,
                m.counters().get(Counter.OFFLOAD_DROPPED) - g1g2Dropped0,
                m.counters().get(Counter.G3_EVICTED_BLOCKS) - evicted0, stalls);
        }
    }

    /** Writes (untimed) until the root's G3 is full, so reads have a cycle of ids that G1 and G2 cannot hold. */
    static void fill(final Path root, final long block, final int qd, final long partBytes, final int slots,
                     final Ids ids)
    {
        try (DefaultKvBlockManager m = open(root, block, qd, partBytes, slots, true))
        {
            final BlockIds chain = new BlockIds(1);
            final int[] slot = new int[1];
            final Pacer pacer = new Pacer(m, qd);
            while (m.pool(Tier.G3).freeCount() > 0 && pacer.stored() <= 4L * slots) // 4 × slots: writes that never land
            {
                pacer.step(chain, slot, ids, System.nanoTime());
            }
            m.awaitTransfers(60, TimeUnit.SECONDS);
        }
    }

    private static long settledWrites(final DefaultKvBlockManager m)
    {
        return m.counters().get(Counter.G3_OFFLOADED_BLOCKS) + m.counters().get(Counter.G3_WRITE_FAILED_BLOCKS) +
            m.counters().get(Counter.G3_OFFLOAD_DROPPED) + m.counters().get(Counter.OFFLOAD_DROPPED);
    }

    private static boolean store(final DefaultKvBlockManager m, final BlockIds chain, final int[] slot, final long id)
    {
        chain.clear();
        chain.add(HI, id);
        if (m.allocate(1, id, slot) != 1)
        {
            return false; // G1 full of blocks still being offloaded, or back-pressured: later
        }
        if (m.commit(slot, 1, chain, 0, id) < 0)
        {
            m.release(slot, 1);
            return false;
        }
        m.release(slot, 1); // write-back: G1→G2, then G2→G3
        return true;
    }

    static Result read(final DefaultKvBlockManager m, final long block, final int qd, final int slots, final Ids ids,
                       final double seconds)
    {
        {
            final long[] present = new long[slots];
            int n = 0;
            for (long k = Math.max(0, ids.next - 4L * slots); k < ids.next && n < present.length; k++)
            {
                if (m.pool(Tier.G3).lookup(HI, k) >= 0)
                {
                    present[n++] = k;
                }
            }
            if (n <= qd + 4)
            {
                return new Result(Double.NaN, Double.NaN, 0); // too few blocks on disk for a cycle G1 and G2 miss
            }
            final Onboard[] tickets = new Onboard[qd];
            final BlockIds[] chains = new BlockIds[qd];
            final int[][] slotOf = new int[qd][1];
            final boolean[] busy = new boolean[qd];
            for (int i = 0; i < qd; i++)
            {
                tickets[i] = new Onboard();
                chains[i] = new BlockIds(1);
            }
            final long bytes0 = m.g3Counter(DiskCounter.READ_BYTES);
            final long failed0 = m.counters().get(Counter.G3_READ_FAILED_BLOCKS);
            final Map<Long, Long> threads0 = breakdown ? threadCpu() : null;
            final long cpu0 = DiskBench.processCpuNanos();
            final long begin = System.nanoTime();
            final long duration = (long)(seconds * 1e9);
            int cursor = 0;
            int outstanding = 0;
            long now = begin;
            while (now - begin < duration || outstanding > 0)
            {
                boolean progress = false;
                for (int i = 0; i < qd; i++)
                {
                    if (busy[i])
                    {
                        final int r = m.pollOnboard(tickets[i], slotOf[i]);
                        if (r == Status.NOT_READY)
                        {
                            continue;
                        }
                        if (r > 0)
                        {
                            m.release(slotOf[i], r);
                        }
                        busy[i] = false;
                        outstanding--;
                        progress = true;
                    }
                    if (now - begin >= duration)
                    {
                        continue;
                    }
                    chains[i].clear();
                    chains[i].add(HI, present[cursor]);
                    final int r = m.matchOnboard(chains[i], 1, present[cursor], slotOf[i], tickets[i]);
                    if (r == Status.BACK_PRESSURED || r == Status.NOT_READY)
                    {
                        continue; // retry this id
                    }
                    cursor = cursor + 1 == n ? 0 : cursor + 1;
                    progress = true;
                    if (tickets[i].pending())
                    {
                        busy[i] = true;
                        outstanding++;
                    }
                    else if (r > 0)
                    {
                        m.release(slotOf[i], r); // a G1 hit (rare: the cycle is longer than G1)
                    }
                }
                if (!progress)
                {
                    LockSupport.parkNanos(IDLE_NANOS);
                }
                now = System.nanoTime();
            }
            final long end = System.nanoTime();
            final long cpu = DiskBench.processCpuNanos() - cpu0;
            final double moved = m.g3Counter(DiskCounter.READ_BYTES) - bytes0;
            printBreakdown("read " + block + " QD " + qd, threads0, moved);
            return new Result(moved / (1 << 20) / ((end - begin) / 1e9), cpu / 1e9 / (moved / (1L << 30)),
                m.counters().get(Counter.G3_READ_FAILED_BLOCKS) - failed0);
        }
    }
}
