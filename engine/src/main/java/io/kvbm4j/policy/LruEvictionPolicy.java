package io.kvbm4j.policy;

import java.util.Arrays;

/**
 * Least recently released first: a doubly linked list over slot numbers, oldest at the head.
 *
 * <p>Owns two int arrays of links sized to the tier; O(1) per call; no allocation after construction.
 * Invariant: a slot is linked iff it is a candidate; {@code size} equals the number linked.
 */
public final class LruEvictionPolicy implements EvictionPolicy
{
    private static final int NIL = -1;
    private static final int UNLINKED = -2;

    private final int[] prev;
    private final int[] next;
    private int head = NIL;
    private int tail = NIL;
    private int size;

    public LruEvictionPolicy(final int capacity)
    {
        prev = new int[capacity];
        next = new int[capacity];
        Arrays.fill(prev, UNLINKED);
        Arrays.fill(next, UNLINKED);
    }

    @Override
    public void onEvictable(final int slot, final boolean asOldest)
    {
        if (prev[slot] != UNLINKED)
        {
            throw new IllegalStateException("slot " + slot + " is already a candidate");
        }
        if (asOldest)
        {
            prev[slot] = NIL;
            next[slot] = head;
            if (head != NIL)
            {
                prev[head] = slot;
            }
            head = slot;
            if (tail == NIL)
            {
                tail = slot;
            }
        }
        else
        {
            next[slot] = NIL;
            prev[slot] = tail;
            if (tail != NIL)
            {
                next[tail] = slot;
            }
            tail = slot;
            if (head == NIL)
            {
                head = slot;
            }
        }
        size++;
    }

    @Override
    public void onRemoved(final int slot)
    {
        final int p = prev[slot];
        if (p == UNLINKED)
        {
            throw new IllegalStateException("slot " + slot + " is not a candidate");
        }
        final int n = next[slot];
        if (p == NIL)
        {
            head = n;
        }
        else
        {
            next[p] = n;
        }
        if (n == NIL)
        {
            tail = p;
        }
        else
        {
            prev[n] = p;
        }
        prev[slot] = UNLINKED;
        next[slot] = UNLINKED;
        size--;
    }

    @Override
    public int victim()
    {
        return head;
    }

    @Override
    public int size()
    {
        return size;
    }

    @Override
    public boolean contains(final int slot)
    {
        return prev[slot] != UNLINKED;
    }
}
