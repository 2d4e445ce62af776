package io.kvbm4j.perf.remote;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.remote.RemoteCompletion;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;
import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * G4 on Redis against its peer, same server, same run: {@code make bench-remote} (perf/bench-remote.sh).
 *
 * <ul>
 *   <li>G2 → G4 (write) and G4 → G2 (read) throughput of {@code --block-bytes} blocks (2 MiB) from/to off-heap
 *       memory with {@code --in-flight} calls in flight (one data connection each), against
 *       {@code redis-benchmark -t set,get -d <block> -P 1 -c <in-flight> -n <blocks>} on the same server.</li>
 *   <li>Prefix lookup of 64 ids (pipelined EXISTS, one round trip) against one PING, alternating, on the same
 *       control connection: p50/p99 of each (HdrHistogram) and the ratio of the p50s. The same on a 3-master
 *       Redis Cluster (one round trip per node, in parallel).</li>
 * </ul>
 *
 * Starts its own redis-server processes on free loopback ports (Debian's redis-server, redis-cli, redis-benchmark;
 * deps/30-redis.sh). Every figure is taken on whatever machine runs it; on a shared 2-core box client and server
 * compete for the same cores, so the loopback figures are a floor, not a network claim.
 *
 * <pre>
 *   perf/bench-remote.sh --block-bytes 2097152 --blocks 128 --in-flight 4 --rounds 3 --lookups 2000
 * </pre>
 */
public final class RemoteBench
{
    private final Map<String, String> options = new HashMap<>();
    private final List<Path> dirs = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private final IdleStrategy idle = new BackoffIdleStrategy(20, 5, TimeUnit.MICROSECONDS.toNanos(1),
        TimeUnit.MICROSECONDS.toNanos(200));
    private int completed;
    private int failed;
    private RemoteStatus lastStatus;

    public static void main(final String[] args) throws Exception
    {
        final RemoteBench b = new RemoteBench();
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            b.options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        try
        {
            b.run();
        }
        finally
        {
            b.stopServers();
        }
    }

    private int option(final String name, final int fallback)
    {
        return Integer.parseInt(options.getOrDefault(name, Integer.toString(fallback)));
    }

    private void run() throws Exception
    {
        final int blockBytes = option("block-bytes", 2 * 1024 * 1024);
        final int blocks = option("blocks", 128);
        final int inFlight = option("in-flight", 4);
        final int rounds = option("rounds", 3);
        final int lookups = option("lookups", 2000);
        System.out.printf(Locale.ROOT, "# G4 (Redis) vs redis-benchmark: block %d B, %d blocks per phase, %d in flight, " +
            "%d rounds; %d lookup/ping pairs%n", blockBytes, blocks, inFlight, rounds, lookups);
        final int port = startServer("standalone", "--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru");
        final RemoteConfig config = RemoteConfig.fromMap(Map.of("g4.backend", "redis", "g4.endpoints",
            "127.0.0.1:" + port, "g4.namespace", "bench", "g4.timeout-ms", "30000", "g4.max-in-flight",
            Integer.toString(Math.max(inFlight, 2)), "g4.connections", Integer.toString(inFlight),
            "g4.max-lookup-ids", "64"));
        try (RemoteStore store = new RedisRemoteStore(config, new SystemNanoClock());
             AlignedMemory memory = new AlignedMemory(blockBytes * inFlight * 2, 4096))
        {
            fill(memory);
            slotChecksums = new long[inFlight * 2];
            for (int s = 0; s < slotChecksums.length; s++)
            {
                slotChecksums[s] = io.kvbm4j.tiers.transfer.PayloadChecksum.of(memory.address() + (long)s * blockBytes,
                    blockBytes);
            }
            System.out.println();
            System.out.println("| round | kvbm4j G2→G4 blocks/s | redis-benchmark SET/s | ratio | kvbm4j G4→G2 blocks/s | " +
                "redis-benchmark GET/s | ratio |");
            System.out.println("|---|---|---|---|---|---|---|");
            long id = 1;
            for (int r = 0; r < rounds; r++)
            {
                cli(port, "FLUSHALL");
                final double writes = transfer(store, memory, blockBytes, blocks, inFlight, id, true);
                final double reads = transfer(store, memory, blockBytes, blocks, inFlight, id, false);
                id += blocks;
                cli(port, "FLUSHALL");
                final double[] peer = redisBenchmark(port, blockBytes, blocks, inFlight);
                System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |%n", r + 1, writes, peer[0],
                    writes / peer[0], reads, peer[1], reads / peer[1]);
            }
            cli(port, "FLUSHALL");
            System.out.println();
            System.out.println("| server | lookup of 64 ids p50 µs | p99 µs | PING p50 µs | p99 µs | ratio of p50s |");
            System.out.println("|---|---|---|---|---|---|");
            lookupVsPing("standalone", store, memory, lookups);
        }
        final List<Integer> ports = startCluster();
        final RemoteConfig cluster = RemoteConfig.fromMap(Map.of("g4.backend", "redis-cluster", "g4.endpoints",
            "127.0.0.1:" + ports.get(0) + ",127.0.0.1:" + ports.get(1), "g4.namespace", "bench", "g4.timeout-ms",
            "30000", "g4.connections", "1", "g4.max-lookup-ids", "64"));
        try (RemoteStore store = new RedisRemoteStore(cluster, new SystemNanoClock());
             AlignedMemory memory = new AlignedMemory(blockBytes, 4096))
        {
            lookupVsPing("3-master cluster", store, memory, lookups);
        }
        System.out.printf(Locale.ROOT, "%n(calls that failed or timed out: %d)%n", failed);
    }

    private static void fill(final AlignedMemory memory)
    {
        final UnsafeBuffer b = new UnsafeBuffer(memory.address(), memory.length());
        long x = 0x9e3779b97f4a7c15L;
        for (int i = 0; i + 8 <= memory.length(); i += 8)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b.putLong(i, x);
        }
    }

    private long[] slotChecksums;

    private void collect(final RemoteCompletion c)
    {
        completed++;
        lastStatus = c.status();
        if (c.status() != RemoteStatus.OK && c.status() != RemoteStatus.ALREADY_PRESENT)
        {
            failed++;
        }
    }

    /** {@code blocks} writes (or reads) of distinct ids, {@code inFlight} at a time; blocks per second. */
    private double transfer(final RemoteStore store, final AlignedMemory memory, final int blockBytes, final int blocks,
                            final int inFlight, final long firstId, final boolean write)
    {
        completed = 0;
        int submitted = 0;
        final long start = System.nanoTime();
        while (completed < blocks)
        {
            while (submitted < blocks && submitted - completed < inFlight)
            {
                final long id = firstId + submitted;
                final long at = memory.address() + (long)(submitted % (inFlight * 2)) * blockBytes;
                // A write passes the payload checksum, as the engine does (it took it on the way to G2): the
                // store does not hash the payload again. A read verifies it (one hash, as it must).
                final RemoteStatus s = write ? store.write(id, 1, id, id, at, blockBytes,
                    slotChecksums[submitted % (inFlight * 2)]) :
                    store.read(id, 1, id, id, at, blockBytes);
                if (s != RemoteStatus.SUBMITTED)
                {
                    break;
                }
                submitted++;
            }
            idle.idle(store.poll(this::collect));
        }
        return blocks / ((System.nanoTime() - start) / 1e9);
    }

    private void lookupVsPing(final String name, final RemoteStore store, final AlignedMemory memory, final int n)
    {
        final long[] hi = new long[64];
        final long[] lo = new long[64];
        completed = 0;
        for (int i = 0; i < 64; i++)
        {
            hi[i] = 0x5eed_0000L + i;
            lo[i] = i;
            awaitOne(store, store.write(i, 1, hi[i], lo[i], memory.address(), 4096));
        }
        final Histogram lookup = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final Histogram ping = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        int fullRuns = 0;
        for (int i = 0; i < n + n / 10; i++)
        {
            final long t0 = System.nanoTime();
            awaitOne(store, store.lookup(i, 1, hi, lo, 0, 64));
            final long t1 = System.nanoTime();
            awaitOne(store, store.ping(i));
            final long t2 = System.nanoTime();
            if (i >= n / 10) // the first tenth warms up
            {
                lookup.recordValue(t1 - t0);
                ping.recordValue(t2 - t1);
            }
            fullRuns += lastRun == 64 ? 1 : 0;
        }
        if (fullRuns == 0)
        {
            throw new IllegalStateException("lookups never found the 64 ids");
        }
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.2f |%n", name,
            lookup.getValueAtPercentile(50) / 1e3, lookup.getValueAtPercentile(99) / 1e3,
            ping.getValueAtPercentile(50) / 1e3, ping.getValueAtPercentile(99) / 1e3,
            (double)lookup.getValueAtPercentile(50) / ping.getValueAtPercentile(50));
    }

    private int lastRun;

    private void awaitOne(final RemoteStore store, final RemoteStatus submitted)
    {
        if (submitted != RemoteStatus.SUBMITTED)
        {
            throw new IllegalStateException("submit refused: " + submitted);
        }
        final int target = completed + 1;
        while (completed < target)
        {
            idle.idle(store.poll(c ->
            {
                collect(c);
                if (c.kind() == io.kvbm4j.remote.RemoteOpKind.LOOKUP)
                {
                    lastRun = c.run();
                }
            }));
        }
        idle.reset();
    }

    private double[] redisBenchmark(final int port, final int blockBytes, final int blocks, final int clients)
        throws IOException, InterruptedException
    {
        final String out = exec("redis-benchmark", "-h", "127.0.0.1", "-p", Integer.toString(port), "-t", "set,get",
            "-d", Integer.toString(blockBytes), "-P", "1", "-c", Integer.toString(clients), "-n", Integer.toString(blocks),
            "--csv");
        double set = 0;
        double get = 0;
        for (final String line : out.split("\n"))
        {
            final String[] f = line.replace("\"", "").split(",");
            if (f.length > 1 && f[0].equals("SET"))
            {
                set = Double.parseDouble(f[1]);
            }
            else if (f.length > 1 && f[0].equals("GET"))
            {
                get = Double.parseDouble(f[1]);
            }
        }
        if (set == 0 || get == 0)
        {
            throw new IllegalStateException("could not read redis-benchmark's output: " + out);
        }
        return new double[] {set, get};
    }

    private static int freePort() throws IOException
    {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return s.getLocalPort();
        }
    }

    private int startServer(final String name, final String... extra) throws IOException, InterruptedException
    {
        final int port = freePort();
        final Path dir = Files.createTempDirectory("kvbm4j-bench-redis-" + name);
        dirs.add(dir);
        final List<String> cmd = new ArrayList<>(Arrays.asList("redis-server", "--port", Integer.toString(port), "--bind",
            "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--logfile",
            dir.resolve("redis.log").toString()));
        cmd.addAll(Arrays.asList(extra));
        servers.add(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start());
        for (int i = 0; i < 3000 && !exec("redis-cli", "-p", Integer.toString(port), "PING").startsWith("PONG"); i++)
        {
            Thread.sleep(10);
        }
        return port;
    }

    private List<Integer> startCluster() throws IOException, InterruptedException
    {
        final List<Integer> ports = new ArrayList<>();
        final List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (int i = 0; i < 3; i++)
        {
            final int p = startServer("cluster" + i, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000");
            ports.add(p);
            create.add("127.0.0.1:" + p);
        }
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        final String out = exec(create.toArray(String[]::new));
        if (!out.contains("[OK] All 16384 slots covered"))
        {
            throw new IllegalStateException("cluster create failed: " + out);
        }
        for (final int p : ports)
        {
            for (int i = 0; i < 3000 && !exec("redis-cli", "-p", Integer.toString(p), "CLUSTER", "INFO")
                .contains("cluster_state:ok"); i++)
            {
                Thread.sleep(10);
            }
        }
        return ports;
    }

    private static void cli(final int port, final String... args) throws IOException, InterruptedException
    {
        final List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        cmd.addAll(Arrays.asList(args));
        exec(cmd.toArray(String[]::new));
    }

    private static String exec(final String... cmd) throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private void stopServers()
    {
        for (final Process p : servers)
        {
            p.destroyForcibly();
        }
        for (final Process p : servers)
        {
            try
            {
                p.waitFor(10, TimeUnit.SECONDS);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final Path d : dirs)
        {
            try (var files = Files.walk(d))
            {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            catch (final IOException e)
            {
                // best effort
            }
        }
    }
}
