package io.kvbm4j.tiers.layout;

/**
 * The shape of one KV block of a model: how many bytes a block of {@code blockTokens} tokens needs.
 *
 * <p>Fully contiguous layout per block: {@code [layers][k|v][tokens][kvHeads * headDim]} elements of
 * {@link #dtype()}. A layer-separate G1 (one region per layer and K/V, {@code 2 * layers} regions of
 * {@link #layerRunBytes()}) is described by {@code io.kvbm4j.tiers.memory.LayerSeparateSlotMemory}; the
 * bytes per block are the same either way.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class KvLayout
{
    private final String model;
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final Dtype dtype;
    private final int blockTokens;
    private final long blockBytes;

    /**
     * @throws IllegalArgumentException when a dimension is not positive or a block would exceed 1 GiB.
     */
    public KvLayout(
        final String model, final int layers, final int kvHeads, final int headDim, final Dtype dtype,
        final int blockTokens)
    {
        if (layers <= 0 || kvHeads <= 0 || headDim <= 0 || blockTokens <= 0)
        {
            throw new IllegalArgumentException("layout dimensions must be positive: layers=" + layers +
                " kvHeads=" + kvHeads + " headDim=" + headDim + " blockTokens=" + blockTokens);
        }
        this.model = model;
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.dtype = dtype;
        this.blockTokens = blockTokens;
        this.blockBytes = 2L * layers * kvHeads * headDim * dtype.bytes() * blockTokens;
        if (blockBytes > (1L << 30))
        {
            throw new IllegalArgumentException("a block of " + blockBytes + " bytes exceeds 1 GiB");
        }
    }

    public String model()
    {
        return model;
    }

    public int layers()
    {
        return layers;
    }

    public int kvHeads()
    {
        return kvHeads;
    }

    public int headDim()
    {
        return headDim;
    }

    public Dtype dtype()
    {
        return dtype;
    }

    public int blockTokens()
    {
        return blockTokens;
    }

    /** Bytes of K and V for one token across all layers. */
    public long bytesPerToken()
    {
        return 2L * layers * kvHeads * headDim * dtype.bytes();
    }

    /** Payload bytes of one block: {@code 2 * layers * kvHeads * headDim * dtype.bytes * blockTokens}. */
    public long blockBytes()
    {
        return blockBytes;
    }

    /** Bytes of one layer's K or V run within a contiguous block. */
    public long layerRunBytes()
    {
        return (long)kvHeads * headDim * dtype.bytes() * blockTokens;
    }

    @Override
    public String toString()
    {
        return model + "[layers=" + layers + ", kvHeads=" + kvHeads + ", headDim=" + headDim + ", dtype=" +
            dtype.configName() + ", blockTokens=" + blockTokens + ", blockBytes=" + blockBytes + "]";
    }
}
