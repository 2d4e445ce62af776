package io.kvbm4j.gds.disk;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The asynchronous G3 path: {@code g3.queue-depth} I/O threads, each with its own {@link SlotIo}, doing
 * blocking O_DIRECT {@code pwritev}/{@code preadv} (or cuFile) calls, so that up to that many I/Os are in
 * flight while the owner (the transfer thread) never blocks.
 *
 * <p>What it owns: the I/O threads ({@link Worker}), an idle stack of them and a free stack of
 * {@link BlockOp}s (both owned by the tier's owner thread), and the completion queue (an Agrona
 * many-to-one array queue, capacity = threads: each thread has at most one completion outstanding, so
 * an offer never fails).
 *
 * <p>Hand-off, without locks or allocation: the owner fills an idle worker's part fields, publishes the
 * block with a volatile store to {@link Worker#task} and unparks the thread. The worker does its part,
 * clears {@code task}, and offers itself to the completion queue (the queue's release/acquire orders its
 * results before the owner reads them). The owner puts a worker back on the idle stack only when it has
 * polled that worker's completion, so a worker's {@link SlotIo} and header buffer are never shared.
 *
 * <p>A block longer than {@code g3.part-bytes} is cut into parts (multiples of
 * {@link SlotHeaderLayout#CHECKSUM_CHUNK}) that idle workers move in parallel; part 0 travels with the
 * header block in one vectored I/O. Checksums are taken on the I/O threads: on a write each worker
 * hashes its own part before writing it and adds its contribution to the block's sum; part 0's worker
 * waits (parked) until every part is hashed, then writes header + part 0. A write given the caller's
 * whole-payload checksum (slot format 3) hashes nothing: every part is written at once and the header carries
 * that checksum. On a read each worker hashes its part right after reading it, part 0's worker checks the
 * header; when the header says the payload checksum is of the whole payload, part 0's worker waits (parked)
 * until every other part landed and hashes the whole payload once. The block completes when its last part
 * does; any part failing fails the whole block, and a part that fails or throws still counts itself done
 * for part 0 (no wait outlives a lost part).
 *
 * <p>Invariant: {@code idle + busy == threads}; a block's slot is neither freed nor reused before all
 * of its parts completed; {@link #close} returns only after every running I/O returned.
 */
final class DiskIoPool implements AutoCloseable
{
    /** One block in flight. Owner fields are written before dispatch; workers write only the atomics and part 0's header results. */
    static final class BlockOp
    {
        boolean write;
        int slot;
        long idHi;
        long idLo;
        long salt;
        long length;
        long generation;
        long buffer;
        long tag;
        /** Parts not yet completed; owner only. */
        int pendingParts;
        /** First failure among the parts; owner only. */
        DiskStatus status;
        /** Sum of the parts' checksum contributions. */
        final AtomicLong sum = new AtomicLong();
        /**
         * Parts still to hash (writes) or to land (reads); part 0's worker waits for 0 before it writes the header
         * of a chunk-summed write, or hashes the payload of a whole-summed read.
         */
        final AtomicInteger hashesLeft = new AtomicInteger();
        /** The thread of part 0's worker, unparked by the last other part. */
        volatile Thread headerThread;
        /** Reads: header valid and naming this block (set by part 0's worker). */
        boolean headerMatches;
        /** Reads: the payload checksum the header holds (set by part 0's worker). */
        long expectedSum;
        /** Writes: the caller checksum to put in the header; reads: the one the header holds (part 0's worker). */
        long callerSum;
        /**
         * Writes: the caller checksum (XXH3-64 of the whole payload) is the payload checksum, nothing is hashed;
         * reads: the header says so (part 0's worker hashes the whole payload once every part landed).
         */
        boolean wholeSum;
    }

    /** An I/O thread and its part of a block. Part fields are written by the owner before {@link #task} is set. */
    final class Worker implements Runnable
    {
        final SlotIo io;
        final Thread thread;
        volatile BlockOp task;
        volatile boolean stop;
        /** The block this worker last worked on, for the owner after the completion (owner only). */
        BlockOp block;
        int part;
        long from;
        long partLength;
        DiskStatus result;

        Worker(final SlotIo io, final String name)
        {
            this.io = io;
            this.thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        @Override
        public void run()
        {
            while (true)
            {
                final BlockOp b = task; // acquire: the owner's part fields and block fields were written before
                if (b == null)
                {
                    if (stop)
                    {
                        return;
                    }
                    LockSupport.park(this);
                    continue;
                }
                DiskStatus r;
                try
                {
                    r = b.write ? write(b) : read(b);
                }
                catch (final RuntimeException e)
                {
                    r = DiskStatus.IO_ERROR; // a bug in a SlotIo must not lose the completion
                }
                result = r;
                task = null;
                completions.offer(this); // capacity == threads: never full
            }
        }

        private DiskStatus write(final BlockOp b)
        {
            final long aligned = SlotHeaderLayout.alignUp(partLength);
            final long slotAt = tier.slotOffset(b.slot);
            if (b.wholeSum) // the payload's checksum known to the caller: every part written at once, no hashing
            {
                if (part != 0)
                {
                    return io.writeAt(slotAt + SlotHeaderLayout.HEADER_BLOCK + from, b.buffer + from, aligned);
                }
                SlotHeaderLayout.encode(io.header(), b.idHi, b.idLo, b.salt, b.length, b.callerSum, b.generation,
                    b.callerSum, SlotHeaderLayout.WHOLE_PAYLOAD_SUM);
                return io.write(slotAt, b.buffer, aligned);
            }
            try
            {
                b.sum.getAndAdd(SlotHeaderLayout.partSum(b.buffer, from, partLength));
            }
            finally
            {
                // Counted even when hashing failed (the block then fails): part 0 never waits for a part that is gone.
                if (b.hashesLeft.decrementAndGet() == 0 && part != 0)
                {
                    LockSupport.unpark(b.headerThread);
                }
            }
            if (part != 0)
            {
                return io.writeAt(slotAt + SlotHeaderLayout.HEADER_BLOCK + from, b.buffer + from, aligned);
            }
            while (b.hashesLeft.get() != 0) // acquire: every part's contribution is in the sum
            {
                LockSupport.park(this);
            }
            SlotHeaderLayout.encode(io.header(), b.idHi, b.idLo, b.salt, b.length, b.sum.get(), b.generation,
                b.callerSum, 0);
            return io.write(slotAt, b.buffer, aligned);
        }

        private DiskStatus read(final BlockOp b)
        {
            final long aligned = SlotHeaderLayout.alignUp(partLength);
            if (part != 0)
            {
                DiskStatus s = DiskStatus.IO_ERROR;
                try
                {
                    s = io.readAt(tier.slotOffset(b.slot) + SlotHeaderLayout.HEADER_BLOCK + from, b.buffer + from,
                        aligned);
                    if (s == DiskStatus.OK)
                    {
                        b.sum.getAndAdd(SlotHeaderLayout.partSum(b.buffer, from, partLength));
                    }
                }
                finally
                {
                    // Counted even when the part failed or threw: part 0 may be waiting to hash the whole payload.
                    if (b.hashesLeft.decrementAndGet() == 0)
                    {
                        LockSupport.unpark(b.headerThread);
                    }
                }
                return s;
            }
            final DiskStatus s = io.read(tier.slotOffset(b.slot), b.buffer, aligned);
            final UnsafeBuffer h = io.header();
            if (s == DiskStatus.OK)
            {
                b.headerMatches = SlotHeaderLayout.check(h, tier.maxPayload()) == SlotHeaderLayout.VALID &&
                    SlotHeaderLayout.idHi(h) == b.idHi && SlotHeaderLayout.idLo(h) == b.idLo &&
                    SlotHeaderLayout.salt(h) == b.salt && SlotHeaderLayout.length(h) == b.length &&
                    SlotHeaderLayout.generation(h) == b.generation;
                b.expectedSum = SlotHeaderLayout.payloadChecksum(h);
                b.wholeSum = b.headerMatches && SlotHeaderLayout.wholePayloadSum(h);
                // Handed back only when this read verifies the payload against it (it is the payload checksum).
                b.callerSum = b.wholeSum ? SlotHeaderLayout.callerChecksum(h) : 0;
            }
            if (s == DiskStatus.OK && b.wholeSum)
            {
                // One XXH3-64 over the whole payload, once every other part landed (their chunk sums, if any, are
                // replaced: they hashed before anyone knew the header's kind).
                b.hashesLeft.decrementAndGet();
                while (b.hashesLeft.get() != 0) // acquire: the other parts' bytes are in
                {
                    LockSupport.park(this);
                }
                b.sum.set(SlotHeaderLayout.payloadSumFor(h, b.buffer, b.length));
                return s;
            }
            try
            {
                if (s == DiskStatus.OK)
                {
                    b.sum.getAndAdd(SlotHeaderLayout.partSum(b.buffer, from, partLength));
                }
            }
            finally
            {
                b.hashesLeft.decrementAndGet();
            }
            return s;
        }
    }

    private final DiskTier tier;
    private final long partBytes;
    private final Worker[] workers;
    private final Worker[] idle;
    private int idleTop;
    private final BlockOp[] freeOps;
    private int freeOpsTop;
    private final ManyToOneConcurrentArrayQueue<Worker> completions;

    DiskIoPool(final DiskTier tier, final SlotIo[] ios, final long partBytes)
    {
        this.tier = tier;
        this.partBytes = partBytes;
        final int n = ios.length;
        this.workers = new Worker[n];
        this.idle = new Worker[n];
        this.freeOps = new BlockOp[n];
        this.completions = new ManyToOneConcurrentArrayQueue<>(n);
        for (int i = 0; i < n; i++)
        {
            workers[i] = new Worker(ios[i], "g3-io-" + i);
            freeOps[freeOpsTop++] = new BlockOp();
        }
        for (int i = n - 1; i >= 0; i--)
        {
            idle[idleTop++] = workers[i];
        }
        for (final Worker w : workers)
        {
            w.thread.start();
        }
    }

    int depth()
    {
        return workers.length;
    }

    /** I/O threads busy (their completion not yet collected). Owner only. */
    int busy()
    {
        return workers.length - idleTop;
    }

    boolean canSubmit()
    {
        return idleTop > 0;
    }

    /**
     * Hands a block to idle workers: as many parts as {@code g3.part-bytes} asks for, at most as many as
     * there are idle workers (at least one must be idle: {@link #canSubmit}). Owner only.
     */
    void dispatch(final boolean write, final int slot, final long idHi, final long idLo, final long salt,
                  final long length, final long generation, final long buffer, final long callerSum, final long tag)
    {
        final BlockOp b = freeOps[--freeOpsTop];
        b.write = write;
        b.slot = slot;
        b.idHi = idHi;
        b.idLo = idLo;
        b.salt = salt;
        b.length = length;
        b.generation = generation;
        b.buffer = buffer;
        b.tag = tag;
        b.status = DiskStatus.OK;
        b.headerMatches = false;
        b.expectedSum = 0;
        b.callerSum = write ? callerSum : 0;
        b.sum.set(0);
        long wanted = partBytes == 0 || length <= partBytes ? 1 : (length + partBytes - 1) / partBytes;
        wanted = Math.min(wanted, idleTop);
        final long chunk = SlotHeaderLayout.CHECKSUM_CHUNK;
        final long partLength = wanted <= 1 ? Math.max(length, 0) :
            ((length + wanted - 1) / wanted + chunk - 1) / chunk * chunk;
        final int parts = partLength == 0 ? 1 : (int)((length + partLength - 1) / partLength);
        b.pendingParts = parts;
        b.hashesLeft.set(parts);
        b.wholeSum = write && callerSum != 0;
        final Worker head = idle[idleTop - 1];
        b.headerThread = head.thread; // volatile: before any part can unpark it
        for (int p = 0; p < parts; p++)
        {
            final Worker w = idle[--idleTop];
            w.block = b;
            w.part = p;
            w.from = p * partLength;
            w.partLength = Math.min(partLength, length - w.from);
            w.result = DiskStatus.OK;
            w.task = b; // release: the fields above are visible to the worker that reads task
            LockSupport.unpark(w.thread);
        }
    }

    /** What {@link #poll} hands a finished block to. */
    interface Finisher
    {
        void finish(BlockOp block);
    }

    /**
     * Collects completed parts without blocking; every block whose last part completed goes to
     * {@code finisher}, after which its op is free again. Returns the blocks finished. Owner only.
     */
    int poll(final Finisher finisher, final int limit)
    {
        int finished = 0;
        while (finished < limit)
        {
            final Worker w = completions.poll();
            if (w == null)
            {
                break;
            }
            final BlockOp b = w.block;
            if (w.result != DiskStatus.OK && b.status == DiskStatus.OK)
            {
                b.status = w.result;
            }
            w.block = null;
            idle[idleTop++] = w;
            if (--b.pendingParts == 0)
            {
                finisher.finish(b);
                freeOps[freeOpsTop++] = b;
                finished++;
            }
        }
        return finished;
    }

    /**
     * Stops the I/O threads: each finishes the part it is doing (nothing is freed under a running I/O),
     * then exits; returns after all have exited, then closes their I/O contexts. Completions stay
     * collectable with {@link #poll}.
     */
    @Override
    public void close()
    {
        for (final Worker w : workers)
        {
            w.stop = true;
            LockSupport.unpark(w.thread);
        }
        boolean interrupted = false;
        for (final Worker w : workers)
        {
            while (w.thread.isAlive())
            {
                try
                {
                    w.thread.join();
                }
                catch (final InterruptedException e)
                {
                    interrupted = true;
                }
            }
        }
        for (final Worker w : workers)
        {
            w.io.close();
        }
        if (interrupted)
        {
            Thread.currentThread().interrupt();
        }
    }
}
