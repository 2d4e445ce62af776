package io.kvbm4j.policy;

import io.kvbm4j.block.BlockTable;

/**
 * Decides whether a G1 block is worth copying to G2 (the hook the hot/cold scorer plugs into). Called on
 * the serving thread for a REGISTERED block; must not allocate.
 */
@FunctionalInterface
public interface AdmissionPolicy
{
    /** Admits blocks accessed at least twice (registered and hit, or remembered hot by the history). */
    AdmissionPolicy SEEN_TWICE = (table, slot) -> table.accessCount(slot) >= 2;
    /** Admits every block. */
    AdmissionPolicy ALWAYS = (table, slot) -> true;

    /** @return true to copy the block at {@code slot} down. */
    boolean admit(BlockTable table, int slot);
}
