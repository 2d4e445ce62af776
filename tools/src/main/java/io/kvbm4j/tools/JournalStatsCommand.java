package io.kvbm4j.tools;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.agrona.collections.LongHashSet;

import io.kvbm4j.journal.JournalRecord;
import io.kvbm4j.journal.JournalKind;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kvbm4j journal stats}: one pass over the journal, summarised. */
@Command(
    name = "stats",
    mixinStandardHelpOptions = true,
    description = {"Summarises the journal in one pass: records, time span, records per event type, distinct "
        + "block ids, block hit rate, requests, roll-cycle files and bytes.",
        "Distinct block ids and requests are counted exactly, in memory: about 32 to 64 bytes per distinct "
            + "block id and 8 to 16 per request.",
        "Reads only; never creates or changes a file."})
final class JournalStatsCommand implements Callable<Integer>
{
    private static final int LABEL = 18;
    private static final int VALUE = 16;
    private static final JournalKind[] TYPES = JournalKind.values();

    @Spec
    private CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "The journal directory (journal.dir).")
    private Path dir;

    /** What one pass over the journal counts. Owned by the reading thread. */
    static final class Tally implements JournalDirectory.RecordVisitor
    {
        final long[] byType = new long[TYPES.length];
        final BlockIdSet blocks = new BlockIdSet(1 << 12);
        final LongHashSet requests = new LongHashSet();
        long records;
        long firstNanos;
        long lastNanos;
        long missedBlocks;

        @Override
        public boolean visit(final long number, final JournalRecord r)
        {
            if (records++ == 0)
            {
                firstNanos = r.timeNanos;
            }
            lastNanos = r.timeNanos;
            byType[r.type.ordinal()]++;
            switch (r.type)
            {
                case MATCH_MISS:
                    missedBlocks += r.aux;
                    requests.add(r.requestId);
                    blocks.add(r.idHi, r.idLo);
                    break;
                case MATCH_HIT:
                    requests.add(r.requestId);
                    blocks.add(r.idHi, r.idLo);
                    break;
                case STORED:
                case DEDUP:
                    blocks.add(r.idHi, r.idLo);
                    break;
                default:
                    break; // the others name blocks already counted, or none (DEGRADED)
            }
            return true;
        }

        long count(final JournalKind type)
        {
            return byType[type.ordinal()];
        }
    }

    @Override
    public Integer call()
    {
        return JournalCommand.read(spec, dir, journal ->
        {
            final Tally t = new Tally();
            journal.forEach(t);
            print(spec.commandLine().getOut(), journal, t);
            return 0;
        });
    }

    private static void print(final PrintWriter out, final JournalDirectory journal, final Tally t)
    {
        final Summary s = new Summary().add("records", Summary.count(t.records), null);
        if (t.records > 0)
        {
            s.add("first record", Instant.ofEpochSecond(0, t.firstNanos).toString(), null)
                .add("last record", Instant.ofEpochSecond(0, t.lastNanos).toString(), null)
                .add("time span", span(t.lastNanos - t.firstNanos), null);
        }
        final long hits = t.count(JournalKind.MATCH_HIT);
        s.add("distinct blocks", Summary.count(t.blocks.size()), "exact: ids of STORED, DEDUP, MATCH_HIT, MATCH_MISS")
            .add("requests", Summary.count(t.requests.size()), "distinct request ids with a match")
            .add("block hit rate", Summary.percent(hits, hits + t.missedBlocks), String.format(Locale.ROOT,
                "%,d MATCH_HIT blocks / (those + %,d missed, from MATCH_MISS aux)", hits, t.missedBlocks))
            .add("roll-cycle files", Summary.count(journal.cycleFiles()), null)
            .add("journal bytes", Summary.count(journal.bytes()),
                "sizes of its files (Chronicle preallocates: they may be sparse)")
            .gap()
            .heading("records by type");
        for (final JournalKind type : TYPES)
        {
            s.add("  " + type.name(), Summary.count(t.count(type)), null);
        }
        out.println("kvbm4j journal stats: " + journal.dir().toAbsolutePath());
        s.print(out, LABEL, VALUE);
        out.flush();
    }

    private static String span(final long nanos)
    {
        final Duration d = Duration.ofNanos(nanos);
        return d.toSeconds() < 60 ? String.format(Locale.ROOT, "%.3f s", nanos / 1e9) :
            String.format(Locale.ROOT, "%dh %02dm %02ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
}
