package io.kvbm4j.remote.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.kvbm4j.remote.RemoteCompletion;
import io.kvbm4j.remote.RemoteOpKind;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;

/**
 * Drives a {@link RemoteStore} from the test's thread (the owner): submit, then poll until the call's completion
 * comes. The wait is bounded by a generous guard (10x the store's deadline plus 10 s), never asserted on: the
 * store's own deadline is what ends a slow call.
 */
public final class Driver
{
    /** A copy of one completion. */
    public record Done(long tag, RemoteOpKind kind, RemoteStatus status, int run, long length)
    {
    }

    private final RemoteStore store;
    private final long guardNanos;
    private final List<Done> done = new ArrayList<>();
    private long nextTag = 1;

    public Driver(final RemoteStore store, final long timeoutMillis)
    {
        this.store = store;
        this.guardNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis * 10 + 10_000);
    }

    public Done write(final long salt, final long hi, final long lo, final long address, final long length)
    {
        final long tag = nextTag++;
        return await(tag, store.write(tag, salt, hi, lo, address, length));
    }

    public Done read(final long salt, final long hi, final long lo, final long address, final long capacity)
    {
        final long tag = nextTag++;
        return await(tag, store.read(tag, salt, hi, lo, address, capacity));
    }

    public Done lookup(final long salt, final long[] hi, final long[] lo, final int n)
    {
        final long tag = nextTag++;
        return await(tag, store.lookup(tag, salt, hi, lo, 0, n));
    }

    public Done delete(final long salt, final long hi, final long lo)
    {
        final long tag = nextTag++;
        return await(tag, store.delete(tag, salt, hi, lo));
    }

    public Done ping()
    {
        final long tag = nextTag++;
        return await(tag, store.ping(tag));
    }

    /** Polls until the completion of {@code tag} comes; a refused submit comes back as its status. */
    public Done await(final long tag, final RemoteStatus submitted)
    {
        if (submitted != RemoteStatus.SUBMITTED)
        {
            return new Done(tag, null, submitted, 0, 0);
        }
        final long until = System.nanoTime() + guardNanos;
        while (true)
        {
            store.poll(this::collect);
            for (int i = 0; i < done.size(); i++)
            {
                if (done.get(i).tag() == tag)
                {
                    return done.remove(i);
                }
            }
            if (System.nanoTime() - until > 0)
            {
                throw new AssertionError("no completion for call " + tag + " within the guard (the store's deadline " +
                    "should have ended it)");
            }
            Thread.onSpinWait();
            RedisServer.sleep(0);
        }
    }

    /** Polls until {@code store.inFlight()} is 0 (late answers of timed-out calls back), within the guard. */
    public void drain()
    {
        final long until = System.nanoTime() + guardNanos;
        while (store.inFlight() > 0)
        {
            store.poll(this::collect);
            if (System.nanoTime() - until > 0)
            {
                throw new AssertionError(store.inFlight() + " calls still in flight after the guard");
            }
            RedisServer.sleep(1);
        }
        store.poll(this::collect);
    }

    /** Polls for up to {@code millis} (to let time pass for the store: health probes). */
    public void pollFor(final long millis)
    {
        final long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() - until < 0)
        {
            store.poll(this::collect);
            RedisServer.sleep(5);
        }
    }

    public void collect(final RemoteCompletion c)
    {
        done.add(new Done(c.tag(), c.kind(), c.status(), c.run(), c.payloadLength()));
    }

    public List<Done> completions()
    {
        return done;
    }
}
