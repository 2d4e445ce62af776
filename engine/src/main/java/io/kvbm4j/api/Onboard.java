package io.kvbm4j.api;

/**
 * What one {@link KvBlockManager#matchOnboard} call scheduled: how many leading blocks were already in G1
 * ({@link #hits()}), how many more are being copied up from G2 ({@link #scheduled()}), and the ticket to
 * poll or wait on. Reusable: the caller keeps one per request; nothing is allocated per call.
 *
 * <p>Owned by the serving thread, like the manager.
 */
public final class Onboard
{
    private long ticket = -1;
    private int hits;
    private int scheduled;

    /** The ticket of the scheduled onboard, or -1 when nothing was scheduled. */
    public long ticket()
    {
        return ticket;
    }

    /** Leading blocks found in G1 (pinned at once). */
    public int hits()
    {
        return hits;
    }

    /** Blocks after them being onboarded from G2 (0 when none). */
    public int scheduled()
    {
        return scheduled;
    }

    /** True while an onboard is scheduled and not yet collected by a poll. */
    public boolean pending()
    {
        return ticket >= 0;
    }

    /** Set by the manager. */
    public void set(final long ticket, final int hits, final int scheduled)
    {
        this.ticket = ticket;
        this.hits = hits;
        this.scheduled = scheduled;
    }

    /** Set by the manager when a poll collected the result. */
    public void collected()
    {
        this.ticket = -1;
    }

    @Override
    public String toString()
    {
        return "Onboard[ticket=" + ticket + ", hits=" + hits + ", scheduled=" + scheduled + "]";
    }
}
