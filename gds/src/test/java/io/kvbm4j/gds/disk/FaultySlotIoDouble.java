package io.kvbm4j.gds.disk;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A TEST DOUBLE around a real {@link SlotIo}: injects failures into single I/Os (the parts of a block)
 * and can hold I/Os at a gate. One shared {@link Faults} decides for all the contexts of a tier.
 *
 * <p>Faults, chosen per I/O by a seeded random: an error status, a short transfer, a silent tear
 * (a write that moves only half its bytes and says OK) and a silent flip (a read that returns OK with one
 * payload byte changed). The last two must be caught by the checksums.
 */
public final class FaultySlotIoDouble implements SlotIo
{
    /** Shared fault plan and bookkeeping of every double of one tier. */
    public static final class Faults
    {
        final SplittableRandom random;
        /** Per mille of I/Os that fail, by kind. */
        final int errorPerMille;
        final int tearPerMille;
        final int flipPerMille;
        public final AtomicLong injected = new AtomicLong();
        public final AtomicInteger running = new AtomicInteger();
        /** The most I/Os seen running at once (how deep the caller really drove the disk). */
        public final AtomicInteger maxRunning = new AtomicInteger();
        /** Set when a context was closed while an I/O was running anywhere: must never happen. */
        public volatile boolean closedUnderRunningIo;
        /** When set, every I/O waits on it after announcing itself on {@link #started}. */
        public volatile CountDownLatch gate;
        public volatile CountDownLatch started = new CountDownLatch(0);
        /** When set, a read of a part other than part 0 throws (a bug in a SlotIo), counted in {@link #injected}. */
        public volatile boolean throwOnPartRead;

        public Faults(final long seed, final int errorPerMille, final int tearPerMille, final int flipPerMille)
        {
            this.random = new SplittableRandom(seed);
            this.errorPerMille = errorPerMille;
            this.tearPerMille = tearPerMille;
            this.flipPerMille = flipPerMille;
        }

        synchronized int roll()
        {
            return random.nextInt(1000);
        }
    }

    private final SlotIo real;
    private final Faults faults;

    public FaultySlotIoDouble(final SlotIo real, final Faults faults)
    {
        this.real = real;
        this.faults = faults;
    }

    private void enter()
    {
        faults.maxRunning.accumulateAndGet(faults.running.incrementAndGet(), Math::max);
        faults.started.countDown();
        final CountDownLatch g = faults.gate;
        if (g != null)
        {
            try
            {
                g.await();
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private DiskStatus exit(final DiskStatus s)
    {
        faults.running.decrementAndGet();
        return s;
    }

    private DiskStatus writeFaulty(final long fileOffset, final long address, final long alignedLength, final boolean header)
    {
        enter();
        final int r = faults.roll();
        if (r < faults.errorPerMille)
        {
            faults.injected.incrementAndGet();
            return exit(r % 2 == 0 ? DiskStatus.IO_ERROR : DiskStatus.SHORT_IO);
        }
        if (r < faults.errorPerMille + faults.tearPerMille && alignedLength >= 8192)
        {
            faults.injected.incrementAndGet();
            final long half = alignedLength / 2 & -4096L;
            // Torn: only the first half lands, yet the call says OK.
            return exit(header ? real.write(fileOffset, address, half) : real.writeAt(fileOffset, address, half));
        }
        return exit(header ? real.write(fileOffset, address, alignedLength) : real.writeAt(fileOffset, address, alignedLength));
    }

    private DiskStatus readFaulty(final long fileOffset, final long address, final long alignedLength, final boolean header)
    {
        if (!header && faults.throwOnPartRead)
        {
            faults.injected.incrementAndGet();
            throw new IllegalStateException("injected: a part read that throws");
        }
        enter();
        final int r = faults.roll();
        if (r < faults.errorPerMille)
        {
            faults.injected.incrementAndGet();
            return exit(r % 2 == 0 ? DiskStatus.IO_ERROR : DiskStatus.SHORT_IO);
        }
        final DiskStatus s = header ? real.read(fileOffset, address, alignedLength) : real.readAt(fileOffset, address, alignedLength);
        if (s == DiskStatus.OK && r < faults.errorPerMille + faults.flipPerMille && alignedLength > 0)
        {
            faults.injected.incrementAndGet();
            final UnsafeBuffer b = new UnsafeBuffer(address, (int)alignedLength);
            final int at = (int)((r * 7919L) % alignedLength);
            b.putByte(at, (byte)~b.getByte(at)); // a flipped byte, reported OK
        }
        return exit(s);
    }

    @Override
    public UnsafeBuffer header()
    {
        return real.header();
    }

    @Override
    public DiskStatus write(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        return writeFaulty(slotOffset, payloadAddress, alignedLength, true);
    }

    @Override
    public DiskStatus read(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        return readFaulty(slotOffset, payloadAddress, alignedLength, true);
    }

    @Override
    public DiskStatus writeAt(final long fileOffset, final long address, final long alignedLength)
    {
        return writeFaulty(fileOffset, address, alignedLength, false);
    }

    @Override
    public DiskStatus readAt(final long fileOffset, final long address, final long alignedLength)
    {
        return readFaulty(fileOffset, address, alignedLength, false);
    }

    @Override
    public DiskStatus writeHeader(final long slotOffset)
    {
        return real.writeHeader(slotOffset);
    }

    @Override
    public String lastFailure()
    {
        return real.lastFailure();
    }

    @Override
    public void close()
    {
        if (faults.running.get() != 0)
        {
            faults.closedUnderRunningIo = true;
        }
        real.close();
    }
}
