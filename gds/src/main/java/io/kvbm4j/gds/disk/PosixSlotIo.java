package io.kvbm4j.gds.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.agrona.concurrent.UnsafeBuffer;

import com.sun.nio.file.ExtendedOpenOption;

import io.kvbm4j.gds.cufile.NativeViews;
import io.kvbm4j.tiers.memory.AlignedMemory;

/**
 * The POSIX path: a {@link FileChannel} of its own, opened with O_DIRECT
 * ({@link ExtendedOpenOption#DIRECT}) unless the file system refused it at open; one vectored
 * {@code pwritev}/{@code preadv}-style call per slot (header block + payload).
 *
 * <p>Owned by one thread. Allocates nothing per call once the views of the caller's buffers are cached
 * ({@link NativeViews}); failures are caught here and become statuses.
 */
final class PosixSlotIo implements SlotIo
{
    private final FileChannel channel;
    private final AlignedMemory headerMemory;
    private final UnsafeBuffer header;
    private final ByteBuffer headerView;
    private final ByteBuffer[] pair = new ByteBuffer[2];
    private final NativeViews views = new NativeViews();
    private String lastFailure = "";

    PosixSlotIo(final Path file, final boolean direct) throws IOException
    {
        final OpenOption[] options = direct ?
            new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS,
                ExtendedOpenOption.DIRECT} :
            new OpenOption[] {StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS};
        this.channel = FileChannel.open(file, options);
        this.headerMemory = new AlignedMemory(SlotHeaderLayout.HEADER_BLOCK, SlotHeaderLayout.HEADER_BLOCK);
        this.header = headerMemory.newBuffer();
        header.setMemory(0, SlotHeaderLayout.HEADER_BLOCK, (byte)0);
        this.headerView = views.view(headerMemory.address(), SlotHeaderLayout.HEADER_BLOCK);
    }

    /** True if {@code file} can be opened with O_DIRECT here (tmpfs, for one, refuses). */
    static boolean directSupported(final Path file)
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS, ExtendedOpenOption.DIRECT))
        {
            return channel.isOpen();
        }
        catch (final IOException | UnsupportedOperationException e)
        {
            return false;
        }
    }

    @Override
    public UnsafeBuffer header()
    {
        return header;
    }

    @Override
    public DiskStatus write(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        headerView.clear();
        if (alignedLength == 0)
        {
            return writeHeader(slotOffset);
        }
        // One vectored write: header block then payload. Crash safety does not depend on their order on
        // disk: a torn slot fails its payload checksum and is a miss.
        pair[0] = headerView;
        pair[1] = views.view(payloadAddress, (int)alignedLength);
        final long total = SlotHeaderLayout.HEADER_BLOCK + alignedLength;
        try
        {
            long done = 0;
            channel.position(slotOffset);
            while (done < total)
            {
                final long n = channel.write(pair);
                if (n <= 0)
                {
                    lastFailure = "write returned " + n + " after " + done + " of " + total + " bytes";
                    return DiskStatus.SHORT_IO;
                }
                done += n;
            }
            return DiskStatus.OK;
        }
        catch (final IOException e)
        {
            return failure(e);
        }
    }

    @Override
    public DiskStatus writeAt(final long fileOffset, final long address, final long alignedLength)
    {
        final ByteBuffer view = views.view(address, (int)alignedLength);
        try
        {
            long done = 0;
            while (done < alignedLength)
            {
                final int n = channel.write(view, fileOffset + done);
                if (n <= 0)
                {
                    lastFailure = "write returned " + n + " after " + done + " of " + alignedLength + " bytes";
                    return DiskStatus.SHORT_IO;
                }
                done += n;
            }
            return DiskStatus.OK;
        }
        catch (final IOException e)
        {
            return failure(e);
        }
    }

    @Override
    public DiskStatus readAt(final long fileOffset, final long address, final long alignedLength)
    {
        final ByteBuffer view = views.view(address, (int)alignedLength);
        try
        {
            long done = 0;
            while (done < alignedLength)
            {
                final int n = channel.read(view, fileOffset + done);
                if (n <= 0)
                {
                    lastFailure = "read returned " + n + " after " + done + " of " + alignedLength + " bytes";
                    return DiskStatus.SHORT_IO;
                }
                done += n;
            }
            return DiskStatus.OK;
        }
        catch (final IOException e)
        {
            return failure(e);
        }
    }

    @Override
    public DiskStatus writeHeader(final long slotOffset)
    {
        headerView.clear();
        try
        {
            final int n = channel.write(headerView, slotOffset);
            if (n != SlotHeaderLayout.HEADER_BLOCK)
            {
                lastFailure = "header write returned " + n;
                return DiskStatus.SHORT_IO;
            }
            return DiskStatus.OK;
        }
        catch (final IOException e)
        {
            return failure(e);
        }
    }

    @Override
    public DiskStatus read(final long slotOffset, final long payloadAddress, final long alignedLength)
    {
        headerView.clear();
        try
        {
            if (alignedLength == 0)
            {
                final int n = channel.read(headerView, slotOffset);
                if (n != SlotHeaderLayout.HEADER_BLOCK)
                {
                    lastFailure = "header read returned " + n;
                    return DiskStatus.SHORT_IO;
                }
                return DiskStatus.OK;
            }
            pair[0] = headerView;
            pair[1] = views.view(payloadAddress, (int)alignedLength);
            final long total = SlotHeaderLayout.HEADER_BLOCK + alignedLength;
            long done = 0;
            channel.position(slotOffset);
            while (done < total)
            {
                final long n = channel.read(pair);
                if (n <= 0)
                {
                    lastFailure = "read returned " + n + " after " + done + " of " + total + " bytes";
                    return DiskStatus.SHORT_IO;
                }
                done += n;
            }
            return DiskStatus.OK;
        }
        catch (final IOException e)
        {
            return failure(e);
        }
    }

    private DiskStatus failure(final IOException e)
    {
        final String message = String.valueOf(e.getMessage());
        lastFailure = message;
        return message.contains("No space left") ? DiskStatus.NO_SPACE_ON_DEVICE : DiskStatus.IO_ERROR;
    }

    @Override
    public String lastFailure()
    {
        return lastFailure;
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException e)
        {
            // Nothing was buffered (positional I/O); the descriptor is released either way.
        }
        headerMemory.close();
    }
}
