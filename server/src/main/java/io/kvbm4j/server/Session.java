package io.kvbm4j.server;

import io.kvbm4j.identity.Salt;

/**
 * One client's session, opened by HELLO: its tenant's salt (ids are mapped into the tenant's space with it, so
 * a session never sees another tenant's blocks) and whether it maps the shared memory. Owned by the serving thread.
 */
final class Session
{
    final long id;
    final String tenant;
    final Salt salt;
    final boolean mapped;
    final int checksumKind;
    /** Leases and prepared stores this session holds. */
    int handles;

    Session(final long id, final String tenant, final Salt salt, final boolean mapped, final int checksumKind)
    {
        this.id = id;
        this.tenant = tenant;
        this.salt = salt;
        this.mapped = mapped;
        this.checksumKind = checksumKind;
    }
}
