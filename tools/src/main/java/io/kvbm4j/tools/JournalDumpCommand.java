package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;

import io.kvbm4j.journal.JournalRecord;
import io.kvbm4j.pipeline.BlockEventType;
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
        description = "Only these event types, any case: ALLOCATE, FILL, COMPLETE, REGISTER, DEDUP, MATCH_HIT, "
            + "MATCH_MISS, ACQUIRE, RELEASE, RESET, EVICT.")
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
        final EnumSet<BlockEventType> shown = parseTypes();
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

    private EnumSet<BlockEventType> parseTypes()
    {
        if (types == null || types.isEmpty())
        {
            return EnumSet.allOf(BlockEventType.class);
        }
        final EnumSet<BlockEventType> set = EnumSet.noneOf(BlockEventType.class);
        for (final String name : types)
        {
            final BlockEventType t = parseType(name.strip());
            if (t == null)
            {
                throw new ParameterException(spec.commandLine(), "--type: unknown event type '" + name + "' (have " +
                    EnumSet.complementOf(EnumSet.of(BlockEventType.NOOP)) + ")");
            }
            set.add(t);
        }
        return set;
    }

    private static BlockEventType parseType(final String name)
    {
        for (final BlockEventType t : BlockEventType.values())
        {
            if (t != BlockEventType.NOOP && t.name().equalsIgnoreCase(name))
            {
                return t;
            }
        }
        return null;
    }
}
