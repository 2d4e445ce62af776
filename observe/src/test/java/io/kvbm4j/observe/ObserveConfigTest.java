package io.kvbm4j.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.kvbm4j.config.ConfigException;
import io.kvbm4j.config.ConfigLoader;
import io.kvbm4j.config.EngineConfig;
import io.kvbm4j.engine.Engines;

/** Bad kv-events / metrics settings stop start-up with a message that names the key. */
class ObserveConfigTest
{
    private static ConfigException startFails(final Map<String, String> set)
    {
        return assertThrows(ConfigException.class, () ->
        {
            final EngineConfig config = ConfigLoader.withOverrides(null, set);
            Observability.attach(config, Engines.builder(config)).close();
        });
    }

    @Test
    void unknownEncodingNamesTheKey()
    {
        final ConfigException ex = startFails(Map.of("kv-events.encoding", "json"));
        assertTrue(ex.getMessage().contains("kv-events.encoding: must be array, map or map-batch, got 'json'"), ex.getMessage());
    }

    @Test
    void unknownHashFormNamesTheKey()
    {
        final ConfigException ex = startFails(Map.of("kv-events.hash", "int64"));
        assertTrue(ex.getMessage().contains("kv-events.hash"), ex.getMessage());
    }

    @Test
    void endpointWithoutSchemeOrPortNamesTheKey()
    {
        for (final String bad : new String[] {"localhost:5557", "tcp://*", "tcp://127.0.0.1:99999", "udp://*:5557"})
        {
            final ConfigException ex = startFails(Map.of("kv-events.endpoint", bad));
            assertTrue(ex.getMessage().contains("kv-events.endpoint"), bad + ": " + ex.getMessage());
        }
    }

    @Test
    void endpointThatCannotBindNamesTheKey() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final ConfigException ex = startFails(Map.of("kv-events.endpoint", "tcp://*:" + taken.getLocalPort()));
            assertTrue(ex.getMessage().contains("kv-events.endpoint: cannot bind"), ex.getMessage());
        }
    }

    @Test
    void replayEndpointThatCannotBindNamesTheKey() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final ConfigException ex = startFails(Map.of("kv-events.endpoint", "tcp://127.0.0.1:" +
                TestSupport.freePort(), "kv-events.replay-endpoint", "tcp://127.0.0.1:" + taken.getLocalPort()));
            assertTrue(ex.getMessage().contains("kv-events.replay-endpoint: cannot bind"), ex.getMessage());
        }
    }

    @Test
    void metricsPortInUseNamesTheKey() throws Exception
    {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final ConfigException ex = startFails(Map.of("metrics.port", Integer.toString(taken.getLocalPort())));
            assertTrue(ex.getMessage().contains("metrics.port: cannot listen"), ex.getMessage());
        }
    }

    @Test
    void outOfRangeValuesNameTheKey()
    {
        assertTrue(startFails(Map.of("metrics.port", "70000")).getMessage().contains("metrics.port: must be in"));
        assertTrue(startFails(Map.of("metrics.mrc-rate", "2")).getMessage().contains("metrics.mrc-rate"));
        assertTrue(startFails(Map.of("kv-events.media", "GPU,CPU")).getMessage().contains("kv-events.media"));
        assertTrue(startFails(Map.of("kv-events.buffer-batches", "0")).getMessage()
            .contains("kv-events.buffer-batches"));
        assertTrue(startFails(Map.of("kv-events.token-buffer-blocks", "-1")).getMessage()
            .contains("kv-events.token-buffer-blocks: must be in"));
    }

    @Test
    void unknownKeyInTheSectionIsRefusedByTheEngineLoader()
    {
        final ConfigException ex = assertThrows(ConfigException.class,
            () -> ConfigLoader.withOverrides(null, Map.of("kv-events.port", "1")));
        assertTrue(ex.getMessage().contains("kv-events.port"), ex.getMessage());
    }

    @Test
    void offByDefaultAddsNothingToTheRing()
    {
        final EngineConfig config = ConfigLoader.defaults();
        try (Observability observe = Observability.attach(config, Engines.builder(config)))
        {
            assertFalse(observe.active());
            assertEquals(0, observe.metricsPort());
        }
    }
}
