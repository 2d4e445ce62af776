package io.kvbm4j.tools;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import java.util.concurrent.Callable;

import io.kvbm4j.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code kvbm4j} command line. Exit codes: 0 success, 1 the run failed (a check did not hold, or an
 * unexpected error, with its stack trace), 2 bad usage or configuration (one message, no stack trace).
 */
@Command(
    name = "kvbm4j",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "KV-cache block manager for LLM inference.",
    subcommands = {DemoCommand.class, ReplayCommand.class, TraceGenCommand.class, JournalCommand.class,
        io.kvbm4j.server.ServeCommand.class, CommandLine.HelpCommand.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:success",
        "1:the run failed a check, or an unexpected error",
        "2:bad usage or configuration"})
public final class Main implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    /** Without a subcommand there is nothing to do: a usage error. */
    @Override
    public Integer call()
    {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand");
    }

    /** The command line, ready to {@link CommandLine#execute(String...)}; tests redirect its out and err. */
    public static CommandLine commandLine()
    {
        final CommandLine cmd = new CommandLine(new Main());
        cmd.setExecutionExceptionHandler(Main::handleExecutionException);
        return cmd;
    }

    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /** Known start-up failures print one line; anything else keeps picocli's stack trace and exit code 1. */
    private static int handleExecutionException(
        final Exception ex, final CommandLine cmd, final CommandLine.ParseResult parseResult) throws Exception
    {
        if (ex instanceof ConfigException)
        {
            cmd.getErr().println(cmd.getColorScheme().errorText("kvbm4j: " + ex.getMessage()));
            cmd.getErr().flush();
            return CommandLine.ExitCode.USAGE;
        }
        if (ex instanceof UncheckedIOException)
        {
            cmd.getErr().println(cmd.getColorScheme().errorText("kvbm4j: " + ex.getMessage()));
            cmd.getErr().flush();
            return CommandLine.ExitCode.SOFTWARE;
        }
        throw ex;
    }

    /** The version Maven wrote into {@code version.properties}. */
    static final class Version implements CommandLine.IVersionProvider
    {
        @Override
        public String[] getVersion() throws IOException
        {
            final Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties"))
            {
                if (in != null)
                {
                    p.load(in);
                }
            }
            return new String[] {"kvbm4j " + p.getProperty("version", "(unknown version)"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
