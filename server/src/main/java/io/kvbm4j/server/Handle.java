package io.kvbm4j.server;

import io.kvbm4j.api.BlockIds;
import io.kvbm4j.api.Onboard;

/**
 * A lease (LOOKUP pinned a prefix; LOAD hands out its slots) or a prepared store (STORE_PREPARE allocated slots
 * the client writes; COMMIT registers them). Reused from a pool; owned by the serving thread.
 *
 * <pre>
 *  lease:  LOOKUP ──> PINNED ──(onboard polled / none)──> LOADED ──RELEASE / TTL / disconnect──> free
 *                        └──RELEASE / TTL / disconnect while the onboard runs──> DRAINING ──(onboard done)──> free
 *  store:  PREPARE ──> PREPARED ──COMMIT──> free (each block registered or released)
 *                         └──RELEASE / TTL / disconnect──> free (slots released)
 * </pre>
 */
final class Handle
{
    enum State
    {
        /** In the pool. */
        FREE,
        /** A lease whose G1 hits are pinned; an onboard may be scheduled. */
        PINNED,
        /** A lease whose onboard was collected (or none was scheduled): {@code count} slots held. */
        LOADED,
        /** A lease given up while its onboard still ran: released as soon as the onboard is collected. */
        DRAINING,
        /** A store's slots, allocated and waiting for the client's bytes and COMMIT. */
        PREPARED
    }

    long id;
    State state = State.FREE;
    Session session;
    long expiresAtMs;
    /** Slots held (lease: hits, then onboarded blocks; store: allocated slots). */
    int[] slots = new int[16];
    /** Slots held now. */
    int count;
    /** Lease: blocks scheduled for onboard. Store: blocks prepared. */
    int scheduled;
    /** Store: position of the first block. */
    int first;
    /** Lease: the prefix answered by LOOKUP. */
    int prefix;
    final Onboard onboard = new Onboard();
    /** Store: the engine ids, the parent first when {@code first > 0}. */
    final BlockIds ids = new BlockIds(16);

    /** Lease: a LOAD waiting for the onboard, and its deadline. */
    Connection waiting;
    long waitDeadlineMs;

    int[] slots(final int needed)
    {
        if (slots.length < needed)
        {
            slots = new int[Math.max(needed, slots.length * 2)];
        }
        return slots;
    }

    boolean isLease()
    {
        return state == State.PINNED || state == State.LOADED || state == State.DRAINING;
    }

    void reset()
    {
        state = State.FREE;
        session = null;
        count = 0;
        scheduled = 0;
        prefix = 0;
        first = 0;
        waiting = null;
        ids.clear();
        onboard.collected();
    }
}
