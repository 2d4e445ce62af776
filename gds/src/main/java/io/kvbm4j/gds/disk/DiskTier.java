package io.kvbm4j.gds.disk;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.UnaryOperator;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.gds.cufile.CuFileDriver;
import io.kvbm4j.gds.cufile.CuFileException;
import io.kvbm4j.gds.cufile.PosixFiles;

/**
 * G3: block payloads on local SSD, in one preallocated slot file under {@code g3.root}, through cuFile
 * where GPUDirect Storage opens and through O_DIRECT file I/O where it does not.
 *
 * <p>What it owns: the slot file ({@code g3-slots.dat}, mode 0600, {@code slotCount} slots of
 * {@code 4096 + roundUp(maxPayload, 4096)} bytes; see {@link SlotHeaderLayout}), the persisted index
 * ({@code g3-index.dat}, {@link SlotDirectory}), an in-memory id → slot index, the free stack and each
 * slot's metadata (id, salt, length, generation).
 *
 * <p>Concurrency: the indexes, free stack and metadata are owned by the thread that opened the tier
 * (the G3 transfer thread; {@link #takeOwnership()} hands them on); {@link #write}, {@link #read},
 * {@link #evict}, {@link #reserve}, {@link #commit} and the other owner methods check it with an
 * assert. {@link #writeSlot} and {@link #readSlot} are safe from any thread holding its own
 * {@link SlotIo} ({@link #newIo()}), on slots the owner handed it: that is how queue depths above 1
 * run (owner reserves, I/O thread writes, owner commits). Counters are atomic and readable anywhere.
 *
 * <p>Asynchronous path ({@link #submitWrite}, {@link #submitRead}, {@link #pollCompletions}; owner
 * thread): {@code g3.queue-depth} I/O threads ({@link DiskIoPool}) move blocks, cut into parts, and
 * take their checksums; the owner hands off and collects without ever blocking. A write is committed
 * (index entry, then in-memory index) only in {@code pollCompletions}, after every part landed; a read
 * pins its slot until its completion, so an eviction meanwhile frees the slot only afterwards
 * ({@code DRAINING}); {@link #close} waits for running I/Os before releasing anything.
 *
 * <p>Invariants: {@code free + reserved + indexed + draining == slotCount}; a slot is indexed under the id its
 * index entry names; a read is a hit only after magic, version, header checksum, id, salt, length,
 * generation and payload checksum of the slot itself match, otherwise the slot is freed and counted
 * ({@link DiskCounter#CORRUPT_SLOTS}). A write is acknowledged (OK from {@link #write} or
 * {@link #commit}) only once slot and index entry are written.
 *
 * <p>Warm restart: {@link #open} reads the index file (64 bytes per slot); an entry failing its checksum
 * is settled by reading that slot's header. Without a usable index file (missing, other geometry) it
 * reads every slot header ({@code g3.scan-threads} threads) and writes the index file again; broken
 * headers are zeroed and counted, and of two slots holding one id the newer generation wins. See
 * docs/DISK.md for why.
 *
 * <p>Failures: every I/O failure is a status and a counter; {@code g3.degrade-after-failures} failures in
 * a row mark the tier degraded, after which it refuses I/O ({@link DiskStatus#DEGRADED}) until reopened.
 */
public final class DiskTier implements AutoCloseable
{
    public static final String SLOT_FILE = "g3-slots.dat";

    private static final System.Logger LOG = System.getLogger(DiskTier.class.getName());
    private static final int EOPNOTSUPP = 95;
    private static final int ENOSPC = 28;
    private static final byte FREE = 0;
    private static final byte STORED = 1;
    private static final byte RESERVED = 2;
    /** Dropped from the index while reads of it are in flight: freed when the last one completes. */
    private static final byte DRAINING = 3;

    private final DiskTierConfig config;
    private final Path file;
    private final long stride;
    private final int slotCount;
    private final long maxPayload;
    private final boolean direct;
    private final CuFileDriver driver;
    private final String ioDescription;
    private final AtomicLongArray counters;
    private final AtomicInteger failuresInARow = new AtomicInteger();
    private volatile boolean degraded;
    private volatile boolean closed;
    private Thread owner;

    private final long[] idHi;
    private final long[] idLo;
    private final long[] salt;
    private final long[] length;
    private final long[] generation;
    private final byte[] state;
    private final int[] freeStack;
    private int freeTop;
    private final int[] table;
    private final int mask;
    private long nextGeneration = 1;
    private long recoveryNanos;
    private boolean recoveredFromDirectory;
    private SlotIo ownerIo;
    private SlotDirectory directory;
    private final UnaryOperator<SlotIo> ioWrapper;
    /** Asynchronous reads in flight per slot (owner only): a slot with pins is never freed. */
    private final int[] pins;
    private DiskIoPool pool;
    private int draining;
    private final DiskIoPool.Finisher finisher = this::finish;
    private DiskCompletionHandler handler;

    private DiskTier(final DiskTierConfig config, final Path file, final boolean direct, final CuFileDriver driver,
                     final String ioDescription, final AtomicLongArray counters, final UnaryOperator<SlotIo> ioWrapper)
    {
        this.ioWrapper = ioWrapper;
        this.pins = new int[config.slotCount()];
        this.config = config;
        this.file = file;
        this.slotCount = config.slotCount();
        this.maxPayload = config.maxPayloadBytes();
        this.stride = strideOf(maxPayload);
        this.direct = direct;
        this.driver = driver;
        this.ioDescription = ioDescription;
        this.counters = counters;
        this.idHi = new long[slotCount];
        this.idLo = new long[slotCount];
        this.salt = new long[slotCount];
        this.length = new long[slotCount];
        this.generation = new long[slotCount];
        this.state = new byte[slotCount];
        this.freeStack = new int[slotCount];
        final int capacity = Integer.highestOneBit(Math.max(2, slotCount) * 2 - 1) * 2;
        this.table = new int[capacity];
        this.mask = capacity - 1;
        this.owner = Thread.currentThread();
    }

    /** Bytes per slot: a 4 KiB header block and the payload rounded up to 4 KiB. */
    public static long strideOf(final long maxPayloadBytes)
    {
        return SlotHeaderLayout.HEADER_BLOCK + SlotHeaderLayout.alignUp(maxPayloadBytes);
    }

    /**
     * Opens (creating if needed) the tier under {@code config.root()}: checks free space, reserves the
     * slot file, chooses the I/O path (logs one line saying which), and rebuilds the index from the slot
     * headers. The calling thread becomes the owner.
     *
     * @throws DiskTierException with the reason: space short, root unusable, GDS required but unavailable.
     */
    public static DiskTier open(final DiskTierConfig config) throws DiskTierException
    {
        return open(config, UnaryOperator.identity());
    }

    /**
     * {@link #open(DiskTierConfig)} with every I/O context of the owner and of the I/O threads passed
     * through {@code ioWrapper} (tests wrap them in fault-injecting doubles).
     */
    public static DiskTier open(final DiskTierConfig config, final UnaryOperator<SlotIo> ioWrapper) throws DiskTierException
    {
        final Path root = config.root().toAbsolutePath().normalize();
        final AtomicLongArray counters = DiskCounter.newArray();
        final Path file = prepareFile(config, root, counters);
        final boolean direct = PosixSlotIo.directSupported(file);
        if (!direct)
        {
            counters.incrementAndGet(DiskCounter.DIRECT_IO_REFUSED.ordinal());
            LOG.log(System.Logger.Level.INFO, "G3: " + root + " refuses O_DIRECT; using buffered I/O there");
        }
        CuFileDriver driver = null;
        String description = "POSIX " + (direct ? "O_DIRECT" : "buffered (O_DIRECT refused)") + " I/O";
        if (config.io() == IoPath.POSIX)
        {
            description += " (g3.io=posix)";
        }
        else
        {
            try
            {
                driver = CuFileDriver.open(config.cufileLibrary(), config.driverTimeout());
                new CuFileSlotIo(driver, file, direct).close(); // can a handle be registered here?
                description = "cuFile: " + driver.properties().describe();
            }
            catch (final CuFileException e)
            {
                if (driver != null)
                {
                    driver.close();
                    driver = null;
                }
                if (config.io() == IoPath.GDS_REQUIRED)
                {
                    throw new DiskTierException("G3 cannot start: g3.io=gds-required but " + e.getMessage());
                }
                description += " (" + e.getMessage() + ")";
            }
        }
        LOG.log(System.Logger.Level.INFO, "G3 disk tier at " + file + ": " + description);
        final DiskTier tier = new DiskTier(config, file, direct, driver, description, counters, ioWrapper);
        try
        {
            tier.ownerIo = ioWrapper.apply(tier.newIo());
            final SlotIo[] ios = new SlotIo[config.queueDepth()];
            try
            {
                for (int i = 0; i < ios.length; i++)
                {
                    ios[i] = ioWrapper.apply(tier.newIo());
                }
            }
            catch (final DiskTierException | RuntimeException e)
            {
                for (final SlotIo io : ios)
                {
                    if (io != null)
                    {
                        io.close();
                    }
                }
                throw e;
            }
            tier.pool = new DiskIoPool(tier, ios, config.partBytes());
            tier.directory = SlotDirectory.open(file.getParent(), tier.slotCount, tier.stride);
            tier.recover();
        }
        catch (final IOException e)
        {
            tier.close();
            throw new DiskTierException("g3.root " + root + ": cannot open the index " + SlotDirectory.FILE + ": " + e, e);
        }
        catch (final DiskTierException | RuntimeException e)
        {
            tier.close();
            throw e;
        }
        return tier;
    }

    private static Path prepareFile(final DiskTierConfig config, final Path root, final AtomicLongArray counters)
        throws DiskTierException
    {
        final long size = strideOf(config.maxPayloadBytes()) * config.slotCount();
        try
        {
            if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS))
            {
                Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
            if (!Files.isDirectory(root))
            {
                throw new DiskTierException("g3.root " + root + " is not a directory");
            }
            final Path file = root.resolve(SLOT_FILE);
            if (!file.normalize().getParent().equals(root) || Files.isSymbolicLink(file))
            {
                throw new DiskTierException("g3.root: " + file + " must be a regular file inside " + root +
                    " (symbolic links are refused)");
            }
            final boolean created = !Files.exists(file, LinkOption.NOFOLLOW_LINKS);
            if (created)
            {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            else
            {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            final long existing = Files.size(file);
            if (existing < size)
            {
                final long usable = Files.getFileStore(root).getUsableSpace();
                if (usable < size - existing)
                {
                    if (created)
                    {
                        Files.deleteIfExists(file);
                    }
                    throw new DiskTierException("g3.root " + root + " has " + usable + " bytes free but the slot file " +
                        "needs " + (size - existing) + " more (g3.slot-count " + config.slotCount() + " x " +
                        strideOf(config.maxPayloadBytes()) + " bytes per slot): lower g3.slot-count or " +
                        "g3.max-payload-bytes, or free space");
                }
                final int errno = PosixFiles.fallocate(file, size);
                if (errno == EOPNOTSUPP)
                {
                    counters.incrementAndGet(DiskCounter.FALLOCATE_UNSUPPORTED.ordinal());
                    LOG.log(System.Logger.Level.INFO, "G3: " + root + " cannot fallocate; slot file extended sparsely");
                    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw"))
                    {
                        raf.setLength(size);
                    }
                }
                else if (errno != 0)
                {
                    throw new DiskTierException("g3.root " + root + ": reserving " + size + " bytes for " + file +
                        " failed: " + (errno == ENOSPC ? "no space left on device" : "errno " + errno));
                }
            }
            return file;
        }
        catch (final IOException e)
        {
            throw new DiskTierException("g3.root " + root + ": " + e, e);
        }
    }

    /** A new I/O context for the calling thread; close it when the thread is done. */
    public SlotIo newIo() throws DiskTierException
    {
        try
        {
            return driver != null ? new CuFileSlotIo(driver, file, direct) : new PosixSlotIo(file, direct);
        }
        catch (final IOException e)
        {
            throw new DiskTierException("G3: cannot open " + file + ": " + e, e);
        }
        catch (final CuFileException e)
        {
            throw new DiskTierException("G3: cannot register " + file + " with cuFile: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ owner-thread API

    /**
     * Writes a block to a free slot and indexes it. {@code src} must be 4 KiB aligned with
     * {@code roundUp(length, 4096)} readable bytes (a G2 slot is).
     */
    public DiskStatus write(final long idHi, final long idLo, final long saltId, final long src, final long length)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        if (find(idHi, idLo) >= 0)
        {
            return DiskStatus.ALREADY_PRESENT;
        }
        final DiskStatus refused = refusal(src, length);
        if (refused != null)
        {
            return refused;
        }
        final int slot = reserve();
        if (slot < 0)
        {
            return DiskStatus.NO_SLOT;
        }
        final long gen = newGeneration();
        final DiskStatus s = writeSlot(ownerIo, slot, idHi, idLo, saltId, src, length, gen);
        if (s != DiskStatus.OK)
        {
            abort(slot);
            return s;
        }
        return commit(slot, idHi, idLo, saltId, length, gen);
    }

    /**
     * Takes a free slot for a write that an I/O thread will do ({@link #writeSlot}); -1 (counted as
     * {@link DiskCounter#NO_SLOT}) when every slot is in use. Follow with {@link #commit} or {@link #abort}.
     */
    public int reserve()
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        if (freeTop == 0)
        {
            count(DiskCounter.NO_SLOT);
            return -1;
        }
        final int slot = freeStack[--freeTop];
        state[slot] = RESERVED;
        return slot;
    }

    /** The write generation for the next {@link #writeSlot}: increasing across the tier's life, restarts included. */
    public long newGeneration()
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        return nextGeneration++;
    }

    /**
     * Publishes a reserved slot that {@link #writeSlot} filled: records it in the persisted index, then in
     * the id index. Only now is the block a hit, and only now should the write be acknowledged.
     * {@link DiskStatus#ALREADY_PRESENT} if another slot took the id meanwhile (this one is freed).
     */
    public DiskStatus commit(final int slot, final long idHi, final long idLo, final long saltId, final long length,
                             final long gen)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        if (state[slot] != RESERVED)
        {
            throw new IllegalStateException("G3 slot " + slot + " was not reserved");
        }
        if (find(idHi, idLo) >= 0)
        {
            abort(slot);
            return DiskStatus.ALREADY_PRESENT;
        }
        if (!directory.put(slot, idHi, idLo, saltId, length, gen))
        {
            abort(slot);
            return failed(DiskStatus.IO_ERROR);
        }
        store(slot, idHi, idLo, saltId, length, gen);
        return DiskStatus.OK;
    }

    /** Returns a reserved slot whose write failed or was abandoned to the free stack. */
    public void abort(final int slot)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        if (state[slot] != RESERVED)
        {
            throw new IllegalStateException("G3 slot " + slot + " was not reserved");
        }
        state[slot] = FREE;
        freeStack[freeTop++] = slot;
    }

    /**
     * Reads a block into {@code dst} (4 KiB aligned, {@code capacity >= roundUp(length, 4096)}) and
     * verifies it. Anything but {@link DiskStatus#OK} is a miss; {@link DiskStatus#CORRUPT} has freed the slot.
     */
    public DiskStatus read(final long idHi, final long idLo, final long saltId, final long dst, final long capacity)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        final int slot = find(idHi, idLo);
        if (slot < 0 || salt[slot] != saltId)
        {
            count(DiskCounter.MISSES);
            return DiskStatus.MISS;
        }
        final DiskStatus s = readSlot(ownerIo, slot, idHi, idLo, saltId, length[slot], generation[slot], dst, capacity);
        if (s == DiskStatus.CORRUPT)
        {
            free(slot);
            clearOnDisk(ownerIo, slot);
            directory.clear(slot);
        }
        return s;
    }

    // ------------------------------------------------------------------ asynchronous API (owner thread)

    /**
     * Starts writing a block with the I/O threads and returns at once: {@link DiskStatus#SUBMITTED} (the
     * outcome comes from {@link #pollCompletions} with {@code tag}), or, with nothing started,
     * {@link DiskStatus#ALREADY_PRESENT}, {@link DiskStatus#BUSY} (every I/O of {@code g3.queue-depth} in
     * flight), {@link DiskStatus#NO_SLOT}, {@link DiskStatus#INVALID}, {@link DiskStatus#TOO_LARGE},
     * {@link DiskStatus#DEGRADED} or {@link DiskStatus#CLOSED}.
     *
     * <p>{@code src} (4 KiB aligned, {@code roundUp(length, 4096)} bytes) must stay untouched until the
     * completion. The block becomes a hit only when its completion says OK: every part landed and the
     * index entry is written (as {@link #write}). A write of an id whose earlier write is still in flight
     * completes {@link DiskStatus#ALREADY_PRESENT} if the earlier one lands first.
     */
    public DiskStatus submitWrite(final long idHi, final long idLo, final long saltId, final long src, final long length,
                                  final long tag)
    {
        return submitWrite(idHi, idLo, saltId, src, length, 0, tag);
    }

    /**
     * {@link #submitWrite(long, long, long, long, long, long)} with the caller's own checksum of the payload,
     * kept in the slot's header and handed back by every verified read of it ({@link SlotHeaderLayout}, "Caller
     * checksum"); 0 for none. The tier neither computes nor checks it.
     */
    public DiskStatus submitWrite(final long idHi, final long idLo, final long saltId, final long src, final long length,
                                  final long callerChecksum, final long tag)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        if (find(idHi, idLo) >= 0)
        {
            return DiskStatus.ALREADY_PRESENT;
        }
        final DiskStatus refused = refusal(src, length);
        if (refused != null)
        {
            return refused;
        }
        if (!pool.canSubmit())
        {
            return DiskStatus.BUSY;
        }
        final int slot = reserve();
        if (slot < 0)
        {
            return DiskStatus.NO_SLOT;
        }
        pool.dispatch(true, slot, idHi, idLo, saltId, length, newGeneration(), src, callerChecksum, tag);
        return DiskStatus.SUBMITTED;
    }

    /**
     * Starts reading a block into {@code dst} (4 KiB aligned, {@code capacity >= roundUp(length, 4096)})
     * and returns at once: {@link DiskStatus#SUBMITTED}, or, with nothing started, {@link DiskStatus#MISS}
     * (counted), {@link DiskStatus#BUSY}, {@link DiskStatus#TOO_LARGE}, {@link DiskStatus#INVALID},
     * {@link DiskStatus#DEGRADED} or {@link DiskStatus#CLOSED}. The completion is OK only after the header
     * and the payload checksum of every part verified; CORRUPT has dropped the block. Until the
     * completion the slot is pinned: an eviction meanwhile drops the block from the index but the slot is
     * reused only after the read completed.
     */
    public DiskStatus submitRead(final long idHi, final long idLo, final long saltId, final long dst, final long capacity,
                                 final long tag)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        final int slot = find(idHi, idLo);
        if (slot < 0 || salt[slot] != saltId)
        {
            count(DiskCounter.MISSES);
            return DiskStatus.MISS;
        }
        final DiskStatus refused = refusal(dst, length[slot]);
        if (refused != null)
        {
            return refused;
        }
        if (capacity < SlotHeaderLayout.alignUp(length[slot]))
        {
            return DiskStatus.TOO_LARGE;
        }
        if (!pool.canSubmit())
        {
            return DiskStatus.BUSY;
        }
        pins[slot]++;
        pool.dispatch(false, slot, idHi, idLo, saltId, length[slot], generation[slot], dst, 0, tag);
        return DiskStatus.SUBMITTED;
    }

    /**
     * Collects finished asynchronous I/Os without blocking, at most {@code limit} blocks, and reports
     * each to {@code completions} (on this thread): writes OK (landed and indexed: now a hit),
     * ALREADY_PRESENT, or the failure (slot freed); reads OK (verified), CORRUPT (block dropped) or the
     * failure (block kept: the fault may be transient). After {@link #close} writes report CLOSED. Returns
     * the blocks reported.
     */
    public int pollCompletions(final DiskCompletionHandler completions, final int limit)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        handler = completions;
        try
        {
            return pool.poll(finisher, limit);
        }
        finally
        {
            handler = null;
        }
    }

    /** I/O threads busy with a submitted block whose completion is not yet collected (owner thread). */
    public int inFlight()
    {
        return pool.busy();
    }

    /** {@code g3.queue-depth}: the most I/Os in flight on the asynchronous path. */
    public int queueDepth()
    {
        return pool.depth();
    }

    /**
     * Parts the asynchronous path cuts a block of {@code length} bytes into when enough I/O threads are idle
     * ({@code g3.part-bytes}; 1 when it is 0 or the block is no longer), at most {@link #queueDepth}.
     */
    public int partsPerBlock(final long length)
    {
        final long partBytes = config.partBytes();
        final long parts = partBytes == 0 || length <= partBytes ? 1 : (length + partBytes - 1) / partBytes;
        return (int)Math.min(parts, Math.max(1, queueDepth()));
    }

    private void finish(final DiskIoPool.BlockOp b)
    {
        DiskStatus s = b.status;
        final int slot = b.slot;
        if (b.write)
        {
            if (s != DiskStatus.OK)
            {
                failed(s);
                abort(slot);
            }
            else if (closed)
            {
                abort(slot);
                s = DiskStatus.CLOSED;
            }
            else
            {
                failuresInARow.set(0);
                count(DiskCounter.WRITES);
                counters.addAndGet(DiskCounter.WRITE_BYTES.ordinal(), b.length);
                s = commit(slot, b.idHi, b.idLo, b.salt, b.length, b.generation);
            }
        }
        else
        {
            if (s != DiskStatus.OK)
            {
                failed(s);
            }
            else if (!b.headerMatches || b.sum.get() != b.expectedSum)
            {
                count(DiskCounter.CORRUPT_SLOTS);
                s = DiskStatus.CORRUPT;
                if (state[slot] == STORED && generation[slot] == b.generation && !closed)
                {
                    free(slot);
                    clearOnDisk(ownerIo, slot);
                    directory.clear(slot);
                }
            }
            else
            {
                failuresInARow.set(0);
                count(DiskCounter.HITS);
                counters.addAndGet(DiskCounter.READ_BYTES.ordinal(), b.length);
            }
            if (--pins[slot] == 0 && state[slot] == DRAINING)
            {
                draining--;
                state[slot] = FREE;
                freeStack[freeTop++] = slot;
            }
        }
        handler.onComplete(b.tag, b.write, s, !b.write && s == DiskStatus.OK ? b.callerSum : 0);
    }

    /** Offset of a slot in the file. */
    long slotOffset(final int slot)
    {
        return slot * stride;
    }

    long maxPayload()
    {
        return maxPayload;
    }

    /** Payload length of a stored block, or -1. */
    public long payloadLength(final long idHi, final long idLo)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        final int slot = find(idHi, idLo);
        return slot < 0 ? -1 : length[slot];
    }

    public boolean contains(final long idHi, final long idLo)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        return find(idHi, idLo) >= 0;
    }

    /**
     * Drops a block from both indexes and frees its slot; the slot's bytes stay until rewritten (a
     * restart reads the persisted index, so it does not find the block again).
     */
    public boolean evict(final long idHi, final long idLo)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        final int slot = find(idHi, idLo);
        if (slot < 0)
        {
            return false;
        }
        free(slot);
        if (!directory.clear(slot))
        {
            failed(DiskStatus.IO_ERROR);
        }
        count(DiskCounter.EVICTIONS);
        return true;
    }

    /** What {@link #forEachBlock} reports per stored block. */
    @FunctionalInterface
    public interface BlockVisitor
    {
        void visit(long idHi, long idLo, long saltId, long payloadLength);
    }

    /**
     * Visits every indexed block, in slot order: how the engine learns, after a restart, which blocks
     * this tier holds again.
     */
    public void forEachBlock(final BlockVisitor visitor)
    {
        assert isOwner() : "G3 tier used from " + Thread.currentThread().getName();
        for (int s = 0; s < slotCount; s++)
        {
            if (state[s] == STORED)
            {
                visitor.visit(idHi[s], idLo[s], salt[s], length[s]);
            }
        }
    }

    /** Blocks indexed. */
    public int size()
    {
        return slotCount - freeTop - draining;
    }

    public int freeSlots()
    {
        return freeTop;
    }

    /** Hands ownership to the calling thread (for example the transfer thread after a set-up thread opened the tier). */
    public void takeOwnership()
    {
        owner = Thread.currentThread();
    }

    // ------------------------------------------------------------------ slot I/O, any thread with its own SlotIo

    /**
     * Writes one slot: payload checksum, header, one I/O. Safe from any thread with its own {@code io} on
     * a slot no other thread touches. Counts the write or the failure.
     */
    public DiskStatus writeSlot(final SlotIo io, final int slot, final long idHi, final long idLo, final long saltId,
                                final long src, final long length, final long gen)
    {
        final DiskStatus refused = refusal(src, length);
        if (refused != null)
        {
            return refused;
        }
        final UnsafeBuffer h = io.header();
        SlotHeaderLayout.encode(h, idHi, idLo, saltId, length, SlotHeaderLayout.payloadSum(src, length), gen);
        final DiskStatus s = io.write(offset(slot), src, SlotHeaderLayout.alignUp(length));
        if (s != DiskStatus.OK)
        {
            return failed(s);
        }
        failuresInARow.set(0);
        count(DiskCounter.WRITES);
        counters.addAndGet(DiskCounter.WRITE_BYTES.ordinal(), length);
        return DiskStatus.OK;
    }

    /**
     * Reads one slot and verifies it against the expected id, salt, length and generation
     * ({@code gen < 0}: any), and the payload against the header's checksum. Safe from any thread with
     * its own {@code io}. Returns OK (counted as a hit), CORRUPT (counted; the caller frees the slot) or
     * the I/O failure.
     */
    public DiskStatus readSlot(final SlotIo io, final int slot, final long idHi, final long idLo, final long saltId,
                               final long length, final long gen, final long dst, final long capacity)
    {
        final DiskStatus refused = refusal(dst, length);
        if (refused != null)
        {
            return refused;
        }
        final long aligned = SlotHeaderLayout.alignUp(length);
        if (capacity < aligned)
        {
            return DiskStatus.TOO_LARGE;
        }
        final DiskStatus s = io.read(offset(slot), dst, aligned);
        if (s != DiskStatus.OK)
        {
            return failed(s);
        }
        failuresInARow.set(0);
        final UnsafeBuffer h = io.header();
        if (SlotHeaderLayout.check(h, maxPayload) != SlotHeaderLayout.VALID ||
            SlotHeaderLayout.idHi(h) != idHi || SlotHeaderLayout.idLo(h) != idLo ||
            SlotHeaderLayout.salt(h) != saltId || SlotHeaderLayout.length(h) != length ||
            (gen >= 0 && SlotHeaderLayout.generation(h) != gen) ||
            SlotHeaderLayout.payloadChecksum(h) != SlotHeaderLayout.payloadSumFor(h, dst, length))
        {
            count(DiskCounter.CORRUPT_SLOTS);
            return DiskStatus.CORRUPT;
        }
        count(DiskCounter.HITS);
        counters.addAndGet(DiskCounter.READ_BYTES.ordinal(), length);
        return DiskStatus.OK;
    }

    private DiskStatus refusal(final long address, final long length)
    {
        if (closed)
        {
            return DiskStatus.CLOSED;
        }
        if (degraded)
        {
            count(DiskCounter.DEGRADED_REFUSALS);
            return DiskStatus.DEGRADED;
        }
        if (length < 0 || (address & (SlotHeaderLayout.HEADER_BLOCK - 1)) != 0)
        {
            return DiskStatus.INVALID;
        }
        return length > maxPayload ? DiskStatus.TOO_LARGE : null;
    }

    private DiskStatus failed(final DiskStatus s)
    {
        count(s == DiskStatus.NO_SPACE_ON_DEVICE ? DiskCounter.NO_SPACE_ERRORS :
            s == DiskStatus.SHORT_IO ? DiskCounter.SHORT_IO : DiskCounter.IO_ERRORS);
        if (failuresInARow.incrementAndGet() >= config.degradeAfterFailures() && !degraded)
        {
            degraded = true;
            count(DiskCounter.DEGRADED);
            LOG.log(System.Logger.Level.WARNING, "G3 disk tier at " + file + " degraded after " +
                config.degradeAfterFailures() + " I/O failures in a row; last: " + s);
        }
        return s;
    }

    // ------------------------------------------------------------------ restart

    private void recover() throws DiskTierException, IOException
    {
        final long start = System.nanoTime();
        if (directory.existed())
        {
            recoverFromDirectory();
            recoveredFromDirectory = true;
        }
        else
        {
            scanHeaders();
            for (int s = 0; s < slotCount; s++)
            {
                if (state[s] == STORED && !directory.put(s, idHi[s], idLo[s], salt[s], length[s], generation[s]))
                {
                    throw new DiskTierException("G3: cannot write the index " + SlotDirectory.FILE + " under " +
                        file.getParent());
                }
            }
        }
        counters.addAndGet(DiskCounter.RECOVERED_BLOCKS.ordinal(), size());
        recoveryNanos = System.nanoTime() - start;
    }

    /**
     * Reads the persisted index. An entry that fails its checksum is settled by reading that slot's
     * header; entries are otherwise trusted until a read verifies the slot itself.
     */
    private void recoverFromDirectory() throws IOException
    {
        final long[] maxGen = new long[1];
        final UnsafeBuffer h = ownerIo.header();
        directory.load((slot, kind, hi, lo, saltId, len, gen) ->
        {
            int k = kind;
            long eHi = hi;
            long eLo = lo;
            long eSalt = saltId;
            long eLen = len;
            long eGen = gen;
            if (k == SlotDirectory.STORED && (len < 0 || len > maxPayload))
            {
                k = SlotDirectory.DAMAGED;
            }
            if (k == SlotDirectory.DAMAGED)
            {
                final boolean valid = ownerIo.read(offset(slot), 0, 0) == DiskStatus.OK &&
                    SlotHeaderLayout.check(h, maxPayload) == SlotHeaderLayout.VALID;
                if (valid)
                {
                    eHi = SlotHeaderLayout.idHi(h);
                    eLo = SlotHeaderLayout.idLo(h);
                    eSalt = SlotHeaderLayout.salt(h);
                    eLen = SlotHeaderLayout.length(h);
                    eGen = SlotHeaderLayout.generation(h);
                    directory.put(slot, eHi, eLo, eSalt, eLen, eGen);
                    k = SlotDirectory.STORED;
                }
                else
                {
                    count(DiskCounter.CORRUPT_SLOTS);
                    directory.clear(slot);
                    k = SlotDirectory.FREE;
                }
            }
            if (k == SlotDirectory.FREE)
            {
                freeStack[freeTop++] = slot;
                return;
            }
            maxGen[0] = Math.max(maxGen[0], eGen);
            idHi[slot] = eHi;
            idLo[slot] = eLo;
            salt[slot] = eSalt;
            length[slot] = eLen;
            generation[slot] = eGen;
            final int loser = adopt(slot);
            if (loser >= 0)
            {
                directory.clear(loser);
            }
        });
        nextGeneration = maxGen[0] + 1;
    }

    /**
     * Indexes a slot whose metadata arrays are filled. If another slot holds the same id, the older
     * generation loses: it is freed and returned (its header zeroed on disk); -1 otherwise.
     */
    private int adopt(final int s)
    {
        final int other = find(idHi[s], idLo[s]);
        if (other < 0)
        {
            state[s] = STORED;
            insert(s);
            return -1;
        }
        count(DiskCounter.DUPLICATE_SLOTS);
        final int loser = generation[other] > generation[s] ? s : other;
        if (loser == other)
        {
            free(other);
            state[s] = STORED;
            insert(s);
        }
        else
        {
            freeStack[freeTop++] = s;
        }
        clearOnDisk(ownerIo, loser);
        return loser;
    }

    /** Rebuilds the index by reading every slot's header ({@code g3.scan-threads} threads). */
    private void scanHeaders() throws DiskTierException
    {
        final byte[] kinds = new byte[slotCount];
        final int threads = Math.min(config.scanThreads(), slotCount);
        final Thread[] workers = new Thread[threads];
        final SlotIo[] ios = new SlotIo[threads];
        try
        {
            for (int t = 0; t < threads; t++)
            {
                ios[t] = newIo();
            }
            for (int t = 0; t < threads; t++)
            {
                final SlotIo io = ios[t];
                final int from = (int)((long)slotCount * t / threads);
                final int to = (int)((long)slotCount * (t + 1) / threads);
                workers[t] = new Thread(() -> scan(io, from, to, kinds), "g3-scan-" + t);
                workers[t].start();
            }
            for (final Thread w : workers)
            {
                w.join();
            }
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new DiskTierException("G3: interrupted while scanning " + file);
        }
        finally
        {
            for (final SlotIo io : ios)
            {
                if (io != null)
                {
                    io.close();
                }
            }
        }
        // Thread.join ordered the workers' writes to the slot arrays before these reads.
        long maxGen = 0;
        for (int s = slotCount - 1; s >= 0; s--)
        {
            if (kinds[s] == SlotHeaderLayout.VALID)
            {
                maxGen = Math.max(maxGen, generation[s]);
                adopt(s);
            }
            else
            {
                if (kinds[s] == SlotHeaderLayout.BROKEN)
                {
                    count(DiskCounter.CORRUPT_SLOTS);
                    clearOnDisk(ownerIo, s);
                }
                freeStack[freeTop++] = s;
            }
        }
        nextGeneration = maxGen + 1;
    }

    private void scan(final SlotIo io, final int from, final int to, final byte[] kinds)
    {
        final UnsafeBuffer h = io.header();
        for (int s = from; s < to; s++)
        {
            if (io.read(offset(s), 0, 0) != DiskStatus.OK)
            {
                kinds[s] = SlotHeaderLayout.BROKEN;
                continue;
            }
            final int kind = SlotHeaderLayout.check(h, maxPayload);
            kinds[s] = (byte)kind;
            if (kind == SlotHeaderLayout.VALID)
            {
                idHi[s] = SlotHeaderLayout.idHi(h);
                idLo[s] = SlotHeaderLayout.idLo(h);
                salt[s] = SlotHeaderLayout.salt(h);
                length[s] = SlotHeaderLayout.length(h);
                generation[s] = SlotHeaderLayout.generation(h);
            }
        }
    }

    /** Zeroes a slot's header on disk so later restarts do not see it again; a failure is only counted. */
    private void clearOnDisk(final SlotIo io, final int slot)
    {
        SlotHeaderLayout.clear(io.header());
        final DiskStatus s = io.writeHeader(offset(slot));
        if (s != DiskStatus.OK)
        {
            failed(s);
        }
    }

    /** True if the last open read the persisted index; false if it scanned every slot header. */
    public boolean recoveredFromIndexFile()
    {
        return recoveredFromDirectory;
    }

    /** Time the last open spent rebuilding the index, in nanoseconds. */
    public long recoveryNanos()
    {
        return recoveryNanos;
    }

    // ------------------------------------------------------------------ index (owner thread)

    private void store(final int slot, final long hi, final long lo, final long saltId, final long len, final long gen)
    {
        idHi[slot] = hi;
        idLo[slot] = lo;
        salt[slot] = saltId;
        length[slot] = len;
        generation[slot] = gen;
        state[slot] = STORED;
        insert(slot);
    }

    private void free(final int slot)
    {
        remove(slot);
        if (pins[slot] > 0)
        {
            state[slot] = DRAINING; // reads still running into it: freed by the last one's completion
            draining++;
            return;
        }
        state[slot] = FREE;
        freeStack[freeTop++] = slot;
    }

    private int home(final long hi, final long lo)
    {
        return bucket(hi, lo, mask);
    }

    /**
     * Bucket of a 128-bit id: both halves through the murmur3 64-bit finalizer. (A first version,
     * {@code hi * C ^ lo}, put ids with correlated halves into a few buckets and made a restart of
     * 1 M such blocks quadratic; {@code DiskTierTest.idsWithCorrelatedHalvesSpreadOverTheBuckets}.)
     */
    static int bucket(final long hi, final long lo, final int mask)
    {
        return (int)fmix64(hi ^ fmix64(lo)) & mask;
    }

    private static long fmix64(final long x)
    {
        long h = x;
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    private int find(final long hi, final long lo)
    {
        int i = home(hi, lo);
        while (true)
        {
            final int v = table[i];
            if (v == 0)
            {
                return -1;
            }
            if (idHi[v - 1] == hi && idLo[v - 1] == lo)
            {
                return v - 1;
            }
            i = (i + 1) & mask;
        }
    }

    private void insert(final int slot)
    {
        int i = home(idHi[slot], idLo[slot]);
        while (table[i] != 0)
        {
            i = (i + 1) & mask;
        }
        table[i] = slot + 1;
    }

    private void remove(final int slot)
    {
        int i = home(idHi[slot], idLo[slot]);
        while (table[i] != slot + 1)
        {
            i = (i + 1) & mask;
        }
        // Backward-shift delete keeps every probe chain unbroken without tombstones.
        int hole = i;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            final int v = table[j];
            if (v == 0)
            {
                break;
            }
            final int k = home(idHi[v - 1], idLo[v - 1]);
            final boolean movable = hole <= j ? (k <= hole || k > j) : (k <= hole && k > j);
            if (movable)
            {
                table[hole] = v;
                hole = j;
            }
        }
        table[hole] = 0;
    }

    private long offset(final int slot)
    {
        return slot * stride;
    }

    private boolean isOwner()
    {
        return Thread.currentThread() == owner;
    }

    private void count(final DiskCounter c)
    {
        counters.incrementAndGet(c.ordinal());
    }

    // ------------------------------------------------------------------ state

    public long counter(final DiskCounter c)
    {
        return counters.get(c.ordinal());
    }

    /** The I/O path in use, as logged at open. */
    public String ioDescription()
    {
        return ioDescription;
    }

    public boolean usesCuFile()
    {
        return driver != null;
    }

    public boolean directIo()
    {
        return direct;
    }

    public boolean isDegraded()
    {
        return degraded;
    }

    public Path file()
    {
        return file;
    }

    public long stride()
    {
        return stride;
    }

    public int slotCount()
    {
        return slotCount;
    }

    /** Releases the I/O context and the driver. Everything written is already in the file. Idempotent. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (pool != null)
        {
            pool.close(); // waits for every running I/O: nothing below is freed under one
        }
        if (ownerIo != null)
        {
            ownerIo.close();
        }
        if (directory != null)
        {
            directory.close();
        }
        if (driver != null)
        {
            driver.close();
        }
    }
}
