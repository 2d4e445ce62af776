package io.kvbm4j.observe.ring;

import java.util.concurrent.atomic.AtomicLong;

import com.lmax.disruptor.EventHandler;

import io.kvbm4j.api.Tier;
import io.kvbm4j.observe.events.KvEventSink;
import io.kvbm4j.pipeline.BlockEvent;
import io.kvbm4j.pipeline.TokenRing;

/**
 * The observe module's only contact with the engine's ring: a ring handler that turns block events into
 * {@link KvEventSink} calls. Everything else in the module is written against the sink.
 *
 * <p>The ring's run events (one entry per call and kind of change, up to {@link BlockEvent#RUN} blocks, a
 * tier on every entry) map as:
 * <pre>
 * STORED, block not DEDUP        stored(tier)          a block became resident there (G1 register/commit/onboard,
 *                                                      G2/G3 copy landed, G3 restored at start)
 * STORED in G1 (DEDUP or not)    accessed              a requested block was computed (or found registered)
 * MATCH, block not MISS          accessed              a requested block was found cached in G1
 * REMOVED                        removed(tier)         evicted, or dropped after a failed verification
 * everything else                nothing
 * </pre>
 * A G1 block committed with its tokens ({@link BlockEvent#tokenPos} set) goes out with them: they are read from
 * the manager's {@link TokenRing} here, on the handler thread. When the serving thread has lapped this handler
 * (written more than the ring holds since that commit) the tokens are gone: the block goes out with an empty
 * {@code token_ids}, counted in {@link #tokensLost()}. Blocks registered by bare id, and blocks stored in G2/G3
 * by a transfer, go out with an empty {@code token_ids}, as before.
 *
 * <p>Consecutive stored blocks of one tier whose parents chain (each block the child of the one before)
 * become one {@code stored} call, as vLLM sends one BlockStored per run of a request's blocks (a run carries
 * tokens for all its blocks or for none: a change breaks it); consecutive
 * removals from one tier become one {@code removed} call. A run ends at the end of each ring batch, so no
 * event waits.
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
    private static final int G1 = Tier.G1.ordinal();
    private static final int[] NO_TOKENS = new int[0];

    private final KvEventSink[] sinks;
    private final TokenRing tokenRing;
    private final int blockTokens;
    private final int[] blockScratch;
    private final int[] runTokens;
    private boolean runHasTokens;
    private final AtomicLong tokensLost = new AtomicLong();
    private final AtomicLong tokenBlocks = new AtomicLong();
    private final long[] runHi = new long[MAX_RUN];
    private final long[] runLo = new long[MAX_RUN];
    private int runLength;
    private int runKind = NONE;
    private int runTier;
    private boolean runHasParent;
    private long runParentHi;
    private long runParentLo;
    private long lastTime;

    /** An adapter that sends no tokens (no token ring). */
    public RingEventAdapter(final KvEventSink... sinks)
    {
        this(null, 1, sinks);
    }

    /**
     * @param tokenRing   the manager's token ring (read for blocks committed with tokens), or null.
     * @param blockTokens tokens per block.
     */
    public RingEventAdapter(final TokenRing tokenRing, final int blockTokens, final KvEventSink... sinks)
    {
        this.sinks = sinks.clone();
        this.tokenRing = tokenRing;
        this.blockTokens = blockTokens;
        this.blockScratch = new int[tokenRing == null ? 0 : blockTokens];
        this.runTokens = new int[tokenRing == null ? 0 : MAX_RUN * blockTokens];
    }

    /** Blocks committed with tokens that went out without them: the serving thread had lapped the token ring. */
    public long tokensLost()
    {
        return tokensLost.getAcquire();
    }

    /** Blocks that went out with their tokens. */
    public long tokenBlocks()
    {
        return tokenBlocks.getAcquire();
    }

    @Override
    public void onEvent(final BlockEvent event, final long sequence, final boolean endOfBatch)
    {
        if (event.type != io.kvbm4j.pipeline.BlockEventType.NOOP)
        {
            lastTime = event.timeNanos; // a NOOP filler carries no time of its own
        }
        final int n = event.count;
        switch (event.type)
        {
            case STORED:
                for (int i = 0; i < n; i++)
                {
                    if (event.tier == G1)
                    {
                        access(event.idHi[i], event.idLo[i]);
                    }
                    if (!event.has(i, BlockEvent.DEDUP))
                    {
                        store(event.tier, event.idHi[i], event.idLo[i], event.parentHi[i], event.parentLo[i],
                            event.tokenPos[i]);
                    }
                }
                break;
            case REMOVED:
                for (int i = 0; i < n; i++)
                {
                    remove(event.tier, event.idHi[i], event.idLo[i]);
                }
                break;
            case MATCH:
                for (int i = 0; i < n; i++)
                {
                    if (!event.has(i, BlockEvent.MISS))
                    {
                        access(event.idHi[i], event.idLo[i]);
                    }
                }
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

    private void store(
        final int tier, final long hi, final long lo, final long parentHi, final long parentLo, final long tokenPos)
    {
        boolean withTokens = false;
        if (tokenPos >= 0 && tokenRing != null)
        {
            withTokens = tokenRing.read(tokenPos, blockTokens, blockScratch, 0);
            if (!withTokens)
            {
                tokensLost.setRelease(tokensLost.getPlain() + 1); // lapped: the block goes out without tokens
            }
        }
        final boolean chained = runKind == STORED && runTier == tier && runLength < MAX_RUN &&
            runHasTokens == withTokens && runHi[runLength - 1] == parentHi && runLo[runLength - 1] == parentLo;
        if (!chained)
        {
            flushRun();
            runKind = STORED;
            runTier = tier;
            runHasParent = (parentHi | parentLo) != 0; // 0 is the root
            runParentHi = parentHi;
            runParentLo = parentLo;
            runHasTokens = withTokens;
        }
        if (withTokens)
        {
            System.arraycopy(blockScratch, 0, runTokens, runLength * blockTokens, blockTokens);
            tokenBlocks.setRelease(tokenBlocks.getPlain() + 1);
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
                    sink.stored(tier, runHi, runLo, runLength, runHasParent, runParentHi, runParentLo,
                        runHasTokens ? runTokens : NO_TOKENS, runHasTokens ? runLength * blockTokens : 0, lastTime);
                }
                else
                {
                    sink.removed(tier, runHi, runLo, runLength, lastTime);
                }
            }
        }
        runLength = 0;
        runKind = NONE;
        runHasTokens = false;
    }
}
