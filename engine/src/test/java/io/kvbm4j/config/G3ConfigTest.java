package io.kvbm4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import io.kvbm4j.gds.disk.DiskTierConfig;
import io.kvbm4j.gds.disk.IoPath;

/** The {@code g3:} section: off by default, the disk keys through DiskTierConfig, messages naming the key. */
class G3ConfigTest
{
    private static final String ON = "model: tiny-test\ntiers:\n  g1-memory: host\n";

    private static String messageOf(final String yaml)
    {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "t.yaml")).getMessage();
    }

    @Test
    void g3IsOffByDefault()
    {
        assertNull(ConfigLoader.defaults().g3());
    }

    @Test
    void aSlotCountAndARootTurnG3OnWithTheModelsBlockBytes()
    {
        final EngineConfig c = ConfigLoader.parse(ON + "g3:\n  slot-count: 128\n  root: /tmp/g3\n  io: gds-preferred\n" +
            "  scan-threads: 2\n", "t.yaml");
        final DiskTierConfig g3 = c.g3();
        assertEquals(128, g3.slotCount());
        assertEquals(Path.of("/tmp/g3"), g3.root());
        assertEquals(c.layout().blockBytes(), g3.maxPayloadBytes());
        assertEquals(IoPath.GDS_PREFERRED, g3.io());
        assertEquals(2, g3.scanThreads());
    }

    @Test
    void contradictoryG3SettingsAreRefusedNamingTheKey()
    {
        assertTrue(messageOf(ON + "g3:\n  slot-count: 4\n").startsWith("t.yaml: g3.root: must be a directory"));
        assertTrue(messageOf(ON + "g3:\n  root: /tmp/g3\n").startsWith("t.yaml: g3.root: set to '/tmp/g3' but g3.slot-count is 0"));
        assertTrue(messageOf("g3:\n  slot-count: 4\n  root: /tmp/g3\n").startsWith("t.yaml: g3.slot-count: 4 needs tiers.g1-memory"));
        assertTrue(messageOf(ON + "g3:\n  slot-count: 4\n  root: /tmp/g3\n  max-payload-bytes: 100\n")
            .startsWith("t.yaml: g3.max-payload-bytes: 100 is below the model's block bytes"));
        assertTrue(messageOf(ON + "g3:\n  slot-count: 4\n  root: /tmp/g3\n  io: fast\n").startsWith("t.yaml: g3.io must be one of"));
        assertTrue(messageOf(ON + "g3:\n  slot-count: 4\n  root: /tmp/g3\n  cufile-library: /x.so\n")
            .startsWith("t.yaml: g3.cufile-library is set but g3.io is posix"));
        assertTrue(messageOf(ON + "g3:\n  slot-count: -1\n").startsWith("t.yaml: g3.slot-count: must be an integer in 0.."));
    }
}
