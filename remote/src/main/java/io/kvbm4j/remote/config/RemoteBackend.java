package io.kvbm4j.remote.config;

/** {@code g4.backend}: which store holds G4. */
public enum RemoteBackend
{
    /** One Redis-protocol server (Redis, Valkey, a managed single-endpoint service). */
    REDIS("redis"),
    /** A Redis Cluster: {@code g4.endpoints} are seeds; the client learns the topology. */
    REDIS_CLUSTER("redis-cluster"),
    /** An S3 API (AWS S3, MinIO, Ceph RGW). */
    S3("s3");

    private final String key;

    RemoteBackend(final String key)
    {
        this.key = key;
    }

    public String key()
    {
        return key;
    }

    /** @throws IllegalArgumentException naming g4.backend and the allowed values. */
    public static RemoteBackend parse(final String value)
    {
        for (final RemoteBackend b : values())
        {
            if (b.key.equals(value == null ? null : value.trim()))
            {
                return b;
            }
        }
        throw new IllegalArgumentException("g4.backend must be one of redis, redis-cluster, s3: " + value);
    }
}
