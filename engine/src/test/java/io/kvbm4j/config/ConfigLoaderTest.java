package io.kvbm4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.kvbm4j.identity.HashAlgorithm;

class ConfigLoaderTest
{
    @Test
    void embeddedDefaultIsValidAndDescribesARealModel()
    {
        final EngineConfig c = ConfigLoader.defaults();
        assertEquals("llama-3.1-8b", c.layout().model());
        // 2 x 32 layers x 8 kv heads x 128 dims x 2 bytes = 128 KiB per token.
        assertEquals(131_072, c.layout().bytesPerToken());
        assertEquals(131_072L * c.blockTokens(), c.layout().blockBytes());
        assertEquals(HashAlgorithm.XXH3_128, c.hash());
        assertEquals(c.g1Blocks() + c.g2Blocks(), c.metadataMaxEntries());
        assertNull(c.metadataPersistTo());
    }

    @Test
    void aUserFileOverridesOnlyTheKeysItSets()
    {
        final EngineConfig c = ConfigLoader.parse("model: qwen2.5-7b\ntiers:\n  g1-blocks: 100\n", "test.yaml");
        assertEquals("qwen2.5-7b", c.layout().model());
        assertEquals(57_344, c.layout().bytesPerToken());
        assertEquals(100, c.g1Blocks());
        assertEquals(ConfigLoader.defaults().ringSize(), c.ringSize());
    }

    @Test
    void unknownKeyIsAnErrorNamingTheKey()
    {
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse("tiers:\n  g1-blokcs: 100\n", "my.yaml"));
        assertEquals("my.yaml: tiers.g1-blokcs: unknown key", ex.getMessage());
    }

    @Test
    void wrongTypeAndOutOfRangeNameTheKeyAndTheRange()
    {
        assertEquals("x.yaml: tiers.g1-blocks: must be an integer in 1..16777216, got 'lots'",
            assertThrows(ConfigException.class, () -> ConfigLoader.parse("tiers:\n  g1-blocks: lots\n", "x.yaml"))
                .getMessage());
        assertEquals("x.yaml: tiers.g1-blocks: must be an integer in 1..16777216, got -5",
            assertThrows(ConfigException.class, () -> ConfigLoader.parse("tiers:\n  g1-blocks: -5\n", "x.yaml"))
                .getMessage());
        assertEquals("x.yaml: ring.size: must be a power of two, got 1000",
            assertThrows(ConfigException.class, () -> ConfigLoader.parse("ring:\n  size: 1000\n", "x.yaml"))
                .getMessage());
        assertEquals("x.yaml: identity.hash: must be xxh3-128 or sha-256, got 'md5'",
            assertThrows(ConfigException.class, () -> ConfigLoader.parse("identity:\n  hash: md5\n", "x.yaml"))
                .getMessage());
        assertEquals("x.yaml: tiers: must be a mapping of keys",
            assertThrows(ConfigException.class, () -> ConfigLoader.parse("tiers: 5\n", "x.yaml")).getMessage());
    }

    @Test
    void eachTierTakesItsEvictionPolicyByNameAndAnUnknownNameListsTheKnownOnes()
    {
        final EngineConfig defaults = ConfigLoader.defaults();
        assertEquals(io.kvbm4j.policy.EvictionPolicies.LRU, defaults.g1Policy());
        assertEquals(io.kvbm4j.policy.EvictionPolicies.LRU, defaults.g2Policy());
        final EngineConfig chosen = ConfigLoader.parse("tiers:\n  g1-policy: prefix\n  g2-policy: lfuda\n", "x.yaml");
        assertEquals(io.kvbm4j.policy.EvictionPolicies.PREFIX, chosen.g1Policy());
        assertEquals(io.kvbm4j.policy.EvictionPolicies.LFUDA, chosen.g2Policy());
        assertEquals("x.yaml: tiers.g2-policy: must be lru, lfuda, tinylfu, prefix or nextuse, got 'opt'",
            assertThrows(ConfigException.class, () -> ConfigLoader.parse("tiers:\n  g2-policy: opt\n", "x.yaml"))
                .getMessage());
    }

    @Test
    void unknownModelNamesThePresetsThereAre()
    {
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse("model: gpt-9\n", "x.yaml"));
        assertTrue(ex.getMessage().startsWith("x.yaml: model: no preset named 'gpt-9' under models: (have llama-3.1-8b"),
            ex.getMessage());
    }

    @Test
    void aNewPresetCanBeAddedAndIsValidated()
    {
        final EngineConfig c = ConfigLoader.parse(
            "model: mine\nmodels:\n  mine: {layers: 4, kv-heads: 2, head-dim: 64, dtype: fp8}\n", "x.yaml");
        assertEquals(2L * 4 * 2 * 64 * 16, c.layout().blockBytes());
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
            "model: mine\nmodels:\n  mine: {layers: 4, kv-heads: 2, head-dim: 64, dtype: int3}\n", "x.yaml"));
        assertEquals("x.yaml: models.mine.dtype: must be one of fp32, fp16, bf16, fp8, got 'int3'", ex.getMessage());
    }

    @Test
    void malformedYamlGivesTheLine()
    {
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> ConfigLoader.parse("tiers:\n  g1-blocks: [1,\n", "bad.yaml"));
        assertTrue(ex.getMessage().startsWith("bad.yaml:"), ex.getMessage());
        assertTrue(ex.getMessage().contains("not valid YAML"), ex.getMessage());
    }

    @Test
    void overridesApplyToAFileAndRejectUnknownKeys(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("c.yaml");
        Files.writeString(file, "block-tokens: 32\n");
        final EngineConfig c = ConfigLoader.withOverrides(file, Map.of("tiers.g1-blocks", "77"));
        assertEquals(32, c.blockTokens());
        assertEquals(77, c.g1Blocks());
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> ConfigLoader.withOverrides(null, Map.of("tiers.g9", "1")));
        assertEquals("--set tiers.g9: unknown key", ex.getMessage());
    }

    @Test
    void missingFileIsAClearError(@TempDir final Path dir)
    {
        final Path file = dir.resolve("absent.yaml");
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.load(file));
        assertTrue(ex.getMessage().startsWith(file + ": cannot read"), ex.getMessage());
    }

    /** Found by fuzzing (torture ConfigFuzzTest): a NUL in a path escaped as InvalidPathException, without the key. */
    @Test
    void aNulCharacterInAPathIsRefusedWithItsKey()
    {
        for (final String key : new String[] {"metadata:\n  persist-to", "journal:\n  dir", "g3:\n  root"})
        {
            final ConfigException ex = assertThrows(ConfigException.class,
                () -> ConfigLoader.parse(key + ": \"a\\0b\"\n", "t.yaml"));
            final String name = key.replace(":\n  ", ".");
            assertTrue(ex.getMessage().startsWith("t.yaml: " + name + ": not a usable path"), ex.getMessage());
        }
    }
}
