package io.kvbm4j.tiers.remote;

import java.util.Map;
import java.util.ServiceLoader;

/**
 * Opens a {@link RemoteTier} from the flat {@code g4.*} settings. Found with {@link ServiceLoader}: the
 * {@code remote} module registers one, so the engine opens G4 when {@code g4.backend} is set without depending
 * on the module (an embedder without G4 leaves it off the classpath).
 */
public interface RemoteTierProvider
{
    /**
     * Validates {@code settings} (keys {@code g4.*}; an error names the key) and opens the store.
     *
     * @param settings the {@code g4.*} keys that are set.
     * @throws IllegalArgumentException for a bad setting, naming its key.
     */
    RemoteTier open(Map<String, String> settings);

    /**
     * The provider on the classpath.
     *
     * @throws IllegalStateException when none is (the {@code kvbm4j-remote} module is missing).
     */
    static RemoteTierProvider find()
    {
        for (final RemoteTierProvider p : ServiceLoader.load(RemoteTierProvider.class))
        {
            return p;
        }
        throw new IllegalStateException("g4.backend is set but no G4 store is on the classpath: add the " +
            "kvbm4j-remote module (io.kvbm4j:kvbm4j-remote) or leave g4.backend empty");
    }
}
