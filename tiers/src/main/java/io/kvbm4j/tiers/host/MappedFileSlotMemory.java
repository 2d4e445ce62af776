package io.kvbm4j.tiers.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;

import io.kvbm4j.tiers.memory.SlotMemory;

/**
 * Host block slots in a file that other processes map: the memory the node service shares with its clients
 * (a file under {@code /dev/shm} is RAM). Slot {@code s} starts at file offset {@code s * stride()}; the stride
 * is the payload rounded up to 4 KiB, so every slot is page aligned in the file and in every mapping of it.
 *
 * <p>Design: the file is created new (never an existing one), mode 0600, sized up front and mapped in chunks of
 * whole slots of at most {@link HostSlotMemory#MAX_CHUNK_BYTES} (a mapped buffer is limited to 2 GiB). A slot
 * never straddles two chunks. {@link #close()} unmaps and deletes the file.
 *
 * <p>Concurrency: the mapping is immutable after construction; the bytes of a slot belong to whoever its pool
 * handed the slot to (a client process, or the transfer thread while a copy runs).
 */
public final class MappedFileSlotMemory implements SlotMemory
{
    private final Path file;
    private final int slotCount;
    private final long payloadBytes;
    private final long stride;
    private final int slotsPerChunk;
    private final MappedByteBuffer[] chunks;
    private final long[] chunkAddresses;
    private boolean closed;

    private MappedFileSlotMemory(final Path file, final int slotCount, final long payloadBytes)
    {
        this.file = file;
        this.slotCount = slotCount;
        this.payloadBytes = payloadBytes;
        this.stride = (payloadBytes + HostSlotMemory.ALIGNMENT - 1) & -(long)HostSlotMemory.ALIGNMENT;
        this.slotsPerChunk = (int)Math.min(slotCount, HostSlotMemory.MAX_CHUNK_BYTES / stride);
        final int chunkCount = (slotCount + slotsPerChunk - 1) / slotsPerChunk;
        this.chunks = new MappedByteBuffer[chunkCount];
        this.chunkAddresses = new long[chunkCount];
    }

    /**
     * Creates {@code file} (it must not exist; mode 0600), sizes it to {@code slotCount * stride} bytes and maps it.
     *
     * @throws UncheckedIOException when the file exists or cannot be created or mapped.
     */
    public static MappedFileSlotMemory create(final Path file, final int slotCount, final long payloadBytes)
    {
        if (slotCount <= 0)
        {
            throw new IllegalArgumentException("slotCount must be > 0: " + slotCount);
        }
        if (payloadBytes <= 0 || payloadBytes > HostSlotMemory.MAX_CHUNK_BYTES)
        {
            throw new IllegalArgumentException("payloadBytes must be in 1.." + HostSlotMemory.MAX_CHUNK_BYTES + ": " +
                payloadBytes);
        }
        final MappedFileSlotMemory memory = new MappedFileSlotMemory(file, slotCount, payloadBytes);
        try
        {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
            {
                channel.truncate(memory.fileBytes());
                int remaining = slotCount;
                for (int c = 0; c < memory.chunks.length; c++)
                {
                    final int slots = Math.min(remaining, memory.slotsPerChunk);
                    final MappedByteBuffer chunk = channel.map(FileChannel.MapMode.READ_WRITE,
                        (long)c * memory.slotsPerChunk * memory.stride, slots * memory.stride);
                    memory.chunks[c] = chunk;
                    memory.chunkAddresses[c] = BufferUtil.address(chunk);
                    remaining -= slots;
                }
            }
            return memory;
        }
        catch (final IOException | RuntimeException ex)
        {
            memory.close();
            if (ex instanceof IOException)
            {
                throw new UncheckedIOException("cannot create shared slot file " + file + ": " + ex.getMessage(),
                    (IOException)ex);
            }
            throw (RuntimeException)ex;
        }
    }

    /** The mapped file. */
    public Path file()
    {
        return file;
    }

    /** Distance between two slots' first bytes, in memory and in the file. */
    public long stride()
    {
        return stride;
    }

    /** Size of the file. */
    public long fileBytes()
    {
        return slotCount * stride;
    }

    /** File offset of a slot's first byte (what a client adds to its own mapping's base). */
    public long fileOffset(final int slot)
    {
        checkSlot(slot);
        return slot * stride;
    }

    /** A new buffer over one slot's payload (for checksums and tests; allocates). */
    public ByteBuffer slotBuffer(final int slot)
    {
        checkSlot(slot);
        final int offset = (int)((slot % slotsPerChunk) * stride);
        return chunks[slot / slotsPerChunk].duplicate().position(offset).limit(offset + (int)payloadBytes).slice();
    }

    @Override
    public int slotCount()
    {
        return slotCount;
    }

    @Override
    public long payloadBytes()
    {
        return payloadBytes;
    }

    @Override
    public long address(final int slot)
    {
        checkSlot(slot);
        return chunkAddresses[slot / slotsPerChunk] + (slot % slotsPerChunk) * stride;
    }

    @Override
    public boolean hostAccessible()
    {
        return true;
    }

    @Override
    public boolean contiguous(final int first, final int count)
    {
        return first >= 0 && count > 0 && first + count <= slotCount &&
            (count == 1 || stride == payloadBytes && first / slotsPerChunk == (first + count - 1) / slotsPerChunk);
    }

    private void checkSlot(final int slot)
    {
        if (slot < 0 || slot >= slotCount)
        {
            throw new IndexOutOfBoundsException("slot " + slot + " not in 0.." + (slotCount - 1));
        }
    }

    /** Unmaps and deletes the file (idempotent). */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final MappedByteBuffer chunk : chunks)
        {
            if (chunk != null)
            {
                IoUtil.unmap(chunk);
            }
        }
        try
        {
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            System.getLogger(MappedFileSlotMemory.class.getName()).log(System.Logger.Level.WARNING,
                "cannot delete shared slot file " + file + ": " + ex.getMessage());
        }
    }

    @Override
    public String toString()
    {
        return "MappedFileSlotMemory[" + file + ", " + slotCount + " slots of " + payloadBytes + " bytes, stride " +
            stride + "]";
    }
}
