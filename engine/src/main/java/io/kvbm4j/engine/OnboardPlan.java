package io.kvbm4j.engine;

/**
 * The serving thread's side of one onboard ticket (one transfer record): its state, the generation that makes
 * the ticket unique, the G1 slots it hands out, and, while a G3 stage runs first, what the G2→G1 leg will
 * copy. One plan per record, preallocated; owned by the serving thread.
 *
 * <p>Invariant: {@code state == READY} ⇔ {@code ready} slots of {@link #slots} hold one reference each for the
 * caller; {@code state == STAGING} ⇔ the record is a G3→G2 read whose G1 slots are {@link #stageG1}.
 */
final class OnboardPlan
{
    OnboardState state = OnboardState.IDLE;
    /** Bumped per onboard on this record: the ticket is {@code generation << 20 | record}. */
    long generation;
    /** Slots handed to the caller once READY (the leading intact run). */
    int ready;
    final int[] slots;
    /** G3 stage: the G2 blocks found (pinned), then the staged ones that verified, in prefix order. */
    final int[] stageG2;
    int stageG2Count;
    /** G3 stage: the fresh G1 slots (PARTIAL) of the whole onboard. */
    final int[] stageG1;
    int stageG1Count;
    /** G3 stage: each staged block's parent and position (its id is in the record's {@link G3Plan}). */
    final long[] parentHi;
    final long[] parentLo;
    final int[] position;

    OnboardPlan(final int batchBlocks, final boolean staging)
    {
        this.slots = new int[batchBlocks];
        final int staged = staging ? batchBlocks : 0;
        this.stageG2 = new int[staged];
        this.stageG1 = new int[staged];
        this.parentHi = new long[staged];
        this.parentLo = new long[staged];
        this.position = new int[staged];
    }
}
