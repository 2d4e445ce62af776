package io.kvbm4j.torture.soak;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

/**
 * Crash soak: starts the workload's child, kills it with SIGKILL at a random point (a fifth of the kills
 * during start-up, warm recovery or the verification sweep; the rest while it serves), restarts it warm on the
 * same state, and after every restart reads what the child's sweep found: every block it was handed back was
 * checked against the payload derived from its id. Ends with one child that sweeps and exits cleanly.
 *
 * <p>Reads each child's stdout to the end, so lines printed before the kill count (the child may have done
 * more than its last line says: a G3 write can land after the last STAT line; nothing here assumes otherwise).
 * Wrong blocks must be 0; misses are allowed (a lost block is a miss).
 */
public final class SoakDriver
{
    /** Totals of a run. */
    public static final class Result
    {
        public int cycles;
        public int killsDuringStart;
        public long stored;
        public long writtenToG3;
        public long recovered;
        public long asked;
        public long verifiedServed;
        public long servedWhileRunning;
        public long wrong;
        public long refused;
        public final List<String> wrongLines = new ArrayList<>();
        public final Histogram openNanos = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
        public final Histogram readyNanos = new Histogram(TimeUnit.MINUTES.toNanos(10), 3);
        public long wallNanos;
        /** The kill/restart cycles alone (no class-data training child, no final sweep). */
        public long cyclesNanos;

        public String report(final String workload, final String command)
        {
            final StringBuilder sb = new StringBuilder();
            sb.append("soak: ").append(workload).append('\n');
            sb.append("command: ").append(command).append('\n');
            sb.append(String.format("cycles (SIGKILL + warm restart): %d (%d killed during start-up/recovery/sweep)%n",
                cycles, killsDuringStart));
            sb.append(String.format("blocks stored (registered, acknowledged to the caller): %d%n", stored));
            sb.append(String.format("blocks written to G3 (G3_OFFLOADED_BLOCKS, last STAT before each kill): %d%n",
                writtenToG3));
            sb.append(String.format("blocks recovered from G3 at restarts (G3_RESTORED_BLOCKS): %d%n", recovered));
            sb.append(String.format("blocks asked for in the post-restart sweeps: %d, served: %d, misses: %d%n", asked,
                verifiedServed, asked - verifiedServed));
            sb.append(String.format("blocks served and checked while serving: %d%n", servedWhileRunning));
            sb.append(String.format("blocks checked in all: %d%n", verifiedServed + servedWhileRunning));
            sb.append(String.format("WRONG BLOCKS: %d%n", wrong));
            sb.append(String.format("calls refused with a status (BACK_PRESSURED, NO_SPACE, ...): %d%n", refused));
            sb.append(String.format("engine open incl. G3 recovery: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d restarts)%n",
                openNanos.getValueAtPercentile(50) / 1e6, openNanos.getValueAtPercentile(99) / 1e6,
                openNanos.getMaxValue() / 1e6, openNanos.getTotalCount()));
            sb.append(String.format("process start to READY (JVM start + open): p50 %.1f ms, p99 %.1f ms%n",
                readyNanos.getValueAtPercentile(50) / 1e6, readyNanos.getValueAtPercentile(99) / 1e6));
            sb.append(String.format("wall time: %.1f s (%.2f s per cycle)%n", wallNanos / 1e9,
                wallNanos / 1e9 / Math.max(1, cycles)));
            sb.append(String.format("kill/restart cycles alone: %.1f s (%.2f s per cycle, %.1f cycles per minute)%n",
                cyclesNanos / 1e9, cyclesNanos / 1e9 / Math.max(1, cycles), cycles * 60e9 / Math.max(1, cyclesNanos)));
            for (final String w : wrongLines.subList(0, Math.min(10, wrongLines.size())))
            {
                sb.append(w).append('\n');
            }
            return sb.toString();
        }
    }

    private final SoakWorkload workload;
    private final Path state;
    private final long killMillis;
    private boolean lightChildren;
    private long earlyMillis = 2000;
    private List<String> childFlags = List.of();
    private String childClassPath;

    /**
     * @param lightChildren start children lighter: a class-data archive written by a first clean child and mapped
     *                      by every later one, no perf-data file (the soak's cycle is mostly the child's start).
     * @param earlyMillis   the window after a child's start in which a fifth of the kills land.
     */
    public SoakDriver(final SoakWorkload workload, final Path state, final long killMillis, final boolean lightChildren,
                      final long earlyMillis)
    {
        this(workload, state, killMillis);
        this.lightChildren = lightChildren;
        this.earlyMillis = Math.max(2, earlyMillis);
    }

    public SoakDriver(final SoakWorkload workload, final Path state, final long killMillis)
    {
        this.workload = workload;
        this.state = state;
        this.killMillis = killMillis;
    }

    /** The java command line of a child: this JVM's binary, module flags and class path. */
    public static List<String> javaCommand()
    {
        final List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (final String arg : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (arg.startsWith("--add-") || arg.startsWith("-Dchronicle") || arg.startsWith("--enable-native") ||
                arg.startsWith("--sun-misc") || arg.equals("-ea"))
            {
                cmd.add(arg);
            }
        }
        cmd.add("-Xmx768m"); // run events since the engine's second pass: a ring entry holds up to 32 blocks
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    /**
     * Runs {@code cycles} kill/restart cycles (or fewer when {@code budgetSeconds > 0} runs out), then a final
     * clean sweep.
     */
    public Result run(final int cycles, final long budgetSeconds, final long seed) throws IOException, InterruptedException
    {
        Files.createDirectories(state);
        final Result r = new Result();
        final SplittableRandom random = new SplittableRandom(seed);
        final long start = System.nanoTime();
        final long end = budgetSeconds > 0 ? start + TimeUnit.SECONDS.toNanos(budgetSeconds) : Long.MAX_VALUE;
        if (lightChildren)
        {
            // One clean child first, which writes the class-data archive of what a child loads as it exits; every
            // later child maps it instead of loading and verifying those classes again (AppCDS, JDK 13+).
            // CDS archives classes from jars only: the reactor's class folders are packed into jars once
            childClassPath = jarredClassPath(state.resolve("classpath"));
            final Path archive = state.resolve("soak-child.jsa");
            if (!Files.exists(archive))
            {
                final Child training = new Child(withFlags(workload.command(state, 0, true),
                    "-XX:ArchiveClassesAtExit=" + archive), state, r);
                training.awaitExit();
            }
            childFlags = Files.exists(archive) ? List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto",
                "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1") : List.of("-XX:-UsePerfData");
        }
        final long cyclesStart = System.nanoTime();
        for (int c = 0; c < cycles && System.nanoTime() < end; c++)
        {
            final boolean early = random.nextInt(5) == 0;
            final long delay = early ? random.nextLong(1, earlyMillis) : random.nextLong(1, Math.max(2, killMillis));
            final Child child = new Child(withFlags(workload.command(state, random.nextLong(), false)), state, r);
            child.awaitThenKill(early, delay);
            r.cycles++;
            if (early && !child.verified)
            {
                r.killsDuringStart++;
            }
        }
        r.cyclesNanos = System.nanoTime() - cyclesStart;
        final Child last = new Child(withFlags(workload.command(state, 0, true)), state, r);
        last.awaitExit();
        r.wallNanos = System.nanoTime() - start;
        return r;
    }

    /** The child's command with {@link #childFlags} (and {@code extra}) after the java binary. */
    private List<String> withFlags(final List<String> command, final String... extra)
    {
        final List<String> cmd = new ArrayList<>(command);
        final int cp = cmd.indexOf("-cp");
        if (childClassPath != null && cp >= 0)
        {
            cmd.set(cp + 1, childClassPath);
        }
        final List<String> add = new ArrayList<>(childFlags);
        add.addAll(List.of(extra));
        cmd.addAll(1, add);
        return cmd;
    }

    /**
     * This JVM's class path (a surefire booter jar's manifest Class-Path expanded) with every folder packed into a
     * jar under {@code dir}: class-data sharing refuses a class path holding a non-empty folder.
     */
    static String jarredClassPath(final Path dir) throws IOException
    {
        final List<String> entries = new ArrayList<>();
        for (final String e : System.getProperty("java.class.path").split(File.pathSeparator))
        {
            if (e.contains("surefirebooter") && e.endsWith(".jar"))
            {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(e))
                {
                    final String cp = jar.getManifest().getMainAttributes().getValue("Class-Path");
                    for (final String u : cp == null ? new String[0] : cp.trim().split(" +"))
                    {
                        entries.add(Path.of(java.net.URI.create(u)).toString());
                    }
                }
            }
            else if (!e.isEmpty())
            {
                entries.add(e);
            }
        }
        Files.createDirectories(dir);
        final List<String> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++)
        {
            final Path p = Path.of(entries.get(i));
            if (!Files.isDirectory(p))
            {
                out.add(p.toString());
                continue;
            }
            final Path jar = dir.resolve(i + "-" + p.getParent().getParent().getFileName() + "-" + p.getFileName() + ".jar");
            try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(Files.newOutputStream(jar));
                 java.util.stream.Stream<Path> files = Files.walk(p))
            {
                for (final Path f : (Iterable<Path>)files.sorted()::iterator)
                {
                    final String name = p.relativize(f).toString().replace(File.separatorChar, '/');
                    if (name.isEmpty())
                    {
                        continue;
                    }
                    j.putNextEntry(new java.util.jar.JarEntry(Files.isDirectory(f) ? name + "/" : name));
                    if (!Files.isDirectory(f))
                    {
                        Files.copy(f, j);
                    }
                    j.closeEntry();
                }
            }
            out.add(jar.toString());
        }
        return String.join(File.pathSeparator, out);
    }

    /** One child: its output read on a thread of its own, to the end. */
    private static final class Child
    {
        private final Process process;
        private final Thread reader;
        private final long started = System.nanoTime();
        private final Object lock = new Object();
        volatile boolean verified;
        private long lastStored;
        private long lastG3;
        private long lastServed;
        private long lastWrong;
        private long lastRefused;
        private final Result result;
        private final List<String> other = new ArrayList<>();

        Child(final List<String> command, final Path state, final Result result) throws IOException
        {
            this.result = result;
            this.process = new ProcessBuilder(command).redirectError(
                ProcessBuilder.Redirect.appendTo(new File(state.toFile(), "child.err"))).start();
            this.reader = new Thread(this::readAll, "soak-child-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void readAll()
        {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.US_ASCII)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    synchronized (lock)
                    {
                        onLine(line);
                    }
                }
            }
            catch (final IOException ex)
            {
                // the stream ends with the process
            }
        }

        private void onLine(final String line)
        {
            if (line.startsWith("READY "))
            {
                result.readyNanos.recordValue(Math.min(System.nanoTime() - started, result.readyNanos.getHighestTrackableValue()));
                result.openNanos.recordValue(Math.min(SoakProtocol.field(line, "open_ns"),
                    result.openNanos.getHighestTrackableValue()));
                result.recovered += SoakProtocol.field(line, "restored");
            }
            else if (line.startsWith("VERIFY "))
            {
                result.asked += SoakProtocol.field(line, "asked");
                result.verifiedServed += SoakProtocol.field(line, "served");
                result.wrong += SoakProtocol.field(line, "wrong");
                verified = true;
                synchronized (this)
                {
                    notifyAll();
                }
            }
            else if (line.startsWith("STAT "))
            {
                final long stored = SoakProtocol.field(line, "stored");
                final long g3 = SoakProtocol.field(line, "g3");
                final long served = SoakProtocol.field(line, "served");
                final long wrong = SoakProtocol.field(line, "wrong");
                final long refused = SoakProtocol.field(line, "refused");
                result.stored += stored - lastStored;
                result.writtenToG3 += g3 - lastG3;
                result.servedWhileRunning += served - lastServed;
                result.wrong += wrong - lastWrong;
                result.refused += refused - lastRefused;
                lastStored = stored;
                lastG3 = g3;
                lastServed = served;
                lastWrong = wrong;
                lastRefused = refused;
            }
            else if (line.startsWith("WRONG "))
            {
                result.wrongLines.add(line);
            }
            else if (other.size() < 20)
            {
                other.add(line); // the JVM's own complaints (class-data archive, flags) land here
            }
        }

        /** Kills after {@code delay} ms from the start ({@code early}) or from the end of the sweep. */
        void awaitThenKill(final boolean early, final long delay) throws InterruptedException
        {
            if (!early)
            {
                final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                synchronized (this)
                {
                    while (!verified && process.isAlive() && System.nanoTime() < deadline)
                    {
                        wait(50);
                    }
                }
                if (!verified)
                {
                    process.toHandle().destroyForcibly();
                    process.waitFor();
                    throw new IllegalStateException("the soak child did not finish its sweep (exit " +
                        process.exitValue() + "); see child.err in the state directory");
                }
            }
            Thread.sleep(delay);
            if (!process.isAlive())
            {
                reader.join();
                throw new IllegalStateException("the soak child exited by itself (" + process.exitValue() +
                    "); see child.err in the state directory");
            }
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of stdout.
            process.toHandle().destroyForcibly();
            process.waitFor();
            reader.join();
        }

        void awaitExit() throws InterruptedException
        {
            if (!process.waitFor(5, TimeUnit.MINUTES))
            {
                process.toHandle().destroyForcibly();
                process.waitFor();
            }
            reader.join();
            if (process.exitValue() != 0 || !verified)
            {
                throw new IllegalStateException("the verify-only child failed (exit " + process.exitValue() +
                    "); see child.err in the state directory; its other output: " + other);
            }
        }
    }
}
