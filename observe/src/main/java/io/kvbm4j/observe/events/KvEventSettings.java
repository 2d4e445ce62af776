package io.kvbm4j.observe.events;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import io.kvbm4j.api.Tier;
import io.kvbm4j.config.ConfigException;

/**
 * The validated {@code kv-events:} section. Built by {@link #parse}, whose messages name the key; immutable.
 */
public final class KvEventSettings
{
    /** How batches and events are laid out. */
    public enum Encoding
    {
        /** Batch {@code [ts, events, dp_rank]}, events {@code ["BlockStored", f1, ...]} (released vLLM). */
        ARRAY,
        /**
         * Batch {@code [ts, events, dp_rank]}, events as maps with their tag under {@code "type"} (vLLM since
         * mid-2026; what vLLM 0.33.0's {@code KVEventBatch} decodes).
         */
        MAP,
        /** Batch and events as maps, an event's tag under {@code "type"} (some vLLM main commits). */
        MAP_BATCH
    }

    /** How block hashes go on the wire. */
    public enum HashForm
    {
        /** The low 64 bits of the 128-bit id as a msgpack unsigned integer (vLLM's default). */
        UINT64,
        /** The 16 bytes of the id, high half first (vLLM with {@code VLLM_KV_EVENTS_USE_INT_BLOCK_HASHES=0}). */
        BYTES
    }

    private final String endpoint;
    private final String topic;
    private final Encoding encoding;
    private final HashForm hash;
    private final String replayEndpoint;
    private final int bufferBatches;
    private final int dataParallelRank;
    private final String[] media;
    private final int batchEvents;
    private final int highWaterMark;
    private final int tokenBufferBlocks;

    public KvEventSettings(
        final String endpoint, final String topic, final Encoding encoding, final HashForm hash,
        final String replayEndpoint, final int bufferBatches, final int dataParallelRank, final String[] media,
        final int batchEvents, final int highWaterMark, final int tokenBufferBlocks)
    {
        this.tokenBufferBlocks = tokenBufferBlocks;
        this.endpoint = endpoint;
        this.topic = topic;
        this.encoding = encoding;
        this.hash = hash;
        this.replayEndpoint = replayEndpoint;
        this.bufferBatches = bufferBatches;
        this.dataParallelRank = dataParallelRank;
        this.media = media.clone();
        this.batchEvents = batchEvents;
        this.highWaterMark = highWaterMark;
    }

    /** Settings for tests and tools: defaults with the endpoint, encoding and hash form given. */
    public static KvEventSettings of(
        final String endpoint, final String replayEndpoint, final Encoding encoding, final HashForm hash)
    {
        return new KvEventSettings(endpoint, "", encoding, hash, replayEndpoint, 10_000, 0,
            new String[] {"GPU", "CPU", "DISK", "REMOTE"}, 512, 100_000, 16_384);
    }

    /**
     * Reads the {@code kv-events} section (keys relative to it, values as text).
     *
     * @throws ConfigException naming {@code source} and the key.
     */
    public static KvEventSettings parse(final Map<String, String> keys, final String source)
    {
        final Keys k = new Keys(keys, source, "kv-events.");
        final String endpoint = k.text("endpoint");
        if (!endpoint.isEmpty())
        {
            checkEndpoint(source, "kv-events.endpoint", endpoint);
        }
        final String replay = k.text("replay-endpoint");
        if (!replay.isEmpty())
        {
            checkEndpoint(source, "kv-events.replay-endpoint", replay);
        }
        final String encodingName = k.text("encoding");
        final Encoding encoding = switch (encodingName)
        {
            case "array" -> Encoding.ARRAY;
            case "map" -> Encoding.MAP;
            case "map-batch" -> Encoding.MAP_BATCH;
            default -> throw new ConfigException(source + ": kv-events.encoding: must be array, map or map-batch, got '" +
                encodingName + "'");
        };
        final String hashName = k.text("hash");
        final HashForm hash = switch (hashName)
        {
            case "uint64" -> HashForm.UINT64;
            case "bytes" -> HashForm.BYTES;
            default -> throw new ConfigException(source + ": kv-events.hash: must be uint64 or bytes, got '" +
                hashName + "'");
        };
        final String mediaText = k.text("media");
        final String[] media = mediaText.split(",", -1);
        if (media.length != Tier.values().length)
        {
            throw new ConfigException(source + ": kv-events.media: must name " + Tier.values().length +
                " media, one per tier G1,G2,G3,G4 (empty = not published), got '" + mediaText + "'");
        }
        for (int i = 0; i < media.length; i++)
        {
            media[i] = media[i].strip();
        }
        return new KvEventSettings(endpoint, k.text("topic"), encoding, hash, replay,
            k.integer("buffer-batches", 1, 10_000_000), k.integer("data-parallel-rank", 0, 65_535), media,
            k.integer("batch-events", 1, 1 << 20), k.integer("high-water-mark", 1, Integer.MAX_VALUE),
            k.integer("token-buffer-blocks", 0, 1 << 22));
    }

    /** vLLM's endpoint forms: tcp://*:PORT, tcp://HOST:PORT, tcp://[::]:PORT, ipc://PATH, inproc://NAME. */
    private static void checkEndpoint(final String source, final String key, final String endpoint)
    {
        final int scheme = endpoint.indexOf("://");
        final String proto = scheme < 0 ? "" : endpoint.substring(0, scheme);
        if (!(proto.equals("tcp") || proto.equals("ipc") || proto.equals("inproc")) ||
            endpoint.length() == scheme + 3)
        {
            throw new ConfigException(source + ": " + key + ": must be tcp://HOST:PORT, tcp://*:PORT, ipc://PATH or " +
                "inproc://NAME, got '" + endpoint + "'");
        }
        if (proto.equals("tcp"))
        {
            final int colon = endpoint.lastIndexOf(':');
            final String port = colon < scheme + 3 ? "" : endpoint.substring(colon + 1);
            final int p;
            try
            {
                p = Integer.parseInt(port);
            }
            catch (final NumberFormatException ex)
            {
                throw new ConfigException(source + ": " + key + ": no port in '" + endpoint +
                    "' (tcp://*:5557 binds, tcp://HOST:5557 connects)", ex);
            }
            if (p < 1 || p > 65_535 || colon == scheme + 3)
            {
                throw new ConfigException(source + ": " + key + ": port must be 1..65535 after a host or *, got '" +
                    endpoint + "'");
            }
        }
    }

    /** vLLM's rule: bind when the endpoint has {@code *} or {@code ::} or is ipc:// or inproc://, else connect. */
    public static boolean binds(final String endpoint)
    {
        return endpoint.contains("*") || endpoint.contains("::") || endpoint.startsWith("ipc://") ||
            endpoint.startsWith("inproc://");
    }

    public boolean enabled()
    {
        return !endpoint.isEmpty();
    }

    public String endpoint()
    {
        return endpoint;
    }

    public String topic()
    {
        return topic;
    }

    public Encoding encoding()
    {
        return encoding;
    }

    public HashForm hash()
    {
        return hash;
    }

    /** "" when replay is off. */
    public String replayEndpoint()
    {
        return replayEndpoint;
    }

    public int bufferBatches()
    {
        return bufferBatches;
    }

    public int dataParallelRank()
    {
        return dataParallelRank;
    }

    /** The medium name of a tier; "" when that tier's events are not published. */
    public String medium(final Tier tier)
    {
        return media[tier.ordinal()];
    }

    public int batchEvents()
    {
        return batchEvents;
    }

    public int highWaterMark()
    {
        return highWaterMark;
    }

    /** Blocks of tokens the token ring keeps; 0 = no tokens sent. */
    public int tokenBufferBlocks()
    {
        return tokenBufferBlocks;
    }

    @Override
    public String toString()
    {
        return "kv-events[endpoint=" + endpoint + ", replay=" + replayEndpoint + ", encoding=" +
            encoding.name().toLowerCase(Locale.ROOT).replace('_', '-') + ", hash=" + hash.name().toLowerCase(Locale.ROOT) + ", media=" +
            Arrays.toString(media) + "]";
    }
}
