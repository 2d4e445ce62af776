package io.kvbm4j.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class EvictionPoliciesTest
{
    @Test
    void everyNameParsesBackToItsPolicyAndMakesAnEmptyPolicyOfItsClass()
    {
        assertSame(LruEvictionPolicy.class, EvictionPolicies.parse("lru").create(8).getClass());
        assertSame(LfudaEvictionPolicy.class, EvictionPolicies.parse("lfuda").create(8).getClass());
        assertSame(WTinyLfuEvictionPolicy.class, EvictionPolicies.parse("tinylfu").create(8).getClass());
        assertSame(PrefixAwareEvictionPolicy.class, EvictionPolicies.parse("prefix").create(8).getClass());
        assertSame(NextUseEvictionPolicy.class, EvictionPolicies.parse("nextuse").create(8).getClass());
        for (final EvictionPolicies p : EvictionPolicies.values())
        {
            assertSame(p, EvictionPolicies.parse(p.configName()));
            assertEquals(0, p.factory().apply(4).size());
        }
    }

    @Test
    void unknownNamesAreRefusedAndTheMessageListsTheKnownOnes()
    {
        assertNull(EvictionPolicies.parse("LRU"));
        assertNull(EvictionPolicies.parse("opt"));
        assertEquals("lru, lfuda, tinylfu, prefix or nextuse", EvictionPolicies.names());
    }
}
