package io.kvbm4j.api;

/** Storage tiers, fastest first. */
public enum Tier
{
    /** GPU memory (slots owned by the inference runtime or the JCuda device tier). */
    G1,
    /** Pinned or page-aligned host memory. */
    G2,
    /** Local SSD (cuFile / POSIX). */
    G3,
    /** Remote object storage. */
    G4;

    /** Bit of this tier in a residency mask. */
    public int bit()
    {
        return 1 << ordinal();
    }
}
