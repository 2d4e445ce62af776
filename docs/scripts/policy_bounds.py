#!/usr/bin/env python3
"""Clairvoyant reference points between LRU and Belady for docs/POLICIES.md.

Replays a Mooncake-format trace under the semantics of traces/README.md (leading-run hits, every id
of a request becomes resident, a request keeps its first C ids, evict down to C after each request, only
resident leaves are candidates) with three orders:
  lru              least recently used (touched last-first), must match the reference table;
  oracle-reused    LRU, but blocks never used again in the whole trace go first (perfect admission);
  oracle-remaining LRU, but blocks with no use left go first (perfect "is this dead" knowledge).
Neither oracle knows *when* a block comes back; Belady does. The distance from oracle-remaining to Belady is
the part of the gap that needs the time of the next use.

usage: docs/scripts/policy_bounds.py TRACE.jsonl [CAPACITY ...]
"""
import collections
import heapq
import json
import sys


def replay(reqs, capacity, rank):
    resident = {}            # id -> parent id (None for a root)
    kids = collections.Counter()
    version = {}
    heap = []
    last = {}
    tick = hits = total = 0
    for t, r in enumerate(reqs):
        n = len(r)
        limit = min(n, capacity)
        k = 0
        while k < limit and r[k] in resident:
            k += 1
        hits += k
        total += n
        for j in range(limit):
            i = r[j]
            version[i] = version.get(i, 0) + 1          # leaves the candidate set while in use
            if i not in resident:
                resident[i] = r[j - 1] if j > 0 else None
                if j > 0:
                    kids[r[j - 1]] += 1
        for j in range(limit - 1, -1, -1):              # released last-first
            tick += 1
            last[r[j]] = tick
        rank.seen(r[:limit])
        for j in range(limit):
            i = r[j]
            if kids[i] == 0:
                heapq.heappush(heap, ((rank.key(i), last[i]), version[i], i))
        while len(resident) > capacity:
            while True:
                _, v, i = heapq.heappop(heap)
                if version.get(i) == v and i in resident and kids[i] == 0:
                    break
            parent = resident.pop(i)
            version.pop(i)
            if parent is not None:
                kids[parent] -= 1
                if kids[parent] == 0:
                    version[parent] += 1
                    heapq.heappush(heap, ((rank.key(parent), last[parent]), version[parent], parent))
    return hits / total


class Lru:
    def seen(self, ids):
        pass

    def key(self, i):
        return 0


class OracleReused(Lru):
    def __init__(self, uses):
        self.uses = uses

    def key(self, i):
        return 1 if self.uses[i] > 1 else 0


class OracleRemaining(Lru):
    def __init__(self, uses):
        self.uses = uses
        self.done = collections.Counter()

    def seen(self, ids):
        for i in ids:
            self.done[i] += 1

    def key(self, i):
        return 1 if self.done[i] < self.uses[i] else 0


def main():
    path = sys.argv[1]
    caps = [int(c) for c in sys.argv[2:]] or [500, 1000, 2000, 4000, 8000, 16000, 32000]
    reqs = []
    with open(path) as f:
        for line in f:
            reqs.append(json.loads(line)["hash_ids"])
    uses = collections.Counter(i for r in reqs for i in r)
    print("order," + ",".join(str(c) for c in caps))
    for name, make in (("lru", Lru), ("oracle-reused", lambda: OracleReused(uses)),
                       ("oracle-remaining", lambda: OracleRemaining(uses))):
        print(name + "," + ",".join("%.4f" % replay(reqs, c, make()) for c in caps), flush=True)


if __name__ == "__main__":
    main()
