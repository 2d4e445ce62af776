package io.kvbm4j.remote;

/**
 * State of a G4 store, owned by the store's owner thread.
 *
 * <pre>
 *   HEALTHY --(g4.degrade-after-failures timeouts/errors in a row)--> DEGRADED
 *   DEGRADED --(a health probe every g4.health-interval-ms answers)--> HEALTHY
 *   any --close--> CLOSED
 * </pre>
 */
public enum RemoteHealth
{
    /** Calls are submitted. */
    HEALTHY,
    /** Calls are refused with {@link RemoteStatus#DEGRADED} (counted); only the health probe talks to the store. */
    DEGRADED,
    /** Closed; calls are refused with {@link RemoteStatus#CLOSED}. */
    CLOSED
}
