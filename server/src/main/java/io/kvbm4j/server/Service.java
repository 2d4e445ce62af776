package io.kvbm4j.server;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Counter;
import io.kvbm4j.api.Status;
import io.kvbm4j.client.Protocol;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.identity.BlockHasher;
import io.kvbm4j.identity.Salt;
import io.kvbm4j.tiers.host.MappedFileSlotMemory;
import net.openhft.hashing.LongHashFunction;
import net.openhft.hashing.LongTupleHashFunction;

/**
 * The serving thread: the engine's single writer. It takes decoded frames from the I/O threads through one
 * bounded queue (a full queue is answered BUSY by the I/O thread), runs each request against the engine (all
 * engine calls in {@link EngineSide}), writes the reply into the connection's buffer and wakes its I/O thread.
 * It also owns the sessions, the leases and prepared stores ({@link Handle}, a fixed pool), their TTLs on the
 * injected clock, and the LOADs waiting for an onboard.
 *
 * <p>Isolation: a client's block id is never the engine's; the engine id is XXH3-128 of (tenant salt, client id),
 * so a session of one tenant can neither find nor name another tenant's blocks, whatever ids it sends. Sessions of
 * a tenant listed in {@code copyTenants} never learn the shared-memory file: their bytes go through the socket.
 *
 * <p>Invariants: every handle is FREE in the pool or held by exactly one live session; a session's handles are
 * all released when it disconnects, and any handle when its TTL passes. Nothing here blocks: a LOAD waiting for
 * an onboard is parked in {@link #waiting} and answered by a later duty cycle.
 */
final class Service implements Runnable
{
    private static final System.Logger LOG = System.getLogger(Service.class.getName());
    private static final LongHashFunction XXH3 = LongHashFunction.xx3();
    private static final LongTupleHashFunction XXH128 = LongTupleHashFunction.xx128();
    private static final int EXPIRY_EVERY_MS = 5;

    /** The service's own counters, reported by STATS after the engine's. */
    enum Stat
    {
        SESSIONS, CONNECTIONS_CLOSED, REQUESTS, BUSY, BAD_FRAMES, ERRORS, LEASES, STORES, STORED_BLOCKS,
        DEDUPLICATED_BLOCKS, CHECKSUM_MISMATCHES, EXPIRED_HANDLES, RECLAIMED_HANDLES, LOAD_DEADLINES
    }

    private final ManyToOneConcurrentArrayQueue<Connection> requests;
    private final ManyToOneConcurrentArrayQueue<Connection> disconnects;
    private final java.util.function.Supplier<EngineSide> opener;
    private final java.util.concurrent.CompletableFuture<Void> opened = new java.util.concurrent.CompletableFuture<>();
    private EngineSide engine;
    private final MappedFileSlotMemory memory;
    private final ByteBuffer[] slotViews;
    private final EngineConfig config;
    private final ServerSettings settings;
    private final EpochClock clock;
    private final BlockHasher hasher;
    private final AtomicLong[] stats = new AtomicLong[Stat.values().length];
    private final Handle[] handles;
    private final int[] freeHandles;
    private int freeCount;
    private final int[] generations;
    private final Handle[] waiting;
    private int waitingCount;
    private final BlockIds clientIds = new BlockIds(Protocol.MAX_BLOCKS);
    private final BlockIds engineIds = new BlockIds(Protocol.MAX_BLOCKS);
    private final int[] tokens = new int[Protocol.MAX_TOKENS];
    private final boolean[] verified = new boolean[Protocol.MAX_BLOCKS];
    private final byte[] outcomes = new byte[Protocol.MAX_BLOCKS];
    private final long[] hashIn = new long[4];
    private final long[] hashOut = new long[2];
    private final CRC32 crc = new CRC32();
    private final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 200_000);
    private final long blockBytes;
    private long nextSession = 1;
    private long lastExpiryMs;
    private volatile boolean running = true;
    private volatile boolean stopped;
    private volatile Thread thread;
    /** The request being handled (answered with INTERNAL should the serving thread fail). */
    private Connection current;

    /**
     * @param opener opens the engine; called on the serving thread, which is then the engine's only caller (the
     *               engine publishes on its ring while it opens, for example the blocks G3 restored).
     */
    Service(final java.util.function.Supplier<EngineSide> opener, final MappedFileSlotMemory memory,
        final EngineConfig config, final ServerSettings settings, final EpochClock clock)
    {
        this.opener = opener;
        this.memory = memory;
        this.config = config;
        this.settings = settings;
        this.clock = clock;
        this.requests = new ManyToOneConcurrentArrayQueue<>(settings.queueCapacity());
        this.disconnects = new ManyToOneConcurrentArrayQueue<>(2 * settings.maxConnections() + 2);
        this.hasher = new BlockHasher(config.hash(), config.blockTokens());
        this.blockBytes = memory.payloadBytes();
        this.slotViews = new ByteBuffer[memory.slotCount()];
        for (int s = 0; s < slotViews.length; s++)
        {
            slotViews[s] = memory.slotBuffer(s);
        }
        for (int i = 0; i < stats.length; i++)
        {
            stats[i] = new AtomicLong();
        }
        this.handles = new Handle[settings.maxHandles()];
        this.freeHandles = new int[settings.maxHandles()];
        this.generations = new int[settings.maxHandles()];
        for (int i = 0; i < handles.length; i++)
        {
            handles[i] = new Handle();
            freeHandles[i] = handles.length - 1 - i;
        }
        this.freeCount = handles.length;
        this.waiting = new Handle[settings.maxHandles()];
    }

    /** Starts the serving thread and waits until it opened the engine; rethrows what opening threw. */
    void start()
    {
        final Thread t = new Thread(this, "kvbm4j-serving");
        thread = t;
        t.start();
        try
        {
            opened.join();
        }
        catch (final java.util.concurrent.CompletionException ex)
        {
            throw ex.getCause() instanceof RuntimeException ? (RuntimeException)ex.getCause() : ex;
        }
    }

    /** I/O thread: hands a decoded frame over. @return false when the queue is full (the caller answers BUSY). */
    boolean offer(final Connection connection)
    {
        if (!running)
        {
            connection.error(Protocol.E_SHUTTING_DOWN, "the service is stopping");
            connection.closeAfterReply = true;
            connection.publishReply();
            return true;
        }
        if (requests.offer(connection))
        {
            LockSupport.unpark(thread); // the serving thread may be parked by its idle strategy: wake it now
            return true;
        }
        stats[Stat.BUSY.ordinal()].incrementAndGet();
        return false;
    }

    /** I/O thread: its connection ended; the serving thread reclaims the session's handles. Never fails. */
    void disconnected(final Connection connection)
    {
        stats[Stat.CONNECTIONS_CLOSED.ordinal()].incrementAndGet();
        while (!disconnects.offer(connection))
        {
            Thread.onSpinWait(); // sized for two per connection: only a burst past max-connections waits here
        }
    }

    void countBadFrame()
    {
        stats[Stat.BAD_FRAMES.ordinal()].incrementAndGet();
    }

    long stat(final Stat stat)
    {
        return stats[stat.ordinal()].get();
    }

    /** Handles in use now (any thread; a racy read, for tests after the service went quiet). */
    int handlesInUse()
    {
        return handles.length - freeCount;
    }

    @Override
    public void run()
    {
        try
        {
            engine = opener.get();
        }
        catch (final RuntimeException | Error ex)
        {
            stopped = true;
            opened.completeExceptionally(ex);
            return;
        }
        opened.complete(null);
        try
        {
            while (running)
            {
                idle.idle(doWork());
            }
        }
        catch (final RuntimeException | Error ex)
        {
            // never leave a client waiting for a reply that will not come: answer it, refuse what follows
            running = false;
            final Connection c = current;
            if (c != null)
            {
                c.error(Protocol.E_INTERNAL, "the serving thread failed: " + ex);
                c.closeAfterReply = true;
                c.publishReply();
            }
            LOG.log(System.Logger.Level.ERROR, "serving thread failed; the service stops", ex);
            throw ex;
        }
        finally
        {
            shutdown();
        }
    }

    /** One duty cycle. @return the work done (0: idle). */
    int doWork()
    {
        int work = 0;
        Connection c;
        while ((c = disconnects.poll()) != null)
        {
            reclaim(c);
            work++;
        }
        for (int i = 0; i < 64 && (c = requests.poll()) != null; i++)
        {
            stats[Stat.REQUESTS.ordinal()].incrementAndGet();
            current = c;
            handle(c);
            current = null;
            work++;
        }
        final long now = clock.time();
        if (waitingCount > 0)
        {
            work += pollWaiting(now);
        }
        if (now - lastExpiryMs >= EXPIRY_EVERY_MS || now < lastExpiryMs)
        {
            lastExpiryMs = now;
            work += expire(now);
        }
        if (work == 0)
        {
            engine.idle();
        }
        return work;
    }

    /** Stops the serving thread; it drains and closes the engine. Waits up to {@code timeoutMs}. */
    void stop(final long timeoutMs) throws InterruptedException
    {
        running = false;
        if (thread != null)
        {
            thread.join(timeoutMs);
        }
    }

    boolean stopped()
    {
        return stopped;
    }

    private void shutdown()
    {
        Connection c;
        while ((c = requests.poll()) != null)
        {
            c.error(Protocol.E_SHUTTING_DOWN, "the service is stopping");
            c.closeAfterReply = true;
            c.publishReply();
        }
        for (int i = 0; i < waitingCount; i++)
        {
            answerLoad(waiting[i]);
        }
        waitingCount = 0;
        for (final Handle h : handles)
        {
            if (h.state != Handle.State.FREE)
            {
                drop(h);
            }
        }
        engine.settle(config.shutdownTimeoutMs());
        try
        {
            engine.close();
        }
        finally
        {
            memory.close();
            stopped = true;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Requests

    private void handle(final Connection c)
    {
        final ByteBuffer b = c.request;
        b.position(Protocol.HEADER_BYTES);
        final int op = b.get(Protocol.OP_OFFSET) & 0xFF;
        if (op != Protocol.OP_HELLO && c.session == null)
        {
            error(c, Protocol.E_NO_SESSION, "op " + op + " before HELLO");
            return;
        }
        switch (op)
        {
            case Protocol.OP_HELLO -> hello(c, b);
            case Protocol.OP_LOOKUP -> lookup(c, b);
            case Protocol.OP_LOAD -> load(c, b);
            case Protocol.OP_STORE_PREPARE -> prepare(c, b);
            case Protocol.OP_STORE_COMMIT -> commit(c, b);
            case Protocol.OP_RELEASE -> release(c, b);
            case Protocol.OP_STATS -> stats(c);
            case Protocol.OP_READ -> read(c, b);
            case Protocol.OP_WRITE -> write(c, b);
            default -> error(c, Protocol.E_UNKNOWN_OP, "unknown op " + op);
        }
    }

    private void hello(final Connection c, final ByteBuffer b)
    {
        if (b.remaining() < 2)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: payload of " + b.remaining() + " bytes has no version");
            c.closeAfterReply = true;
            return;
        }
        final int version = b.getShort() & 0xFFFF;
        if (version != Protocol.VERSION)
        {
            error(c, Protocol.E_VERSION, "the client speaks protocol version " + version +
                ", this service speaks version " + Protocol.VERSION);
            c.closeAfterReply = true;
            return;
        }
        if (c.session != null)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: this connection already has session " + c.session.id);
            return;
        }
        if (b.remaining() < 14)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: payload of " + (b.remaining() + 2) + " bytes, needs at least 22");
            return;
        }
        final int checksum = b.get() & 0xFF;
        final int mode = b.get() & 0xFF;
        final int blockTokens = b.getInt();
        final long bytes = b.getLong();
        final String model = string(b);
        final String tenant = model == null ? null : string(b);
        final String lora = tenant == null ? null : string(b);
        if (lora == null || b.remaining() != 8)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: model, tenant and LoRA must be u16-length UTF-8 strings of at most " +
                Protocol.MAX_STRING + " bytes, followed by the u64 LoRA version and nothing else");
            return;
        }
        final long loraVersion = b.getLong();
        if (checksum != Protocol.CHECKSUM_XXH3_64 && checksum != Protocol.CHECKSUM_CRC32)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: checksum kind " + checksum + " unknown (1 xxh3-64, 2 crc32)");
            return;
        }
        if (mode != Protocol.MODE_MAP && mode != Protocol.MODE_COPY)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: mode " + mode + " unknown (0 copy, 1 map)");
            return;
        }
        final String served = config.layout().model();
        if (!model.isEmpty() && !model.equals(served) || blockTokens != 0 && blockTokens != config.blockTokens() ||
            bytes != 0 && bytes != blockBytes)
        {
            error(c, Protocol.E_LAYOUT, "HELLO asks for model " + model + ", " + blockTokens + " tokens and " + bytes +
                " bytes per block; this service serves " + served + ", " + config.blockTokens() + " tokens and " +
                blockBytes + " bytes per block");
            return;
        }
        final Salt salt;
        try
        {
            salt = config.saltRecord().withTenant(tenant).withLora(lora, loraVersion).salt(config.hash());
        }
        catch (final IllegalArgumentException ex)
        {
            error(c, Protocol.E_MALFORMED, "HELLO: " + ex.getMessage());
            return;
        }
        final boolean mapped = mode == Protocol.MODE_MAP && !settings.copyTenants().contains(tenant);
        c.session = new Session(nextSession++, tenant, salt, mapped, checksum);
        stats[Stat.SESSIONS.ordinal()].incrementAndGet();
        final ByteBuffer r = begin(c, Protocol.OP_HELLO);
        r.putShort((short)Protocol.VERSION).put((byte)checksum).put((byte)(mapped ? 1 : 0));
        r.putLong(c.session.id).putInt(config.blockTokens()).putLong(blockBytes);
        r.putInt(memory.slotCount()).putLong(memory.stride()).putLong(mapped ? memory.fileBytes() : 0);
        r.putInt(settings.leaseTtlMs()).putInt(Protocol.MAX_BLOCKS);
        putString(r, mapped ? memory.file().toString() : "");
        finish(c);
    }

    private void lookup(final Connection c, final ByteBuffer b)
    {
        if (b.remaining() < 8)
        {
            error(c, Protocol.E_MALFORMED, "LOOKUP: payload of " + b.remaining() + " bytes, needs at least 8");
            return;
        }
        final int kind = b.get() & 0xFF;
        b.get();
        b.getShort();
        final int n = b.getInt();
        final Session s = c.session;
        final int count;
        clientIds.clear();
        if (kind == Protocol.LOOKUP_IDS)
        {
            if (n < 0 || n > Protocol.MAX_BLOCKS)
            {
                error(c, Protocol.E_LIMIT, "LOOKUP of " + Integer.toUnsignedString(n) + " ids; at most " +
                    Protocol.MAX_BLOCKS);
                return;
            }
            if (b.remaining() != 16L * n)
            {
                error(c, Protocol.E_MALFORMED, "LOOKUP of " + n + " ids needs " + 16L * n + " bytes of ids, the frame has " +
                    b.remaining());
                return;
            }
            for (int i = 0; i < n; i++)
            {
                clientIds.add(b.getLong(), b.getLong());
            }
            count = n;
        }
        else if (kind == Protocol.LOOKUP_TOKENS)
        {
            if (n < 0 || n > Protocol.MAX_TOKENS)
            {
                error(c, Protocol.E_LIMIT, "LOOKUP of " + Integer.toUnsignedString(n) + " tokens; at most " +
                    Protocol.MAX_TOKENS);
                return;
            }
            if (b.remaining() != 4L * n)
            {
                error(c, Protocol.E_MALFORMED, "LOOKUP of " + n + " tokens needs " + 4L * n + " bytes, the frame has " +
                    b.remaining());
                return;
            }
            for (int i = 0; i < n; i++)
            {
                tokens[i] = b.getInt();
            }
            final int blocks = Math.min(n / config.blockTokens(), Protocol.MAX_BLOCKS);
            count = hasher.hashSequence(s.salt, tokens, blocks * config.blockTokens(), clientIds);
        }
        else
        {
            error(c, Protocol.E_MALFORMED, "LOOKUP kind " + kind + " unknown (0 ids, 1 tokens)");
            return;
        }
        toEngine(s, clientIds, 0, count, engineIds);
        long lease = 0;
        int prefix = 0;
        int hits = 0;
        int scheduled = 0;
        if (count > 0)
        {
            final Handle h = allocHandle(s);
            if (h == null)
            {
                error(c, Protocol.E_LIMIT, "no lease free: " + handles.length + " leases and stores are held");
                return;
            }
            final int r = engine.lookup(engineIds, count, s.id, h);
            if (r < 0)
            {
                freeHandle(h);
                statusError(c, r, "LOOKUP");
                return;
            }
            if (r == 0)
            {
                freeHandle(h);
            }
            else
            {
                h.state = Handle.State.PINNED;
                h.prefix = r;
                h.expiresAtMs = clock.time() + settings.leaseTtlMs();
                lease = h.id;
                prefix = r;
                hits = h.count;
                scheduled = h.scheduled;
                stats[Stat.LEASES.ordinal()].incrementAndGet();
            }
        }
        final ByteBuffer r = begin(c, Protocol.OP_LOOKUP);
        r.putLong(lease).putInt(prefix).putInt(hits).putInt(scheduled).putInt(settings.leaseTtlMs());
        final int idCount = kind == Protocol.LOOKUP_TOKENS ? count : 0;
        r.putInt(idCount);
        for (int i = 0; i < idCount; i++)
        {
            r.putLong(clientIds.hi(i)).putLong(clientIds.lo(i));
        }
        finish(c);
    }

    private void load(final Connection c, final ByteBuffer b)
    {
        if (b.remaining() != 12)
        {
            error(c, Protocol.E_MALFORMED, "LOAD: payload of " + b.remaining() + " bytes, needs 12 (lease, deadline)");
            return;
        }
        final long lease = b.getLong();
        final int deadlineMs = b.getInt();
        final Handle h = handleOf(c.session, lease);
        if (h == null || !h.isLease() || h.state == Handle.State.DRAINING || h.waiting != null)
        {
            error(c, Protocol.E_UNKNOWN_HANDLE, "LOAD: " + Long.toHexString(lease) +
                " is not a live lease of this session (released, expired, or another session's)");
            return;
        }
        if (deadlineMs < 0 || deadlineMs > 600_000)
        {
            error(c, Protocol.E_OUT_OF_RANGE, "LOAD: deadline " + deadlineMs + " ms not in 0..600000");
            return;
        }
        final long now = clock.time();
        h.expiresAtMs = now + settings.leaseTtlMs();
        if (h.state == Handle.State.PINNED)
        {
            final int r = engine.poll(h);
            if (r == Status.NOT_READY && deadlineMs > 0)
            {
                h.waiting = c;
                h.waitDeadlineMs = now + deadlineMs;
                h.expiresAtMs = Math.max(h.expiresAtMs, h.waitDeadlineMs + settings.leaseTtlMs());
                waiting[waitingCount++] = h;
                return;
            }
            if (r != Status.NOT_READY)
            {
                h.state = Handle.State.LOADED;
            }
        }
        answerLoad(h, c);
    }

    private int pollWaiting(final long now)
    {
        int done = 0;
        for (int i = 0; i < waitingCount; )
        {
            final Handle h = waiting[i];
            final int r = engine.poll(h);
            final boolean arrived = r != Status.NOT_READY;
            if (arrived || now >= h.waitDeadlineMs)
            {
                if (arrived)
                {
                    h.state = Handle.State.LOADED;
                }
                else
                {
                    stats[Stat.LOAD_DEADLINES.ordinal()].incrementAndGet();
                }
                answerLoad(h);
                waiting[i] = waiting[--waitingCount];
                waiting[waitingCount] = null;
                done++;
            }
            else
            {
                i++;
            }
        }
        return done;
    }

    private void answerLoad(final Handle h)
    {
        final Connection c = h.waiting;
        h.waiting = null;
        if (c != null)
        {
            answerLoad(h, c);
        }
    }

    /** The lease's slots that arrived: G1 hits first, then the onboarded ones (a leading run of the prefix). */
    private void answerLoad(final Handle h, final Connection c)
    {
        final ByteBuffer r = begin(c, Protocol.OP_LOAD);
        r.putInt(h.count);
        putSlots(r, h, c.session.mapped);
        finish(c);
    }

    private void putSlots(final ByteBuffer r, final Handle h, final boolean mapped)
    {
        for (int i = 0; i < h.count; i++)
        {
            // a copy-mode session learns block indexes only: no slot, no offset into memory it cannot map
            r.putInt(mapped ? h.slots[i] : i).putInt(0).putLong(mapped ? memory.fileOffset(h.slots[i]) : 0)
                .putLong(blockBytes);
        }
    }

    private void prepare(final Connection c, final ByteBuffer b)
    {
        if (b.remaining() < 8)
        {
            error(c, Protocol.E_MALFORMED, "STORE_PREPARE: payload of " + b.remaining() + " bytes, needs at least 8");
            return;
        }
        final int first = b.getInt();
        final int n = b.getInt();
        if (first < 0 || first > Protocol.MAX_POSITION || n < 1 || n > Protocol.MAX_BLOCKS)
        {
            error(c, n < 1 || n > Protocol.MAX_BLOCKS ? Protocol.E_LIMIT : Protocol.E_OUT_OF_RANGE,
                "STORE_PREPARE: first " + first + " must be in 0.." + Protocol.MAX_POSITION + " and the block count " +
                    n + " in 1.." + Protocol.MAX_BLOCKS);
            return;
        }
        final long need = 16L * (n + (first > 0 ? 1 : 0));
        if (b.remaining() != need)
        {
            error(c, Protocol.E_MALFORMED, "STORE_PREPARE of " + n + " blocks at " + first + " needs " + need +
                " bytes of ids (the parent first when first > 0), the frame has " + b.remaining());
            return;
        }
        final Session s = c.session;
        final Handle h = allocHandle(s);
        if (h == null)
        {
            error(c, Protocol.E_LIMIT, "no store free: " + handles.length + " leases and stores are held");
            return;
        }
        clientIds.clear();
        for (int i = 0; i < n + (first > 0 ? 1 : 0); i++)
        {
            clientIds.add(b.getLong(), b.getLong());
        }
        toEngine(s, clientIds, 0, clientIds.size(), h.ids);
        final int r = engine.allocate(n, s.id, h);
        if (r < 0)
        {
            freeHandle(h);
            statusError(c, r, "STORE_PREPARE of " + n + " blocks");
            return;
        }
        h.state = Handle.State.PREPARED;
        h.first = first;
        h.scheduled = n;
        h.expiresAtMs = clock.time() + settings.leaseTtlMs();
        stats[Stat.STORES.ordinal()].incrementAndGet();
        final ByteBuffer reply = begin(c, Protocol.OP_STORE_PREPARE);
        reply.putLong(h.id).putInt(n);
        putSlots(reply, h, s.mapped);
        finish(c);
    }

    private void commit(final Connection c, final ByteBuffer b)
    {
        if (b.remaining() < 12)
        {
            error(c, Protocol.E_MALFORMED, "STORE_COMMIT: payload of " + b.remaining() + " bytes, needs at least 12");
            return;
        }
        final long store = b.getLong();
        final int n = b.getInt();
        final Handle h = handleOf(c.session, store);
        if (h == null || h.state != Handle.State.PREPARED)
        {
            error(c, Protocol.E_UNKNOWN_HANDLE, "STORE_COMMIT: " + Long.toHexString(store) +
                " is not a prepared store of this session (committed, released, expired, or another session's)");
            return;
        }
        if (n != h.count || b.remaining() != 8L * n)
        {
            error(c, Protocol.E_OUT_OF_RANGE, "STORE_COMMIT: " + n + " checksums in " + b.remaining() +
                " bytes for a store of " + h.count + " blocks (8 bytes each)");
            return;
        }
        for (int i = 0; i < n; i++)
        {
            verified[i] = checksum(c.session.checksumKind, h.slots[i]) == b.getLong();
        }
        engine.commit(h, verified, outcomes, c.session.id); // every slot registered or released
        final ByteBuffer r = begin(c, Protocol.OP_STORE_COMMIT);
        r.putInt(n);
        for (int i = 0; i < n; i++)
        {
            final int outcome = outcomes[i];
            r.put((byte)outcome);
            final Stat stat = outcome == Protocol.STORED ? Stat.STORED_BLOCKS : outcome == Protocol.DEDUPLICATED ?
                Stat.DEDUPLICATED_BLOCKS : outcome == Protocol.CHECKSUM_MISMATCH ? Stat.CHECKSUM_MISMATCHES : null;
            if (stat != null)
            {
                stats[stat.ordinal()].incrementAndGet();
            }
        }
        freeHandle(h);
        finish(c);
    }

    private long checksum(final int kind, final int slot)
    {
        if (kind == Protocol.CHECKSUM_CRC32)
        {
            final ByteBuffer view = slotViews[slot];
            crc.reset();
            crc.update(view);
            view.clear();
            return crc.getValue();
        }
        return XXH3.hashMemory(memory.address(slot), blockBytes);
    }

    private void release(final Connection c, final ByteBuffer b)
    {
        if (b.remaining() != 8)
        {
            error(c, Protocol.E_MALFORMED, "RELEASE: payload of " + b.remaining() + " bytes, needs 8 (the handle)");
            return;
        }
        final long id = b.getLong();
        final Handle h = handleOf(c.session, id);
        if (h == null || h.state == Handle.State.DRAINING || h.waiting != null)
        {
            error(c, Protocol.E_UNKNOWN_HANDLE, "RELEASE: " + Long.toHexString(id) +
                " is not a live lease or store of this session");
            return;
        }
        drop(h);
        begin(c, Protocol.OP_RELEASE);
        finish(c);
    }

    private void stats(final Connection c)
    {
        final ByteBuffer r = begin(c, Protocol.OP_STATS);
        final Counter[] counters = Counter.values();
        final Stat[] own = Stat.values();
        r.putInt(counters.length + own.length + 1);
        for (final Counter counter : counters)
        {
            putString(r, "engine." + counter.name().toLowerCase(java.util.Locale.ROOT));
            r.putLong(engine.counter(counter));
        }
        for (final Stat stat : own)
        {
            putString(r, "service." + stat.name().toLowerCase(java.util.Locale.ROOT));
            r.putLong(stats[stat.ordinal()].get());
        }
        putString(r, "service.handles_in_use");
        r.putLong(handles.length - freeCount);
        finish(c);
    }

    private void read(final Connection c, final ByteBuffer b)
    {
        final Handle h = copyTarget(c, b, "READ", true);
        if (h == null)
        {
            return;
        }
        final int index = b.getInt(Protocol.HEADER_BYTES + 8);
        final long offset = b.getLong(Protocol.HEADER_BYTES + 12);
        final int length = b.getInt(Protocol.HEADER_BYTES + 20);
        final ByteBuffer r = begin(c, Protocol.OP_READ);
        r.putInt(length);
        final ByteBuffer view = slotViews[h.slots[index]];
        view.limit((int)(offset + length)).position((int)offset);
        r.put(view);
        view.clear();
        finish(c);
    }

    private void write(final Connection c, final ByteBuffer b)
    {
        final Handle h = copyTarget(c, b, "WRITE", false);
        if (h == null)
        {
            return;
        }
        final int index = b.getInt(Protocol.HEADER_BYTES + 8);
        final long offset = b.getLong(Protocol.HEADER_BYTES + 12);
        final ByteBuffer view = slotViews[h.slots[index]];
        b.position(Protocol.HEADER_BYTES + 24);
        view.position((int)offset);
        view.put(b);
        view.clear();
        begin(c, Protocol.OP_WRITE);
        finish(c);
    }

    /** Checks a READ (of a lease) or WRITE (into a prepared store): handle, index, range. */
    private Handle copyTarget(final Connection c, final ByteBuffer b, final String what, final boolean lease)
    {
        if (b.remaining() < 24)
        {
            error(c, Protocol.E_MALFORMED, what + ": payload of " + b.remaining() + " bytes, needs at least 24");
            return null;
        }
        final long id = b.getLong();
        final int index = b.getInt();
        final long offset = b.getLong();
        final int length = b.getInt();
        final Handle h = handleOf(c.session, id);
        if (h == null || (lease ? !h.isLease() || h.state == Handle.State.DRAINING : h.state != Handle.State.PREPARED))
        {
            error(c, Protocol.E_UNKNOWN_HANDLE, what + ": " + Long.toHexString(id) + " is not a live " +
                (lease ? "lease" : "prepared store") + " of this session");
            return null;
        }
        // offset > blockBytes - length, not offset + length > blockBytes: a u64 offset near 2^63 made the sum wrap
        // negative, passed this check, and the slot view's position(-1) killed the serving thread (fuzz finding)
        if (index < 0 || index >= h.count || offset < 0 || length < 0 || length > blockBytes ||
            offset > blockBytes - length || length > Protocol.MAX_COPY_PIECE)
        {
            error(c, Protocol.E_OUT_OF_RANGE, what + ": block " + index + " bytes " + offset + "+" + length +
                " outside the handle's " + h.count + " blocks of " + blockBytes + " bytes (at most " +
                Protocol.MAX_COPY_PIECE + " per frame)");
            return null;
        }
        if (!lease && b.remaining() != length)
        {
            error(c, Protocol.E_MALFORMED, "WRITE of " + length + " bytes carries " + b.remaining());
            return null;
        }
        h.expiresAtMs = clock.time() + settings.leaseTtlMs();
        return h;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Handles, sessions, expiry

    private Handle allocHandle(final Session s)
    {
        if (freeCount == 0)
        {
            return null;
        }
        final int index = freeHandles[--freeCount];
        final Handle h = handles[index];
        final int generation = ++generations[index] & 0xFF_FFFF;
        h.id = ((long)(generation == 0 ? ++generations[index] : generation) << 24) | index;
        h.session = s;
        s.handles++;
        return h;
    }

    private void freeHandle(final Handle h)
    {
        h.session.handles--;
        final int index = (int)(h.id & 0xFF_FFFF);
        h.reset();
        h.id = 0;
        freeHandles[freeCount++] = index;
    }

    /** The live handle {@code id} if it belongs to {@code s}; null for another session's, a stale or a made-up id. */
    private Handle handleOf(final Session s, final long id)
    {
        final long index = id & 0xFF_FFFF;
        if (id <= 0 || index >= handles.length)
        {
            return null;
        }
        final Handle h = handles[(int)index];
        return h.id == id && h.session == s && h.state != Handle.State.FREE ? h : null;
    }

    /** Releases what a handle holds and frees it; a lease whose onboard still runs drains first. */
    private void drop(final Handle h)
    {
        if (h.waiting != null)
        {
            return; // answered (and then droppable) by pollWaiting or shutdown
        }
        if (h.state == Handle.State.PINNED && h.onboard.pending() && engine.poll(h) == Status.NOT_READY)
        {
            h.state = Handle.State.DRAINING;
            return;
        }
        engine.releaseAll(h);
        freeHandle(h);
    }

    private int expire(final long now)
    {
        int work = 0;
        for (final Handle h : handles)
        {
            if (h.state == Handle.State.DRAINING)
            {
                if (engine.poll(h) != Status.NOT_READY)
                {
                    engine.releaseAll(h);
                    freeHandle(h);
                    work++;
                }
            }
            else if (h.state != Handle.State.FREE && h.waiting == null && now >= h.expiresAtMs)
            {
                stats[Stat.EXPIRED_HANDLES.ordinal()].incrementAndGet();
                drop(h);
                work++;
            }
        }
        return work;
    }

    /** A connection ended: every handle of its session goes. */
    private void reclaim(final Connection c)
    {
        final Session s = c.session;
        if (s == null || s.handles == 0)
        {
            return;
        }
        for (final Handle h : handles)
        {
            if (h.session == s && h.state != Handle.State.FREE && h.state != Handle.State.DRAINING)
            {
                stats[Stat.RECLAIMED_HANDLES.ordinal()].incrementAndGet();
                drop(h);
            }
        }
    }

    /** Maps client ids into the engine's id space of the session's tenant: XXH3-128(salt, id). */
    private void toEngine(final Session s, final BlockIds in, final int from, final int count, final BlockIds out)
    {
        out.clear();
        hashIn[0] = s.salt.hi();
        hashIn[1] = s.salt.lo();
        for (int i = from; i < from + count; i++)
        {
            hashIn[2] = in.hi(i);
            hashIn[3] = in.lo(i);
            XXH128.hashLongs(hashIn, hashOut);
            out.add(hashOut[0], hashOut[1]);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Replies

    private static ByteBuffer begin(final Connection c, final int op)
    {
        final ByteBuffer r = c.reply;
        r.clear();
        r.putInt(0).put((byte)(op | Protocol.REPLY)).put((byte)0).putShort((short)0)
            .putInt(c.request.getInt(Protocol.TAG_OFFSET));
        return r;
    }

    private static void finish(final Connection c)
    {
        final ByteBuffer r = c.reply;
        r.putInt(0, r.position() - 4);
        r.flip();
        c.publishReply();
    }

    private void error(final Connection c, final int code, final String message)
    {
        stats[Stat.ERRORS.ordinal()].incrementAndGet();
        c.error(code, message);
        c.publishReply();
    }

    private void statusError(final Connection c, final int status, final String what)
    {
        switch (status)
        {
            case Status.NO_SPACE -> error(c, Protocol.E_NO_SPACE, what + ": no free or evictable slot in shared memory");
            case Status.BACK_PRESSURED -> error(c, Protocol.E_BUSY, what + ": the engine's ring is full; try again");
            case Status.CLOSED -> error(c, Protocol.E_SHUTTING_DOWN, what + ": the engine is closed");
            default -> error(c, Protocol.E_INTERNAL, what + ": engine status " + Status.name(status));
        }
    }

    private static String string(final ByteBuffer b)
    {
        if (b.remaining() < 2)
        {
            return null;
        }
        final int n = b.getShort() & 0xFFFF;
        if (n > Protocol.MAX_STRING || b.remaining() < n)
        {
            return null;
        }
        final byte[] bytes = new byte[n];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void putString(final ByteBuffer r, final String s)
    {
        final byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        r.putShort((short)bytes.length).put(bytes);
    }
}
