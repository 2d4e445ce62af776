package io.kvbm4j.engine;

/** Where an onboard ticket (one transfer record) stands, as its {@link OnboardPlan} says. */
enum OnboardState
{
    /** No onboard: the record is free or used by an offload; a ticket naming it is invalid. */
    IDLE,
    /** The G2→G1 copy is submitted (or queued again after its G3 stage). */
    RUNNING,
    /** G4 is asked which blocks past G2 it holds (a prefix lookup); reads into G2 follow on the same record. */
    LOOKING,
    /** The G3 (or G4) blocks are being read into G2; the G2→G1 copy follows on the same record. */
    STAGING,
    /** Applied to the pools: the slots wait for the caller's poll. */
    READY
}
