package io.kvbm4j.tools;

/**
 * A serving run over time: the {@link ServingLoop}'s running totals (requests, blocks requested, blocks hit,
 * blocks evicted) sampled after every {@link #window()} requests and at the end, for the demo report's hit-rate
 * and eviction charts.
 *
 * <p>Owned by the serving thread while the loop samples it; read after the run. The arrays are sized for the
 * planned number of requests, so sampling allocates nothing; samples beyond them are dropped.
 */
public final class ServingTimeline
{
    /** Requests per window when the run is long enough for at least this many windows of it. */
    static final long WINDOW = 500;
    /** Most windows a run is cut into: longer runs get wider windows. */
    static final long MAX_WINDOWS = 1000;
    /** Windows a run too short for {@link #WINDOW} is cut into. */
    static final long SHORT_RUN_WINDOWS = 10;

    private final long window;
    private final long[] requests;
    private final long[] blocksRequested;
    private final long[] blocksHit;
    private final long[] evicted;
    private int size;

    /** @param plannedRequests the requests the run will serve. */
    public ServingTimeline(final long plannedRequests)
    {
        if (plannedRequests < 1)
        {
            throw new IllegalArgumentException("plannedRequests must be >= 1: " + plannedRequests);
        }
        this.window = windowFor(plannedRequests);
        final int capacity = (int)((plannedRequests + window - 1) / window);
        requests = new long[capacity];
        blocksRequested = new long[capacity];
        blocksHit = new long[capacity];
        evicted = new long[capacity];
    }

    /**
     * {@link #WINDOW} requests, or wider to stay within {@link #MAX_WINDOWS} windows (a multiple of it), or a
     * tenth of a run shorter than ten windows.
     */
    static long windowFor(final long requests)
    {
        if (requests < SHORT_RUN_WINDOWS * WINDOW)
        {
            return Math.max(1, requests / SHORT_RUN_WINDOWS);
        }
        final long windows = (requests + WINDOW - 1) / WINDOW;
        return WINDOW * ((windows + MAX_WINDOWS - 1) / MAX_WINDOWS);
    }

    /** Requests per window. */
    public long window()
    {
        return window;
    }

    /** Records the running totals after {@code requestsServed} requests; dropped when the arrays are full. */
    void sample(final long requestsServed, final long blocksRequestedSoFar, final long blocksHitSoFar,
        final long evictedSoFar)
    {
        if (size == requests.length)
        {
            return;
        }
        requests[size] = requestsServed;
        blocksRequested[size] = blocksRequestedSoFar;
        blocksHit[size] = blocksHitSoFar;
        evicted[size] = evictedSoFar;
        size++;
    }

    /** Samples taken. */
    public int size()
    {
        return size;
    }

    /** Requests served at sample {@code i}. */
    public long requests(final int i)
    {
        return requests[i];
    }

    /** Requests served at the last sample, 0 before the first. */
    long lastRequests()
    {
        return size == 0 ? 0 : requests[size - 1];
    }

    /** Share of the blocks requested since sample {@code i - 1} that were found cached (NaN if none asked). */
    public double windowHitRate(final int i)
    {
        final long asked = blocksRequested[i] - (i == 0 ? 0 : blocksRequested[i - 1]);
        return asked == 0 ? Double.NaN : (double)(blocksHit[i] - (i == 0 ? 0 : blocksHit[i - 1])) / asked;
    }

    /** Share of all blocks requested up to sample {@code i} that were found cached (NaN if none asked). */
    public double cumulativeHitRate(final int i)
    {
        return blocksRequested[i] == 0 ? Double.NaN : (double)blocksHit[i] / blocksRequested[i];
    }

    /** Blocks evicted since sample {@code i - 1}. */
    public long windowEvictions(final int i)
    {
        return evicted[i] - (i == 0 ? 0 : evicted[i - 1]);
    }

    /** The samples as CSV: requests,blocks_requested,blocks_hit,blocks_evicted (running totals). */
    String csv()
    {
        final StringBuilder sb = new StringBuilder("requests,blocks_requested,blocks_hit,blocks_evicted\n");
        for (int i = 0; i < size; i++)
        {
            sb.append(requests[i]).append(',').append(blocksRequested[i]).append(',').append(blocksHit[i]).append(',')
                .append(evicted[i]).append('\n');
        }
        return sb.toString();
    }
}
