package io.kvbm4j.policy;

import java.util.function.IntFunction;

/**
 * The online eviction policies by their configuration and command-line names, so the engine's tiers and the
 * replay tool choose from the same list. Belady (OPT) is not here: it needs the future and lives with the
 * replay.
 */
public enum EvictionPolicies
{
    /** Least recently used leaf: the reference semantics. */
    LRU("lru", LruEvictionPolicy::new),
    /** LFU with dynamic aging (Arlitt et al.). */
    LFUDA("lfuda", LfudaEvictionPolicy::new),
    /** Adaptive W-TinyLFU: count-min sketch admission, segmented LRU, hill-climbed window (Caffeine). */
    TINYLFU("tinylfu", WTinyLfuEvictionPolicy::new),
    /** Proven-prefix order under an LRU guard (this project's design, docs/POLICIES.md). */
    PREFIX("prefix", PrefixAwareEvictionPolicy::new),
    /** Predicted time of next use, per block, learned online, under an LRU guard (docs/POLICIES.md). */
    NEXTUSE("nextuse", NextUseEvictionPolicy::new);

    private final String configName;
    private final IntFunction<EvictionPolicy> factory;

    EvictionPolicies(final String configName, final IntFunction<EvictionPolicy> factory)
    {
        this.configName = configName;
        this.factory = factory;
    }

    public String configName()
    {
        return configName;
    }

    /** A new policy for a pool of {@code slots} slots. */
    public EvictionPolicy create(final int slots)
    {
        return factory.apply(slots);
    }

    /** The factory, as {@code Engines.Builder#g1Policy} takes it. */
    public IntFunction<EvictionPolicy> factory()
    {
        return factory;
    }

    /** @return the policy of that name, or {@code null}. */
    public static EvictionPolicies parse(final String name)
    {
        for (final EvictionPolicies p : values())
        {
            if (p.configName.equals(name))
            {
                return p;
            }
        }
        return null;
    }

    /** "lru, lfuda, tinylfu, prefix or nextuse", for messages. */
    public static String names()
    {
        final StringBuilder sb = new StringBuilder();
        final EvictionPolicies[] all = values();
        for (int i = 0; i < all.length; i++)
        {
            sb.append(i == 0 ? "" : i == all.length - 1 ? " or " : ", ").append(all[i].configName);
        }
        return sb.toString();
    }
}
