package io.kvbm4j.observe.events;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Encodes KV events into vLLM's msgpack batch payload, one batch at a time.
 *
 * <p>Wire format (checked against vLLM's {@code vllm/distributed/kv_events.py}; docs/EVENTS_METRICS.md):
 * <pre>
 * ARRAY (released vLLM: msgspec structs with array_like=True, omit_defaults=True, tag=True)
 *   batch  [ts: float64, events: array, data_parallel_rank: int]
 *   event  ["BlockStored", block_hashes, parent_block_hash|nil, token_ids, block_size, lora_id|nil,
 *           medium, lora_name|nil]
 *          ["BlockRemoved", block_hashes, medium]
 *          ["AllBlocksCleared"]
 * MAP (vLLM since mid-2026, e.g. the released 0.33.0: the batch still array_like, the events tagged maps)
 *   batch  [ts: float64, events: array, data_parallel_rank: int]
 *   event  {"type": "BlockStored", "block_hashes": ..., "parent_block_hash": ..., "token_ids": ...,
 *           "block_size": ..., "lora_id": nil, "medium": ..., "lora_name": nil}
 *          {"type": "BlockRemoved", "block_hashes": ..., "medium": ...}
 *          {"type": "AllBlocksCleared"}
 * MAP_BATCH (some vLLM main commits: the batch a map too)
 *   batch  {"ts": float64, "events": [...], "data_parallel_rank": int}, events as in MAP
 * block hash  UINT64: the id's low 64 bits as msgpack uint (0xcf + 8 bytes when >= 2^63, never a negative int)
 *             BYTES:  bin 16, the id's high then low half, big-endian
 * </pre>
 * Fields vLLM omits by default ({@code extra_keys}, {@code group_idx}, ...) are omitted here too.
 *
 * <p>Owned by one thread (the publisher's). Events are packed as they arrive; {@link #finishBatch} wraps
 * them (the batch header needs their count) and allocates the one payload array per batch that the replay
 * buffer keeps.
 */
public final class KvEventEncoder
{
    private static final byte UINT64 = (byte)0xcf;

    private final KvEventSettings.Encoding encoding;
    private final KvEventSettings.HashForm hashForm;
    private final int dataParallelRank;
    private final MessageBufferPacker events = MessagePack.newDefaultBufferPacker();
    private final MessageBufferPacker batch = MessagePack.newDefaultBufferPacker();
    private final byte[] scratch = new byte[16];
    private int count;

    public KvEventEncoder(
        final KvEventSettings.Encoding encoding, final KvEventSettings.HashForm hashForm, final int dataParallelRank)
    {
        this.encoding = encoding;
        this.hashForm = hashForm;
        this.dataParallelRank = dataParallelRank;
    }

    /** Events packed since the last {@link #finishBatch}. */
    public int count()
    {
        return count;
    }

    /** Bytes packed since the last {@link #finishBatch}. */
    public long pendingBytes()
    {
        return events.getTotalWrittenBytes();
    }

    public void stored(
        final long[] idHi, final long[] idLo, final int n, final boolean hasParent, final long parentHi,
        final long parentLo, final int[] tokens, final int tokenCount, final int blockSize, final String medium)
    {
        try
        {
            if (encoding == KvEventSettings.Encoding.ARRAY)
            {
                events.packArrayHeader(8);
                events.packString("BlockStored");
            }
            else
            {
                events.packMapHeader(8);
                events.packString("type");
                events.packString("BlockStored");
                events.packString("block_hashes");
            }
            hashes(idHi, idLo, n);
            key("parent_block_hash");
            if (hasParent)
            {
                hash(parentHi, parentLo);
            }
            else
            {
                events.packNil();
            }
            key("token_ids");
            events.packArrayHeader(tokenCount);
            for (int i = 0; i < tokenCount; i++)
            {
                events.packInt(tokens[i]);
            }
            key("block_size");
            events.packInt(blockSize);
            key("lora_id");
            events.packNil();
            key("medium");
            events.packString(medium);
            key("lora_name");
            events.packNil();
            count++;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex); // a buffer packer does no I/O
        }
    }

    public void removed(final long[] idHi, final long[] idLo, final int n, final String medium)
    {
        try
        {
            if (encoding == KvEventSettings.Encoding.ARRAY)
            {
                events.packArrayHeader(3);
                events.packString("BlockRemoved");
            }
            else
            {
                events.packMapHeader(3);
                events.packString("type");
                events.packString("BlockRemoved");
                events.packString("block_hashes");
            }
            hashes(idHi, idLo, n);
            key("medium");
            events.packString(medium);
            count++;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public void cleared()
    {
        try
        {
            if (encoding == KvEventSettings.Encoding.ARRAY)
            {
                events.packArrayHeader(1);
            }
            else
            {
                events.packMapHeader(1);
                events.packString("type");
            }
            events.packString("AllBlocksCleared");
            count++;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * The batch payload of the events packed so far, stamped {@code tsSeconds}; starts the next batch.
     */
    public byte[] finishBatch(final double tsSeconds)
    {
        try
        {
            batch.clear();
            if (encoding != KvEventSettings.Encoding.MAP_BATCH)
            {
                batch.packArrayHeader(3);
                batch.packDouble(tsSeconds);
                batch.packArrayHeader(count);
            }
            else
            {
                batch.packMapHeader(3);
                batch.packString("ts");
                batch.packDouble(tsSeconds);
                batch.packString("events");
                batch.packArrayHeader(count);
            }
            events.flush();
            for (final org.msgpack.core.buffer.MessageBuffer b : events.toBufferList())
            {
                batch.writePayload(b.array(), b.arrayOffset(), b.size());
            }
            if (encoding == KvEventSettings.Encoding.MAP_BATCH)
            {
                batch.packString("data_parallel_rank");
            }
            batch.packInt(dataParallelRank);
            events.clear();
            count = 0;
            return batch.toByteArray();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private void key(final String name) throws IOException
    {
        if (encoding != KvEventSettings.Encoding.ARRAY)
        {
            events.packString(name);
        }
    }

    private void hashes(final long[] idHi, final long[] idLo, final int n) throws IOException
    {
        events.packArrayHeader(n);
        for (int i = 0; i < n; i++)
        {
            hash(idHi[i], idLo[i]);
        }
    }

    private void hash(final long hi, final long lo) throws IOException
    {
        if (hashForm == KvEventSettings.HashForm.BYTES)
        {
            putLong(scratch, 0, hi);
            putLong(scratch, 8, lo);
            events.packBinaryHeader(16);
            events.writePayload(scratch, 0, 16);
        }
        else if (lo >= 0)
        {
            events.packLong(lo);
        }
        else
        {
            // unsigned: msgpack-core's packLong would write a negative int64 here
            scratch[0] = UINT64;
            putLong(scratch, 1, lo);
            events.writePayload(scratch, 0, 9);
        }
    }

    private static void putLong(final byte[] b, final int at, final long v)
    {
        for (int i = 0; i < 8; i++)
        {
            b[at + i] = (byte)(v >>> (56 - 8 * i));
        }
    }
}
