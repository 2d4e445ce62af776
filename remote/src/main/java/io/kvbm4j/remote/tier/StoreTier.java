package io.kvbm4j.remote.tier;

import io.kvbm4j.remote.RemoteCompletion;
import io.kvbm4j.remote.RemoteCompletionHandler;
import io.kvbm4j.remote.RemoteHealth;
import io.kvbm4j.remote.RemoteOpKind;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.tiers.remote.RemoteOutcome;
import io.kvbm4j.tiers.remote.RemoteTier;
import io.kvbm4j.tiers.remote.RemoteTierListener;

/**
 * A {@link RemoteStore} as the engine's {@link RemoteTier}: statuses mapped to {@link RemoteOutcome}s, submits
 * answered true when the store took them. Allocates nothing per call (the listener is held for the length of one
 * poll). Owned by the store's owner thread (the transfer thread), like the store.
 */
public final class StoreTier implements RemoteTier, RemoteCompletionHandler
{
    private final RemoteStore store;
    private final int maxLookupIds;
    private final int maxInFlight;
    private RemoteTierListener listener;

    public StoreTier(final RemoteStore store, final int maxLookupIds, final int maxInFlight)
    {
        this.store = store;
        this.maxLookupIds = maxLookupIds;
        this.maxInFlight = maxInFlight;
    }

    /** The store behind this tier (its counters). */
    public RemoteStore store()
    {
        return store;
    }

    @Override
    public boolean lookup(final long tag, final long saltId, final long[] idHi, final long[] idLo, final int from,
        final int n)
    {
        return store.lookup(tag, saltId, idHi, idLo, from, n) == RemoteStatus.SUBMITTED;
    }

    @Override
    public boolean read(final long tag, final long saltId, final long idHi, final long idLo, final long dstAddress,
        final long capacity)
    {
        return store.read(tag, saltId, idHi, idLo, dstAddress, capacity) == RemoteStatus.SUBMITTED;
    }

    @Override
    public boolean write(final long tag, final long saltId, final long idHi, final long idLo, final long srcAddress,
        final long length, final boolean checksumKnown, final long checksum)
    {
        return (checksumKnown ? store.write(tag, saltId, idHi, idLo, srcAddress, length, checksum) :
            store.write(tag, saltId, idHi, idLo, srcAddress, length)) == RemoteStatus.SUBMITTED;
    }

    @Override
    public int poll(final RemoteTierListener l)
    {
        listener = l;
        try
        {
            return store.poll(this);
        }
        finally
        {
            listener = null;
        }
    }

    @Override
    public void onComplete(final RemoteCompletion c)
    {
        final int outcome = outcome(c.status());
        listener.onComplete(c.tag(), outcome, c.kind() == RemoteOpKind.LOOKUP ? c.run() : 0,
            c.kind() == RemoteOpKind.READ && outcome == RemoteOutcome.OK ? c.checksum() : 0);
    }

    static int outcome(final RemoteStatus status)
    {
        switch (status)
        {
            case OK:
                return RemoteOutcome.OK;
            case ALREADY_PRESENT:
                return RemoteOutcome.ALREADY_PRESENT;
            case MISS:
                return RemoteOutcome.MISS;
            case CORRUPT:
                return RemoteOutcome.CORRUPT;
            case TIMED_OUT:
                return RemoteOutcome.TIMED_OUT;
            case FAILED:
                return RemoteOutcome.FAILED;
            case TOO_LARGE:
                return RemoteOutcome.TOO_LARGE;
            case CLOSED:
                return RemoteOutcome.CLOSED;
            default:
                throw new IllegalStateException("not a completion status: " + status);
        }
    }

    @Override
    public boolean healthy()
    {
        return store.health() == RemoteHealth.HEALTHY;
    }

    @Override
    public int maxLookupIds()
    {
        return maxLookupIds;
    }

    @Override
    public int maxInFlight()
    {
        return maxInFlight;
    }

    @Override
    public int inFlight()
    {
        return store.inFlight();
    }

    @Override
    public String describe()
    {
        return store.describe();
    }

    @Override
    public void takeOwnership()
    {
        store.takeOwnership();
    }

    @Override
    public void close()
    {
        store.close();
    }
}
