package io.kvbm4j.remote;

/** What a G4 call does. */
public enum RemoteOpKind
{
    /** How many of n ids, from the first, are present: the leading run. */
    LOOKUP,
    /** One block's value into caller memory, verified before it counts. */
    READ,
    /** One block's value from caller memory, write-once. */
    WRITE,
    /** One block's key removed. */
    DELETE,
    /** One round trip that touches no key (health probe, latency floor). */
    PING
}
