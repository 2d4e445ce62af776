package io.kvbm4j.remote.tier;

import java.util.Map;

import org.agrona.concurrent.SystemNanoClock;

import io.kvbm4j.remote.RemoteStore;
import io.kvbm4j.remote.config.RemoteBackend;
import io.kvbm4j.remote.config.RemoteConfig;
import io.kvbm4j.remote.redis.RedisRemoteStore;
import io.kvbm4j.remote.s3.S3RemoteStore;
import io.kvbm4j.tiers.remote.RemoteTier;
import io.kvbm4j.tiers.remote.RemoteTierProvider;

/**
 * Registered in {@code META-INF/services}: the engine opens G4 through this when {@code g4.backend} is set.
 * Settings go through {@link RemoteConfig#fromMap} (an error names the key); connecting blocks, at start-up only.
 */
public final class StoreTierProvider implements RemoteTierProvider
{
    @Override
    public RemoteTier open(final Map<String, String> settings)
    {
        final RemoteConfig config = RemoteConfig.fromMap(settings);
        final RemoteStore store = config.backend() == RemoteBackend.S3 ?
            new S3RemoteStore(config, new SystemNanoClock()) : new RedisRemoteStore(config, new SystemNanoClock());
        return new StoreTier(store, config.maxLookupIds(), config.maxInFlight());
    }
}
