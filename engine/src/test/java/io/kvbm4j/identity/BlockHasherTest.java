package io.kvbm4j.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.kvbm4j.api.BlockIds;

class BlockHasherTest
{
    private static final SaltRecord BASE = new SaltRecord("llama-3.1-8b", "main", "bf16", 4, 1, "tenant-a", "", 0);

    private static int[] tokens(final long seed, final int n)
    {
        final SplittableRandom r = new SplittableRandom(seed);
        final int[] t = new int[n];
        for (int i = 0; i < n; i++)
        {
            t[i] = r.nextInt(128_000);
        }
        return t;
    }

    private static BlockIds ids(final HashAlgorithm alg, final SaltRecord record, final int[] tokens)
    {
        final BlockHasher h = new BlockHasher(alg, record.blockTokens());
        final BlockIds out = new BlockIds(4);
        h.hashSequence(record.salt(alg), tokens, tokens.length, out);
        return out;
    }

    private static Set<String> idSet(final BlockIds ids)
    {
        final Set<String> s = new HashSet<>();
        for (int i = 0; i < ids.size(); i++)
        {
            s.add(ids.toHex(i));
        }
        return s;
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void samePrefixGivesTheSameIds(final HashAlgorithm alg)
    {
        final int[] a = tokens(1, 40);
        final int[] b = java.util.Arrays.copyOf(a, 24); // first 6 blocks of a, then different
        final int[] longer = java.util.Arrays.copyOf(b, 40);
        for (int i = 24; i < 40; i++)
        {
            longer[i] = a[i] + 1;
        }
        final BlockIds ia = ids(alg, BASE, a);
        final BlockIds ib = ids(alg, BASE, longer);
        assertEquals(10, ia.size());
        for (int i = 0; i < 6; i++)
        {
            assertEquals(ia.toHex(i), ib.toHex(i), "shared prefix block " + i);
        }
        for (int i = 6; i < 10; i++)
        {
            assertNotEquals(ia.toHex(i), ib.toHex(i), "diverged block " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void oneChangedTokenChangesThatBlockAndEveryLaterOne(final HashAlgorithm alg)
    {
        final int[] a = tokens(2, 32);
        final int[] b = a.clone();
        b[13] ^= 1; // block 3 (tokens 12..15)
        final BlockIds ia = ids(alg, BASE, a);
        final BlockIds ib = ids(alg, BASE, b);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(ia.toHex(i), ib.toHex(i));
        }
        for (int i = 3; i < 8; i++)
        {
            assertNotEquals(ia.toHex(i), ib.toHex(i), "block " + i + " after the change");
        }
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void trailingPartialBlockGetsNoId(final HashAlgorithm alg)
    {
        assertEquals(2, ids(alg, BASE, tokens(3, 11)).size());
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void encodingIsCanonicalSoDifferentSplitsDoNotCollide(final HashAlgorithm alg)
    {
        final BlockHasher h = new BlockHasher(alg, 3);
        final Salt salt = BASE.salt(alg);
        // ('a','bc') vs ('ab','c'): same concatenated tokens, different block boundaries.
        h.hashBlock(salt, false, 0, 0, new int[] {1}, 0, 1);
        final long aHi = h.resultHi();
        final long aLo = h.resultLo();
        h.hashBlock(salt, true, aHi, aLo, new int[] {2, 3}, 0, 2);
        final String split1 = h.resultHi() + ":" + h.resultLo();
        h.hashBlock(salt, false, 0, 0, new int[] {1, 2}, 0, 2);
        h.hashBlock(salt, true, h.resultHi(), h.resultLo(), new int[] {3}, 0, 1);
        final String split2 = h.resultHi() + ":" + h.resultLo();
        assertNotEquals(split1, split2);
        // The root is not any parent id, not even the all-zero one.
        h.hashBlock(salt, false, 0, 0, new int[] {5}, 0, 1);
        final String root = h.resultHi() + ":" + h.resultLo();
        h.hashBlock(salt, true, 0, 0, new int[] {5}, 0, 1);
        assertNotEquals(root, h.resultHi() + ":" + h.resultLo());
        // A length prefix separates [7] from [7, 0].
        h.hashBlock(salt, false, 0, 0, new int[] {7, 0}, 0, 1);
        final String one = h.resultHi() + ":" + h.resultLo();
        h.hashBlock(salt, false, 0, 0, new int[] {7, 0}, 0, 2);
        assertNotEquals(one, h.resultHi() + ":" + h.resultLo());
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void everySaltFieldChangesEveryIdAndTheSameSaltSharesAll(final HashAlgorithm alg)
    {
        final int[] t = tokens(4, 32);
        final Set<String> base = idSet(ids(alg, BASE, t));
        final SaltRecord same = new SaltRecord("llama-3.1-8b", "main", "bf16", 4, 1, "tenant-a", "", 0);
        assertEquals(base, idSet(ids(alg, same, t)), "an equal salt record shares every id");
        final SaltRecord[] variants = {
            new SaltRecord("qwen2.5-7b", "main", "bf16", 4, 1, "tenant-a", "", 0),
            new SaltRecord("llama-3.1-8b", "rev2", "bf16", 4, 1, "tenant-a", "", 0),
            new SaltRecord("llama-3.1-8b", "main", "fp8", 4, 1, "tenant-a", "", 0),
            new SaltRecord("llama-3.1-8b", "main", "bf16", 4, 2, "tenant-a", "", 0),
            BASE.withTenant("tenant-b"),
            BASE.withLora("adapter-x", 0),
            BASE.withLora("adapter-x", 1).withLora("adapter-x", 2),
        };
        for (final SaltRecord v : variants)
        {
            final Set<String> other = idSet(ids(alg, v, t));
            other.retainAll(base);
            assertEquals(Set.of(), other, "no shared id with " + v);
        }
        final SaltRecord otherBlockSize = new SaltRecord("llama-3.1-8b", "main", "bf16", 8, 1, "tenant-a", "", 0);
        final Set<String> bs = idSet(ids(alg, otherBlockSize, t));
        bs.retainAll(base);
        assertEquals(Set.of(), bs, "block size is part of the salt");
    }

    @ParameterizedTest
    @EnumSource(HashAlgorithm.class)
    void idsAreStableAcrossHasherInstances(final HashAlgorithm alg)
    {
        final int[] t = tokens(5, 16);
        assertEquals(idSet(ids(alg, BASE, t)), idSet(ids(alg, BASE, t)));
    }

    @org.junit.jupiter.api.Test
    void algorithmsGiveDifferentIds()
    {
        final int[] t = tokens(6, 8);
        final Set<String> x = idSet(ids(HashAlgorithm.XXH3_128, BASE, t));
        x.retainAll(idSet(ids(HashAlgorithm.SHA_256, BASE, t)));
        assertEquals(Set.of(), x);
    }
}
