package io.kvbm4j.remote.redis;

import java.nio.ByteBuffer;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import io.kvbm4j.remote.RemoteOpKind;
import io.kvbm4j.remote.RemoteStatus;
import io.kvbm4j.remote.store.AbstractRemoteStore;
import io.kvbm4j.remote.store.OpRecord;
import io.kvbm4j.remote.value.BlockValueLayout;
import io.kvbm4j.tiers.transfer.PayloadChecksum;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

/**
 * The Lettuce command outputs and completion callbacks of G4, one set per record, reused call after call (a
 * record carries one call at a time, and is recycled only after its command completed). They run on Lettuce's
 * I/O threads.
 */
final class RedisOutputs
{
    private RedisOutputs()
    {
    }

    static RemoteStatus classify(final Throwable error)
    {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null)
        {
            e = e.getCause();
        }
        return e instanceof RedisCommandTimeoutException ? RemoteStatus.TIMED_OUT : RemoteStatus.FAILED;
    }

    /**
     * GET into caller memory: the bulk reply arrives whole; the header is checked against the id and salt asked
     * for, the payload copied to the destination and its XXH3-64 compared with the header's, there, so the bytes
     * verified are the bytes the caller will use.
     */
    static final class Read extends CommandOutput<byte[], OpRecord, OpRecord>
    {
        private final OpRecord op;
        RemoteStatus found;

        Read(final OpRecord op)
        {
            super(BlockValueCodec.INSTANCE, op);
            this.op = op;
        }

        void reset()
        {
            error = null;
            found = RemoteStatus.FAILED;
        }

        @Override
        public void set(final ByteBuffer bytes)
        {
            if (bytes == null)
            {
                found = RemoteStatus.MISS;
                return;
            }
            if (!AbstractRemoteStore.beginIo(op))
            {
                found = RemoteStatus.TIMED_OUT; // the owner gave the destination back: do not touch it
                return;
            }
            final int at = bytes.position();
            final int valueLength = bytes.remaining();
            if (valueLength < BlockValueLayout.HEADER_BYTES)
            {
                found = RemoteStatus.CORRUPT;
                return;
            }
            op.header.wrap(bytes, at, BlockValueLayout.HEADER_BYTES);
            if (BlockValueLayout.verifyHeader(op.header, 0, valueLength, op.idHi(), op.idLo(), op.saltId()) !=
                BlockValueLayout.VALID)
            {
                found = RemoteStatus.CORRUPT;
                return;
            }
            final int payload = valueLength - BlockValueLayout.HEADER_BYTES;
            if (payload > op.length())
            {
                found = RemoteStatus.TOO_LARGE;
                return;
            }
            final long expected = BlockValueLayout.payloadChecksum(op.header, 0);
            op.memory.wrap(op.address(), payload);
            op.memory.putBytes(0, bytes, at + BlockValueLayout.HEADER_BYTES, payload);
            op.ioLength = payload;
            found = PayloadChecksum.of(op.address(), payload) == expected ? RemoteStatus.OK : RemoteStatus.CORRUPT;
            op.verifiedChecksum(expected);
        }
    }

    /** A status reply (SET ... NX: "OK", or nil when the key exists; PING: "PONG"). */
    static final class Status extends CommandOutput<byte[], OpRecord, OpRecord>
    {
        boolean nil;

        Status(final OpRecord op)
        {
            super(BlockValueCodec.INSTANCE, op);
        }

        void reset()
        {
            error = null;
            nil = false;
        }

        @Override
        public void set(final ByteBuffer bytes)
        {
            nil = bytes == null;
        }
    }

    /** An integer reply that only needs to arrive (DEL). */
    static final class Count extends CommandOutput<byte[], OpRecord, Long>
    {
        Count()
        {
            super(BlockValueCodec.INSTANCE, 0L);
        }

        void reset()
        {
            error = null;
        }

        @Override
        public void set(final long integer)
        {
            output = integer;
        }
    }

    /** EXISTS of one id of a lookup: writes present[i]. */
    static final class Exists extends CommandOutput<byte[], OpRecord, Long>
    {
        private final OpRecord op;
        private final int i;

        Exists(final OpRecord op, final int i)
        {
            super(BlockValueCodec.INSTANCE, 0L);
            this.op = op;
            this.i = i;
        }

        void reset()
        {
            error = null;
        }

        @Override
        public void set(final long integer)
        {
            op.present[i] = (byte)(integer > 0 ? 1 : 0);
        }
    }

    /** Completion of a single-key call (READ, WRITE, DELETE, PING). */
    static final class Done implements BiConsumer<Object, Throwable>
    {
        private final RedisRemoteStore store;
        private final OpRecord op;

        Done(final RedisRemoteStore store, final OpRecord op)
        {
            this.store = store;
            this.op = op;
        }

        @Override
        public void accept(final Object result, final Throwable error)
        {
            final RedisOpState st = (RedisOpState)op.backend;
            if (error != null)
            {
                store.noteFailure(error);
                store.complete(op, classify(error));
                return;
            }
            final RemoteOpKind kind = op.callKind();
            switch (kind)
            {
                case READ -> store.complete(op, st.read.found);
                case WRITE -> store.complete(op, st.status.nil ? RemoteStatus.ALREADY_PRESENT : RemoteStatus.OK);
                case DELETE, PING -> store.complete(op, RemoteStatus.OK);
                default -> throw new IllegalStateException("kind " + kind);
            }
        }
    }

    static final byte FAILED = 2;
    static final byte TIMED_OUT = 3;

    /**
     * Records the answer of EXISTS i of a lookup; the last one to answer completes the lookup with the status of the
     * run: OK, or FAILED / TIMED_OUT when the run ends at an id whose EXISTS failed.
     */
    static void lookupAnswered(final RedisRemoteStore store, final OpRecord op, final int i, final Throwable error)
    {
        if (error != null)
        {
            store.noteFailure(error);
            op.present[i] = classify(error) == RemoteStatus.TIMED_OUT ? TIMED_OUT : FAILED;
        }
        if (op.remaining.decrementAndGet() == 0) // the last answer sees every present[] write (RMW chain)
        {
            RemoteStatus s = RemoteStatus.OK;
            for (int k = 0; k < op.count(); k++)
            {
                final byte p = op.present[k];
                if (p == 1)
                {
                    continue;
                }
                if (p == FAILED || p == TIMED_OUT)
                {
                    s = p == FAILED ? RemoteStatus.FAILED : RemoteStatus.TIMED_OUT; // the run ends at a failure
                }
                break;
            }
            store.complete(op, s);
        }
    }

    /**
     * A reusable command of the control connection (EXISTS i of a lookup, or PING): a plain Lettuce
     * {@link Command} (no future, no callback object), allocated once per record with its arguments (which hold
     * the record's key array, rewritten per call) and reset before each dispatch. {@link #answered} makes the
     * first of reply / timeout / cancel the only one that counts.
     */
    abstract static class ControlCommand<T> extends Command<byte[], OpRecord, T>
    {
        protected final RedisRemoteStore store;
        protected final OpRecord op;
        private final AtomicInteger answered = new AtomicInteger();

        ControlCommand(final CommandType type, final CommandOutput<byte[], OpRecord, T> output,
                       final CommandArgs<byte[], OpRecord> args, final RedisRemoteStore store, final OpRecord op)
        {
            super(type, output, args);
            this.store = store;
            this.op = op;
        }

        /** Before each dispatch (owner thread; the previous use has completed). */
        void reset()
        {
            status = ST_INITIAL;
            exception = null;
            answered.set(0);
        }

        abstract void answer(Throwable error);

        @Override
        public void complete()
        {
            super.complete();
            if (answered.compareAndSet(0, 1))
            {
                answer(null);
            }
        }

        @Override
        public boolean completeExceptionally(final Throwable error)
        {
            final boolean changed = super.completeExceptionally(error);
            if (answered.compareAndSet(0, 1))
            {
                answer(error);
            }
            return changed;
        }

        @Override
        public void cancel()
        {
            super.cancel();
            if (answered.compareAndSet(0, 1))
            {
                answer(new CancellationException("G4 command cancelled"));
            }
        }
    }

    /** EXISTS of id i of a lookup. */
    static final class ExistsCommand extends ControlCommand<Long>
    {
        private final int i;
        private final Exists exists;

        ExistsCommand(final RedisRemoteStore store, final OpRecord op, final int i)
        {
            this(store, op, i, new Exists(op, i));
        }

        private ExistsCommand(final RedisRemoteStore store, final OpRecord op, final int i, final Exists exists)
        {
            super(CommandType.EXISTS, exists, new CommandArgs<>(BlockValueCodec.INSTANCE).addKey(op.keys[i]), store, op);
            this.i = i;
            this.exists = exists;
        }

        @Override
        void reset()
        {
            super.reset();
            exists.reset();
        }

        @Override
        void answer(final Throwable error)
        {
            if (error == null && exists.hasError())
            {
                lookupAnswered(store, op, i, new RedisException(exists.getError()));
                return;
            }
            lookupAnswered(store, op, i, error);
        }
    }

    /**
     * A standalone server's lookup as one command: {@code EVAL} of {@link #LOOKUP_SCRIPT} over the n keys, whose
     * integer answer is the leading run (the server stops at the first absent key). One command and one reply
     * instead of n: the client's per-command work (queueing, decoding, completing) is paid once. Its arguments
     * for n keys are built once per record and n (they hold the record's key arrays, rewritten per call).
     */
    static final class EvalLookupCommand extends ControlCommand<Long>
    {
        private final RunOutput run;
        private final CommandArgs<byte[], OpRecord>[] byCount;

        EvalLookupCommand(final RedisRemoteStore store, final OpRecord op)
        {
            this(store, op, new RunOutput(op));
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private EvalLookupCommand(final RedisRemoteStore store, final OpRecord op, final RunOutput run)
        {
            super(CommandType.EVAL, run, null, store, op);
            this.run = run;
            this.byCount = new CommandArgs[op.keys.length];
        }

        /** Before each dispatch: the arguments for {@code n} keys (built at the first lookup of n ids). */
        void prepare(final int n)
        {
            CommandArgs<byte[], OpRecord> a = byCount[n - 1];
            if (a == null)
            {
                a = new CommandArgs<>(BlockValueCodec.INSTANCE).add(LOOKUP_SCRIPT).add(n);
                for (int i = 0; i < n; i++)
                {
                    a.addKey(op.keys[i]);
                }
                byCount[n - 1] = a;
            }
            args = a;
        }

        @Override
        void reset()
        {
            super.reset();
            run.reset();
        }

        @Override
        void answer(final Throwable error)
        {
            if (error == null && run.hasError())
            {
                store.scriptRefused(run.getError());
                store.complete(op, RemoteStatus.FAILED);
                return;
            }
            if (error != null)
            {
                store.noteFailure(error);
                store.complete(op, classify(error));
                return;
            }
            store.complete(op, RemoteStatus.OK);
        }
    }

    /** The leading run a lookup script answered: present[0..run) = 1, present[run] = 0. */
    static final class RunOutput extends CommandOutput<byte[], OpRecord, Long>
    {
        private final OpRecord op;

        RunOutput(final OpRecord op)
        {
            super(BlockValueCodec.INSTANCE, 0L);
            this.op = op;
        }

        void reset()
        {
            error = null;
        }

        @Override
        public void set(final long integer)
        {
            final int n = op.count();
            final int run = (int)Math.max(0, Math.min(integer, n));
            for (int k = 0; k < n; k++)
            {
                op.present[k] = (byte)(k < run ? 1 : 0);
            }
        }
    }

    /** Leading run of KEYS present; stops at the first absent key. Read-only. */
    static final byte[] LOOKUP_SCRIPT = ("for i = 1, #KEYS do if redis.call('EXISTS', KEYS[i]) == 0 then " +
        "return i - 1 end end return #KEYS").getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** PING on the control connection (health probe, latency floor). */
    static final class PingCommand extends ControlCommand<OpRecord>
    {
        private final Status status;

        PingCommand(final RedisRemoteStore store, final OpRecord op)
        {
            this(store, op, new Status(op));
        }

        private PingCommand(final RedisRemoteStore store, final OpRecord op, final Status status)
        {
            super(CommandType.PING, status, null, store, op);
            this.status = status;
        }

        @Override
        void reset()
        {
            super.reset();
            status.reset();
        }

        @Override
        void answer(final Throwable error)
        {
            if (error != null)
            {
                store.noteFailure(error);
                store.complete(op, classify(error));
                return;
            }
            store.complete(op, status.hasError() ? RemoteStatus.FAILED : RemoteStatus.OK);
        }
    }
}
