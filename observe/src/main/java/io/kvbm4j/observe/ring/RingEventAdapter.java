package io.kvbm4j.observe.ring;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.observe.events.KvEventSink;
import io.kvbm4j.pipeline.BlockEvent;

/**
 * The observe module's only contact with the engine's ring: a ring handler that turns block events into
 * {@link KvEventSink} calls. Everything else in the module is written against the sink.
 *
 * <p>Today's events (main, before the engine's second pass) map as:
 * <pre>
 * REGISTER (G1)            stored(G1) + accessed      a block became resident in G1 (also after an onboard)
 * OFFLOAD (G2)             stored(G2)                 a copy landed in G2
 * EVICT (G1 or G2)         removed(tier)              the block left that tier
 * MATCH_HIT, DEDUP         accessed                   a requested block was found cached
 * everything else          nothing
 * </pre>
 * G3 has no events on main yet, so G3 residency is not published until the engine puts it on the ring
 * (the STORED/REMOVED events with a tier will). Registrations on the ring carry no tokens yet, so
 * BlockStored goes out with an empty {@code token_ids}.
 *
 * <p>Consecutive stores into one tier whose parents chain (each block the child of the one before) become
 * one {@code stored} call, as vLLM sends one BlockStored per run of a request's blocks; consecutive removals
 * from one tier become one {@code removed} call. A run ends at the end of each ring batch, so no event waits.
 *
 * <p>Owned by its ring handler thread.
 */
public final class RingEventAdapter implements EventHandler<BlockEvent>
{
    /** Most blocks in one stored/removed call. */
    public static final int MAX_RUN = 64;
    private static final int NONE = 0;
    private static final int STORED = 1;
    private static final int REMOVED = 2;
    private static final Tier[] TIERS = Tier.values();
    private static final int[] NO_TOKENS = new int[0];

    private final KvEventSink[] sinks;
    private final long[] runHi = new long[MAX_RUN];
    private final long[] runLo = new long[MAX_RUN];
    private int runLength;
    private int runKind = NONE;
    private int runTier;
    private boolean runHasParent;
    private long runParentHi;
    private long runParentLo;
    private long lastTime;

    public RingEventAdapter(final KvEventSink... sinks)
    {
        this.sinks = sinks.clone();
    }

    @Override
    public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
    {
        lastTime = event.timeNanos;
        switch (event.type)
        {
            case REGISTER:
                access(event.idHi, event.idLo);
                store(event.tier, event.idHi, event.idLo, event.parentHi, event.parentLo);
                break;
            case OFFLOAD:
                store(event.tier, event.idHi, event.idLo, event.parentHi, event.parentLo);
                break;
            case EVICT:
                remove(event.tier, event.idHi, event.idLo);
                break;
            case MATCH_HIT:
            case DEDUP:
                access(event.idHi, event.idLo);
                break;
            default:
                break;
        }
        if (endOfBatch)
        {
            flushRun();
            for (final KvEventSink sink : sinks)
            {
                sink.endOfBatch(lastTime);
            }
        }
    }

    private void access(final long hi, final long lo)
    {
        for (final KvEventSink sink : sinks)
        {
            sink.accessed(hi, lo);
        }
    }

    private void store(final int tier, final long hi, final long lo, final long parentHi, final long parentLo)
    {
        final boolean chained = runKind == STORED && runTier == tier && runLength < MAX_RUN &&
            runHi[runLength - 1] == parentHi && runLo[runLength - 1] == parentLo;
        if (!chained)
        {
            flushRun();
            runKind = STORED;
            runTier = tier;
            runHasParent = (parentHi | parentLo) != 0; // 0 is the root
            runParentHi = parentHi;
            runParentLo = parentLo;
        }
        runHi[runLength] = hi;
        runLo[runLength++] = lo;
    }

    private void remove(final int tier, final long hi, final long lo)
    {
        if (runKind != REMOVED || runTier != tier || runLength == MAX_RUN)
        {
            flushRun();
            runKind = REMOVED;
            runTier = tier;
        }
        runHi[runLength] = hi;
        runLo[runLength++] = lo;
    }

    private void flushRun()
    {
        if (runLength > 0)
        {
            final Tier tier = TIERS[runTier];
            for (final KvEventSink sink : sinks)
            {
                if (runKind == STORED)
                {
                    sink.stored(tier, runHi, runLo, runLength, runHasParent, runParentHi, runParentLo, NO_TOKENS, 0,
                        lastTime);
                }
                else
                {
                    sink.removed(tier, runHi, runLo, runLength, lastTime);
                }
            }
        }
        runLength = 0;
        runKind = NONE;
    }
}
