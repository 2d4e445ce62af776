package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.journal.JournaledEngines;
import io.kvbm4j.replay.PolicyKind;
import io.kvbm4j.replay.PolicyReplay;
import io.kvbm4j.replay.ReplayResult;
import io.kvbm4j.replay.TraceReader;
import io.kvbm4j.replay.TraceRequest;
import io.kvbm4j.tiers.host.HostSlotMemory;
import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * {@code replay --engine}: drives the full manager (ring, metadata store, optional journal, host-backed G1
 * slots with real payload bytes) with the trace, one manager per (policy, capacity), on this thread as its
 * serving thread, and records the latency of every match and allocate. Every stored block gets a payload
 * derived from its id, and every block the engine hands back (a G1 hit, or a block onboarded from G2) is
 * checked against it: a wrong block fails the replay. With {@code --tiers g1=A,g2=B} the engine runs G2 and
 * its transfer thread: matches go through {@code matchOnboard} and wait (offline) for the onboard, so the
 * hits are split into G1 and G2. The replay is offline, so a BACK_PRESSURED call is retried (spinning) and
 * counted rather than dropped. OPT is not an online policy and is skipped here.
 */
final class EngineReplay
{
    private EngineReplay()
    {
    }

    /** Payload bytes per token of the tiny-test preset the replay runs on (2 x 2 layers x 16 x fp16). */
    static final int TINY_TEST_BYTES_PER_TOKEN = 128;
    /** How long the offline replay waits for one onboard before calling it lost. */
    private static final long ONBOARD_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /**
     * @param capacities G1 capacities to replay at (one manager each).
     * @param g2Blocks   G2 blocks (0: no G2, no transfers).
     * @param g3Blocks   G3 blocks on disk, in a temporary directory removed afterwards (0: no G3).
     * @param payloadBytes payload per block, a multiple of 128 (tiny-test tokens).
     */
    static int run(final Supplier<TraceReader> source, final List<PolicyKind> kinds, final int[] capacities,
        final int g2Blocks, final int g3Blocks, final int payloadBytes, final Path journal, final boolean csv, final Path out,
        final PrintWriter w, final PrintWriter err)
    {
        return run(source, kinds, capacities, g2Blocks, g3Blocks, 0, Map.of(), payloadBytes, journal, csv, out, w, err);
    }

    /**
     * @param g4Blocks G4 index blocks (0: no G4); the store is named by {@code settings} ({@code g4.endpoints},
     *                 ...; {@code g4.backend} redis and a fresh {@code g4.namespace} per manager by default, so each
     *                 (policy, capacity) starts from an empty G4 unless the caller names one).
     * @param settings engine settings laid over the replay's own ({@code --set}).
     */
    static int run(final Supplier<TraceReader> source, final List<PolicyKind> kinds, final int[] capacities,
        final int g2Blocks, final int g3Blocks, final int g4Blocks, final Map<String, String> settings,
        final int payloadBytes, final Path journal, final boolean csv, final Path out, final PrintWriter w,
        final PrintWriter err)
    {
        final List<String> g4Lines = new ArrayList<>();
        final List<PolicyKind> anchors = List.of(PolicyKind.LRU, PolicyKind.OPT);
        final Map<Integer, Double> lru = new HashMap<>();
        final Map<Integer, Double> opt = new HashMap<>();
        // With G2 the figures are of a two-tier hierarchy: no single-cache anchors, gap closed is left empty.
        for (final ReplayResult r : g2Blocks > 0 ? List.<ReplayResult>of() :
            PolicyReplay.run(source, anchors, capacities, null))
        {
            (r.policy().equals("lru") ? lru : opt).put(r.capacityBlocks(), r.hitRate());
        }
        final List<ReplayResult> results = new ArrayList<>();
        final List<HtmlReport.Latency> latencies = new ArrayList<>();
        final List<long[]> perTier = new ArrayList<>();
        long backPressured = 0;
        for (final PolicyKind kind : kinds)
        {
            if (kind.needsFuture())
            {
                err.println("note: " + kind.cliName() + " needs the trace's future and is skipped in --engine mode");
                continue;
            }
            for (final int capacity : capacities)
            {
                final Map<String, String> overrides = new HashMap<>();
                overrides.put("model", "tiny-test");
                overrides.put("block-tokens", Integer.toString(payloadBytes / TINY_TEST_BYTES_PER_TOKEN));
                overrides.put("tiers.g1-blocks", Integer.toString(capacity));
                if (g2Blocks > 0)
                {
                    overrides.put("tiers.g1-memory", "host");    // the engine's own G1 slots, copied to G2
                    overrides.put("transfers.admission", "always"); // as the policy-only tier model: every
                                                                    // block evicted from G1 goes down to G2
                    overrides.put("transfers.max-queued", "16384"); // offline: room for a long request's
                                                                    // write-backs (dropped ones are counted)
                    overrides.put("transfers.batch-blocks", "1024"); // one matchOnboard onboards a whole
                                                                     // prefix (the trace's longest is 374)
                }
                overrides.put("tiers.g2-blocks", Integer.toString(g2Blocks));
                if (journal != null)
                {
                    overrides.put("journal.dir", journal.resolve(kind.cliName() + "-" + capacity).toString());
                }
                final Path g3Root = g3Blocks > 0 ? createTempDirectory() : null;
                if (g3Root != null)
                {
                    overrides.put("g3.slot-count", Integer.toString(g3Blocks));
                    overrides.put("g3.root", g3Root.toString());
                }
                if (g4Blocks > 0)
                {
                    overrides.put("g4.backend", "redis");
                    overrides.put("g4.index-blocks", Integer.toString(g4Blocks));
                    overrides.put("g4.namespace", "kvbm4j-replay-" + Long.toHexString(System.nanoTime()) + "-" +
                        kind.cliName() + "-" + capacity);
                    overrides.put("g4.ttl-ms", "3600000"); // a replay's blocks leave a shared store within the hour
                }
                overrides.putAll(settings);
                final EngineConfig config = ConfigLoader.withOverrides(null, overrides);
                final Engines.Builder builder = journal != null ? JournaledEngines.builder(config) :
                    Engines.builder(config);
                final Histogram match = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                final Histogram allocate = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                final long[] dropped = new long[2]; // offloads dropped, onboards refused "not now"
                final long[] noSpace = new long[1]; // allocations refused: every block in use or in flight
                final long[] fromG3 = new long[1];  // blocks read back from G3 (staged through G2 to G1)
                final long[] fromG4 = new long[1];  // blocks read back from G4 (staged through G2 to G1)
                final long[] totals = new long[6]; // requests, accesses, hits, g1 hits, g2 hits, wrong blocks
                final long start;
                final long end;
                try (DefaultKvBlockManager m = builder.g1Policy(kind::create).open())
                {
                    start = System.nanoTime();
                    drive(m, source, capacity, g2Blocks > 0, match, allocate, totals);
                    end = System.nanoTime();
                    m.awaitHandlers(60, TimeUnit.SECONDS);
                    backPressured += m.counters().get(Counter.BACK_PRESSURED);
                    dropped[0] = m.counters().get(Counter.OFFLOAD_DROPPED) +
                        m.counters().get(Counter.G3_OFFLOAD_DROPPED);
                    dropped[1] = m.counters().get(Counter.ONBOARD_NOT_NOW);
                    fromG3[0] = m.counters().get(Counter.G3_ONBOARDED_BLOCKS);
                    fromG4[0] = m.counters().get(Counter.G4_ONBOARDED_BLOCKS);
                    if (g4Blocks > 0)
                    {
                        g4Lines.add(String.format(Locale.ROOT, "%s@%d: G4 %s: written %,d (dropped %,d, failed %,d), " +
                            "lookups %,d finding %,d blocks, onboarded %,d, misses %,d (corrupt %,d, timed out %,d)",
                            kind.cliName(), capacity, config.section("g4").get("endpoints"),
                            m.counters().get(Counter.G4_OFFLOADED_BLOCKS), m.counters().get(Counter.G4_OFFLOAD_DROPPED),
                            m.counters().get(Counter.G4_WRITE_FAILED_BLOCKS), m.counters().get(Counter.G4_LOOKUPS),
                            m.counters().get(Counter.G4_LOOKUP_HITS), m.counters().get(Counter.G4_ONBOARDED_BLOCKS),
                            m.counters().get(Counter.G4_READ_FAILED_BLOCKS), m.counters().get(Counter.G4_CORRUPT_BLOCKS),
                            m.counters().get(Counter.G4_TIMEOUTS)));
                    }
                    noSpace[0] = m.counters().get(Counter.NO_SPACE);
                    if (System.getenv("KVBM4J_REPLAY_COUNTERS") != null)
                    {
                        err.println(m.counters());
                    }
                    if (totals[5] > 0)
                    {
                        err.println("kvbm4j replay: " + totals[5] + " blocks handed back with a payload that is " +
                            "not theirs");
                        return 1;
                    }
                    final String broken = m.checkInvariants();
                    if (broken != null)
                    {
                        err.println("kvbm4j replay: pool invariants broken after the replay: " + broken);
                        return 1;
                    }
                }
                finally
                {
                    deleteTree(g3Root);             // after the manager closed its files
                }
                results.add(new ReplayResult(kind.cliName(), capacity, totals[0], totals[1], totals[2],
                    (end - start) / 1e9));
                final long g3Hits = Math.min(fromG3[0], totals[4]);
                final long g4Hits = Math.min(fromG4[0], totals[4] - g3Hits);
                perTier.add(new long[] {totals[3], totals[4] - g3Hits - g4Hits, g3Hits, dropped[0], dropped[1], noSpace[0],
                    g4Hits});
                latencies.add(new HtmlReport.Latency(kind.cliName() + "@" + capacity + " match", match));
                latencies.add(new HtmlReport.Latency(kind.cliName() + "@" + capacity + " allocate", allocate));
            }
        }
        if (csv)
        {
            ReplayReport.writeCsv(w, results, lru, opt);
        }
        else
        {
            w.printf(Locale.ROOT, "kvbm4j replay --engine: full engine (ring, metadata%s, %,d-byte payloads in host " +
                "G1%s), one serving thread; every block handed back was checked against its payload%n%n",
                journal != null ? ", journal" : "", payloadBytes,
                g2Blocks > 0 ? String.format(Locale.ROOT, ", G2 of %,d blocks with transfers", g2Blocks) : "");
            w.printf(Locale.ROOT, "  %-10s %10s %10s %11s %14s %10s %10s %10s %10s%n", "policy", "capacity",
                "hit rate", "gap closed", "accesses/s", "match p50", "p99", "p99.9", "alloc p99.9");
            for (int i = 0; i < results.size(); i++)
            {
                final ReplayResult r = results.get(i);
                final Histogram mh = latencies.get(2 * i).histogram();
                final Histogram ah = latencies.get(2 * i + 1).histogram();
                final double gap = g2Blocks > 0 ? Double.NaN :
                    r.gapClosed(lru.get(r.capacityBlocks()), opt.get(r.capacityBlocks()));
                w.printf(Locale.ROOT, "  %-10s %,10d %10.4f %11s %,14.0f %9.2fu %9.2fu %9.2fu %9.2fu%n", r.policy(),
                    r.capacityBlocks(), r.hitRate(), Double.isNaN(gap) ? "-" : String.format(Locale.ROOT, "%.3f", gap),
                    r.accessesPerSecond(), mh.getValueAtPercentile(50) / 1e3, mh.getValueAtPercentile(99) / 1e3,
                    mh.getValueAtPercentile(99.9) / 1e3, ah.getValueAtPercentile(99.9) / 1e3);
            }
            if (g2Blocks > 0)
            {
                w.printf(Locale.ROOT, "%n  %-10s %10s %14s %14s %14s %18s %18s %16s%n", "policy", "g1 blocks", "g1 hit rate",
                    "g2 hit rate", "g3 hit rate", "offloads dropped", "onboards not now", "allocs no space");
                for (int i = 0; i < results.size(); i++)
                {
                    final ReplayResult r = results.get(i);
                    final long[] t = perTier.get(i);
                    w.printf(Locale.ROOT, "  %-10s %,10d %14.4f %14.4f %14s %,18d %,18d %,16d%n", r.policy(),
                        r.capacityBlocks(), (double)t[0] / r.accesses(), (double)t[1] / r.accesses(),
                        g3Blocks > 0 ? String.format(Locale.ROOT, "%.4f", (double)t[2] / r.accesses()) : "-", t[3], t[4], t[5]);
                }
            }
            if (g4Blocks > 0)
            {
                w.printf(Locale.ROOT, "%n  %-10s %10s %14s%n", "policy", "g1 blocks", "g4 hit rate");
                for (int i = 0; i < results.size(); i++)
                {
                    final ReplayResult r = results.get(i);
                    w.printf(Locale.ROOT, "  %-10s %,10d %14.4f%n", r.policy(), r.capacityBlocks(),
                        (double)perTier.get(i)[6] / r.accesses());
                }
                for (final String line : g4Lines)
                {
                    w.printf(Locale.ROOT, "  %s%n", line);
                }
            }
            w.printf(Locale.ROOT, "%n  latency in microseconds per call (each retry is a call); calls refused for a full ring and retried: %,d%n",
                backPressured);
        }
        w.flush();
        if (out != null)
        {
            err.println("report: " + ReplayReport.write(out, "engine replay", results, lru, opt, latencies)
                .toAbsolutePath());
        }
        err.flush();
        return 0;
    }

    private static void drive(final DefaultKvBlockManager m, final Supplier<TraceReader> source, final int capacity,
        final boolean onboard, final Histogram matchLatency, final Histogram allocateLatency, final long[] totals)
    {
        final TraceRequest req = new TraceRequest();
        final Onboard ticket = new Onboard();
        // Without transfers the engine manages slot numbers and the runtime owns the bytes: the replay plays
        // the runtime and keeps them in its own host slots.
        final SlotMemory own = m.g1Memory() == null ? new HostSlotMemory(m.capacity(), payloadBytes(m)) : null;
        final Payloads payloads = new Payloads(own != null ? own : m.g1Memory());
        int[] held = new int[1024];
        int[] fresh = new int[1024];
        final int blockTokens = m.blockTokens();
        long requestId = 0;
        try (TraceReader reader = source.get())
        {
            while (reader.next(req))
            {
                final BlockIds ids = req.ids;
                final int n = ids.size();
                final int limit = Math.min(n, capacity);
                if (held.length < limit)
                {
                    held = new int[limit * 2];
                    fresh = new int[limit * 2];
                }
                requestId++;
                final long rid = requestId;
                final int[] slots = held;
                int k;
                int g1Hits;
                do
                {
                    final long t0 = System.nanoTime();
                    k = onboard ? m.matchOnboard(ids, limit, rid, slots, ticket) : m.match(ids, limit, rid, slots);
                    matchLatency.recordValue(Math.min(System.nanoTime() - t0, matchLatency.getHighestTrackableValue()));
                }
                while (k == Status.BACK_PRESSURED && spin());
                k = Math.max(0, k);
                g1Hits = onboard ? ticket.hits() : k;
                if (onboard && ticket.pending())
                {
                    final int d = m.awaitOnboard(ticket, slots, ONBOARD_WAIT_NANOS);
                    if (d < 0)
                    {
                        throw new IllegalStateException("onboard of request " + rid + " did not finish in " +
                            TimeUnit.NANOSECONDS.toSeconds(ONBOARD_WAIT_NANOS) + " s: " + Status.name(d));
                    }
                    k = g1Hits + d;
                }
                for (int j = 0; j < k; j++)
                {
                    if (!payloads.matches(slots[j], ids.hi(j), ids.lo(j)))
                    {
                        totals[5]++;
                    }
                }
                int got;
                do
                {
                    final long t0 = System.nanoTime();
                    got = m.allocate(limit - k, rid, fresh);
                    allocateLatency.recordValue(Math.min(System.nanoTime() - t0,
                        allocateLatency.getHighestTrackableValue()));
                }
                while (got == Status.BACK_PRESSURED && spin());
                int stored = k;
                if (got == limit - k)
                {
                    for (int j = k; j < limit; j++)
                    {
                        final int slot = fresh[j - k];
                        retry(() -> m.fill(slot, blockTokens));
                        payloads.write(slot, ids.hi(j), ids.lo(j));
                        final int index = j;
                        retry(() -> m.complete(slot, ids, index));
                        held[j] = retry(() -> m.register(slot));
                        stored++;
                    }
                }
                for (int j = stored - 1; j >= 0; j--)
                {
                    final int slot = held[j];
                    retry(() -> m.release(slot));
                }
                // Offline: let the write-backs this request caused land before the next one, so the figures
                // are the hierarchy's (deterministic), not a race with the transfer thread.
                if (onboard && !m.awaitTransfers(ONBOARD_WAIT_NANOS, TimeUnit.NANOSECONDS))
                {
                    throw new IllegalStateException("transfers after request " + rid + " did not settle in " +
                        TimeUnit.NANOSECONDS.toSeconds(ONBOARD_WAIT_NANOS) + " s");
                }
                totals[0]++;
                totals[1] += n;
                totals[2] += k;
                totals[3] += g1Hits;
                totals[4] += k - g1Hits;
            }
        }
        finally
        {
            if (own != null)
            {
                own.close();
            }
        }
    }

    private static Path createTempDirectory()
    {
        try
        {
            return java.nio.file.Files.createTempDirectory("kvbm4j-replay-g3-");
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException("cannot create a temporary G3 directory", ex);
        }
    }

    private static void deleteTree(final Path root)
    {
        if (root == null)
        {
            return;
        }
        try (java.util.stream.Stream<Path> all = java.nio.file.Files.walk(root))
        {
            for (final Path p : (Iterable<Path>)all.sorted(java.util.Comparator.reverseOrder())::iterator)
            {
                java.nio.file.Files.deleteIfExists(p);
            }
        }
        catch (final java.io.IOException ex)
        {
            System.err.println("kvbm4j replay: could not remove " + root + ": " + ex.getMessage());
        }
    }

    private static long payloadBytes(final DefaultKvBlockManager m)
    {
        return m.config().layout().blockBytes();
    }

    /** A block's payload: 8-byte words derived from its id, so a block in the wrong slot is caught. */
    static final class Payloads
    {
        private final SlotMemory memory;
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        private final int words;

        Payloads(final SlotMemory memory)
        {
            if (memory == null || !memory.hostAccessible())
            {
                throw new IllegalStateException("the engine replay needs host-backed G1 slots");
            }
            this.memory = memory;
            this.words = (int)(memory.payloadBytes() / Long.BYTES);
        }

        static long word(final long idHi, final long idLo, final int i)
        {
            long x = idLo * 0x9E3779B97F4A7C15L + idHi + i * 0xC2B2AE3D27D4EB4FL;
            x = (x ^ (x >>> 31)) * 0xBF58476D1CE4E5B9L;
            return x ^ (x >>> 29);
        }

        void write(final int slot, final long idHi, final long idLo)
        {
            view.wrap(memory.address(slot), words * Long.BYTES);
            for (int i = 0; i < words; i++)
            {
                view.putLong(i * Long.BYTES, word(idHi, idLo, i));
            }
        }

        boolean matches(final int slot, final long idHi, final long idLo)
        {
            view.wrap(memory.address(slot), words * Long.BYTES);
            for (int i = 0; i < words; i++)
            {
                if (view.getLong(i * Long.BYTES) != word(idHi, idLo, i))
                {
                    return false;
                }
            }
            return true;
        }
    }

    /** Waits for ring room: yields the core so the handler threads can drain (the replay is offline). */
    private static boolean spin()
    {
        Thread.yield();
        return true;
    }

    private static int retry(final java.util.function.IntSupplier call)
    {
        int r;
        while ((r = call.getAsInt()) == Status.BACK_PRESSURED)
        {
            Thread.yield();
        }
        return r;
    }
}
