package io.kvbm4j.perf.observe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

import io.kvbm4j.api.Tier;
import io.kvbm4j.observe.events.KvEventPublisher;
import io.kvbm4j.observe.events.KvEventSettings;

/**
 * KV-event publisher throughput, in block events per second: one invocation is one ring batch's worth of
 * events as the adapter hands them over, {@value #EVENTS} BlockStored events of {@value #RUN} chained blocks
 * each (a request's run), then the end of the ring batch, which sends one ZMQ message; with
 * {@code batchEvents} smaller than {@value #EVENTS} the batch is cut by size too. A SUB socket on another
 * thread connects over loopback TCP and drains every message, so the socket's I/O thread does the real
 * sends. Encoder and hash form are parameters.
 *
 * <p>Run: {@code java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain
 * KvEventPublisherBenchmark -f 1 -wi 2 -i 3}
 *
 * <p>On a loaded shared machine the wall-clock score says more about the load than the code; {@link #main}
 * runs the same invocation for a few seconds and also divides by CPU time, the publishing thread's and the
 * whole process's (publisher, ZMQ I/O thread and the draining subscriber together):
 * {@code java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.observe.KvEventPublisherBenchmark
 * [seconds] [array|map]}
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class KvEventPublisherBenchmark
{
    static final int RUN = 16;
    static final int EVENTS = 32;

    @State(Scope.Thread)
    public static class Publisher
    {
        @Param({"array", "map"})
        public String encoding;

        @Param({"uint64"})
        public String hash;

        @Param({"512"})
        public int batchEvents;

        KvEventPublisher publisher;
        ZContext subContext;
        Thread drainer;
        volatile boolean running;
        final AtomicLong received = new AtomicLong();
        final long[] hi = new long[RUN];
        final long[] lo = new long[RUN];
        final int[] noTokens = new int[0];
        long next = 0x9e3779b97f4a7c15L;
        long time = System.currentTimeMillis() * 1_000_000L;

        @Setup(Level.Trial)
        public void open()
        {
            final int port = freePort();
            final KvEventSettings settings = new KvEventSettings("tcp://*:" + port, "",
                "map".equals(encoding) ? KvEventSettings.Encoding.MAP : KvEventSettings.Encoding.ARRAY,
                "bytes".equals(hash) ? KvEventSettings.HashForm.BYTES : KvEventSettings.HashForm.UINT64, "", 1,
                0, new String[] {"GPU", "CPU", "DISK", "REMOTE"}, batchEvents, 100_000, 0);
            publisher = new KvEventPublisher(settings, 16, "benchmark");
            subContext = new ZContext(1);
            final ZMQ.Socket sub = subContext.createSocket(SocketType.SUB);
            sub.setRcvHWM(100_000);
            sub.subscribe(new byte[0]);
            sub.setReceiveTimeOut(100);
            sub.connect("tcp://127.0.0.1:" + port);
            running = true;
            drainer = new Thread(() ->
            {
                while (running)
                {
                    if (sub.recv(0) != null)
                    {
                        received.incrementAndGet();
                    }
                }
                sub.close();
            }, "kv-events-sub");
            drainer.setDaemon(true);
            drainer.start();
        }

        @TearDown(Level.Trial)
        public void close() throws InterruptedException
        {
            publisher.close();
            // let the subscriber drain what is queued for it (3 frames a batch) before stopping it
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.get() < 3 * publisher.batches() && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            running = false;
            drainer.join(2_000);
            subContext.close();
            System.out.println("batches published " + publisher.batches() + ", frames received " + received.get() +
                " (" + (received.get() == 3 * publisher.batches() ? "all" : "NOT all") + "), refused by the socket " +
                publisher.droppedBatches());
        }

        private static int freePort()
        {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
            {
                return s.getLocalPort();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
    }

    /** One ring batch: {@value #EVENTS} runs of {@value #RUN} blocks, stored in G1, then the batch's end. */
    @Benchmark
    @OperationsPerInvocation(EVENTS * RUN)
    public long publishStoredRuns(final Publisher p)
    {
        long parentHi = 0;
        long parentLo = 0;
        for (int e = 0; e < EVENTS; e++)
        {
            for (int i = 0; i < RUN; i++)
            {
                long z = p.next += 0x9e3779b97f4a7c15L;
                z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
                p.hi[i] = z;
                p.lo[i] = z ^ (z >>> 31);
            }
            p.publisher.stored(Tier.G1, p.hi, p.lo, RUN, parentLo != 0, parentHi, parentLo, p.noTokens, 0, p.time);
            parentHi = p.hi[RUN - 1];
            parentLo = p.lo[RUN - 1];
        }
        p.time += 1_000;
        p.publisher.endOfBatch(p.time);
        return p.publisher.batches();
    }

    public static void main(final String[] args) throws InterruptedException
    {
        final long seconds = args.length > 0 ? Long.parseLong(args[0]) : 5;
        final Publisher p = new Publisher();
        p.encoding = args.length > 1 ? args[1] : "array";
        p.hash = "uint64";
        p.batchEvents = 512;
        p.open();
        final KvEventPublisherBenchmark bench = new KvEventPublisherBenchmark();
        final java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean)java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        for (int i = 0; i < 2_000; i++)
        {
            bench.publishStoredRuns(p); // warm-up
        }
        final long wall0 = System.nanoTime();
        final long cpu0 = threads.getCurrentThreadCpuTime();
        final long proc0 = os.getProcessCpuTime();
        long blocks = 0;
        while (System.nanoTime() - wall0 < seconds * 1_000_000_000L)
        {
            bench.publishStoredRuns(p);
            blocks += EVENTS * RUN;
        }
        final double wall = (System.nanoTime() - wall0) / 1e9;
        final double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
        final double proc = (os.getProcessCpuTime() - proc0) / 1e9;
        final double load = os.getSystemLoadAverage();
        p.close();
        System.out.printf(java.util.Locale.ROOT, "%s: %,d block events in %.2f s wall: %,.0f/s wall, %,.0f per " +
            "publisher-thread CPU second, %,.0f per process CPU second (load %.1f)%n", p.encoding, blocks, wall,
            blocks / wall, blocks / cpu, blocks / proc, load);
        System.out.printf(java.util.Locale.ROOT, "  publisher thread CPU %.2f s, process CPU %.2f s, wall %.2f s, %d " +
            "CPUs%n", cpu, proc, wall, Runtime.getRuntime().availableProcessors());
    }
}
