package io.kvbm4j.tiers.remote;

/** Receives finished G4 calls inside {@link RemoteTier#poll}, on the owner thread. Must not call poll. */
@FunctionalInterface
public interface RemoteTierListener
{
    /**
     * @param tag     the caller's tag given at submit.
     * @param outcome one of {@link RemoteOutcome}'s values.
     * @param run      a lookup's leading run of ids present (0 for other calls).
     * @param checksum a read that ended OK: the payload's XXH3-64, verified against the value (0 otherwise).
     */
    void onComplete(long tag, int outcome, int run, long checksum);
}
