package io.kvbm4j.config;

import io.kvbm4j.policy.EvictionPolicies;

import java.nio.file.Path;
import java.util.Map;

import io.kvbm4j.gds.disk.DiskTierConfig;
import io.kvbm4j.identity.HashAlgorithm;
import io.kvbm4j.identity.SaltRecord;
import io.kvbm4j.pipeline.WaitStrategyKind;
import io.kvbm4j.tiers.layout.KvLayout;

/**
 * The validated configuration of one manager. Immutable; built by {@link ConfigLoader}, which checks every
 * key and range, so everything here is consistent. Use {@link ConfigLoader#defaults()} and
 * {@link ConfigLoader#withOverrides} to derive variants.
 */
public final class EngineConfig
{
    private final String source;
    private final KvLayout layout;
    private final HashAlgorithm hash;
    private final SaltRecord saltRecord;
    private final int g1Blocks;
    private final int g2Blocks;
    private final int ringSize;
    private final WaitStrategyKind waitStrategy;
    private final long shutdownTimeoutMs;
    private final long metadataMaxEntries;
    private final Path metadataPersistTo;
    private final Path journalDir;
    private final String journalRoll;
    private final TransferSettings transfers;
    private final EvictionPolicies g1Policy;
    private final EvictionPolicies g2Policy;
    private final DiskTierConfig g3;
    private final Map<String, Map<String, String>> sections;

    EngineConfig(
        final String source, final KvLayout layout, final HashAlgorithm hash, final SaltRecord saltRecord,
        final int g1Blocks, final int g2Blocks, final int ringSize, final WaitStrategyKind waitStrategy,
        final long shutdownTimeoutMs, final long metadataMaxEntries, final Path metadataPersistTo,
        final Path journalDir, final String journalRoll, final TransferSettings transfers,
        final EvictionPolicies g1Policy, final EvictionPolicies g2Policy, final DiskTierConfig g3,
        final Map<String, Map<String, String>> sections)
    {
        this.sections = sections;
        this.g3 = g3;
        this.g1Policy = g1Policy;
        this.g2Policy = g2Policy;
        this.transfers = transfers;
        this.journalDir = journalDir;
        this.journalRoll = journalRoll;
        this.source = source;
        this.layout = layout;
        this.hash = hash;
        this.saltRecord = saltRecord;
        this.g1Blocks = g1Blocks;
        this.g2Blocks = g2Blocks;
        this.ringSize = ringSize;
        this.waitStrategy = waitStrategy;
        this.shutdownTimeoutMs = shutdownTimeoutMs;
        this.metadataMaxEntries = metadataMaxEntries;
        this.metadataPersistTo = metadataPersistTo;
    }

    /** Where this configuration came from (file name or "embedded default"), for messages. */
    public String source()
    {
        return source;
    }

    /** The model's KV layout, block tokens included. */
    public KvLayout layout()
    {
        return layout;
    }

    public int blockTokens()
    {
        return layout.blockTokens();
    }

    public HashAlgorithm hash()
    {
        return hash;
    }

    /** The default tenant's salt record (model, revision, dtype, block size, layout, tenant, LoRA). */
    public SaltRecord saltRecord()
    {
        return saltRecord;
    }

    public int g1Blocks()
    {
        return g1Blocks;
    }

    /** Host blocks; 0 when G2 is disabled. */
    public int g2Blocks()
    {
        return g2Blocks;
    }

    public int ringSize()
    {
        return ringSize;
    }

    public WaitStrategyKind waitStrategy()
    {
        return waitStrategy;
    }

    public long shutdownTimeoutMs()
    {
        return shutdownTimeoutMs;
    }

    /** Most metadata records; the configured value, or g1 + g2 blocks when it was 0. */
    public long metadataMaxEntries()
    {
        return metadataMaxEntries;
    }

    /** The metadata map file, or {@code null} for in-memory. */
    public Path metadataPersistTo()
    {
        return metadataPersistTo;
    }

    /** The journal directory, or {@code null} when journaling is off. */
    public Path journalDir()
    {
        return journalDir;
    }

    /** "hourly" or "daily". */
    public String journalRoll()
    {
        return journalRoll;
    }

    /** How payloads move between G1 and G2 ({@code transfers:} and {@code tiers.g1-memory}). */
    /** The G1 tier's eviction order ({@code tiers.g1-policy}). */
    public EvictionPolicies g1Policy()
    {
        return g1Policy;
    }

    /** The G2 tier's eviction order ({@code tiers.g2-policy}). */
    public EvictionPolicies g2Policy()
    {
        return g2Policy;
    }

    public TransferSettings transfers()
    {
        return transfers;
    }

    /** The G3 disk tier's settings ({@code g3:}), or {@code null} when G3 is off ({@code g3.slot-count: 0}). */
    public DiskTierConfig g3()
    {
        return g3;
    }

    /**
     * A section the engine does not read but a module beside it does ({@link ConfigLoader#MODULE_SECTIONS}:
     * {@code kv-events}, {@code metrics}), as its keys (relative to the section) and their values as text
     * (no order). The keys are those of the embedded default (unknown keys were already refused); the
     * module validates the values and names the key in its messages. Empty when there is no such section.
     */
    public Map<String, String> section(final String name)
    {
        return sections.getOrDefault(name, Map.of());
    }

    @Override
    public String toString()
    {
        return "EngineConfig[source=" + source + ", layout=" + layout + ", hash=" + hash.configName() +
            ", g1Blocks=" + g1Blocks + ", g2Blocks=" + g2Blocks + ", ringSize=" + ringSize + ", wait=" +
            waitStrategy.configName() + ", metadataMaxEntries=" + metadataMaxEntries + ", persistTo=" +
            metadataPersistTo + ", journal=" + journalDir + ", transfers=" + transfers + ", g3=" + g3 + "]";
    }
}
