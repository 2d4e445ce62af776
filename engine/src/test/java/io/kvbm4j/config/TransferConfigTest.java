package io.kvbm4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The {@code transfers:} section and {@code tiers.g1-memory}: defaults and messages naming the key. */
class TransferConfigTest
{
    private static String messageOf(final String yaml)
    {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "t.yaml")).getMessage();
    }

    @Test
    void defaultsAreWriteBackSeenTwiceAndNoG1Memory()
    {
        final TransferSettings t = ConfigLoader.defaults().transfers();
        assertEquals(TransferSettings.G1Memory.NONE, t.g1Memory());
        assertEquals(TransferSettings.Offload.WRITE_BACK, t.offload());
        assertEquals(TransferSettings.Admission.SEEN_TWICE, t.admission());
        assertEquals(4, t.maxInFlight());
        assertEquals(64, t.maxQueued());
        assertEquals(16, t.batchBlocks());
        assertEquals(2000, t.timeoutMs());
        assertTrue(t.verifyG2());
    }

    @Test
    void aFileSetsEveryKey()
    {
        final TransferSettings t = ConfigLoader.parse("tiers:\n  g1-memory: host\ntransfers:\n  offload: write-through\n" +
            "  admission: always\n  max-in-flight: 2\n  max-queued: 0\n  batch-blocks: 8\n  timeout-ms: 50\n" +
            "  verify-g2: false\n", "t.yaml").transfers();
        assertEquals(TransferSettings.G1Memory.HOST, t.g1Memory());
        assertEquals(TransferSettings.Offload.WRITE_THROUGH, t.offload());
        assertEquals(TransferSettings.Admission.ALWAYS, t.admission());
        assertEquals(2, t.maxInFlight());
        assertEquals(0, t.maxQueued());
        assertEquals(8, t.batchBlocks());
        assertEquals(50, t.timeoutMs());
        assertEquals(false, t.verifyG2());
    }

    @Test
    void anUnknownOffloadPolicyNamesTheKeyAndTheChoices()
    {
        final String m = messageOf("transfers:\n  offload: lazy\n");
        assertTrue(m.contains("transfers.offload") && m.contains("write-back") && m.contains("'lazy'"), m);
    }

    @Test
    void g1MemoryWithoutG2IsRefusedAsContradictory()
    {
        final String m = messageOf("tiers:\n  g1-memory: host\n  g2-blocks: 0\n");
        assertTrue(m.startsWith("t.yaml: tiers.g1-memory") && m.contains("g2-blocks"), m);
    }

    @Test
    void aBatchTooLargeForTheRingNamesBothKeys()
    {
        final String m = messageOf("tiers:\n  g1-memory: host\nring:\n  size: 64\ntransfers:\n  batch-blocks: 2048\n");
        assertTrue(m.contains("transfers.batch-blocks") && m.contains("ring.size"), m);
    }

    @Test
    void verifyG2MustBeABoolean()
    {
        final String m = messageOf("transfers:\n  verify-g2: yes-please\n");
        assertTrue(m.contains("transfers.verify-g2") && m.contains("true or false"), m);
    }

    @Test
    void inFlightMustBeAtLeastOne()
    {
        final String m = messageOf("transfers:\n  max-in-flight: 0\n");
        assertTrue(m.contains("transfers.max-in-flight") && m.contains("1..1024"), m);
    }
}
