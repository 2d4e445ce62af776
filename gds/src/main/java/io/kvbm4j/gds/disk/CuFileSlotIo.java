package io.kvbm4j.gds.disk;

import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;

import io.kvbm4j.gds.cufile.CuFileDriver;
import io.kvbm4j.gds.cufile.CuFileException;
import io.kvbm4j.gds.cufile.CuFileHandle;
import io.kvbm4j.gds.cufile.CuFileStatus;
import io.kvbm4j.gds.cufile.PosixFiles;
import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * The cuFile path: a descriptor of its own (O_DIRECT unless refused) registered with the driver; the
 * payload is written before the header, the header read before the payload. The payload address may be
 * device memory (G3→G1) where GDS is present; the header block is host memory.
 *
 * <p>Owned by one thread.
 */
final class CuFileSlotIo implements SlotIo
{
    private static final int ENOSPC = 28;

    private final int fd;
    private final CuFileHandle handle;
    private final AlignedMemory headerMemory;
    private final UnsafeBuffer header;
    private String lastFailure = "";

    CuFileSlotIo(final CuFileDriver driver, final Path file, final boolean direct) throws CuFileException
    {
        final int fd = PosixFiles.openReadWrite(file, direct);
        if (fd < 0)
        {
            throw new CuFileException(CuFileStatus.POSIX_ERROR, "open " + file + " failed: errno " + -fd);
        }
        this.fd = fd;
        try
        {
            this.handle = driver.registerHandle(fd);
        }
        catch (final CuFileException e)
        {
            PosixFiles.close(fd);
            throw e;
        }
        this.headerMemory = new AlignedMemory(SlotHeaderLayout.HEADER_BLOCK, SlotHeaderLayout.HEADER_BLOCK);
        this.header = headerMemory.newBuffer();
        header.setMemory(0, SlotHeaderLayout.HEADER_BLOCK, (byte)0);
    }

    @Override
    public UnsafeBuffer header()
    {
        return header;
    }

    @Override
    public DiskStatus write(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        if (alignedLength > 0)
        {
            final DiskStatus s = outcome(handle.write(payloadAddress, alignedLength,
                slotOffset + SlotHeaderLayout.HEADER_BLOCK, 0));
            if (s != DiskStatus.OK)
            {
                return s;
            }
        }
        return writeHeader(slotOffset);
    }

    @Override
    public DiskStatus writeAt(final long fileOffset, final long address, final long alignedLength)
    {
        return outcome(handle.write(address, alignedLength, fileOffset, 0));
    }

    @Override
    public DiskStatus readAt(final long fileOffset, final long address, final long alignedLength)
    {
        return outcome(handle.read(address, alignedLength, fileOffset, 0));
    }

    @Override
    public DiskStatus writeHeader(final long slotOffset)
    {
        return outcome(handle.write(headerMemory.address(), SlotHeaderLayout.HEADER_BLOCK, slotOffset, 0));
    }

    @Override
    public DiskStatus read(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        final DiskStatus s = outcome(handle.read(headerMemory.address(), SlotHeaderLayout.HEADER_BLOCK, slotOffset, 0));
        if (s != DiskStatus.OK || alignedLength == 0)
        {
            return s;
        }
        return outcome(handle.read(payloadAddress, alignedLength, slotOffset + SlotHeaderLayout.HEADER_BLOCK, 0));
    }

    private DiskStatus outcome(final CuFileStatus s)
    {
        switch (s)
        {
            case CU_FILE_SUCCESS:
                return DiskStatus.OK;
            case SHORT_IO:
                lastFailure = "cuFile moved " + handle.lastReturn() + " bytes, fewer than asked";
                return DiskStatus.SHORT_IO;
            case POSIX_ERROR:
                lastFailure = "cuFile I/O failed: errno " + handle.lastErrno();
                return handle.lastErrno() == ENOSPC ? DiskStatus.NO_SPACE_ON_DEVICE : DiskStatus.IO_ERROR;
            default:
                lastFailure = "cuFile I/O failed: " + s;
                return DiskStatus.IO_ERROR;
        }
    }

    @Override
    public String lastFailure()
    {
        return lastFailure;
    }

    @Override
    public void close()
    {
        handle.close();
        PosixFiles.close(fd);
        headerMemory.close();
    }
}
