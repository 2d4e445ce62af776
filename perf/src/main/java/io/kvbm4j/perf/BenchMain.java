package io.kvbm4j.perf;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * JMH launcher that gives every forked JVM the project's JVM flags.
 *
 * <p>The flags live in one place, property {@code kvbm.jvm.flags} of the parent pom; the build writes them
 * (resource filtering) into the classpath resource {@code jvm.options}. This launcher reads them and
 * appends them to each fork's command line, after any {@code -jvmArgsAppend} given on the command line.
 * Every other argument is JMH's own and is parsed by JMH: benchmark regexps, {@code -f}, {@code -wi},
 * {@code -i}, {@code -w}, {@code -r}, {@code -p name=value}, {@code -prof gc}, {@code -rf json -rff FILE},
 * {@code -l}, {@code -lp}, {@code -h}.
 *
 * <p>Forks inherit the launcher's own JVM arguments unless {@code -jvmArgs} is given; flags the launcher
 * already runs with are not appended a second time.
 *
 * <p>Run (after {@code mvn -B -q -pl perf -am package -DskipTests}), or use {@code perf/run-bench.sh}:
 * <pre>
 * java -cp "perf/target/kvbm4j-perf.jar:perf/target/lib/*" io.kvbm4j.perf.BenchMain &lt;regex&gt; -prof gc
 * </pre>
 */
public final class BenchMain
{
    /** Classpath resource holding the JVM flags, whitespace-separated. */
    public static final String JVM_OPTIONS_RESOURCE = "/jvm.options";

    private BenchMain()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final CommandLineOptions cmd;
        try
        {
            cmd = new CommandLineOptions(args);
        }
        catch (final CommandLineOptionException ex)
        {
            System.err.println("Error parsing command line: " + ex.getMessage());
            System.exit(1);
            return;
        }
        if (cmd.shouldHelp())
        {
            cmd.showHelp();
            return;
        }
        if (cmd.shouldListProfilers())
        {
            cmd.listProfilers();
            return;
        }
        if (cmd.shouldListResultFormats())
        {
            cmd.listResultFormats();
            return;
        }

        final Runner runner = new Runner(options(cmd, jvmFlags()));
        if (cmd.shouldList())
        {
            runner.list();
            return;
        }
        if (cmd.shouldListWithParams())
        {
            runner.listWithParams(cmd);
            return;
        }
        try
        {
            runner.run();
        }
        catch (final NoBenchmarksException ex)
        {
            System.err.println("No benchmark matches " + cmd.getIncludes() + "; list them with -l.");
            System.exit(1);
        }
        catch (final RunnerException ex)
        {
            System.err.print("ERROR: ");
            ex.printStackTrace(System.err);
            System.exit(1);
        }
    }

    /** The command-line options with the project's JVM flags appended to every fork's arguments. */
    static Options options(final CommandLineOptions cmd, final List<String> flags)
    {
        final List<String> append = new ArrayList<>(cmd.getJvmArgsAppend().orElse(List.of()));
        // Without -jvmArgs a fork starts with this JVM's arguments: skip the flags already among them.
        final Collection<String> inherited = cmd.getJvmArgs().hasValue() ?
            List.of() : ManagementFactory.getRuntimeMXBean().getInputArguments();
        for (final String flag : flags)
        {
            if (!inherited.contains(flag) && !append.contains(flag))
            {
                append.add(flag);
            }
        }
        return new OptionsBuilder()
            .parent(cmd)
            .jvmArgsAppend(append.toArray(new String[0]))
            .build();
    }

    /** The flags in {@link #JVM_OPTIONS_RESOURCE}; fails when the resource is missing or unfiltered. */
    static List<String> jvmFlags() throws IOException
    {
        final String text;
        try (InputStream in = BenchMain.class.getResourceAsStream(JVM_OPTIONS_RESOURCE))
        {
            if (in == null)
            {
                throw new IllegalStateException("classpath resource " + JVM_OPTIONS_RESOURCE + " is missing; " +
                    "build the perf module with Maven (mvn -B -q -pl perf -am package -DskipTests)");
            }
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (text.contains("${"))
        {
            throw new IllegalStateException(JVM_OPTIONS_RESOURCE + " was not filtered by the build: " + text.trim());
        }
        final List<String> flags = new ArrayList<>();
        for (final String flag : text.trim().split("\\s+"))
        {
            if (!flag.isEmpty())
            {
                flags.add(flag);
            }
        }
        return flags;
    }
}
