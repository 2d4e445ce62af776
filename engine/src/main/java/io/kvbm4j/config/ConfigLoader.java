package io.kvbm4j.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import io.kvbm4j.gds.disk.DiskTierConfig;
import io.kvbm4j.identity.HashAlgorithm;
import io.kvbm4j.identity.SaltRecord;
import io.kvbm4j.pipeline.WaitStrategyKind;
import io.kvbm4j.policy.EvictionPolicies;
import io.kvbm4j.tiers.layout.Dtype;
import io.kvbm4j.tiers.layout.KvLayout;

/**
 * Reads YAML into a validated {@link EngineConfig}.
 *
 * <p>The embedded default ({@code config/kvbm4j.yaml}) is the schema: a user file is laid over it, and
 * every key the user file sets must exist in the default (except new model presets under
 * {@code models:}). Values are checked for type and range; the first problem stops loading with
 * {@code SOURCE: KEY: what is wrong}. No system property or environment variable changes what a file
 * says.
 */
public final class ConfigLoader
{
    /** Classpath location of the embedded default. */
    public static final String DEFAULT_RESOURCE = "/io/kvbm4j/config/kvbm4j.yaml";
    /**
     * Sections of the file that modules beside the engine read (the observe module: KV events, metrics). The
     * engine checks only that their keys exist in the default; {@link EngineConfig#section} hands them over.
     */
    public static final List<String> MODULE_SECTIONS = List.of("kv-events", "metrics", "g4");
    private static final int MAX_BLOCKS = 1 << 24;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ConfigLoader()
    {
    }

    /** The embedded default configuration. */
    public static EngineConfig defaults()
    {
        return validate(defaultTree(), "embedded default");
    }

    /** The embedded default with the user file at {@code path} laid over it. */
    public static EngineConfig load(final Path path)
    {
        final String source = path.toString();
        final String text;
        try
        {
            text = Files.readString(path);
        }
        catch (final IOException ex)
        {
            throw new ConfigException(source + ": cannot read: " + ex.getMessage(), ex);
        }
        return parse(text, source);
    }

    /** The embedded default with YAML {@code text} laid over it; {@code source} names it in messages. */
    public static EngineConfig parse(final String text, final String source)
    {
        final JsonNode user;
        try
        {
            user = YAML.readTree(text);
        }
        catch (final JsonProcessingException ex)
        {
            final var loc = ex.getLocation();
            throw new ConfigException(source + (loc != null ? ":" + loc.getLineNr() : "") + ": not valid YAML: " +
                ex.getOriginalMessage(), ex);
        }
        final ObjectNode tree = defaultTree();
        if (user != null && !user.isMissingNode() && !user.isNull())
        {
            if (!user.isObject())
            {
                throw new ConfigException(source + ": the top level must be a mapping of keys");
            }
            merge(tree, (ObjectNode)user, "", source);
        }
        return validate(tree, source);
    }

    /**
     * Applies {@code key.path=value} overrides (as from a command line {@code --set}) to the embedded
     * default or, when {@code file} is not null, to that file.
     */
    public static EngineConfig withOverrides(final Path file, final Map<String, String> overrides)
    {
        final String baseSource = file == null ? "embedded default" : file.toString();
        final ObjectNode tree = defaultTree();
        if (file != null)
        {
            try
            {
                final JsonNode user = YAML.readTree(Files.readString(file));
                if (user != null && user.isObject())
                {
                    merge(tree, (ObjectNode)user, "", baseSource);
                }
                else if (user != null && !user.isNull() && !user.isMissingNode())
                {
                    throw new ConfigException(baseSource + ": the top level must be a mapping of keys");
                }
            }
            catch (final IOException ex)
            {
                throw new ConfigException(baseSource + ": cannot read: " + ex.getMessage(), ex);
            }
        }
        for (final Map.Entry<String, String> e : overrides.entrySet())
        {
            final String[] parts = e.getKey().split("\\.");
            ObjectNode node = tree;
            for (int i = 0; i < parts.length - 1; i++)
            {
                final JsonNode child = node.get(parts[i]);
                if (!(child instanceof ObjectNode))
                {
                    throw new ConfigException("--set " + e.getKey() + ": unknown key " + parts[i]);
                }
                node = (ObjectNode)child;
            }
            final String leaf = parts[parts.length - 1];
            final JsonNode old = node.get(leaf);
            if (old == null || old.isObject())
            {
                throw new ConfigException("--set " + e.getKey() + ": unknown key");
            }
            try
            {
                node.set(leaf, YAML.readTree(e.getValue().isEmpty() ? "\"\"" : e.getValue()));
            }
            catch (final JsonProcessingException ex)
            {
                throw new ConfigException("--set " + e.getKey() + ": cannot parse value '" + e.getValue() + "'", ex);
            }
        }
        return validate(tree, baseSource + (overrides.isEmpty() ? "" : " with --set " + overrides.keySet()));
    }

    private static ObjectNode defaultTree()
    {
        try (InputStream in = ConfigLoader.class.getResourceAsStream(DEFAULT_RESOURCE))
        {
            if (in == null)
            {
                throw new ConfigException("embedded default configuration " + DEFAULT_RESOURCE + " is missing");
            }
            return (ObjectNode)YAML.readTree(in);
        }
        catch (final IOException ex)
        {
            throw new ConfigException("embedded default configuration is unreadable: " + ex.getMessage(), ex);
        }
    }

    private static void merge(final ObjectNode base, final ObjectNode user, final String prefix, final String source)
    {
        for (final Map.Entry<String, JsonNode> f : user.properties())
        {
            final String key = prefix + f.getKey();
            final JsonNode existing = base.get(f.getKey());
            final boolean newPreset = prefix.equals("models.");
            if (existing == null && !newPreset)
            {
                throw new ConfigException(source + ": " + key + ": unknown key");
            }
            if (existing != null && existing.isObject() && !newPreset)
            {
                if (!f.getValue().isObject())
                {
                    throw new ConfigException(source + ": " + key + ": must be a mapping of keys");
                }
                merge((ObjectNode)existing, (ObjectNode)f.getValue(), key + ".", source);
            }
            else
            {
                base.set(f.getKey(), f.getValue());
            }
        }
    }

    private static EngineConfig validate(final ObjectNode tree, final String source)
    {
        final Reader r = new Reader(tree, source, "");
        final String model = r.text("model", false);
        final int blockTokens = r.integer("block-tokens", 1, 4096);
        final JsonNode presets = tree.get("models");
        final JsonNode preset = presets == null ? null : presets.get(model);
        if (preset == null || !preset.isObject())
        {
            throw new ConfigException(source + ": model: no preset named '" + model + "' under models: (have " +
                (presets == null ? "none" : fieldNames(presets)) + ")");
        }
        final String p = "models." + model + ".";
        final Reader pr = new Reader(preset, source, p); // preset names may contain dots
        final int layers = pr.integer("layers", 1, 1024);
        final int kvHeads = pr.integer("kv-heads", 1, 1024);
        final int headDim = pr.integer("head-dim", 1, 65536);
        final String dtypeName = pr.text("dtype", false);
        final Dtype dtype = Dtype.parse(dtypeName);
        if (dtype == null)
        {
            throw new ConfigException(source + ": " + p + "dtype: must be one of " + Dtype.names() + ", got '" +
                dtypeName + "'");
        }
        final KvLayout layout;
        try
        {
            layout = new KvLayout(model, layers, kvHeads, headDim, dtype, blockTokens);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigException(source + ": models." + model + " with block-tokens " + blockTokens + ": " +
                ex.getMessage());
        }

        final String hashName = r.text("identity.hash", false);
        final HashAlgorithm hash = HashAlgorithm.parse(hashName);
        if (hash == null)
        {
            throw new ConfigException(source + ": identity.hash: must be xxh3-128 or sha-256, got '" + hashName + "'");
        }
        final SaltRecord salt = new SaltRecord(model, r.text("identity.model-revision", false), dtype.configName(),
            blockTokens, r.integer("identity.kv-layout-version", 0, Integer.MAX_VALUE),
            r.text("identity.tenant", true), r.text("identity.lora-adapter", true),
            r.integer("identity.lora-version", 0, Integer.MAX_VALUE));

        final int g1 = r.integer("tiers.g1-blocks", 1, MAX_BLOCKS);
        final int g2 = r.integer("tiers.g2-blocks", 0, MAX_BLOCKS);
        final EvictionPolicies g1Policy = policy(r, source, "tiers.g1-policy");
        final EvictionPolicies g2Policy = policy(r, source, "tiers.g2-policy");
        final int ringSize = r.integer("ring.size", 64, 1 << 24);
        if (Integer.bitCount(ringSize) != 1)
        {
            throw new ConfigException(source + ": ring.size: must be a power of two, got " + ringSize);
        }
        final String waitName = r.text("ring.wait-strategy", false);
        final WaitStrategyKind wait = WaitStrategyKind.parse(waitName);
        if (wait == null)
        {
            throw new ConfigException(source + ": ring.wait-strategy: must be sleeping, yielding, blocking or " +
                "busy-spin, got '" + waitName + "'");
        }
        final int shutdownMs = r.integer("ring.shutdown-timeout-ms", 1, 600_000);
        final int maxEntries = r.integer("metadata.max-entries", 0, 1 << 28);
        final String persist = r.path("metadata.persist-to");
        final String journalDir = r.path("journal.dir");
        final String roll = r.text("journal.roll", false);
        if (!roll.equals("hourly") && !roll.equals("daily"))
        {
            throw new ConfigException(source + ": journal.roll: must be hourly or daily, got '" + roll + "'");
        }
        final TransferSettings transfers = transfers(r, source, g2, ringSize);
        final DiskTierConfig g3 = g3(r, source, transfers, layout.blockBytes());
        g4(r, source, transfers);
        return new EngineConfig(source, layout, hash, salt, g1, g2, ringSize, wait, shutdownMs,
            maxEntries == 0 ? (long)g1 + g2 : maxEntries, persist.isEmpty() ? null : Path.of(persist),
            journalDir.isEmpty() ? null : Path.of(journalDir), roll, transfers, g1Policy, g2Policy, g3,
            moduleSections(tree, source));
    }

    private static Map<String, Map<String, String>> moduleSections(final ObjectNode tree, final String source)
    {
        final Map<String, Map<String, String>> sections = new HashMap<>();
        for (final String name : MODULE_SECTIONS)
        {
            final JsonNode section = tree.get(name);
            if (section == null)
            {
                continue;
            }
            if (!section.isObject())
            {
                throw new ConfigException(source + ": " + name + ": must be a mapping of keys");
            }
            final Map<String, String> keys = new LinkedHashMap<>();
            flatten(section, name, "", keys, source);
            sections.put(name, Map.copyOf(keys));
        }
        return Map.copyOf(sections);
    }

    /** A section's keys relative to it, nested mappings as dotted keys ({@code g4.s3.bucket} → {@code s3.bucket}). */
    private static void flatten(
        final JsonNode node, final String name, final String prefix, final Map<String, String> keys, final String source)
    {
        for (final Map.Entry<String, JsonNode> f : node.properties())
        {
            final JsonNode v = f.getValue();
            if (v.isObject())
            {
                flatten(v, name, prefix + f.getKey() + ".", keys, source);
                continue;
            }
            if (!v.isValueNode())
            {
                throw new ConfigException(source + ": " + name + "." + prefix + f.getKey() + ": must be a single value");
            }
            keys.put(prefix + f.getKey(), v.isNull() ? "" : v.asText());
        }
    }

    /**
     * The {@code g4:} section's engine-side checks (the store's own keys are validated by the remote module when
     * the engine opens it, through {@code RemoteConfig}, whose messages name the key).
     */
    private static void g4(final Reader r, final String source, final TransferSettings transfers)
    {
        final String backend = r.text("g4.backend", true);
        final int index = r.integer("g4.index-blocks", 0, MAX_BLOCKS);
        if (backend.isEmpty())
        {
            return;
        }
        if (transfers.g1Memory() == TransferSettings.G1Memory.NONE)
        {
            throw new ConfigException(source + ": g4.backend: " + backend + " needs tiers.g1-memory host or device " +
                "and tiers.g2-blocks > 0 (G4 blocks move through G2); leave g4.backend empty");
        }
        if (index == 0)
        {
            throw new ConfigException(source + ": g4.index-blocks: must be > 0 when g4.backend is set, got 0");
        }
    }

    private static EvictionPolicies policy(final Reader r, final String source, final String key)
    {
        final String name = r.text(key, false);
        final EvictionPolicies policy = EvictionPolicies.parse(name);
        if (policy == null)
        {
            throw new ConfigException(source + ": " + key + ": must be " + EvictionPolicies.names() + ", got '" +
                name + "'");
        }
        return policy;
    }

    private static TransferSettings transfers(final Reader r, final String source, final int g2, final int ringSize)
    {
        final String memoryName = r.text("tiers.g1-memory", false);
        final TransferSettings.G1Memory memory = TransferSettings.G1Memory.parse(memoryName);
        if (memory == null)
        {
            throw new ConfigException(source + ": tiers.g1-memory: must be none, host or device, got '" +
                memoryName + "'");
        }
        if (memory != TransferSettings.G1Memory.NONE && g2 == 0)
        {
            throw new ConfigException(source + ": tiers.g1-memory: " + memoryName + " needs tiers.g2-blocks > 0 " +
                "(G1 memory only serves transfers to and from G2); use none");
        }
        final String offloadName = r.text("transfers.offload", false);
        final TransferSettings.Offload offload = TransferSettings.Offload.parse(offloadName);
        if (offload == null)
        {
            throw new ConfigException(source + ": transfers.offload: must be write-back, write-through or off, " +
                "got '" + offloadName + "'");
        }
        final String admissionName = r.text("transfers.admission", false);
        final TransferSettings.Admission admission = TransferSettings.Admission.parse(admissionName);
        if (admission == null)
        {
            throw new ConfigException(source + ": transfers.admission: must be seen-twice or always, got '" +
                admissionName + "'");
        }
        final int inFlight = r.integer("transfers.max-in-flight", 1, 1024);
        final int queued = r.integer("transfers.max-queued", 0, 1 << 16);
        final int batch = r.integer("transfers.batch-blocks", 1, 4096);
        // Applying an onboard of a batch publishes two runs (stored, dropped) of ⌈batch / 32⌉ entries at once.
        // (With runtime-provided G1 memory, Engines checks the same when the manager opens.)
        final int entries = 2 * ((batch + 31) / 32);
        if (memory != TransferSettings.G1Memory.NONE && entries > ringSize)
        {
            throw new ConfigException(source + ": transfers.batch-blocks: " + batch + " needs a ring of at least " +
                entries + " entries (two runs of 32 blocks an entry), ring.size is " + ringSize);
        }
        final int timeoutMs = r.integer("transfers.timeout-ms", 1, 3_600_000);
        final boolean verify = r.bool("transfers.verify-g2");
        return new TransferSettings(memory, offload, admission, inFlight, queued, batch, timeoutMs, verify);
    }

    /**
     * The {@code g3:} section: null when {@code g3.slot-count} is 0; otherwise the disk keys go through
     * {@link DiskTierConfig#fromMap}, whose messages name the key.
     */
    private static DiskTierConfig g3(
        final Reader r, final String source, final TransferSettings transfers, final long blockBytes)
    {
        final int slots = r.integer("g3.slot-count", 0, DiskTierConfig.MAX_SLOTS);
        final String root = r.path("g3.root");
        final int maxPayload = r.integer("g3.max-payload-bytes", 0, (int)DiskTierConfig.MAX_PAYLOAD);
        final String io = r.text("g3.io", false);
        final String library = r.path("g3.cufile-library");
        final int timeoutMs = r.integer("g3.driver-timeout-ms", 1, 600_000);
        final int degrade = r.integer("g3.degrade-after-failures", 1, 1_000_000);
        final int scan = r.integer("g3.scan-threads", 1, 64);
        final int queueDepth = r.integer("g3.queue-depth", 1, DiskTierConfig.MAX_QUEUE_DEPTH);
        final int partBytes = r.integer("g3.part-bytes", 0, (int)DiskTierConfig.MAX_PAYLOAD);
        if (slots == 0)
        {
            if (!root.isEmpty())
            {
                throw new ConfigException(source + ": g3.root: set to '" + root + "' but g3.slot-count is 0 (G3 " +
                    "off); set g3.slot-count > 0 or leave g3.root empty");
            }
            return null;
        }
        if (root.isEmpty())
        {
            throw new ConfigException(source + ": g3.root: must be a directory when g3.slot-count is " + slots);
        }
        if (transfers.g1Memory() == TransferSettings.G1Memory.NONE)
        {
            throw new ConfigException(source + ": g3.slot-count: " + slots + " needs tiers.g1-memory host or " +
                "device and tiers.g2-blocks > 0 (G3 blocks move through G2); set g3.slot-count to 0");
        }
        if (maxPayload != 0 && maxPayload < blockBytes)
        {
            throw new ConfigException(source + ": g3.max-payload-bytes: " + maxPayload + " is below the model's " +
                "block bytes " + blockBytes + "; use 0 (= block bytes) or at least " + blockBytes);
        }
        final Map<String, String> keys = new HashMap<>();
        keys.put("g3.root", root);
        keys.put("g3.slot-count", Integer.toString(slots));
        keys.put("g3.max-payload-bytes", Long.toString(maxPayload == 0 ? blockBytes : maxPayload));
        keys.put("g3.io", io);
        if (!library.isEmpty())
        {
            keys.put("g3.cufile-library", library);
        }
        keys.put("g3.driver-timeout-ms", Integer.toString(timeoutMs));
        keys.put("g3.degrade-after-failures", Integer.toString(degrade));
        keys.put("g3.scan-threads", Integer.toString(scan));
        keys.put("g3.queue-depth", Integer.toString(queueDepth));
        keys.put("g3.part-bytes", Integer.toString(partBytes));
        try
        {
            return DiskTierConfig.fromMap(keys);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigException(source + ": " + ex.getMessage(), ex);
        }
    }

    private static String fieldNames(final JsonNode node)
    {
        final StringBuilder sb = new StringBuilder();
        node.fieldNames().forEachRemaining(n -> sb.append(sb.length() == 0 ? "" : ", ").append(n));
        return sb.toString();
    }

    /** Typed access to dotted keys with messages naming the key. */
    private static final class Reader
    {
        private final JsonNode tree;
        private final String source;
        private final String prefix;

        Reader(final JsonNode tree, final String source, final String prefix)
        {
            this.tree = tree;
            this.source = source;
            this.prefix = prefix;
        }

        private JsonNode node(final String key)
        {
            JsonNode n = tree;
            for (final String part : key.split("\\."))
            {
                n = n == null ? null : n.get(part);
            }
            if (n == null || n.isNull() || n.isMissingNode())
            {
                throw new ConfigException(source + ": " + prefix + key + ": missing");
            }
            return n;
        }

        int integer(final String key, final int min, final int max)
        {
            final JsonNode n = node(key);
            if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max)
            {
                throw new ConfigException(source + ": " + prefix + key + ": must be an integer in " + min + ".." + max +
                    ", got " + describe(n));
            }
            return n.intValue();
        }

        boolean bool(final String key)
        {
            final JsonNode n = node(key);
            if (!n.isBoolean())
            {
                throw new ConfigException(source + ": " + prefix + key + ": must be true or false, got " + describe(n));
            }
            return n.booleanValue();
        }

        String text(final String key, final boolean emptyAllowed)
        {
            final JsonNode n = node(key);
            if (!n.isTextual() || (!emptyAllowed && n.textValue().isEmpty()))
            {
                throw new ConfigException(source + ": " + prefix + key + ": must be " +
                    (emptyAllowed ? "a string" : "a non-empty string") + ", got " + describe(n));
            }
            return n.textValue();
        }

        /**
         * A string that must be a file system path (or empty). A NUL character made {@code Path.of} throw
         * {@code InvalidPathException} out of the loader (found by fuzzing, torture ConfigFuzzTest).
         */
        String path(final String key)
        {
            final String text = text(key, true);
            try
            {
                Path.of(text);
            }
            catch (final java.nio.file.InvalidPathException ex)
            {
                throw new ConfigException(source + ": " + prefix + key + ": not a usable path: " + ex.getReason() +
                    " (got '" + text.replace("\0", "\\0") + "')");
            }
            return text;
        }

        private static String describe(final JsonNode n)
        {
            return n.isTextual() ? "'" + n.textValue() + "'" : n.toString();
        }
    }
}
