package io.kvbm4j.journal;

import java.util.concurrent.TimeUnit;

import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.DefaultKvBlockManager;
import io.kvbm4j.engine.Engines;
import io.kvbm4j.history.AccessHistory;

/**
 * Opens a manager with the journal wired in when {@code journal.dir} is configured: the access history is
 * first rebuilt from the journal (so a restart does not forget what is hot), then a {@link JournalHandler}
 * is added to the ring. Without a journal directory this is {@link Engines#open}.
 */
public final class JournaledEngines
{
    private static final System.Logger LOG = System.getLogger(JournaledEngines.class.getName());

    private JournaledEngines()
    {
    }

    public static DefaultKvBlockManager open(final EngineConfig config)
    {
        return builder(config).open();
    }

    /** A builder with the journal (if configured) already wired; add handlers as usual. */
    public static Engines.Builder builder(final EngineConfig config)
    {
        final Engines.Builder builder = Engines.builder(config);
        if (config.journalDir() == null)
        {
            return builder;
        }
        final Journal journal = new Journal(config.journalDir(), Journal.Roll.parse(config.journalRoll()));
        final AccessHistory history = new AccessHistory(4 * (config.g1Blocks() + config.g2Blocks()));
        final long start = System.nanoTime();
        final long replayed = rebuild(journal, history);
        LOG.log(System.Logger.Level.INFO, "journal {0}: {1} access records replayed into the access history in " +
            "{2} ms", config.journalDir(), replayed, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return builder.history(history).handler(new JournalHandler(journal)).closeAfter(journal);
    }

    /**
     * Feeds every access in the journal (registrations, hits, dedups, acquires) into {@code history}.
     *
     * @return the number of access records replayed.
     */
    public static long rebuild(final Journal journal, final AccessHistory history)
    {
        long accesses = 0;
        final JournalRecord r = new JournalRecord();
        try (JournalTailer tailer = journal.tailer().toStart())
        {
            while (tailer.next(r))
            {
                if (isAccess(r.type, r.tier))
                {
                    history.record(r.idHi, r.idLo);
                    accesses++;
                }
            }
        }
        return accesses;
    }

    /** The records that count as an access to a block: G1 hits, registrations, dedups and acquires. */
    public static boolean isAccess(final JournalKind type, final int tier)
    {
        return type == JournalKind.MATCH_HIT || type == JournalKind.DEDUP || type == JournalKind.ACQUIRE ||
            type == JournalKind.STORED && tier == 0;
    }
}
