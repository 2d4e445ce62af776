package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

import io.kvbm4j.journal.JournalRecord;
import io.kvbm4j.journal.JournalKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code kvbm4j journal dump}: one line per record, in journal order, optionally filtered. */
@Command(
    name = "dump",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {"Prints the journal's records, one line each: #number, time, event type, tier, block id, "
        + "request id, position in the request, slot, references, aux (MATCH_MISS: blocks missed; FILL: tokens).",
        "Reads only; never creates or changes a file."})
final class JournalDumpCommand implements Callable<Integer>
{
    /** How often a dump checks whether its reader went away (stdout closed, as by `| head`). */
    private static final int CHECK_EVERY = 4096;

    @Spec
    private CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The journal directory (journal.dir).")
    private Path dir;

    @Option(names = "--from", paramLabel = "N", defaultValue = "0",
        description = "Start at record #N, counting from 0 in journal order (default: ${DEFAULT-VALUE}).")
    private long from;

    @Option(names = "--limit", paramLabel = "N", description = "Print at most N records (default: all).")
    private Long limit;

    @Option(names = "--type", paramLabel = "T,T", split = ",",
        description = "Only these record types, any case: MATCH_HIT, MATCH_MISS, STORED, DEDUP, REMOVED, ACQUIRE, "
            + "RELEASE, DEGRADED (journals of format version 1 read as these too).")
    private List<String> types;

    @Option(names = "--request", paramLabel = "ID", description = "Only the records of this request id.")
    private Long request;

    @Override
    public Integer call()
    {
        if (from < 0)
        {
            throw new ParameterException(spec.commandLine(), "--from must be at least 0, got " + from);
        }
        if (limit != null && limit < 0)
        {
            throw new ParameterException(spec.commandLine(), "--limit must be at least 0, got " + limit);
        }
        final EnumSet<JournalKind> shown = parseTypes();
        final long max = limit == null ? Long.MAX_VALUE : limit;
        final boolean anyRequest = request == null;
        final long requestId = anyRequest ? 0 : request;
        final PrintWriter out = spec.commandLine().getOut();
        return JournalCommand.read(spec, dir, journal ->
        {
            final long[] printed = {0};
            journal.forEach((n, r) ->
            {
                if (max == 0)
                {
                    return false;
                }
                if (n < from || !shown.contains(r.type) || (!anyRequest && r.requestId != requestId))
                {
                    return true;
                }
                // write, not println: println flushes a line at a time.
                out.write(line(n, r));
                out.write(System.lineSeparator());
                return ++printed[0] < max && (printed[0] % CHECK_EVERY != 0 || !out.checkError());
            });
            out.flush();
            return 0;
        });
    }

    /** The dump line of record #{@code number}. */
    static String line(final long number, final JournalRecord r)
    {
        return "#" + number + " " + r.toLine();
    }

    private EnumSet<JournalKind> parseTypes()
    {
        if (types == null || types.isEmpty())
        {
            return EnumSet.allOf(JournalKind.class);
        }
        final EnumSet<JournalKind> set = EnumSet.noneOf(JournalKind.class);
        for (final String name : types)
        {
            final JournalKind t = parseType(name.strip());
            if (t == null)
            {
                throw new ParameterException(spec.commandLine(), "--type: unknown record type '" + name + "' (have " +
                    EnumSet.allOf(JournalKind.class) + ")");
            }
            set.add(t);
        }
        return set;
    }

    private static JournalKind parseType(final String name)
    {
        for (final JournalKind t : JournalKind.values())
        {
            if (t.name().equalsIgnoreCase(name))
            {
                return t;
            }
        }
        return null;
    }
}
