package io.kvbm4j.policy;

import io.kvbm4j.block.BlockTable;

/**
 * Adaptive W-TinyLFU over the tier's eviction candidates: a recency window in front of a segmented-LRU
 * main space, a count-min sketch deciding who gets into the main space, and a hill climber sizing the
 * window. References: Einziger, Friedman, Manes, "TinyLFU: A Highly Efficient Cache Admission Policy",
 * ACM TOS 13(4), 2017 (sketch, aging, W-TinyLFU); Einziger, Eytan, Friedman, Manes, "Adaptive Software
 * Cache Management", Middleware 2018 (hill climbing of the window); Caffeine's {@code BoundedLocalCache}
 * (the constants below).
 *
 * <p>Owns: a {@link FrequencySketch} over block ids (it remembers blocks after they are evicted, which
 * is the point of TinyLFU); a segment per resident block (WINDOW, PROBATION, PROTECTED, counted over
 * <em>all</em> resident blocks); one min-heap per segment holding its candidates ordered by last access
 * (least recent first); the climber's sample counters and the window share. Owned by the tier's owning
 * thread. O(1) {@link #onAccess} (the sketch halving is amortised O(1)), O(log n) candidate changes and
 * segment moves; no allocation after construction.
 *
 * <p>How the classic design maps onto a candidate set the policy does not control:
 * <ul>
 *   <li>A block enters the WINDOW when it is first stored. A hit on a PROBATION block promotes it to
 *       PROTECTED; PROTECTED overflow (over 80% of the main space) demotes the least recent PROTECTED
 *       candidate to PROBATION (at most {@link #MAX_TRANSFERS_PER_CALL} per call, so the work per call
 *       stays bounded).</li>
 *   <li>{@link #victim()}: window overflow first enters PROBATION for free while the main space has room
 *       (Caffeine's maintenance; at most {@link #MAX_TRANSFERS_PER_CALL} per call). While the window
 *       still holds more than its share, its least recent candidate contests the main victim
 *       (PROBATION's least recent, else PROTECTED's): the candidate is admitted (the main victim is
 *       returned, and once it is evicted the candidate moves to PROBATION) only if its sketch frequency
 *       is strictly higher; otherwise the candidate itself is returned. A freshly stored block therefore
 *       needs history to displace an established one, which is how the policy "does not admit" one-off
 *       blocks. With the window within its share, the main victim goes. Caffeine's random admission of
 *       warm candidates (a hash-flooding defence) is left out: ids here are content hashes chosen by no
 *       adversary.</li>
 *   <li>A path is admitted as a whole: moving a block to PROBATION relabels its ancestors still in the
 *       WINDOW (each block at most once per residency, so amortised O(1)).</li>
 *   <li>Only leaves are candidates, so an interior block keeps its segment, in no heap, until its last
 *       child is evicted. It then rejoins its segment ordered by its own last access. The pool's
 *       {@code asOldest} hint is not used: in a segmented order it would put a just-used parent at the
 *       head of its segment.</li>
 * </ul>
 *
 * <p>Hit/miss signal for the climber: {@link #onAccess} of a block the policy already tracks (it was
 * resident, as a candidate or in use) is a hit; {@code onAccess} of an untracked slot (a block just
 * registered under a new id) is a miss. In the replay this is exactly the block hit/miss of a request;
 * in the live engine a matched-and-acquired block counts once per acquire, and a duplicate registration
 * that deduplicates to a resident block counts as a hit (the pool reports it as an access of that
 * block). Every {@code 10 x maximum} accesses (Caffeine's sample) the climber compares the sample's hit
 * rate with the previous one and moves the window share by a step (6.25%, decaying by 0.98, restarting
 * when the hit rate moves by 5% or more), in the direction that last helped. The share is bounded to
 * [0, 1]. The sketch halves its counters every {@code 10 x maximum} increments.
 *
 * <p>Sizes: the policy is not told the capacity the pool enforces (the replay pool has twice the replayed
 * capacity in slots), so it learns it: {@code maximum} is the resident count at the end of the last
 * burst of {@link #victim()} calls (the pool evicts until it is back at its limit). Until the first burst
 * ends the climber does not run.
 *
 * <p>Invariants: a slot is in a heap iff it is a candidate, and then in the heap of its segment;
 * {@code segmentCount[s]} is the number of resident blocks in segment s and they sum to
 * {@code resident}; the window share lies in [0, 1]. Ticks are not used (last-access order is the
 * policy's own access sequence).
 */
public final class WTinyLfuEvictionPolicy implements EvictionPolicy
{
    static final int WINDOW = 0;
    static final int PROBATION = 1;
    static final int PROTECTED = 2;
    private static final byte UNTRACKED = -1;

    static final double INITIAL_WINDOW_SHARE = 0.01;
    static final double PROTECTED_SHARE_OF_MAIN = 0.80;
    static final double STEP_PERCENT = 0.0625;
    static final double STEP_DECAY = 0.98;
    static final double RESTART_THRESHOLD = 0.05;
    static final int SAMPLE_MULTIPLIER = 10;
    static final int MAX_TRANSFERS_PER_CALL = 4;

    private final SlotHeap[] heaps = new SlotHeap[3];
    private final long[] sequence;
    private long accessSequence;
    private final byte[] segment;
    private final int[] segmentCount = new int[3];
    private final FrequencySketch sketch;
    private BlockTable table;
    private int resident;
    /** The resident count the pool trims to, learnt from eviction bursts; MAX_VALUE until the first. */
    private int maximum = Integer.MAX_VALUE;
    /** Smallest {@code resident - 1} seen in the current burst of victim() calls; MAX_VALUE outside one. */
    private int burstMin = Integer.MAX_VALUE;

    private double windowShare = INITIAL_WINDOW_SHARE;
    private double stepSize;
    private double previousHitRate;
    private int hitsInSample;
    private int missesInSample;

    private int pendingAdmit = -1;
    private int pendingVictim = -1;

    public WTinyLfuEvictionPolicy(final int capacity)
    {
        for (int i = 0; i < 3; i++)
        {
            heaps[i] = new SlotHeap(capacity);
        }
        sequence = new long[capacity];
        segment = new byte[capacity];
        java.util.Arrays.fill(segment, UNTRACKED);
        sketch = new FrequencySketch(capacity);
        stepSize = -STEP_PERCENT;
    }

    @Override
    public void bind(final BlockTable table)
    {
        this.table = table;
    }

    @Override
    public void onAccess(final int slot, final long tick)
    {
        if (burstMin != Integer.MAX_VALUE)
        {
            maximum = Math.max(1, burstMin); // the burst ended at the pool's limit
            burstMin = Integer.MAX_VALUE;
            sketch.sampleSize(SAMPLE_MULTIPLIER * maximum);
        }
        sketch.increment(table.idHi(slot), table.idLo(slot));
        final int s = segment[slot];
        if (s == UNTRACKED)
        {
            segment[slot] = WINDOW;
            segmentCount[WINDOW]++;
            resident++;
            missesInSample++;
        }
        else
        {
            hitsInSample++;
            if (s == PROBATION)
            {
                move(slot, PROBATION, PROTECTED);
                demoteProtectedOverflow();
            }
        }
        sequence[slot] = ++accessSequence;
        if (maximum != Integer.MAX_VALUE && hitsInSample + missesInSample >= SAMPLE_MULTIPLIER * maximum)
        {
            climb();
        }
    }

    /** Relabels a block; a candidate moves to the new segment's heap, keeping its last-access order. */
    private void move(final int slot, final int from, final int to)
    {
        segment[slot] = (byte)to;
        segmentCount[from]--;
        segmentCount[to]++;
        if (heaps[from].contains(slot))
        {
            heaps[from].remove(slot);
            heaps[to].add(slot, sequence[slot], slot);
        }
    }

    private void demoteProtectedOverflow()
    {
        final double protectedMax = PROTECTED_SHARE_OF_MAIN * (1 - windowShare) * Math.min(maximum, resident);
        for (int i = 0; i < MAX_TRANSFERS_PER_CALL && segmentCount[PROTECTED] > protectedMax; i++)
        {
            final int s = heaps[PROTECTED].peek();
            if (s < 0)
            {
                return;
            }
            move(s, PROTECTED, PROBATION);
        }
    }

    /** One hill-climbing step (Caffeine's {@code determineAdjustment}), over the window share. */
    private void climb()
    {
        final double hitRate = (double)hitsInSample / (hitsInSample + missesInSample);
        final double change = hitRate - previousHitRate;
        final double amount = change >= 0 ? stepSize : -stepSize;
        stepSize = Math.abs(change) >= RESTART_THRESHOLD ? (amount >= 0 ? STEP_PERCENT : -STEP_PERCENT) :
            STEP_DECAY * amount;
        previousHitRate = hitRate;
        windowShare = Math.min(1, Math.max(0, windowShare + amount));
        hitsInSample = 0;
        missesInSample = 0;
    }

    @Override
    public void onEvictable(final int slot, final boolean asOldest)
    {
        final int s = segment[slot];
        if (s == UNTRACKED)
        {
            throw new IllegalStateException("slot " + slot + " becomes evictable but was never accessed");
        }
        heaps[s].add(slot, sequence[slot], slot);
    }

    @Override
    public void onRemoved(final int slot)
    {
        heaps[segment[slot]].remove(slot);
    }

    @Override
    public void onEvicted(final int slot)
    {
        final int s = segment[slot];
        if (s != UNTRACKED)
        {
            segmentCount[s]--;
            resident--;
            segment[slot] = UNTRACKED;
        }
        if (slot == pendingVictim && pendingAdmit >= 0 && heaps[WINDOW].contains(pendingAdmit))
        {
            admit(pendingAdmit);
        }
        pendingAdmit = -1;
        pendingVictim = -1;
    }

    @Override
    public int victim()
    {
        pendingAdmit = -1;
        pendingVictim = -1;
        burstMin = Math.min(burstMin, resident - 1); // the pool asks for a victim when it must shrink
        final int max = Math.max(1, Math.min(maximum, burstMin));
        final double windowMax = windowShare * max;
        // Window overflow enters the main space for free while the main space has room (Caffeine's
        // maintenance); only then do window candidates have to contest.
        for (int i = 0; i < MAX_TRANSFERS_PER_CALL && segmentCount[WINDOW] > windowMax &&
            segmentCount[PROBATION] + segmentCount[PROTECTED] < max - windowMax; i++)
        {
            final int s = heaps[WINDOW].peek();
            if (s < 0)
            {
                break;
            }
            admit(s);
        }
        final int candidate = heaps[WINDOW].peek();
        int mainVictim = heaps[PROBATION].peek();
        if (mainVictim < 0)
        {
            mainVictim = heaps[PROTECTED].peek();
        }
        if (candidate < 0)
        {
            return mainVictim;
        }
        if (mainVictim < 0)
        {
            return candidate;
        }
        if (segmentCount[WINDOW] <= windowMax)
        {
            return mainVictim;
        }
        if (frequency(candidate) > frequency(mainVictim))
        {
            pendingAdmit = candidate;
            pendingVictim = mainVictim;
            return mainVictim;
        }
        return candidate;
    }

    /**
     * Moves a window candidate to PROBATION, with its ancestors still labelled WINDOW: a path is admitted
     * as a whole (an ancestor cannot be evicted before it anyway). Each block is relabelled at most once
     * per residency, so the walk is amortised O(1) per stored block.
     */
    private void admit(final int slot)
    {
        move(slot, WINDOW, PROBATION);
        int p = table.parentSlot(slot);
        while (p >= 0 && segment[p] == WINDOW)
        {
            move(p, WINDOW, PROBATION);
            p = table.parentSlot(p);
        }
    }

    private int frequency(final int slot)
    {
        return sketch.frequency(table.idHi(slot), table.idLo(slot));
    }

    @Override
    public int size()
    {
        return heaps[WINDOW].size() + heaps[PROBATION].size() + heaps[PROTECTED].size();
    }

    @Override
    public boolean contains(final int slot)
    {
        final int s = segment[slot];
        return s != UNTRACKED && heaps[s].contains(slot);
    }

    /** Current window share of the resident blocks, in [0, 1] (for tests and diagnostics). */
    public double windowShare()
    {
        return windowShare;
    }

    /** Resident blocks in a segment: 0 window, 1 probation, 2 protected (for tests). */
    int segmentCount(final int s)
    {
        return segmentCount[s];
    }

    /** Segment of a tracked block, or -1 (for tests). */
    int segmentOf(final int slot)
    {
        return segment[slot];
    }
}
