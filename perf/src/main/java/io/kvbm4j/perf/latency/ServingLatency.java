package io.kvbm4j.perf.latency;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Onboard;
import io.kvbm4j.api.Status;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.perf.workload.PrefixChains;
import io.kvbm4j.perf.workload.ZipfSequence;
import io.kvbm4j.tiers.host.HostSlotMemory;

/**
 * Serving latency under background traffic, with HdrHistogram, corrected for coordinated omission.
 *
 * <p>The serving thread (the manager's owner) replays requests drawn Zipf({@value #ZIPF_EXPONENT}) from
 * {@value #CHAINS} prompts of {@value #BLOCKS} blocks, through a manager with {@code --g1-blocks} slots and
 * its default ring handlers (the metadata handler on its own thread), so requests hit, miss and evict. A
 * request is a sequence of operations: one {@code match} of its 64 ids; one {@code allocate} of the blocks
 * it misses; one {@code commit} of them (the batch call the runtime makes when the model has written them);
 * one {@code release} of every held block. With {@code --g2-blocks N} the manager runs real G1↔G2 transfers
 * (G1 payloads in host memory, tiny-test blocks): releases offload through the transfer engine (write-back),
 * the match is {@code matchOnboard} and the request polls ({@code poll-onboard}) until its onboard is
 * collected. With {@code --g3-slots N} (and {@code --g2-blocks}) G3 is on as well, in a slot file under
 * {@code --g3-root}: blocks entering G2 are written back to disk through the disk tier's asynchronous API and
 * onboards continue from G3 (G3→G2→G1) where G1 and G2 miss. Operations are issued at a
 * fixed rate ({@code --rate} per second): operation {@code i} is intended to start at
 * {@code start + i / rate}; when early the thread waits until then (parks when the wait is long, then
 * spins). Its latency is measured from that
 * intended start to its end, so an operation delayed by a slow predecessor (or by the thread being
 * descheduled) counts its wait: this is the correction for coordinated omission (the service time alone,
 * from the actual start, is reported too). A call refused with {@code BACK_PRESSURED} is counted and
 * retried after a {@code Thread.yield()} (on two cores the handlers need the core); the retries are inside
 * its latency.
 *
 * <p>Background: a stand-in for offload/onboard between tiers (this harness predates issue 5's transfer
 * engine on main; driving real offloads is a follow-up): a thread copies block-sized payloads ({@code --payload-bytes}) between the slots of a {@link HostSlotMemory}
 * through the same wrap-and-{@code putBytes} path {@code HostCopyBenchmark} measures, paced at
 * {@code --background-mibps} MiB/s (0: no background thread). It competes with the serving thread for
 * cores, caches and memory bandwidth, as a transfer thread would; it does not take ring entries.
 *
 * <p>The serving loop allocates nothing: preallocated histograms, ids and slot arrays.
 *
 * <p>Run (after {@code mvn -B -q -pl perf -am package -DskipTests}; {@code make bench} runs it):
 * <pre>
 * java $(cat perf/target/classes/jvm.options) -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" \
 *     io.kvbm4j.perf.latency.ServingLatency --rate 10000 --seconds 20 --background-mibps 2048
 * </pre>
 */
public final class ServingLatency
{
    static final int CHAINS = 2_000;
    static final int BLOCKS = 64;
    static final int BLOCK_TOKENS = 16;
    static final double ZIPF_EXPONENT = 0.99;
    private static final int DRAWS = 1 << 16;
    /** Waits longer than this park first (timer slack is ~50 µs), then spin. */
    private static final long PARK_ABOVE_NANOS = 120_000;
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final String[] OPERATIONS = {"match", "allocate", "commit", "release", "poll-onboard", "all"};
    private static final int MATCH = 0;
    private static final int ALLOCATE = 1;
    private static final int COMMIT = 2;
    private static final int RELEASE = 3;
    private static final int POLL = 4;
    private static final int ALL = 5;

    /** What one run is asked to do. */
    record Options(
        long rate, int warmupSeconds, int seconds, int g1Blocks, long backgroundMibps, int payloadBytes, int g2Blocks,
        int g3Slots, Path g3Root)
    {
        String command()
        {
            return String.format(Locale.ROOT, "--rate %d --warmup-seconds %d --seconds %d --g1-blocks %d " +
                "--background-mibps %d --payload-bytes %d --g2-blocks %d", rate, warmupSeconds, seconds, g1Blocks,
                backgroundMibps, payloadBytes, g2Blocks) +
                (g3Slots > 0 ? String.format(Locale.ROOT, " --g3-slots %d --g3-root %s", g3Slots, g3Root) : "");
        }
    }

    private final Options options;
    private final DefaultKvBlockManager manager;
    private final BlockIds[] ids;
    private final ZipfSequence zipf;
    private final int[] held = new int[BLOCKS];
    private final int[] fresh = new int[BLOCKS];
    private final Onboard onboard = new Onboard();
    private final Histogram[] corrected = new Histogram[OPERATIONS.length];
    private final Histogram[] service = new Histogram[OPERATIONS.length];
    private final long intervalNanos;
    private long next;
    private long requestId;
    private long backPressured;
    private long late;
    private boolean recording;

    ServingLatency(final Options options)
    {
        this.options = options;
        final Map<String, String> overrides = new HashMap<>(options.g2Blocks() == 0 ? Map.of(
            "tiers.g1-blocks", Integer.toString(options.g1Blocks()), "tiers.g2-blocks", "0",
            "block-tokens", Integer.toString(BLOCK_TOKENS)) : Map.of(
            // real G1↔G2 transfers: G1 payloads in host memory (tiny-test blocks, 2 KiB), write-back offloads on
            // release, onboards of G2 hits through the transfer engine
            "model", "tiny-test", "tiers.g1-blocks", Integer.toString(options.g1Blocks()),
            "tiers.g2-blocks", Integer.toString(options.g2Blocks()), "tiers.g1-memory", "host",
            "block-tokens", Integer.toString(BLOCK_TOKENS)));
        if (options.g3Slots() > 0)
        {
            // G3 on: every block entering G2 is written back to disk, onboards continue from G3 (G3→G2→G1)
            overrides.put("g3.slot-count", Integer.toString(options.g3Slots()));
            overrides.put("g3.root", options.g3Root().toString());
        }
        this.manager = Engines.open(ConfigLoader.withOverrides(null, overrides));
        final PrefixChains chains = new PrefixChains(CHAINS, BLOCKS, BLOCK_TOKENS, 7);
        this.ids = new BlockIds[CHAINS];
        for (int c = 0; c < CHAINS; c++)
        {
            ids[c] = chains.ids(c);
        }
        this.zipf = new ZipfSequence(CHAINS, ZIPF_EXPONENT, DRAWS, 13);
        for (int i = 0; i < OPERATIONS.length; i++)
        {
            corrected[i] = new Histogram(HIGHEST_NANOS, 3);
            service[i] = new Histogram(HIGHEST_NANOS, 3);
        }
        this.intervalNanos = Math.max(1, 1_000_000_000L / options.rate());
    }

    public static void main(final String[] args) throws Exception
    {
        long rate = 10_000;
        int warmupSeconds = 5;
        int seconds = 20;
        int g1Blocks = 16_384;
        long backgroundMibps = 2048;
        int payloadBytes = 2 << 20;
        int g2Blocks = 0;
        int g3Slots = 0;
        Path g3Root = Path.of("perf/target/latency-g3");
        Path out = null;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--rate" -> rate = Long.parseLong(value(args, ++i));
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(value(args, ++i));
                case "--seconds" -> seconds = Integer.parseInt(value(args, ++i));
                case "--g1-blocks" -> g1Blocks = Integer.parseInt(value(args, ++i));
                case "--background-mibps" -> backgroundMibps = Long.parseLong(value(args, ++i));
                case "--payload-bytes" -> payloadBytes = Integer.parseInt(value(args, ++i));
                case "--g2-blocks" -> g2Blocks = Integer.parseInt(value(args, ++i));
                case "--g3-slots" -> g3Slots = Integer.parseInt(value(args, ++i));
                case "--g3-root" -> g3Root = Path.of(value(args, ++i));
                case "--out" -> out = Path.of(value(args, ++i));
                default -> usage("unexpected argument " + args[i]);
            }
        }
        if (rate < 1 || rate > 10_000_000 || warmupSeconds < 0 || seconds < 1 || g1Blocks < 2 * BLOCKS ||
            backgroundMibps < 0 || payloadBytes < 1 || g2Blocks < 0 || g3Slots < 0 || (g3Slots > 0 && g2Blocks == 0))
        {
            usage("--rate 1..10000000, --warmup-seconds >= 0, --seconds >= 1, --g1-blocks >= " + 2 * BLOCKS +
                ", --background-mibps >= 0, --payload-bytes >= 1, --g2-blocks >= 0, --g3-slots >= 0 (needs --g2-blocks)");
        }
        final Options options = new Options(rate, warmupSeconds, seconds, g1Blocks, backgroundMibps, payloadBytes,
            g2Blocks, g3Slots, g3Root);
        final String json = new ServingLatency(options).run();
        if (out == null)
        {
            System.out.print(json);
        }
        else
        {
            Files.writeString(out, json, StandardCharsets.UTF_8);
        }
    }

    private static String value(final String[] args, final int i)
    {
        if (i >= args.length)
        {
            usage(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static void usage(final String problem)
    {
        final PrintStream err = System.err;
        err.println("ServingLatency: " + problem);
        err.println("usage: ServingLatency [--rate 10000] [--warmup-seconds 5] [--seconds 20] [--g1-blocks 16384] " +
            "[--background-mibps 2048] [--payload-bytes 2097152] [--g2-blocks 0] [--g3-slots 0] " +
            "[--g3-root perf/target/latency-g3] [--out FILE]");
        System.exit(2);
    }

    String run() throws InterruptedException
    {
        final AtomicBoolean stop = new AtomicBoolean();
        final Background background = options.backgroundMibps() > 0 ?
            new Background(options.payloadBytes(), options.backgroundMibps(), stop) : null;
        if (background != null)
        {
            background.start();
        }
        final long start = System.nanoTime();
        next = start;
        final long warmupEnd = start + TimeUnit.SECONDS.toNanos(options.warmupSeconds());
        final long end = warmupEnd + TimeUnit.SECONDS.toNanos(options.seconds());
        long requests = 0;
        while (next < end)
        {
            recording = next >= warmupEnd;
            request(ids[zipf.next()]);
            if (recording)
            {
                requests++;
            }
        }
        final long finished = System.nanoTime();
        stop.set(true);
        long copiedBytes = 0;
        if (background != null)
        {
            background.join();
            copiedBytes = background.copiedBytes;
            background.memory.close();
        }
        final String counters = manager.counters().toString();
        manager.awaitHandlers(60, TimeUnit.SECONDS);
        manager.close();
        final double measuredSeconds = (finished - warmupEnd) / 1e9;
        return json(requests, measuredSeconds, copiedBytes / (1 << 20) / ((finished - start) / 1e9), counters);
    }

    /**
     * One request: match (with G2: matchOnboard, then poll the onboard until it is collected), allocate the
     * misses, commit them in one call, release everything in one call.
     */
    private void request(final BlockIds request)
    {
        final long id = ++requestId;
        long t0 = await();
        int k;
        while ((k = options.g2Blocks() == 0 ? manager.match(request, BLOCKS, id, held) :
            manager.matchOnboard(request, BLOCKS, id, held, onboard)) == Status.BACK_PRESSURED)
        {
            refused();
        }
        check(k, "match");
        record(MATCH, t0);
        if (options.g2Blocks() > 0)
        {
            k = onboard.hits();
            if (onboard.pending())
            {
                int arrived;
                do
                {
                    t0 = await();
                    arrived = manager.pollOnboard(onboard, held);
                    record(POLL, t0);
                }
                while (arrived == Status.NOT_READY);
                check(arrived, "pollOnboard");
                k += arrived;
            }
        }
        int stored = k;
        final int missing = BLOCKS - k;
        if (missing > 0)
        {
            t0 = await();
            int n;
            while ((n = manager.allocate(missing, id, fresh)) == Status.BACK_PRESSURED)
            {
                refused();
            }
            check(n, "allocate");
            record(ALLOCATE, t0);
            t0 = await();
            int r;
            while ((r = manager.commit(fresh, missing, request, k, id)) == Status.BACK_PRESSURED)
            {
                refused();
            }
            check(r, "commit");
            System.arraycopy(fresh, 0, held, k, missing);
            stored += missing;
            record(COMMIT, t0);
        }
        t0 = await();
        check(manager.release(held, stored), "release"); // never BACK_PRESSURED
        record(RELEASE, t0);
    }

    /** A call was refused with BACK_PRESSURED: counted; the core is offered to the ring handlers. */
    private void refused()
    {
        backPressured++;
        Thread.yield();
    }

    /**
     * Waits for the next operation's intended start, parking when it is more than {@value #PARK_ABOVE_NANOS}
     * ns away (leaving the core to the ring handlers) and spinning for the rest; returns the actual start.
     */
    private long await()
    {
        long now = System.nanoTime();
        if (now > next + intervalNanos && recording)
        {
            late++;
        }
        if (next - now > PARK_ABOVE_NANOS)
        {
            LockSupport.parkNanos(next - now - PARK_ABOVE_NANOS / 2);
            now = System.nanoTime();
        }
        while (now < next)
        {
            Thread.onSpinWait();
            now = System.nanoTime();
        }
        return now;
    }

    /** Records the operation that started at {@code actualStart} and was intended at {@code next}. */
    private void record(final int operation, final long actualStart)
    {
        final long now = System.nanoTime();
        if (recording)
        {
            final long fromIntended = now - next;
            final long fromActual = now - actualStart;
            corrected[operation].recordValue(Math.min(fromIntended, HIGHEST_NANOS));
            corrected[ALL].recordValue(Math.min(fromIntended, HIGHEST_NANOS));
            service[operation].recordValue(Math.min(fromActual, HIGHEST_NANOS));
            service[ALL].recordValue(Math.min(fromActual, HIGHEST_NANOS));
        }
        next += intervalNanos;
    }

    private void check(final int result, final String operation)
    {
        if (result < 0)
        {
            throw new IllegalStateException(operation + " refused with " + Status.name(result) + "; counters: " +
                manager.counters());
        }
    }

    private String json(final long requests, final double seconds, final double backgroundMibps,
        final String counters)
    {
        final StringBuilder b = new StringBuilder(4096);
        b.append("{\n  \"command\": \"").append(options.command()).append("\",\n");
        b.append(String.format(Locale.ROOT, "  \"requests\": %d, \"seconds\": %.2f, \"operations\": %d, " +
            "\"intervalNanos\": %d, \"late\": %d, \"backPressuredRetries\": %d, \"backgroundMibpsAchieved\": %.1f,%n",
            requests, seconds, corrected[ALL].getTotalCount(), intervalNanos, late, backPressured, backgroundMibps));
        b.append("  \"counters\": \"").append(counters.replace("\"", "'")).append("\",\n");
        b.append("  \"latencyNanos\": {\n");
        for (int i = 0; i < OPERATIONS.length; i++)
        {
            b.append("    \"").append(OPERATIONS[i]).append("\": {\"corrected\": ");
            percentiles(b, corrected[i]).append(", \"service\": ");
            percentiles(b, service[i]).append('}').append(i + 1 < OPERATIONS.length ? ",\n" : "\n");
        }
        return b.append("  }\n}\n").toString();
    }

    private static StringBuilder percentiles(final StringBuilder b, final Histogram h)
    {
        return b.append(String.format(Locale.ROOT, "{\"count\": %d, \"p50\": %d, \"p99\": %d, \"p999\": %d, " +
            "\"max\": %d}", h.getTotalCount(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
            h.getValueAtPercentile(99.9), h.getMaxValue()));
    }

    /**
     * The stand-in for offload/onboard traffic: copies block payloads between host slots at a paced rate,
     * on its own thread, until told to stop.
     */
    private static final class Background extends Thread
    {
        private static final int SLOTS = 16;
        final HostSlotMemory memory;
        private final int payloadBytes;
        private final long nanosPerCopy;
        private final AtomicBoolean stop;
        private final UnsafeBuffer src = new UnsafeBuffer(0, 0);
        private final UnsafeBuffer dst = new UnsafeBuffer(0, 0);
        volatile long copiedBytes;

        Background(final int payloadBytes, final long mibps, final AtomicBoolean stop)
        {
            super("background-copy");
            setDaemon(true);
            this.memory = new HostSlotMemory(2 * SLOTS, payloadBytes);
            this.payloadBytes = payloadBytes;
            this.nanosPerCopy = Math.max(1, (long)(payloadBytes * 1e9 / (mibps * (double)(1 << 20))));
            this.stop = stop;
            for (int s = 0; s < 2 * SLOTS; s++)
            {
                memory.wrap(s, src);
                src.setMemory(0, payloadBytes, (byte)s);
            }
        }

        @Override
        public void run()
        {
            long next = System.nanoTime();
            long copied = 0;
            int i = 0;
            while (!stop.get())
            {
                final long now = System.nanoTime();
                if (now < next)
                {
                    LockSupport.parkNanos(next - now);
                    continue;
                }
                final int from = i % SLOTS;
                final int to = SLOTS + (i * 7 + 3) % SLOTS;
                memory.wrap(from, src);
                memory.wrap(to, dst);
                dst.putBytes(0, src, 0, payloadBytes);
                copied += payloadBytes;
                copiedBytes = copied;
                i++;
                next += nanosPerCopy;
            }
        }
    }
}
