package io.kvbm4j.pool;

import static io.kvbm4j.block.BlockTableLayout.FLAG_EVICTABLE;

import io.kvbm4j.api.BlockState;
import io.kvbm4j.block.BlockTable;

/**
 * Walks a {@link BlockPool} and reports every broken invariant. O(capacity); for tests, soak runs and
 * diagnostics, never the serving path. Must run on the pool's owning thread (or after it stopped).
 */
public final class PoolInvariants
{
    private PoolInvariants()
    {
    }

    /** @return a description of every violation, or {@code null} when the pool is consistent. */
    public static String check(final BlockPool pool)
    {
        final StringBuilder errors = new StringBuilder();
        final BlockTable table = pool.table();
        final int capacity = pool.capacity();
        int free = 0;
        int partial = 0;
        int complete = 0;
        int active = 0;
        int inactive = 0;
        int candidates = 0;
        final int[] children = new int[capacity];
        for (int s = 0; s < capacity; s++)
        {
            final int refs = table.refCount(s);
            if (refs < 0)
            {
                errors.append("slot ").append(s).append(" has negative refCount ").append(refs).append('\n');
            }
            final int code = table.state(s);
            if (code == BlockState.REGISTERED.code())
            {
                if (refs > 0)
                {
                    active++;
                }
                else
                {
                    inactive++;
                }
                final int at = pool.index().get(table.idHi(s), table.idLo(s));
                if (at != s)
                {
                    errors.append("registered slot ").append(s).append(" is indexed at ").append(at).append('\n');
                }
                final int parent = table.parentSlot(s);
                if (parent >= 0)
                {
                    if (table.state(parent) != BlockState.REGISTERED.code())
                    {
                        errors.append("slot ").append(s).append(" has unregistered parent slot ").append(parent)
                            .append('\n');
                    }
                    else
                    {
                        children[parent]++;
                    }
                }
            }
            else if (refs != 0)
            {
                errors.append("unregistered slot ").append(s).append(" holds ").append(refs).append(" refs\n");
            }
            if (code == BlockState.RESET.code())
            {
                free++;
            }
            else if (code == BlockState.PARTIAL.code())
            {
                partial++;
            }
            else if (code == BlockState.COMPLETE.code())
            {
                complete++;
            }
            else if (code != BlockState.REGISTERED.code())
            {
                errors.append("slot ").append(s).append(" has unknown state ").append(code).append('\n');
            }
        }
        for (int s = 0; s < capacity; s++)
        {
            if (table.state(s) == BlockState.REGISTERED.code() && table.childCount(s) != children[s])
            {
                errors.append("slot ").append(s).append(" childCount ").append(table.childCount(s))
                    .append(" but ").append(children[s]).append(" registered children\n");
            }
            final boolean shouldBeCandidate = table.state(s) == BlockState.REGISTERED.code() &&
                table.refCount(s) == 0 && children[s] == 0;
            final boolean isCandidate = pool.policy().contains(s);
            if (shouldBeCandidate)
            {
                candidates++;
            }
            if (shouldBeCandidate != isCandidate || isCandidate != table.hasFlag(s, FLAG_EVICTABLE))
            {
                errors.append("slot ").append(s).append(" eviction candidate: expected ").append(shouldBeCandidate)
                    .append(", policy says ").append(isCandidate).append(", flag says ")
                    .append(table.hasFlag(s, FLAG_EVICTABLE)).append('\n');
            }
        }
        if (free + partial + complete + active + inactive != capacity)
        {
            errors.append("free+partial+complete+active+inactive = ")
                .append(free + partial + complete + active + inactive).append(" != capacity ").append(capacity)
                .append('\n');
        }
        expect(errors, "free", pool.freeCount(), free);
        expect(errors, "partial", pool.partialCount(), partial);
        expect(errors, "complete", pool.completeCount(), complete);
        expect(errors, "active", pool.activeCount(), active);
        expect(errors, "inactive", pool.inactiveCount(), inactive);
        expect(errors, "eviction candidates", pool.policy().size(), candidates);
        expect(errors, "index size", pool.index().size(), active + inactive);
        final boolean[] seen = new boolean[capacity];
        for (int i = 0; i < pool.freeCount(); i++)
        {
            final int s = pool.freeStack()[i];
            if (s < 0 || s >= capacity || seen[s] || table.state(s) != BlockState.RESET.code())
            {
                errors.append("free stack entry ").append(i).append(" = slot ").append(s)
                    .append(" is out of range, repeated or not RESET\n");
            }
            else
            {
                seen[s] = true;
            }
        }
        pool.index().forEach((hi, lo, slot, hashConsistent) ->
        {
            if (slot < 0 || slot >= capacity || table.state(slot) != BlockState.REGISTERED.code() || !hashConsistent)
            {
                errors.append("index entry ").append(Long.toHexString(hi)).append(Long.toHexString(lo))
                    .append(" -> slot ").append(slot).append(" has no matching registered block\n");
            }
        });
        return errors.length() == 0 ? null : pool.tier() + ": " + errors;
    }

    private static void expect(final StringBuilder errors, final String what, final int counted, final int walked)
    {
        if (counted != walked)
        {
            errors.append(what).append(" counter ").append(counted).append(" != ").append(walked)
                .append(" found by walking\n");
        }
    }
}
