package io.kvbm4j.remote.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Settings of the G4 remote tier, validated when built; every error names its key and the allowed range.
 * Secrets ({@code g4.password}, {@code g4.s3.secret-access-key}) are passed to the client libraries and never
 * appear in {@link #toString()} or a message.
 *
 * @param backend              {@code g4.backend}: redis, redis-cluster or s3.
 * @param endpoints            {@code g4.endpoints}: comma-separated. redis: one {@code host:port} (or
 *                             {@code redis://} / {@code rediss://} URI); redis-cluster: seed nodes; s3: the
 *                             endpoint URL ({@code http(s)://host:port}), empty for AWS's own.
 * @param namespace            {@code g4.namespace}: first part of every key, 1..64 of [A-Za-z0-9._-]; nodes
 *                             that must share blocks use the same namespace (and the same model and salt).
 * @param ttlMillis            {@code g4.ttl-ms}: expiry of every value written (Redis PX), 0 = none, up to 30 days.
 * @param timeoutMillis        {@code g4.timeout-ms}: deadline of every call, 1..600000.
 * @param maxInFlight          {@code g4.max-in-flight}: calls submitted and not yet delivered, 1..4096.
 * @param maxLookupIds         {@code g4.max-lookup-ids}: ids in one lookup, 1..4096.
 * @param connections          {@code g4.connections}: data connections (Redis) or I/O threads (S3), 1..64.
 * @param degradeAfterFailures {@code g4.degrade-after-failures}: timeouts/errors in a row that mark the tier
 *                             degraded, 1..1000000.
 * @param healthIntervalMillis {@code g4.health-interval-ms}: how often a degraded tier probes the store, 10..600000.
 * @param username             {@code g4.username}: Redis ACL user (needs g4.password), or null.
 * @param password             {@code g4.password}: Redis password, or null. Never logged.
 * @param tls                  {@code g4.tls}: Redis over TLS (true/false); a {@code rediss://} endpoint implies it.
 * @param tlsVerifyPeer        {@code g4.tls-verify-peer}: check the server certificate and host name (true/false).
 * @param s3Bucket             {@code g4.s3.bucket}: required for s3.
 * @param s3Region             {@code g4.s3.region}: default us-east-1.
 * @param s3PathStyle          {@code g4.s3.path-style}: bucket in the path (MinIO, Ceph RGW, s3proxy), true/false.
 * @param s3AccessKeyId        {@code g4.s3.access-key-id}: with g4.s3.secret-access-key; absent = the SDK's
 *                             default credentials chain.
 * @param s3SecretAccessKey    {@code g4.s3.secret-access-key}. Never logged.
 * @param s3ConditionalPut     {@code g4.s3.conditional-put}: write-once by {@code If-None-Match: *} (true), or by
 *                             a HEAD before the PUT for servers without it (false).
 */
public record RemoteConfig(RemoteBackend backend, List<String> endpoints, String namespace, long ttlMillis,
                           long timeoutMillis, int maxInFlight, int maxLookupIds, int connections,
                           int degradeAfterFailures, long healthIntervalMillis, String username, String password,
                           boolean tls, boolean tlsVerifyPeer, String s3Bucket, String s3Region, boolean s3PathStyle,
                           String s3AccessKeyId, String s3SecretAccessKey, boolean s3ConditionalPut)
{
    public static final long MAX_TTL_MILLIS = 30L * 24 * 3600 * 1000;
    private static final Pattern NAMESPACE = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    /** The keys {@link #fromMap} accepts. */
    public static final Set<String> KEYS = Set.of("g4.backend", "g4.endpoints", "g4.namespace", "g4.ttl-ms",
        "g4.timeout-ms", "g4.max-in-flight", "g4.max-lookup-ids", "g4.connections", "g4.degrade-after-failures",
        "g4.health-interval-ms", "g4.username", "g4.password", "g4.tls", "g4.tls-verify-peer", "g4.s3.bucket",
        "g4.s3.region", "g4.s3.path-style", "g4.s3.access-key-id", "g4.s3.secret-access-key",
        "g4.s3.conditional-put");

    public RemoteConfig
    {
        if (backend == null)
        {
            throw new IllegalArgumentException("g4.backend must be one of redis, redis-cluster, s3");
        }
        endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
        switch (backend)
        {
            case REDIS ->
            {
                if (endpoints.size() != 1)
                {
                    throw new IllegalArgumentException("g4.endpoints: redis takes exactly one host:port, got " +
                        endpoints.size() + " (use g4.backend redis-cluster for several nodes)");
                }
            }
            case REDIS_CLUSTER ->
            {
                if (endpoints.isEmpty())
                {
                    throw new IllegalArgumentException("g4.endpoints: redis-cluster needs at least one seed host:port");
                }
            }
            case S3 ->
            {
                if (endpoints.size() > 1)
                {
                    throw new IllegalArgumentException("g4.endpoints: s3 takes at most one endpoint URL, got " +
                        endpoints.size());
                }
                if (s3Bucket == null || !BUCKET.matcher(s3Bucket).matches())
                {
                    throw new IllegalArgumentException("g4.s3.bucket must be a bucket name (3..63 of a-z 0-9 . -) " +
                        "when g4.backend is s3: " + s3Bucket);
                }
            }
            default -> throw new IllegalStateException("backend " + backend);
        }
        for (final String e : endpoints)
        {
            checkEndpoint(backend, e);
        }
        if (namespace == null || !NAMESPACE.matcher(namespace).matches())
        {
            throw new IllegalArgumentException("g4.namespace must be 1..64 of A-Z a-z 0-9 . _ -: " + namespace);
        }
        range("g4.ttl-ms", ttlMillis, 0, MAX_TTL_MILLIS);
        range("g4.timeout-ms", timeoutMillis, 1, 600_000);
        range("g4.max-in-flight", maxInFlight, 1, 4096);
        range("g4.max-lookup-ids", maxLookupIds, 1, 4096);
        range("g4.connections", connections, 1, 64);
        range("g4.degrade-after-failures", degradeAfterFailures, 1, 1_000_000);
        range("g4.health-interval-ms", healthIntervalMillis, 10, 600_000);
        if (username != null && password == null)
        {
            throw new IllegalArgumentException("g4.username is set but g4.password is not: set both, or neither");
        }
        if (backend == RemoteBackend.S3 && (username != null || password != null || tls))
        {
            throw new IllegalArgumentException("g4.username/g4.password/g4.tls are Redis settings; for s3 use " +
                "g4.s3.access-key-id/g4.s3.secret-access-key and an https:// endpoint");
        }
        if (backend != RemoteBackend.S3 && (s3Bucket != null || s3AccessKeyId != null || s3SecretAccessKey != null))
        {
            final String key = s3Bucket != null ? "g4.s3.bucket" : s3AccessKeyId != null ? "g4.s3.access-key-id"
                : "g4.s3.secret-access-key";
            throw new IllegalArgumentException(key + " is set but g4.backend is " + backend.key() +
                " (g4.s3.* settings are for g4.backend s3)");
        }
        if ((s3AccessKeyId == null) != (s3SecretAccessKey == null))
        {
            throw new IllegalArgumentException("g4.s3.access-key-id and g4.s3.secret-access-key go together: set both, or neither");
        }
        if (s3Region == null || s3Region.isBlank())
        {
            s3Region = "us-east-1";
        }
    }

    private static void checkEndpoint(final RemoteBackend backend, final String e)
    {
        if (backend == RemoteBackend.S3)
        {
            try
            {
                final URI u = new URI(e);
                if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null)
                {
                    throw new IllegalArgumentException("g4.endpoints: an s3 endpoint is an http(s)://host[:port] URL: " + e);
                }
            }
            catch (final java.net.URISyntaxException x)
            {
                throw new IllegalArgumentException("g4.endpoints: not a URL: " + e, x);
            }
            return;
        }
        final String hostPort = e.startsWith("redis://") ? e.substring(8) : e.startsWith("rediss://") ? e.substring(9) : e;
        if (hostPort.contains("@"))
        {
            throw new IllegalArgumentException("g4.endpoints: put credentials in g4.username/g4.password, not in the " +
                "endpoint (endpoints are logged)");
        }
        final int colon = hostPort.lastIndexOf(':');
        if (colon <= 0)
        {
            throw new IllegalArgumentException("g4.endpoints: expected host:port: " + e);
        }
        final String port = hostPort.substring(colon + 1).replaceAll("/.*$", "");
        try
        {
            final int p = Integer.parseInt(port);
            if (p < 1 || p > 65535)
            {
                throw new IllegalArgumentException("g4.endpoints: port must be in 1..65535: " + e);
            }
        }
        catch (final NumberFormatException x)
        {
            throw new IllegalArgumentException("g4.endpoints: port is not a number: " + e, x);
        }
    }

    private static void range(final String key, final long v, final long min, final long max)
    {
        if (v < min || v > max)
        {
            throw new IllegalArgumentException(key + " must be in " + min + ".." + max + ": " + v);
        }
    }

    /** Whether any endpoint asks for TLS ({@code rediss://}) or g4.tls is set. */
    public boolean useTls()
    {
        return tls || endpoints.stream().anyMatch(e -> e.startsWith("rediss://"));
    }

    /**
     * Builds the settings from flat {@code g4.*} keys (as a YAML section flattens). Unknown keys, values that do
     * not parse and values out of range are errors naming the key.
     */
    public static RemoteConfig fromMap(final Map<String, String> values)
    {
        for (final String key : values.keySet())
        {
            if (!KEYS.contains(key))
            {
                throw new IllegalArgumentException("unknown setting " + key + "; G4 settings are " + new TreeSet<>(KEYS));
            }
        }
        final RemoteBackend backend = RemoteBackend.parse(values.get("g4.backend"));
        final List<String> endpoints = new ArrayList<>();
        for (final String e : values.getOrDefault("g4.endpoints", "").split(","))
        {
            if (!e.isBlank())
            {
                endpoints.add(e.trim());
            }
        }
        return new RemoteConfig(backend, endpoints, values.getOrDefault("g4.namespace", "kvbm4j").trim(),
            number(values, "g4.ttl-ms", 0), number(values, "g4.timeout-ms", 1000),
            (int)number(values, "g4.max-in-flight", 16), (int)number(values, "g4.max-lookup-ids", 64),
            (int)number(values, "g4.connections", 2), (int)number(values, "g4.degrade-after-failures", 8),
            number(values, "g4.health-interval-ms", 1000), text(values, "g4.username"), text(values, "g4.password"),
            bool(values, "g4.tls", false), bool(values, "g4.tls-verify-peer", true), text(values, "g4.s3.bucket"),
            text(values, "g4.s3.region"), bool(values, "g4.s3.path-style", false), text(values, "g4.s3.access-key-id"),
            text(values, "g4.s3.secret-access-key"), bool(values, "g4.s3.conditional-put", true));
    }

    /** A standalone Redis at {@code host:port} with the defaults of {@link #fromMap}. */
    public static RemoteConfig redis(final String hostPort)
    {
        return fromMap(Map.of("g4.backend", "redis", "g4.endpoints", hostPort));
    }

    private static String text(final Map<String, String> values, final String key)
    {
        final String v = values.get(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    private static boolean bool(final Map<String, String> values, final String key, final boolean fallback)
    {
        final String v = values.get(key);
        if (v == null || v.isBlank())
        {
            return fallback;
        }
        switch (v.trim())
        {
            case "true":
                return true;
            case "false":
                return false;
            default:
                throw new IllegalArgumentException(key + " must be true or false: " + v);
        }
    }

    private static long number(final Map<String, String> values, final String key, final long fallback)
    {
        final String v = values.get(key);
        if (v == null || v.isBlank())
        {
            return fallback;
        }
        try
        {
            return Long.parseLong(v.trim().replace("_", ""));
        }
        catch (final NumberFormatException e)
        {
            throw new IllegalArgumentException(key + " must be an integer: " + v, e);
        }
    }

    public RemoteConfig withTimeoutMillis(final long millis)
    {
        return new RemoteConfig(backend, endpoints, namespace, ttlMillis, millis, maxInFlight, maxLookupIds,
            connections, degradeAfterFailures, healthIntervalMillis, username, password, tls, tlsVerifyPeer, s3Bucket,
            s3Region, s3PathStyle, s3AccessKeyId, s3SecretAccessKey, s3ConditionalPut);
    }

    public RemoteConfig withDegradeAfterFailures(final int failures, final long healthIntervalMs)
    {
        return new RemoteConfig(backend, endpoints, namespace, ttlMillis, timeoutMillis, maxInFlight, maxLookupIds,
            connections, failures, healthIntervalMs, username, password, tls, tlsVerifyPeer, s3Bucket, s3Region,
            s3PathStyle, s3AccessKeyId, s3SecretAccessKey, s3ConditionalPut);
    }

    public RemoteConfig withMaxInFlight(final int inFlight, final int dataConnections)
    {
        return new RemoteConfig(backend, endpoints, namespace, ttlMillis, timeoutMillis, inFlight, maxLookupIds,
            dataConnections, degradeAfterFailures, healthIntervalMillis, username, password, tls, tlsVerifyPeer,
            s3Bucket, s3Region, s3PathStyle, s3AccessKeyId, s3SecretAccessKey, s3ConditionalPut);
    }

    public RemoteConfig withNamespace(final String ns)
    {
        return new RemoteConfig(backend, endpoints, ns, ttlMillis, timeoutMillis, maxInFlight, maxLookupIds,
            connections, degradeAfterFailures, healthIntervalMillis, username, password, tls, tlsVerifyPeer, s3Bucket,
            s3Region, s3PathStyle, s3AccessKeyId, s3SecretAccessKey, s3ConditionalPut);
    }

    /** Everything but the secrets (shown as {@code ***} when set). */
    @Override
    public String toString()
    {
        return "RemoteConfig[backend=" + backend.key() + ", endpoints=" + endpoints + ", namespace=" + namespace +
            ", ttl-ms=" + ttlMillis + ", timeout-ms=" + timeoutMillis + ", max-in-flight=" + maxInFlight +
            ", max-lookup-ids=" + maxLookupIds + ", connections=" + connections + ", degrade-after-failures=" +
            degradeAfterFailures + ", health-interval-ms=" + healthIntervalMillis + ", username=" +
            (username == null ? "-" : username) + ", password=" + (password == null ? "-" : "***") + ", tls=" + useTls() +
            ", tls-verify-peer=" + tlsVerifyPeer + (backend == RemoteBackend.S3 ? ", s3.bucket=" + s3Bucket +
            ", s3.region=" + s3Region + ", s3.path-style=" + s3PathStyle + ", s3.access-key-id=" +
            (s3AccessKeyId == null ? "-" : "***") + ", s3.secret-access-key=" + (s3SecretAccessKey == null ? "-" : "***") +
            ", s3.conditional-put=" + s3ConditionalPut : "") + "]";
    }
}
