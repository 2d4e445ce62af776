package io.kvbm4j.replay;

import io.kvbm4j.policy.EvictionPolicies;
import io.kvbm4j.policy.EvictionPolicy;

/** The policies the replay tool can run, by their command-line names: the engine's online ones and OPT. */
public enum PolicyKind
{
    /** Least recently used: the reference semantics. */
    LRU("lru"),
    /** LFU with dynamic aging (Arlitt et al.). */
    LFUDA("lfuda"),
    /** Adaptive W-TinyLFU: count-min sketch admission, segmented LRU, hill-climbed window (Caffeine). */
    TINYLFU("tinylfu"),
    /** Proven-prefix order under an LRU guard (this project's design, docs/POLICIES.md). */
    PREFIX("prefix"),
    /** Predicted time of next use, learned online, under an LRU guard (docs/POLICIES.md). */
    NEXTUSE("nextuse"),
    /** Belady's OPT: offline upper bound from the trace's future. */
    OPT("opt");

    private final String cliName;

    PolicyKind(final String cliName)
    {
        this.cliName = cliName;
    }

    public String cliName()
    {
        return cliName;
    }

    /** Whether the policy needs the trace's future (a first pass). */
    public boolean needsFuture()
    {
        return this == OPT;
    }

    /** A new policy instance for a pool of {@code capacity} slots. */
    public EvictionPolicy create(final int capacity)
    {
        return this == OPT ? new OptEvictionPolicy(capacity) : EvictionPolicies.parse(cliName).create(capacity);
    }

    /** @return the policy, or {@code null} for an unknown name. */
    public static PolicyKind parse(final String name)
    {
        for (final PolicyKind k : values())
        {
            if (k.cliName.equals(name))
            {
                return k;
            }
        }
        return null;
    }

    /** All names, for messages and {@code --policies all}. */
    public static String names()
    {
        final StringBuilder sb = new StringBuilder();
        for (final PolicyKind k : values())
        {
            sb.append(sb.length() == 0 ? "" : ", ").append(k.cliName);
        }
        return sb.toString();
    }
}
