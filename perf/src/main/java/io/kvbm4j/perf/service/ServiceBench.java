package io.kvbm4j.perf.service;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import org.HdrHistogram.Histogram;

import io.kvbm4j.client.KvClient;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.server.KvServer;
import io.kvbm4j.server.ServerSettings;
import net.openhft.hashing.LongHashFunction;

/**
 * The node service against its floors, in one run (docs/PERF.md, "Node service"): HdrHistogram, not JMH, since
 * every operation is a round trip between threads or processes.
 * <ul>
 *   <li>LOOKUP of 64 cached ids, round trip, vs a bare request/response of the same sizes over a Unix socket;</li>
 *   <li>STORE of a 2 MiB block (copy into the slot, XXH3 by the client, COMMIT, verified by the service) vs one
 *       memory copy plus one XXH3 pass;</li>
 *   <li>LOAD of a 2 MiB block in shared memory (LOOKUP, LOAD, copy out) vs one memory copy;</li>
 *   <li>8 client processes doing LOOKUP(16) + LOAD + RELEASE at once: throughput and p99.</li>
 * </ul>
 * Run (after {@code make perf-build}):
 * {@code java $(cat perf/target/classes/jvm.options) -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*"
 * io.kvbm4j.perf.service.ServiceBench [iterations] [clients] [seconds]}
 */
public final class ServiceBench
{
    private static final LongHashFunction XXH3 = LongHashFunction.xx3();
    private static final int BLOCK = 2 << 20;

    private ServiceBench()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length > 0 && args[0].equals("client"))
        {
            client(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]));
            return;
        }
        final int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        final int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        final int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        final Path dir = Files.createTempDirectory("kvbm4j-bench");
        final Path socket = dir.resolve("kv.sock");
        // llama-3.1-8b: 2 MiB blocks; 128 of them in shared memory
        final var config = ConfigLoader.parse("tiers:\n  g1-blocks: 128\n  g2-blocks: 8\n  g1-memory: host\n" +
            "ring:\n  size: 16384\n", "ServiceBench");
        try (KvServer server = KvServer.open(config, ServerSettings.defaults(socket, ServerSettings.defaultShmDir()));
             KvClient kv = KvClient.connect(server.socket(), new KvClient.Hello("", "bench")))
        {
            final long[] ids = ids(1, 64);
            store(kv, ids, 64);
            System.out.println("# kvbm4j ServiceBench: " + iterations + " iterations, " + Runtime.getRuntime()
                .availableProcessors() + " cores (figures on a loaded, shared machine)");
            lookup(kv, ids, iterations, dir);
            storeVsCopy(kv, iterations / 4);
            loadVsCopy(kv, ids, iterations / 4);
            store(kv, ids(2, 16), 16); // what the client processes look up
            processes(server.socket(), clients, seconds);
        }
    }

    private static long[] ids(final long seed, final int n)
    {
        final Random r = new Random(seed);
        final long[] ids = new long[2 * n];
        for (int i = 0; i < ids.length; i++)
        {
            ids[i] = r.nextLong();
        }
        return ids;
    }

    private static void store(final KvClient kv, final long[] ids, final int n)
    {
        final KvClient.Blocks b = kv.prepare(0, 0, 0, ids, n);
        final long[] sums = new long[n];
        for (int i = 0; i < n; i++)
        {
            final ByteBuffer slot = kv.slot(b.slot(i));
            slot.putLong(0, i);
            sums[i] = kv.checksum(slot);
        }
        kv.commit(b.handle(), sums, n);
    }

    private static void report(final String name, final Histogram h)
    {
        System.out.printf("%-44s p50 %9.1f us  p99 %9.1f us  p99.9 %9.1f us  max %9.1f us  (n=%d)%n", name,
            h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3, h.getValueAtPercentile(99.9) / 1e3,
            h.getMaxValue() / 1e3, h.getTotalCount());
    }

    /** LOOKUP of 64 cached ids (RELEASE untimed) vs an echo of the same frame sizes on a bare Unix socket. */
    private static void lookup(final KvClient kv, final long[] ids, final int iterations, final Path dir)
        throws IOException, InterruptedException
    {
        final Histogram service = new Histogram(3);
        final Histogram bare = new Histogram(3);
        final int requestBytes = 12 + 8 + 64 * 16;
        final int replyBytes = 12 + 28;
        final Path echoPath = dir.resolve("echo.sock");
        try (ServerSocketChannel echo = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            echo.bind(UnixDomainSocketAddress.of(echoPath));
            final Thread server = new Thread(() -> echo(echo, requestBytes, replyBytes), "bare-echo");
            server.setDaemon(true);
            server.start();
            try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX))
            {
                c.connect(UnixDomainSocketAddress.of(echoPath));
                final ByteBuffer req = ByteBuffer.allocateDirect(requestBytes).order(ByteOrder.LITTLE_ENDIAN);
                final ByteBuffer rep = ByteBuffer.allocateDirect(replyBytes);
                for (int round = 0; round < 2; round++) // a warm-up round, then the measured one, alternating
                {
                    for (int i = 0; i < iterations; i++)
                    {
                        long t = System.nanoTime();
                        req.clear();
                        req.putInt(0, requestBytes - 4);
                        while (req.hasRemaining())
                        {
                            c.write(req);
                        }
                        rep.clear();
                        while (rep.hasRemaining())
                        {
                            c.read(rep);
                        }
                        long took = System.nanoTime() - t;
                        if (round == 1)
                        {
                            bare.recordValue(took);
                        }
                        t = System.nanoTime();
                        final KvClient.Lookup hit = kv.lookup(ids, 64);
                        took = System.nanoTime() - t;
                        kv.release(hit.lease());
                        if (round == 1)
                        {
                            service.recordValue(took);
                        }
                    }
                }
            }
        }
        report("LOOKUP 64 ids (hit), round trip", service);
        report("bare request/response, same sizes (floor)", bare);
        System.out.printf("  ratio service/floor: p50 %.2f, p99 %.2f (target <= 2)%n",
            (double)service.getValueAtPercentile(50) / bare.getValueAtPercentile(50),
            (double)service.getValueAtPercentile(99) / bare.getValueAtPercentile(99));
    }

    private static void echo(final ServerSocketChannel server, final int requestBytes, final int replyBytes)
    {
        try (SocketChannel c = server.accept())
        {
            final ByteBuffer req = ByteBuffer.allocateDirect(requestBytes);
            final ByteBuffer rep = ByteBuffer.allocateDirect(replyBytes);
            while (true)
            {
                req.clear();
                while (req.hasRemaining())
                {
                    if (c.read(req) < 0)
                    {
                        return;
                    }
                }
                rep.clear();
                while (rep.hasRemaining())
                {
                    c.write(rep);
                }
            }
        }
        catch (final IOException ignored)
        {
            // the bench ended
        }
    }

    /** STORE of a 2 MiB block vs one copy + one XXH3 pass of the same bytes. */
    private static void storeVsCopy(final KvClient kv, final int iterations)
    {
        final Histogram store = new Histogram(3);
        final Histogram floor = new Histogram(3);
        final ByteBuffer src = ByteBuffer.allocateDirect(BLOCK);
        final ByteBuffer dst = ByteBuffer.allocateDirect(BLOCK);
        new Random(3).ints(BLOCK / 4).forEach(v -> src.putInt(v));
        src.clear();
        final long[] id = new long[2];
        final long[] sum = new long[1];
        long sink = 0;
        for (int i = 0; i < 2 * iterations; i++)
        {
            long t = System.nanoTime();
            dst.clear();
            dst.put(src.duplicate());
            sink += XXH3.hashBytes(dst, 0, BLOCK);
            long took = System.nanoTime() - t;
            if (i >= iterations)
            {
                floor.recordValue(took);
            }
            id[0] = 1_000_000 + i;
            id[1] = i;
            t = System.nanoTime();
            final KvClient.Blocks b = kv.prepare(0, 0, 0, id, 1);
            final ByteBuffer slot = kv.slot(b.slot(0));
            slot.put(src.duplicate());
            slot.clear();
            sum[0] = kv.checksum(slot);
            kv.commit(b.handle(), sum, 1);
            took = System.nanoTime() - t;
            if (i >= iterations)
            {
                store.recordValue(took);
            }
        }
        report("STORE 2 MiB (prepare, copy, xxh3, commit)", store);
        report("copy 2 MiB + XXH3 (floor)", floor);
        System.out.printf("  speed ratio floor/store: p50 %.2f (target >= 0.8)   [%d]%n",
            (double)floor.getValueAtPercentile(50) / store.getValueAtPercentile(50), sink & 1);
    }

    /** LOOKUP + LOAD + copy out of a 2 MiB block in shared memory vs one copy. */
    private static void loadVsCopy(final KvClient kv, final long[] ids, final int iterations)
    {
        final Histogram load = new Histogram(3);
        final Histogram floor = new Histogram(3);
        final ByteBuffer src = ByteBuffer.allocateDirect(BLOCK);
        final ByteBuffer dst = ByteBuffer.allocateDirect(BLOCK);
        store(kv, ids, 16); // again: the STORE run evicted them
        for (int i = 0; i < 2 * iterations; i++)
        {
            long t = System.nanoTime();
            dst.clear();
            dst.put(src.duplicate());
            long took = System.nanoTime() - t;
            if (i >= iterations)
            {
                floor.recordValue(took);
            }
            t = System.nanoTime();
            final KvClient.Lookup hit = kv.lookup(ids, 1);
            final KvClient.Blocks b = kv.load(hit.lease(), 1000);
            dst.clear();
            dst.put(kv.slot(b.slot(0)));
            took = System.nanoTime() - t;
            kv.release(hit.lease());
            if (i >= iterations)
            {
                load.recordValue(took);
            }
        }
        report("LOAD 2 MiB (lookup, load, copy out)", load);
        report("copy 2 MiB (floor)", floor);
        System.out.printf("  speed ratio floor/load: p50 %.2f (target >= 0.8)%n",
            (double)floor.getValueAtPercentile(50) / load.getValueAtPercentile(50));
    }

    /** {@code clients} processes, each LOOKUP(16) + LOAD + RELEASE in a loop for {@code seconds}. */
    private static void processes(final Path socket, final int clients, final int seconds) throws Exception
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ServiceBench.class.getName(), "client",
            socket.toString(), String.valueOf(seconds)));
        final List<Process> procs = new ArrayList<>();
        final long start = System.currentTimeMillis() + 3000L * clients; // all start together, after JVM start-up
        for (int i = 0; i < clients; i++)
        {
            final List<String> c = new ArrayList<>(cmd);
            c.add(String.valueOf(start));
            procs.add(new ProcessBuilder(c).redirectErrorStream(true).start());
        }
        final Histogram all = new Histogram(3);
        long ops = 0;
        for (final Process p : procs)
        {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = r.readLine()) != null)
                {
                    if (line.startsWith("HIST "))
                    {
                        final String[] parts = line.split(" ");
                        ops += Long.parseLong(parts[1]);
                        all.add(Histogram.decodeFromCompressedByteBuffer(
                            ByteBuffer.wrap(Base64.getDecoder().decode(parts[2])), 0));
                    }
                    else
                    {
                        System.out.println("  client: " + line);
                    }
                }
            }
            p.waitFor();
        }
        System.out.printf("%d client processes, LOOKUP(16)+LOAD+RELEASE: %.0f ops/s together%n", clients,
            ops / (double)seconds);
        report("  per operation (3 round trips)", all);
    }

    private static void client(final Path socket, final int seconds, final long startAt) throws Exception
    {
        try (KvClient kv = KvClient.connect(socket, new KvClient.Hello("", "bench")))
        {
            final long[] ids = ids(2, 16);
            final Histogram h = new Histogram(3);
            while (System.currentTimeMillis() < startAt)
            {
                Thread.sleep(1);
            }
            final long end = System.nanoTime() + seconds * 1_000_000_000L;
            long ops = 0;
            while (System.nanoTime() < end)
            {
                final long t = System.nanoTime();
                final KvClient.Lookup hit = kv.lookup(ids, 16);
                kv.load(hit.lease(), 1000);
                kv.release(hit.lease());
                h.recordValue(System.nanoTime() - t);
                ops++;
            }
            final ByteBuffer buf = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
            h.encodeIntoCompressedByteBuffer(buf);
            buf.flip();
            final byte[] bytes = new byte[buf.remaining()];
            buf.get(bytes);
            System.out.println("HIST " + ops + " " + Base64.getEncoder().encodeToString(bytes));
        }
    }
}
