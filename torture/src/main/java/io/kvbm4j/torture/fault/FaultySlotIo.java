package io.kvbm4j.torture.fault;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.gds.disk.DiskStatus;
import io.kvbm4j.gds.disk.SlotIo;

/**
 * Fault double under the G3 disk tier (Lucene's MockDirectoryWrapper, for slots): wraps the real
 * {@link SlotIo} and, while a {@link Fault} is switched on, fails, tears or stalls its calls. Installed with
 * {@code Engines.builder(config).g3Io(faults::wrap)}; the switch is shared by every I/O context it wraps.
 * The mechanisms the machine cannot give for real (EIO, short I/O from a device) are named here as doubles.
 */
public final class FaultySlotIo implements SlotIo
{
    /** What the wrapped calls do. */
    public enum Fault
    {
        /** Pass through. */
        NONE,
        /** Writes answer IO_ERROR (EIO) without touching the disk. */
        EIO_WRITE,
        /** Reads answer IO_ERROR (EIO). */
        EIO_READ,
        /** Torn write: the header lands, the payload does not; answers SHORT_IO (a short pwritev). */
        SHORT_WRITE,
        /** Short read: answers SHORT_IO after reading the header only. */
        SHORT_READ,
        /** A lying device: the read answers OK but the second half of the payload is zeros. */
        SILENT_SHORT_READ,
        /** Every call blocks until {@link Switch#release()}: the transfer thread is stalled. */
        STALL
    }

    /** The shared switch and counts of injected faults. */
    public static final class Switch
    {
        private final AtomicReference<Fault> fault = new AtomicReference<>(Fault.NONE);
        private volatile CountDownLatch gate = new CountDownLatch(0);
        private final CountDownLatch stalled = new CountDownLatch(1);
        /** Calls that met a fault (a stalled call counts once it entered the stall). */
        public final AtomicLong injected = new AtomicLong();

        public void set(final Fault f)
        {
            if (f == Fault.STALL)
            {
                gate = new CountDownLatch(1);
            }
            fault.set(f);
        }

        public Fault get()
        {
            return fault.get();
        }

        /** Ends a stall (and switches faults off). */
        public void release()
        {
            fault.set(Fault.NONE);
            gate.countDown();
        }

        /** Waits (bounded) until some I/O call is stalled. */
        public boolean awaitStalled(final long millis) throws InterruptedException
        {
            return stalled.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        public SlotIo wrap(final SlotIo io)
        {
            return new FaultySlotIo(io, this);
        }

        void stall()
        {
            injected.incrementAndGet();
            stalled.countDown();
            try
            {
                gate.await();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final SlotIo delegate;
    private final Switch faults;

    private FaultySlotIo(final SlotIo delegate, final Switch faults)
    {
        this.delegate = delegate;
        this.faults = faults;
    }

    @Override
    public UnsafeBuffer header()
    {
        return delegate.header();
    }

    @Override
    public DiskStatus write(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        switch (faults.get())
        {
            case EIO_WRITE:
                faults.injected.incrementAndGet();
                return DiskStatus.IO_ERROR;
            case SHORT_WRITE:
                faults.injected.incrementAndGet();
                delegate.writeHeader(slotOffset);
                return DiskStatus.SHORT_IO;
            case STALL:
                faults.stall();
                return delegate.write(slotOffset, payloadAddress, alignedLength);
            default:
                return delegate.write(slotOffset, payloadAddress, alignedLength);
        }
    }

    @Override
    public DiskStatus read(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        switch (faults.get())
        {
            case EIO_READ:
                faults.injected.incrementAndGet();
                return DiskStatus.IO_ERROR;
            case SHORT_READ:
                faults.injected.incrementAndGet();
                delegate.read(slotOffset, 0, 0);
                return DiskStatus.SHORT_IO;
            case SILENT_SHORT_READ:
            {
                final DiskStatus s = delegate.read(slotOffset, payloadAddress, alignedLength);
                if (s == DiskStatus.OK && alignedLength > 0)
                {
                    faults.injected.incrementAndGet();
                    UnsafeApi.setMemory(payloadAddress + alignedLength / 2, alignedLength / 2, (byte)0);
                }
                return s;
            }
            case STALL:
                faults.stall();
                return delegate.read(slotOffset, payloadAddress, alignedLength);
            default:
                return delegate.read(slotOffset, payloadAddress, alignedLength);
        }
    }

    @Override
    public DiskStatus writeAt(final long fileOffset, final long address, final long alignedLength)
    {
        switch (faults.get())
        {
            case EIO_WRITE:
                faults.injected.incrementAndGet();
                return DiskStatus.IO_ERROR;
            case SHORT_WRITE:
                faults.injected.incrementAndGet();
                return DiskStatus.SHORT_IO;
            case STALL:
                faults.stall();
                return delegate.writeAt(fileOffset, address, alignedLength);
            default:
                return delegate.writeAt(fileOffset, address, alignedLength);
        }
    }

    @Override
    public DiskStatus readAt(final long fileOffset, final long address, final long alignedLength)
    {
        switch (faults.get())
        {
            case EIO_READ:
                faults.injected.incrementAndGet();
                return DiskStatus.IO_ERROR;
            case SHORT_READ:
                faults.injected.incrementAndGet();
                return DiskStatus.SHORT_IO;
            case SILENT_SHORT_READ:
            {
                final DiskStatus s = delegate.readAt(fileOffset, address, alignedLength);
                if (s == DiskStatus.OK && alignedLength > 0)
                {
                    faults.injected.incrementAndGet();
                    UnsafeApi.setMemory(address + alignedLength / 2, alignedLength / 2, (byte)0);
                }
                return s;
            }
            case STALL:
                faults.stall();
                return delegate.readAt(fileOffset, address, alignedLength);
            default:
                return delegate.readAt(fileOffset, address, alignedLength);
        }
    }

    @Override
    public DiskStatus writeHeader(final long slotOffset)
    {
        final Fault f = faults.get();
        if (f == Fault.EIO_WRITE)
        {
            faults.injected.incrementAndGet();
            return DiskStatus.IO_ERROR;
        }
        if (f == Fault.STALL)
        {
            faults.stall();
        }
        return delegate.writeHeader(slotOffset);
    }

    @Override
    public String lastFailure()
    {
        return faults.get() != Fault.NONE ? "injected " + faults.get() : delegate.lastFailure();
    }

    @Override
    public void close()
    {
        delegate.close();
    }
}
