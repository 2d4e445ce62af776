package io.kvbm4j.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.kvbm4j.remote.config.RemoteBackend;
import io.kvbm4j.remote.config.RemoteConfig;

/** g4.* settings: defaults, and every bad value a start-up error naming its key; secrets never shown. */
class RemoteConfigTest
{
    private static Map<String, String> redis(final String... more)
    {
        final Map<String, String> m = new HashMap<>(Map.of("g4.backend", "redis", "g4.endpoints", "127.0.0.1:6379"));
        for (int i = 0; i + 1 < more.length; i += 2)
        {
            m.put(more[i], more[i + 1]);
        }
        return m;
    }

    private static void rejected(final String key, final Map<String, String> values)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RemoteConfig.fromMap(values));
        assertTrue(e.getMessage().contains(key), "message names " + key + ": " + e.getMessage());
    }

    @Test
    void defaultsApplyWhenOnlyBackendAndEndpointAreSet()
    {
        final RemoteConfig c = RemoteConfig.fromMap(redis());
        assertEquals(RemoteBackend.REDIS, c.backend());
        assertEquals("kvbm4j", c.namespace());
        assertEquals(0, c.ttlMillis());
        assertEquals(1000, c.timeoutMillis());
        assertEquals(16, c.maxInFlight());
        assertEquals(64, c.maxLookupIds());
        assertEquals(8, c.degradeAfterFailures());
        assertFalse(c.useTls());
    }

    @Test
    void badValuesAreErrorsNamingTheirKey()
    {
        rejected("g4.backend", redis("g4.backend", "memcached"));
        rejected("g4.endpoints", redis("g4.endpoints", ""));
        rejected("g4.endpoints", redis("g4.endpoints", "a:1,b:2"));
        rejected("g4.endpoints", redis("g4.endpoints", "localhost"));
        rejected("g4.endpoints", redis("g4.endpoints", "localhost:99999"));
        rejected("g4.endpoints", redis("g4.endpoints", "redis://user:pw@localhost:6379"));
        rejected("g4.namespace", redis("g4.namespace", "a b"));
        rejected("g4.namespace", redis("g4.namespace", "{tag}"));
        rejected("g4.ttl-ms", redis("g4.ttl-ms", "-1"));
        rejected("g4.timeout-ms", redis("g4.timeout-ms", "0"));
        rejected("g4.timeout-ms", redis("g4.timeout-ms", "soon"));
        rejected("g4.max-in-flight", redis("g4.max-in-flight", "0"));
        rejected("g4.max-lookup-ids", redis("g4.max-lookup-ids", "5000"));
        rejected("g4.connections", redis("g4.connections", "65"));
        rejected("g4.degrade-after-failures", redis("g4.degrade-after-failures", "0"));
        rejected("g4.health-interval-ms", redis("g4.health-interval-ms", "1"));
        rejected("g4.password", redis("g4.username", "u"));
        rejected("g4.tls", redis("g4.tls", "yes"));
        rejected("g4.s3.bucket", redis("g4.s3.bucket", "b"));
        rejected("g4.nope", redis("g4.nope", "1"));
        rejected("g4.s3.bucket", Map.of("g4.backend", "s3"));
        rejected("g4.endpoints", Map.of("g4.backend", "s3", "g4.s3.bucket", "bucket", "g4.endpoints", "ftp://x"));
        rejected("g4.s3.secret-access-key", Map.of("g4.backend", "s3", "g4.s3.bucket", "bucket",
            "g4.s3.access-key-id", "AKIA"));
        rejected("g4.endpoints", Map.of("g4.backend", "redis-cluster"));
    }

    @Test
    void secretsNeverAppearInTheDescription()
    {
        final RemoteConfig c = RemoteConfig.fromMap(redis("g4.username", "alice", "g4.password", "hunter2-secret",
            "g4.endpoints", "rediss://127.0.0.1:6380"));
        assertTrue(c.useTls());
        assertFalse(c.toString().contains("hunter2-secret"), c.toString());
        final RemoteConfig s = RemoteConfig.fromMap(Map.of("g4.backend", "s3", "g4.s3.bucket", "bucket",
            "g4.s3.access-key-id", "AKIAEXAMPLE", "g4.s3.secret-access-key", "wJalrXUtnFEMI-secret"));
        assertFalse(s.toString().contains("wJalrXUtnFEMI-secret"), s.toString());
        assertFalse(s.toString().contains("AKIAEXAMPLE"), s.toString());
        assertEquals("us-east-1", s.s3Region());
    }

    @Test
    void clusterTakesSeveralSeeds()
    {
        final RemoteConfig c = RemoteConfig.fromMap(Map.of("g4.backend", "redis-cluster",
            "g4.endpoints", "10.0.0.1:7000, 10.0.0.2:7000,10.0.0.3:7000"));
        assertEquals(3, c.endpoints().size());
    }
}
