package io.kvbm4j.policy;

/**
 * A metadata-only LRU cache of block ids run beside a policy, answering "would LRU have hit this block?"
 * with the replay's prefix semantics, so a policy can measure itself against LRU on the same accesses.
 *
 * <p>Owns fixed node arrays (id via {@link IdEntries}, links), a free list and the current run. A run is
 * the accesses of one prefix walk: an access at position {@code p > 0} whose parent id is the previous
 * access's id continues the run. Within a run each block is linked just before (older than) its parent,
 * so ancestors are newer than descendants, as the reference LRU releases a request's blocks last-first;
 * a block counts as a hit only when its parent in the run was a hit (longest resident prefix). An access
 * that does not continue a run and is not at position 0 is judged on its own. Trimming to the limit
 * evicts from the least recent end and never evicts the current access.
 *
 * <p>Owned by the policy that holds it (the tier's owning thread). O(1) expected per access; no
 * allocation after construction. Invariants: {@code size} nodes are linked and indexed, the others are on
 * the free list; {@code size <= capacity}.
 */
final class ShadowLru
{
    private static final int NIL = -1;

    private final IdEntries ids;
    private final int[] prev;
    private final int[] next;
    private final int capacity;
    private int head = NIL;
    private int tail = NIL;
    private int free;
    private int size;

    private int runNode = NIL;
    private long runHi;
    private long runLo;
    private boolean runHit;

    ShadowLru(final int capacity)
    {
        this.capacity = Math.max(1, capacity);
        ids = new IdEntries(this.capacity);
        prev = new int[this.capacity];
        next = new int[this.capacity];
        for (int i = 0; i < this.capacity; i++)
        {
            next[i] = i + 1 < this.capacity ? i + 1 : NIL;
        }
        free = 0;
    }

    int size()
    {
        return size;
    }

    /**
     * Replays one block access and trims to {@code limit} ids.
     *
     * @return whether LRU holding {@code limit} blocks would have hit it.
     */
    boolean access(final long idHi, final long idLo, final long parentHi, final long parentLo, final int position,
        final int limit)
    {
        final boolean inRun = position > 0 && runNode != NIL && runHi == parentHi && runLo == parentLo;
        int node = ids.find(idHi, idLo);
        final boolean hit = node >= 0 && (!inRun || runHit);
        if (node >= 0)
        {
            unlink(node);
        }
        else
        {
            if (free == NIL)
            {
                evict(head == runNode && inRun ? next[head] : head);
            }
            node = free;
            free = next[node];
            ids.put(node, idHi, idLo);
            size++;
        }
        if (inRun && runNode != node)
        {
            linkBefore(node, runNode);
        }
        else
        {
            linkLast(node);
        }
        runNode = node;
        runHi = idHi;
        runLo = idLo;
        runHit = hit;
        while (size > Math.max(1, limit) && head != node)
        {
            evict(head);
        }
        return hit;
    }

    private void evict(final int node)
    {
        if (node == runNode)
        {
            runNode = NIL;
        }
        unlink(node);
        ids.remove(node);
        next[node] = free;
        free = node;
        size--;
    }

    private void unlink(final int node)
    {
        final int p = prev[node];
        final int n = next[node];
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
    }

    private void linkLast(final int node)
    {
        prev[node] = tail;
        next[node] = NIL;
        if (tail == NIL)
        {
            head = node;
        }
        else
        {
            next[tail] = node;
        }
        tail = node;
    }

    private void linkBefore(final int node, final int at)
    {
        final int p = prev[at];
        prev[node] = p;
        next[node] = at;
        prev[at] = node;
        if (p == NIL)
        {
            head = node;
        }
        else
        {
            next[p] = node;
        }
    }
}
