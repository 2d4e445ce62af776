package io.kvbm4j.remote;

/** Receives finished calls on the owner thread, inside {@link RemoteStore#poll}. Must not call back into poll. */
@FunctionalInterface
public interface RemoteCompletionHandler
{
    void onComplete(RemoteCompletion completion);
}
