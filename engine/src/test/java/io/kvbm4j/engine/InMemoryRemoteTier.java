package io.kvbm4j.engine;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.agrona.UnsafeApi;

import io.kvbm4j.tiers.remote.RemoteOutcome;
import io.kvbm4j.tiers.remote.RemoteTier;
import io.kvbm4j.tiers.remote.RemoteTierListener;
import io.kvbm4j.tiers.transfer.PayloadChecksum;

/**
 * A test double of the G4 store (named as such: the real ones, on a real redis-server, are tested in the
 * remote and tools modules). Keys are (salt, id); values are the payload and its XXH3 checksum, shared by every
 * double made over the same {@link #shared} map, as nodes share one store. Asynchronous as the real store is:
 * calls are answered only by a later {@link #poll}. A read verifies the checksum over the bytes it wrote (a
 * mismatch is CORRUPT and deletes the key). {@link #corrupt} flips a stored byte; {@link #healthy} can be
 * switched off to stand for a degraded store; {@link #failReadsWith} makes reads end TIMED_OUT or FAILED (what the
 * real store answers past {@code g4.timeout-ms} or on an error, tested against redis-server in the remote module).
 */
final class InMemoryRemoteTier implements RemoteTier
{
    record Key(long salt, long hi, long lo)
    {
    }

    record Value(byte[] payload, long checksum)
    {
    }

    private record Call(long tag, int outcome, int run, long checksum)
    {
    }

    final Map<Key, Value> shared;
    private final ArrayDeque<Call> answers = new ArrayDeque<>();
    volatile boolean healthy = true;
    /** When set (a {@link RemoteOutcome} value), every read answers it and writes nothing: a slow or failing store. */
    int failReadsWith = -1;
    int lookups;
    int reads;
    int writes;

    InMemoryRemoteTier(final Map<Key, Value> shared)
    {
        this.shared = shared;
    }

    InMemoryRemoteTier()
    {
        this(new ConcurrentHashMap<>());
    }

    /** Flips the first byte of every stored value of this salt and id. */
    void corrupt(final long salt, final long hi, final long lo)
    {
        final Value v = shared.get(new Key(salt, hi, lo));
        v.payload()[0] ^= 1;
    }

    @Override
    public boolean lookup(final long tag, final long saltId, final long[] idHi, final long[] idLo, final int from,
        final int n)
    {
        if (!healthy)
        {
            return false;
        }
        lookups++;
        int run = 0;
        while (run < n && shared.containsKey(new Key(saltId, idHi[from + run], idLo[from + run])))
        {
            run++;
        }
        answers.add(new Call(tag, RemoteOutcome.OK, run, 0));
        return true;
    }

    @Override
    public boolean read(final long tag, final long saltId, final long idHi, final long idLo, final long dstAddress,
        final long capacity)
    {
        if (!healthy)
        {
            return false;
        }
        reads++;
        if (failReadsWith >= 0)
        {
            answers.add(new Call(tag, failReadsWith, 0, 0));
            return true;
        }
        final Key key = new Key(saltId, idHi, idLo);
        final Value v = shared.get(key);
        int outcome;
        if (v == null)
        {
            outcome = RemoteOutcome.MISS;
        }
        else if (v.payload().length > capacity)
        {
            outcome = RemoteOutcome.TOO_LARGE;
        }
        else
        {
            for (int i = 0; i < v.payload().length; i++)
            {
                UnsafeApi.putByte(dstAddress + i, v.payload()[i]);
            }
            outcome = PayloadChecksum.of(dstAddress, v.payload().length) == v.checksum() ? RemoteOutcome.OK :
                RemoteOutcome.CORRUPT;
            if (outcome == RemoteOutcome.CORRUPT)
            {
                shared.remove(key);
            }
        }
        answers.add(new Call(tag, outcome, 0, outcome == RemoteOutcome.OK ? v.checksum() : 0));
        return true;
    }

    @Override
    public boolean write(final long tag, final long saltId, final long idHi, final long idLo, final long srcAddress,
        final long length, final boolean checksumKnown, final long checksum)
    {
        if (!healthy)
        {
            return false;
        }
        writes++;
        final byte[] payload = new byte[(int)length];
        for (int i = 0; i < payload.length; i++)
        {
            payload[i] = UnsafeApi.getByte(srcAddress + i);
        }
        final Value was = shared.putIfAbsent(new Key(saltId, idHi, idLo),
            new Value(payload, checksumKnown ? checksum : PayloadChecksum.of(srcAddress, length)));
        answers.add(new Call(tag, was == null ? RemoteOutcome.OK : RemoteOutcome.ALREADY_PRESENT, 0, 0));
        return true;
    }

    @Override
    public int poll(final RemoteTierListener listener)
    {
        int n = 0;
        Call c;
        while ((c = answers.poll()) != null)
        {
            listener.onComplete(c.tag(), c.outcome(), c.run(), c.checksum());
            n++;
        }
        return n;
    }

    @Override
    public boolean healthy()
    {
        return healthy;
    }

    @Override
    public int maxLookupIds()
    {
        return 64;
    }

    @Override
    public int maxInFlight()
    {
        return 64;
    }

    @Override
    public int inFlight()
    {
        return answers.size();
    }

    @Override
    public String describe()
    {
        return "in-memory G4 double";
    }

    @Override
    public void takeOwnership()
    {
    }

    @Override
    public void close()
    {
    }
}
