package io.kvbm4j.gds.disk;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * One thread's I/O context on the slot file: its own file channel or cuFile handle, and its own 4 KiB
 * aligned header buffer. Obtain one per transfer thread from {@link DiskTier#newIo()}; not thread-safe.
 *
 * <p>Each call moves a header block and/or an aligned payload at a slot's file offset and answers a
 * status; I/O errors never escape as exceptions.
 */
public interface SlotIo extends AutoCloseable
{
    /** The context's header block (4096 bytes, 4 KiB aligned). */
    UnsafeBuffer header();

    /** Writes the payload ({@code alignedLength} bytes, may be 0) and then the header block at {@code slotOffset}. */
    DiskStatus write(long slotOffset, long payloadAddress, long alignedLength);

    /** Reads the header block and then {@code alignedLength} payload bytes (0: header only). */
    DiskStatus read(long slotOffset, long payloadAddress, long alignedLength);

    /**
     * Writes {@code alignedLength} payload bytes from {@code address} at {@code fileOffset} (4 KiB
     * aligned, inside a slot's payload), no header: one part of a block cut into parts.
     */
    DiskStatus writeAt(long fileOffset, long address, long alignedLength);

    /** Reads {@code alignedLength} bytes at {@code fileOffset} into {@code address}, no header. */
    DiskStatus readAt(long fileOffset, long address, long alignedLength);

    /** Writes only the header block (used to free a slot on disk). */
    DiskStatus writeHeader(long slotOffset);

    /** Text of the last failure, for logs. */
    String lastFailure();

    @Override
    void close();
}
