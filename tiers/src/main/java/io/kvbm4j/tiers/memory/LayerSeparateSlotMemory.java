package io.kvbm4j.tiers.memory;

/**
 * Host memory of a runtime that keeps one region per layer and K/V (layer-separate layout): piece r of
 * slot s (r = 2 * layer + (0 for K, 1 for V)) at {@code regionBases[r] + s * regionStride}, each piece
 * {@code payloadBytes / regions} bytes. Transfers copy it piece by piece, into and out of the contiguous
 * block layout of G2 ({@code [layers][k|v][tokens][heads*dim]}), and a run of adjacent slots as one copy
 * per region when both sides allow it. The runtime owns the memory: {@link #close()} leaves it alone.
 */
public final class LayerSeparateSlotMemory implements SlotMemory
{
    private final long[] regionBases;
    private final long regionStride;
    private final int slotCount;
    private final long payloadBytes;
    private final long pieceBytes;

    /**
     * @param regionBases  one base address per region, {@code 2 * layers} of them, in [layer][k|v] order.
     * @param regionStride bytes between consecutive slots inside a region, at least a piece.
     * @param payloadBytes the block payload; a multiple of the region count.
     */
    public LayerSeparateSlotMemory(
        final long[] regionBases, final long regionStride, final int slotCount, final long payloadBytes)
    {
        if (regionBases.length < 1 || slotCount <= 0 || payloadBytes <= 0 || payloadBytes % regionBases.length != 0)
        {
            throw new IllegalArgumentException(regionBases.length + " regions, " + slotCount + " slots, payload " +
                payloadBytes + ": need regions and slots > 0 and a payload that splits evenly across the regions");
        }
        this.pieceBytes = payloadBytes / regionBases.length;
        if (regionStride < pieceBytes)
        {
            throw new IllegalArgumentException("regionStride " + regionStride + " is smaller than a piece (" +
                pieceBytes + " bytes)");
        }
        this.regionBases = regionBases.clone();
        this.regionStride = regionStride;
        this.slotCount = slotCount;
        this.payloadBytes = payloadBytes;
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

    /** Address of the slot's first region (its K of layer 0). */
    @Override
    public long address(final int slot)
    {
        return pieceAddress(slot, 0, regionBases.length);
    }

    @Override
    public int regions()
    {
        return regionBases.length;
    }

    @Override
    public long pieceAddress(final int slot, final int piece, final int pieces)
    {
        if (pieces != regionBases.length)
        {
            throw new IllegalArgumentException("a layer-separate slot splits into its " + regionBases.length +
                " regions, not " + pieces + " pieces");
        }
        if (slot < 0 || slot >= slotCount)
        {
            throw new IndexOutOfBoundsException("slot " + slot + " not in 0.." + (slotCount - 1));
        }
        return regionBases[piece] + slot * regionStride;
    }

    @Override
    public boolean hostAccessible()
    {
        return true;
    }

    /** Adjacent within every region when the region stride equals the piece size. */
    @Override
    public boolean contiguous(final int first, final int count)
    {
        return first >= 0 && count > 0 && first + count <= slotCount && (count == 1 || regionStride == pieceBytes);
    }

    @Override
    public void close()
    {
    }
}
