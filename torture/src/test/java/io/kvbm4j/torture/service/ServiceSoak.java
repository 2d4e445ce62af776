package io.kvbm4j.torture.service;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.kvbm4j.client.KvClient;
import io.kvbm4j.torture.soak.SoakDriver;

/**
 * The node-service workload of the torture harness: {@code kvbm4j serve} in a child JVM ({@code ServeCommand} with
 * G1 in a shared-memory file, G2, G3 on disk) and several Python client processes ({@code service_client.py}, the
 * repository's stdlib-only client) storing and loading chains of blocks whose bytes derive from their ids; every
 * block a client is served is checked by that client. Two uses:
 * <ul>
 *   <li>{@link #soak}: the service is SIGKILLed at random points and restarted warm on the same G3 directory (the
 *       clients reconnect and sweep every chain they stored); clients are SIGKILLed too, at random, while they hold
 *       a prepared store or a loaded lease (they pause inside STORE and LOAD), and started again. Before each kill
 *       of the service and at the end the driver reads the service's STATS: handles in use, reclaimed, expired.</li>
 *   <li>{@link #load}: no kills; N clients as fast as they go for a fixed time; the service's RSS sampled.</li>
 * </ul>
 * Reads every child's stdout to its end, so what a killed client printed counts (its last STAT line).
 */
public final class ServiceSoak
{
    /** What a run saw. */
    public static final class Report
    {
        public final Map<String, Long> clients = new TreeMap<>();
        public final List<Long> restartMillis = new ArrayList<>();
        public final List<String> samples = new ArrayList<>();
        public final List<String> wrong = new ArrayList<>();
        public final List<String> errors = new ArrayList<>();
        public long serviceKills;
        public long clientKills;
        /** Clients killed while they surely held a prepared store and a loaded lease. */
        public long heldKills;
        public long handlesInUseAtEnd = -1;
        public long reclaimedHandles;
        public long expiredHandles;
        public long checksumMismatches;
        public long g3Restored;
        public long staleShmFiles;
        public long wallMillis;
        public long maxLatP99;
        public long maxLatMax;

        long c(final String k)
        {
            return clients.getOrDefault(k, 0L);
        }

        public String text(final String title)
        {
            final StringBuilder sb = new StringBuilder(title).append('\n');
            sb.append(String.format("service SIGKILL + warm restart: %d; client SIGKILLs: %d (%d holding a prepared store " +
                "and a loaded lease for sure)%n", serviceKills, clientKills, heldKills));
            sb.append(String.format("client operations: %d (%.0f/s over %.1f s)%n", c("ops"), c("ops") * 1000.0 /
                Math.max(1, wallMillis), wallMillis / 1000.0));
            sb.append(String.format("blocks stored: %d, deduplicated: %d%n", c("stored"), c("dedup")));
            sb.append(String.format("blocks served and checked: %d (of them in post-restart sweeps: %d of %d asked)%n",
                c("served"), c("sweep_served"), c("swept")));
            sb.append(String.format("WRONG blocks: %d%n", c("wrong")));
            sb.append(String.format("misses: %d; BUSY %d; NO_SPACE %d; other errors %d; reconnects %d%n", c("misses"),
                c("busy"), c("no_space"), c("errors"), c("reconnects")));
            sb.append(String.format("operation latency (per client process; worst client): p99 %d us, max %d us%n",
                maxLatP99, maxLatMax));
            sb.append(String.format("handles reclaimed from dead connections: %d; expired: %d; checksum mismatches: %d%n",
                reclaimedHandles, expiredHandles, checksumMismatches));
            sb.append(String.format("handles in use after the clients stopped: %d%n", handlesInUseAtEnd));
            sb.append(String.format("G3 blocks restored at restarts: %d%n", g3Restored));
            sb.append(String.format("shared-memory files left in the shm dir after the final shutdown: %d%n",
                staleShmFiles));
            if (!restartMillis.isEmpty())
            {
                final long[] r = restartMillis.stream().mapToLong(Long::longValue).sorted().toArray();
                sb.append(String.format("restart (process start to ready) p50 %d ms, p99 %d ms, max %d ms%n",
                    r[r.length / 2], r[Math.min(r.length - 1, (int)(r.length * 0.99))], r[r.length - 1]));
            }
            for (final String s : samples)
            {
                sb.append(s).append('\n');
            }
            for (final String w : wrong)
            {
                sb.append(w).append('\n');
            }
            for (final String e : errors.subList(0, Math.min(10, errors.size())))
            {
                sb.append("client error: ").append(e).append('\n');
            }
            return sb.toString();
        }
    }

    private final Path state;
    private final Path socket;
    private final Path shm;
    private final Path stop;
    private final Path script;
    private final Path pythonDir;
    private final Report report = new Report();
    private final Map<Process, String[]> lastStat = new ConcurrentHashMap<>();
    private final List<Thread> readers = new ArrayList<>();
    private Process serve;

    public ServiceSoak(final Path state, final Path repo) throws IOException
    {
        this.state = state;
        this.socket = state.resolve("kv.sock");
        this.shm = state.resolve("shm");
        this.stop = state.resolve("stop");
        this.script = repo.resolve("torture/src/test/python/service_client.py");
        this.pythonDir = repo.resolve("python");
        Files.createDirectories(shm);
        Files.deleteIfExists(stop);
        Files.writeString(state.resolve("serve.yaml"), "model: tiny-test\n" +
            "tiers:\n  g1-blocks: 512\n  g2-blocks: 256\n  g1-memory: host\n" +
            "transfers:\n  admission: always\n" +
            "ring:\n  size: 4096\n" +
            "g3:\n  slot-count: 2048\n  root: " + state.resolve("g3") + "\n");
    }

    private List<String> serveCommand()
    {
        final List<String> cmd = new ArrayList<>(SoakDriver.javaCommand());
        cmd.addAll(Arrays.asList("io.kvbm4j.server.ServeCommand", "--config", state.resolve("serve.yaml").toString(),
            "--socket", socket.toString(), "--shm-dir", shm.toString(), "--lease-ttl-ms", "10000"));
        return cmd;
    }

    /** Starts the service; waits (guard 180 s) for its ready line. @return ms from start to ready. */
    private long startServe() throws IOException
    {
        final long t0 = System.nanoTime();
        serve = new ProcessBuilder(serveCommand()).redirectError(ProcessBuilder.Redirect.appendTo(
            state.resolve("serve.err").toFile())).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null)
        {
            if (line.startsWith("kvbm4j serve: ready"))
            {
                final Process p = serve;
                final Thread t = new Thread(() -> drain(out), "serve-out-" + p.pid());
                t.setDaemon(true);
                t.start();
                return (System.nanoTime() - t0) / 1_000_000;
            }
        }
        throw new IOException("kvbm4j serve exited before it was ready: " + Files.readString(state.resolve("serve.err")));
    }

    private static void drain(final BufferedReader r)
    {
        try
        {
            while (r.readLine() != null)
            {
                // the service prints nothing more we need
            }
        }
        catch (final IOException ignored)
        {
            // killed
        }
    }

    private Process startClient(final int client, final int incarnation, final String mode) throws IOException
    {
        final ProcessBuilder pb = new ProcessBuilder(python(), script.toString(), socket.toString(),
            Integer.toString(client), Integer.toString(incarnation), mode, stop.toString());
        pb.environment().put("KVBM4J_PYTHON", pythonDir.toString());
        pb.redirectErrorStream(true);
        final Process p = pb.start();
        final Thread t = new Thread(() -> readClient(p), "client-" + client + "-" + incarnation);
        t.setDaemon(true);
        t.start();
        readers.add(t);
        return p;
    }

    static String python()
    {
        for (final String p : new String[] {System.getProperty("kvbm4j.python", ""), "/usr/bin/python3", "python3"})
        {
            if (!p.isEmpty() && (!p.startsWith("/") || new File(p).canExecute()))
            {
                return p;
            }
        }
        return "python3";
    }

    private void readClient(final Process p)
    {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = r.readLine()) != null)
            {
                if (line.startsWith("STAT "))
                {
                    lastStat.put(p, line.substring(5).split(" "));
                }
                else if (line.startsWith("WRONG"))
                {
                    synchronized (report)
                    {
                        report.wrong.add(line);
                    }
                }
                else if (!line.equals("DONE"))
                {
                    synchronized (report)
                    {
                        report.errors.add(line);
                    }
                }
            }
        }
        catch (final IOException ignored)
        {
            // killed
        }
    }

    private void serviceStats(final boolean last) throws IOException
    {
        try (KvClient kv = KvClient.connect(socket, new KvClient.Hello("", "driver")))
        {
            final Map<String, Long> s = kv.stats();
            report.reclaimedHandles += s.getOrDefault("service.reclaimed_handles", 0L);
            report.expiredHandles += s.getOrDefault("service.expired_handles", 0L);
            report.checksumMismatches += s.getOrDefault("service.checksum_mismatches", 0L);
            report.g3Restored += s.getOrDefault("engine.g3_restored_blocks", 0L);
            if (last)
            {
                report.handlesInUseAtEnd = s.getOrDefault("service.handles_in_use", -1L);
            }
        }
    }

    private static void kill(final Process p) throws InterruptedException
    {
        p.destroyForcibly();
        p.waitFor(60, TimeUnit.SECONDS);
    }

    /**
     * Kill/restart cycles: each cycle waits up to {@code killMillis}, SIGKILLs one client (restarted at once) in
     * every other cycle, and SIGKILLs the service, restarting it warm.
     */
    public Report soak(final int clients, final int cycles, final long killMillis, final long seed) throws Exception
    {
        final long t0 = System.nanoTime();
        final SplittableRandom random = new SplittableRandom(seed);
        report.restartMillis.add(startServe());
        final Process[] procs = new Process[clients];
        final int[] incarnation = new int[clients];
        for (int i = 0; i < clients; i++)
        {
            procs[i] = startClient(i, 0, "soak");
        }
        try
        {
            for (int cycle = 0; cycle < cycles; cycle++)
            {
                Thread.sleep(random.nextLong(killMillis / 4, killMillis + 1));
                if (cycle % 2 == 0)
                {
                    final int i = random.nextInt(clients);
                    kill(procs[i]);
                    report.clientKills++;
                    procs[i] = startClient(i, ++incarnation[i], "soak");
                }
                Thread.sleep(random.nextLong(1, killMillis / 4 + 2));
                serviceStats(false);
                kill(serve);
                report.serviceKills++;
                report.restartMillis.add(startServe());
            }
            // after the last restart: clients killed against this incarnation too, at random and two for sure
            // while they hold a prepared store and a loaded lease
            Thread.sleep(killMillis);
            for (int k = 0; k < Math.min(2, clients); k++)
            {
                final int i = random.nextInt(clients);
                kill(procs[i]);
                report.clientKills++;
                procs[i] = startClient(i, ++incarnation[i], "soak");
            }
            for (int k = 0; k < 2; k++)
            {
                holdThenKill(1000 + k);
            }
            Thread.sleep(killMillis);
            finish(procs);
        }
        finally
        {
            cleanup(procs);
        }
        report.wallMillis = (System.nanoTime() - t0) / 1_000_000;
        return report;
    }

    /** Starts a client that holds a prepared store and a loaded lease; SIGKILLs it once it says so (guard 120 s). */
    private void holdThenKill(final int client) throws Exception
    {
        final ProcessBuilder pb = new ProcessBuilder(python(), script.toString(), socket.toString(),
            Integer.toString(client), "0", "hold", stop.toString());
        pb.environment().put("KVBM4J_PYTHON", pythonDir.toString());
        pb.redirectErrorStream(true);
        final Process p = pb.start();
        try
        {
            final BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            final java.util.concurrent.CompletableFuture<String> line = java.util.concurrent.CompletableFuture
                .supplyAsync(() ->
                {
                    try
                    {
                        String l;
                        final StringBuilder all = new StringBuilder();
                        while ((l = r.readLine()) != null)
                        {
                            if (l.startsWith("HOLDING"))
                            {
                                return l;
                            }
                            all.append(l).append('\n');
                        }
                        return "EXIT " + all;
                    }
                    catch (final IOException ex)
                    {
                        return "EXIT " + ex;
                    }
                });
            final String said = line.get(120, TimeUnit.SECONDS);
            if (!said.startsWith("HOLDING"))
            {
                report.errors.add("a holding client did not hold: " + said);
            }
            else
            {
                report.heldKills++;
            }
        }
        finally
        {
            kill(p);
            report.clientKills++;
        }
    }

    /** {@code clients} client processes as fast as they go for {@code seconds}; RSS of the service every second. */
    public Report load(final int clients, final int seconds) throws Exception
    {
        report.restartMillis.add(startServe());
        final Process[] procs = new Process[clients];
        final long t0 = System.nanoTime();
        for (int i = 0; i < clients; i++)
        {
            procs[i] = startClient(100 + i, 0, "load");
        }
        try
        {
            report.samples.add("t_s  VmRSS_kB  RssAnon_kB  RssShmem_kB  RssFile_kB  VmHWM_kB  threads  loadavg1");
            for (int s = 0; s <= seconds; s++)
            {
                if (s % Math.max(1, seconds / 12) == 0 || s == seconds)
                {
                    report.samples.add(sample(s));
                }
                if (s < seconds)
                {
                    Thread.sleep(1000);
                }
            }
            report.wallMillis = (System.nanoTime() - t0) / 1_000_000;
            finish(procs);
        }
        finally
        {
            cleanup(procs);
        }
        return report;
    }

    private String sample(final int s) throws IOException
    {
        final Map<String, String> m = new TreeMap<>();
        for (final String l : Files.readAllLines(Path.of("/proc", Long.toString(serve.pid()), "status")))
        {
            final int c = l.indexOf(':');
            if (c > 0)
            {
                m.put(l.substring(0, c), l.substring(c + 1).trim().replace(" kB", ""));
            }
        }
        final String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        return String.format("%3d  %8s  %10s  %11s  %10s  %8s  %7s  %s", s, m.get("VmRSS"), m.get("RssAnon"),
            m.get("RssShmem"), m.get("RssFile"), m.get("VmHWM"), m.get("Threads"), load);
    }

    private void finish(final Process[] procs) throws Exception
    {
        Files.writeString(stop, "stop");
        for (final Process p : procs)
        {
            if (!p.waitFor(120, TimeUnit.SECONDS))
            {
                report.errors.add("client " + p.pid() + " did not stop within 120 s");
                kill(p);
            }
        }
        for (final Thread t : readers)
        {
            t.join(10_000);
        }
        // sum every client process's last STAT line (killed ones included)
        long p99 = 0;
        long max = 0;
        for (final String[] kvs : lastStat.values())
        {
            for (final String kv : kvs)
            {
                final int eq = kv.indexOf('=');
                final String k = kv.substring(0, eq);
                final long v = Long.parseLong(kv.substring(eq + 1));
                switch (k)
                {
                    case "lat_p99_us" -> p99 = Math.max(p99, v);
                    case "lat_max_us" -> max = Math.max(max, v);
                    case "lat_p50_us", "lat_n" ->
                    {
                    }
                    default -> report.clients.merge(k, v, Long::sum);
                }
            }
        }
        report.maxLatP99 = p99;
        report.maxLatMax = max;
        // the clients are gone: every lease and store they held must be released (disconnect, TTL as a backstop)
        final long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            try (KvClient kv = KvClient.connect(socket, new KvClient.Hello("", "driver")))
            {
                report.handlesInUseAtEnd = kv.stats().getOrDefault("service.handles_in_use", -1L);
            }
            if (report.handlesInUseAtEnd == 0 || System.nanoTime() - until > 0)
            {
                break;
            }
            Thread.sleep(200);
        }
        serviceStats(true);
        serve.destroy(); // SIGTERM: drain and close
        if (!serve.waitFor(120, TimeUnit.SECONDS))
        {
            report.errors.add("the service did not stop within 120 s of SIGTERM");
            kill(serve);
        }
        try (var files = Files.list(shm))
        {
            report.staleShmFiles = files.filter(f -> f.getFileName().toString().endsWith(".slots")).count();
        }
    }

    private void cleanup(final Process[] procs) throws InterruptedException
    {
        for (final Process p : procs)
        {
            if (p != null && p.isAlive())
            {
                kill(p);
            }
        }
        if (serve != null && serve.isAlive())
        {
            kill(serve);
        }
    }
}
