package io.kvbm4j.tiers.memory;

/**
 * Fixed-size block slots at known addresses: host memory (G2, host-backed G1), a device arena (G1 on a
 * GPU) or device pointers handed over by the inference runtime.
 *
 * <p>The transfer engine copies between two of these. A run of blocks can go in one copy when
 * {@link #contiguous(int, int)} holds on both sides: consecutive slots, no padding between payloads.
 *
 * <p>Concurrency: the slot-to-address mapping is immutable after construction; the bytes of a slot belong
 * to whoever its pool handed the slot to (the runtime, or the transfer thread while a copy runs).
 */
public interface SlotMemory extends AutoCloseable
{
    /** Number of slots. */
    int slotCount();

    /** Bytes of payload in each slot. */
    long payloadBytes();

    /** Address of a slot's first byte (host or device address, see {@link #hostAccessible()}). */
    long address(int slot);

    /** True when {@link #address(int)} is a host address that the CPU may read and write. */
    boolean hostAccessible();

    /**
     * True when slots {@code first .. first+count-1} lie back to back with no gap between their payloads,
     * so one copy of {@code count * payloadBytes()} bytes covers them.
     */
    boolean contiguous(int first, int count);

    /**
     * Regions a block is split into in this memory: 1 for a block stored contiguously
     * ({@code [layers][k|v][tokens][heads*dim]}), {@code 2 * layers} for a layer-separate layout (one region
     * per layer and K/V, as runtimes that keep one tensor per layer store it).
     */
    default int regions()
    {
        return 1;
    }

    /**
     * Address of piece {@code piece} of {@code pieces} equal pieces of a slot's payload, pieces in the
     * contiguous layout's order. A block-contiguous memory splits any way; a region memory only into its
     * own {@link #regions()}.
     */
    default long pieceAddress(final int slot, final int piece, final int pieces)
    {
        return address(slot) + piece * (payloadBytes() / pieces);
    }

    /** Frees the memory (idempotent); memory the runtime owns is left alone. */
    @Override
    void close();
}
