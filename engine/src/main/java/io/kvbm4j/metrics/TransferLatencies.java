package io.kvbm4j.metrics;

import java.util.concurrent.atomic.AtomicLongArray;

import io.kvbm4j.api.Tier;

/**
 * Latency histograms of finished transfers, one per (lower tier, direction, outcome): the time from a
 * transfer's submission to the transfer thread's posting it complete (queueing, copy, verification), which the
 * serving thread records when it applies the result. Fixed buckets, powers of two from 1 µs to 2^26 µs (67 s),
 * plus +Inf, as Prometheus classic-histogram upper bounds in seconds.
 *
 * <pre>
 *   series s = ((tier - G2) * DIRECTIONS + direction) * OUTCOMES + outcome      (tier G2, G3 or G4)
 *   values[s * STRIDE + b]          count of bucket b (b = 0 .. BUCKETS-1: le 2^b µs; b = BUCKETS: +Inf)
 *   values[s * STRIDE + BUCKETS + 1] sum of the latencies, ns
 * </pre>
 *
 * <p>One writer, the serving thread ({@link #record}: plain read, release store; no allocation); any thread
 * reads ({@link #bucket}, {@link #sumNanos}) with acquire loads, each value on its own: a scrape may see a
 * bucket count one record ahead of another, never a torn or decreasing one.
 */
public final class TransferLatencies
{
    /** Finite buckets: upper bounds 2^0 .. 2^(BUCKETS-1) microseconds. */
    public static final int BUCKETS = 27;
    /** Tiers below G1 with transfers: G2, G3, G4. */
    public static final Tier[] TIERS = {Tier.G2, Tier.G3, Tier.G4};
    /** Directions, in the order of {@code Transfer.OFFLOAD - 1}, {@code Transfer.ONBOARD - 1}. */
    public static final String[] DIRECTIONS = {"offload", "onboard"};
    /** Outcomes, in the order of {@code TransferOutcome} DONE .. TIMED_OUT (codes 1 .. 4). */
    public static final String[] OUTCOMES = {"DONE", "FAILED", "CANCELLED", "TIMED_OUT"};
    private static final int STRIDE = BUCKETS + 2;

    private final AtomicLongArray values = new AtomicLongArray(TIERS.length * DIRECTIONS.length * OUTCOMES.length *
        STRIDE);

    /** Series index of (tier index in {@link #TIERS}, direction 0..1, outcome 0..3). */
    public static int series(final int tier, final int direction, final int outcome)
    {
        return (tier * DIRECTIONS.length + direction) * OUTCOMES.length + outcome;
    }

    /** Number of series. */
    public static int seriesCount()
    {
        return TIERS.length * DIRECTIONS.length * OUTCOMES.length;
    }

    /** Upper bound of finite bucket {@code b}, seconds. */
    public static double upperBoundSeconds(final int b)
    {
        return Math.scalb(1e-6, b);
    }

    /**
     * Records one finished transfer. Serving thread only.
     *
     * @param tier      index in {@link #TIERS} (0 = G2, 1 = G3, 2 = G4).
     * @param direction {@code Transfer.OFFLOAD} or {@code Transfer.ONBOARD} (1 or 2).
     * @param outcome   a {@code TransferOutcome} final code, DONE .. TIMED_OUT (1 .. 4); others are ignored.
     */
    public void record(final int tier, final int direction, final int outcome, final long nanos)
    {
        if (tier < 0 || tier >= TIERS.length || direction < 1 || direction > 2 || outcome < 1 || outcome > 4)
        {
            return;
        }
        final int base = series(tier, direction - 1, outcome - 1) * STRIDE;
        final long micros = (Math.max(0, nanos) + 999) / 1_000; // rounded up: a bucket holds what is <= its bound
        // bucket b holds latencies up to 2^b µs: the smallest b with micros <= 2^b
        final int b = micros <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(micros - 1);
        final int i = base + Math.min(b, BUCKETS);
        values.setRelease(i, values.getPlain(i) + 1);
        final int sum = base + BUCKETS + 1;
        values.setRelease(sum, values.getPlain(sum) + Math.max(0, nanos));
    }

    /** Count in bucket {@code b} (0 .. {@link #BUCKETS}, the last +Inf) of series {@code s}, not cumulative. */
    public long bucket(final int s, final int b)
    {
        return values.getAcquire(s * STRIDE + b);
    }

    /** Sum of the latencies of series {@code s}, nanoseconds. */
    public long sumNanos(final int s)
    {
        return values.getAcquire(s * STRIDE + BUCKETS + 1);
    }

    /** Transfers recorded in series {@code s}. */
    public long count(final int s)
    {
        long n = 0;
        for (int b = 0; b <= BUCKETS; b++)
        {
            n += bucket(s, b);
        }
        return n;
    }
}
