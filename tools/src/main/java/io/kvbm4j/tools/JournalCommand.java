package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.kvbm4j.journal.JournalFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code kvbm4j journal}: reads an access journal (the {@code journal.dir} of a run) without changing it. The
 * subcommands share {@link #read}: a directory that is not a journal, or a record kvbm4j did not write, is one
 * message on stderr and exit code 2.
 */
@Command(
    name = "journal",
    mixinStandardHelpOptions = true,
    description = {"Reads an access journal (the journal.dir of a run) without changing it.",
        "Example: bin/kvbm4j demo --set journal.dir=out/journal, then bin/kvbm4j journal stats --dir out/journal"},
    subcommands = {JournalDumpCommand.class, JournalStatsCommand.class, CommandLine.HelpCommand.class})
final class JournalCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    /** What a subcommand does with the opened journal. */
    interface Reading
    {
        /** @return the exit code. */
        int read(JournalDirectory journal);
    }

    /** Without a subcommand there is nothing to do: a usage error. */
    @Override
    public Integer call()
    {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand (dump or stats)");
    }

    /**
     * Opens {@code dir} read-only and runs {@code reading} on it.
     *
     * @return the exit code of {@code reading}, or 2 when {@code dir} is no journal or holds a record kvbm4j
     * did not write (one line on stderr naming the directory, and the record).
     */
    static int read(final CommandSpec spec, final Path dir, final Reading reading)
    {
        final JournalDirectory journal;
        try
        {
            journal = JournalDirectory.open(dir);
        }
        catch (final JournalDirectory.NotAJournalException ex)
        {
            return fail(spec, ex.getMessage());
        }
        try (journal)
        {
            return reading.read(journal);
        }
        catch (final JournalFormatException ex)
        {
            return fail(spec, ex.getMessage());
        }
    }

    private static int fail(final CommandSpec spec, final String message)
    {
        final CommandLine cmd = spec.commandLine();
        cmd.getOut().flush();
        final PrintWriter err = cmd.getErr();
        err.println(cmd.getColorScheme().errorText(spec.qualifiedName() + ": " + message));
        err.flush();
        return CommandLine.ExitCode.USAGE;
    }
}
