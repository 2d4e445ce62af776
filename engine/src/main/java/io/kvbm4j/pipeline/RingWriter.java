package io.kvbm4j.pipeline;

import io.kvbm4j.api.Tier;
import io.kvbm4j.block.BlockTable;

/**
 * The one way the serving thread writes the ring: claim once per call, write runs of blocks, publish once.
 *
 * <pre>
 *   if (!writer.claim(RingWriter.entriesFor(n))) return BACK_PRESSURED;   // nothing changed yet
 *   writer.run(STORED, G1, requestId, tick, now);                          // a run of one kind in one tier
 *   for (...) { change state; writer.add(table, slot, aux, flags, otherTiers); }  // spills into the next entry
 *   writer.publish();                                                      // unused entries go out as NOOP
 * </pre>
 *
 * <p><b>Releases never back-pressure.</b> A release whose entry does not fit is applied to the pool at
 * once and remembered here ({@link #deferRelease}; one counter per G1 slot, so bounded by the G1 capacity);
 * every later claim publishes those RELEASE runs first, in the same claim, so no event that depends on a
 * release (the eviction of a block it made inactive) can precede it on the ring. A call whose claim cannot
 * also fit the deferred releases is refused ({@code BACK_PRESSURED}) and changes nothing.
 *
 * <p>Owned by the serving thread (the manager's owner), like the pools whose changes it describes. No
 * allocation.
 */
public final class RingWriter
{
    private final EventPipeline pipeline;
    private final BlockTable g1Table;
    private final int maxEntries;
    /** Slots with deferred releases, each once, and how many releases each one owes the ring. */
    private final int[] deferredSlots;
    private final int[] deferredTimes;
    /** Per G1 slot: its index in deferredSlots, or -1. */
    private final int[] deferredIndex;
    private int deferredCount;
    private long deferredTick;
    private long deferredTime;

    /** Publishes what the manager found at open (restored G3 blocks) on the owner's first claim, or null. */
    private Runnable startup;
    private long lo = -1;
    private long hi = -1;
    private long next;
    private BlockEvent current;
    private BlockEventType runType;
    private int runTier;
    private long runRequest;
    private long runTick;
    private long runTime;

    /**
     * @param g1Table    describes the G1 blocks of deferred releases.
     * @param g1Capacity G1 slots (bounds the deferred releases).
     */
    public RingWriter(final EventPipeline pipeline, final BlockTable g1Table, final int g1Capacity)
    {
        this.pipeline = pipeline;
        this.g1Table = g1Table;
        this.maxEntries = pipeline.ringSize();
        this.deferredSlots = new int[g1Capacity];
        this.deferredTimes = new int[g1Capacity];
        this.deferredIndex = new int[g1Capacity];
        java.util.Arrays.fill(deferredIndex, -1);
    }

    /** Entries a run of {@code blocks} blocks takes: ⌈blocks / RUN⌉. */
    public static int entriesFor(final int blocks)
    {
        return (blocks + BlockEvent.RUN - 1) / BlockEvent.RUN;
    }

    /** The most entries one claim may take (the ring's size). */
    public int maxEntries()
    {
        return maxEntries;
    }

    /**
     * Claims {@code entries} consecutive entries (plus those the deferred releases need) without waiting.
     *
     * @return false when the ring has no room: the caller must change nothing and answer BACK_PRESSURED.
     */
    public boolean claim(final int entries)
    {
        if (startup != null)
        {
            publishStartup();
        }
        assert lo < 0 : "claim inside a claim";
        final int deferred = entriesFor(deferredCount);
        final int total = entries + deferred;
        if (total <= 0)
        {
            return true;
        }
        if (total > maxEntries)
        {
            flushPart(); // more held releases than one claim takes: make progress, refuse this call
            return false;
        }
        final long h = pipeline.tryClaim(total);
        if (h < 0)
        {
            return false;
        }
        hi = h;
        lo = h - total + 1;
        next = lo;
        current = null;
        runType = null;
        if (deferredCount > 0)
        {
            writeDeferred();
        }
        return true;
    }

    /**
     * Work to publish on the owner thread's first claim (the ring has one producer, and the thread that opens a
     * manager need not be the one that serves with it). It may wait for ring room: it runs once, at start-up.
     */
    public void onFirstClaim(final Runnable work)
    {
        this.startup = work;
    }

    /** Runs the start-up work now, if it has not run (owner thread). */
    public void publishStartup()
    {
        final Runnable work = startup;
        startup = null;
        if (work != null)
        {
            work.run();
        }
    }

    /** Publishes the deferred releases, if any and if they fit. @return whether none are left. */
    public boolean flushDeferred()
    {
        if (deferredCount == 0)
        {
            return true;
        }
        if (!claim(0))
        {
            return false;
        }
        publish();
        return true;
    }

    /** Starts a run: the blocks {@link #add}ed next share these fields. */
    public void run(final BlockEventType type, final Tier tier, final long requestId, final long tick, final long now)
    {
        assert lo >= 0 : "run outside a claim";
        runType = type;
        runTier = tier.ordinal();
        runRequest = requestId;
        runTick = tick;
        runTime = now;
        current = null;
    }

    /** Writes one entry of {@code type} that carries no blocks (a tier-wide event such as DEGRADED). */
    public void single(final BlockEventType type, final Tier tier, final long requestId, final long tick, final long now)
    {
        run(type, tier, requestId, tick, now);
        open();
        current = null;
        runType = null;
    }

    /** Adds a block of {@code table} (id, parent, position and reference count read from it) to the run. */
    public void add(final BlockTable table, final int slot, final int aux, final int flags, final int otherTiers)
    {
        add(slot, table.idHi(slot), table.idLo(slot), table.parentHi(slot), table.parentLo(slot), table.position(slot),
            table.refCount(slot), aux, flags, otherTiers);
    }

    /** Adds a block described field by field to the run. */
    public void add(
        final int slot, final long idHi, final long idLo, final long parentHi, final long parentLo, final int position,
        final int refCount, final int aux, final int flags, final int otherTiers)
    {
        BlockEvent e = current;
        if (e == null || e.count == BlockEvent.RUN)
        {
            e = open();
        }
        final int i = e.count++;
        e.slot[i] = slot;
        e.idHi[i] = idHi;
        e.idLo[i] = idLo;
        e.parentHi[i] = parentHi;
        e.parentLo[i] = parentLo;
        e.position[i] = position;
        e.refCount[i] = refCount;
        e.aux[i] = aux;
        e.flags[i] = flags;
        e.otherTiers[i] = otherTiers;
        e.tokenPos[i] = -1;
    }

    /** The block just {@link #add}ed carries the tokens at {@code position} of the manager's {@link TokenRing}. */
    public void tokens(final long position)
    {
        current.tokenPos[current.count - 1] = position;
    }

    /** Publishes everything claimed; entries not written carry NOOP. */
    public void publish()
    {
        assert lo >= 0 : "publish outside a claim";
        while (next <= hi)
        {
            final BlockEvent e = pipeline.event(next++);
            e.type = BlockEventType.NOOP;
            e.count = 0;
            e.requestId = 0;
            e.tick = runTick; // the claim's time, so no stale or zero time reaches a handler
            e.timeNanos = runTime;
        }
        final long first = lo;
        lo = -1;
        current = null;
        pipeline.publish(first, hi);
    }

    /**
     * A release of G1 block {@code slot} already applied to the pool, whose entry could not be claimed; it goes
     * out ahead of the next claim.
     */
    public void deferRelease(final int slot, final long tick, final long now)
    {
        int i = deferredIndex[slot];
        if (i < 0)
        {
            i = deferredCount++;
            deferredSlots[i] = slot; // a slot appears once: bounded by the G1 capacity
            deferredIndex[slot] = i;
        }
        deferredTimes[i]++;
        deferredTick = tick;
        deferredTime = now;
    }

    /** Releases waiting for ring room. */
    public int deferredReleases()
    {
        return deferredCount;
    }

    private void writeDeferred()
    {
        writeDeferred(deferredCount);
    }

    /** Writes the first {@code n} held releases into the current claim; the rest move to the front. */
    private void writeDeferred(final int n)
    {
        run(BlockEventType.RELEASE, Tier.G1, 0, deferredTick, deferredTime);
        for (int i = 0; i < n; i++)
        {
            final int slot = deferredSlots[i];
            add(g1Table, slot, deferredTimes[i], 0, 0);
            deferredTimes[i] = 0;
            deferredIndex[slot] = -1;
        }
        for (int i = n; i < deferredCount; i++)
        {
            final int slot = deferredSlots[i];
            deferredSlots[i - n] = slot;
            deferredTimes[i - n] = deferredTimes[i];
            deferredTimes[i] = 0;
            deferredIndex[slot] = i - n;
        }
        deferredCount -= n;
        runType = null;
        current = null;
    }

    /** Publishes as many held releases as one claim of the ring's size takes, if the ring has room for them. */
    private void flushPart()
    {
        final int n = Math.min(deferredCount, maxEntries * BlockEvent.RUN);
        final int entries = entriesFor(n);
        final long h = pipeline.tryClaim(entries);
        if (h < 0)
        {
            return;
        }
        hi = h;
        lo = h - entries + 1;
        next = lo;
        writeDeferred(n);
        publish();
    }

    private BlockEvent open()
    {
        assert runType != null : "add outside a run";
        if (next > hi)
        {
            throw new IllegalStateException("run overflows its claim: claimed " + (hi - lo + 1) + " entries");
        }
        final BlockEvent e = pipeline.event(next++);
        e.type = runType;
        e.tier = runTier;
        e.requestId = runRequest;
        e.tick = runTick;
        e.timeNanos = runTime;
        e.count = 0;
        current = e;
        return e;
    }
}
