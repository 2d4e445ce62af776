#!/usr/bin/env bash
# Replay at production scale (issue 16, docs/PERF.md): `make bench-replay`. Generates the seeded
# production-shaped trace (bin/kvbm4j trace-gen, seed 1: 7,500 requests, 17.4 M block accesses, 813 K distinct
# ids, 205 MB; never committed) unless it is there, then times, each as its own `bin/kvbm4j` process (JVM
# start included):
#   1. one policy at one capacity, first run: parse the JSONL and write the binary trace cache;
#   2. the same, three times, with the cache warm (the figure for "≥ 5 M accesses/s end to end");
#   3. lru,lfuda,prefix,opt x 8 capacities on 2 threads, cache warm (the figure for "≤ 60 s on 2 cores").
# Prints wall, user and sys CPU seconds, peak RSS and the load average before and after each run. About
# 1-2 minutes on a quiet 2-core machine (wall grows with the load: the CPU seconds are the figure to compare).
#
# BENCH_DIR: where the trace and its cache go (default perf/target/bench-replay). RUNS: warm runs of step 2.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${BENCH_DIR:-$root/perf/target/bench-replay}"
runs="${RUNS:-3}"
kvbm4j="$root/bin/kvbm4j"
trace="$dir/prod.jsonl"
cache="$dir/cache"
mkdir -p "$dir"

# Build first (bin/kvbm4j would, inside the first timed run otherwise).
make -s -C "$root" build >&2

if [[ ! -f "$trace" ]]; then
    "$kvbm4j" trace-gen --out "$trace" --seed 1 >&2
fi

timed() {
    local label=$1
    shift
    echo "== $label"
    echo "   load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f "   wall %e s, user %U s, sys %S s, peak RSS %M KB" "$@" 2>&1 | grep -E \
            '^   wall|^parsed|^replayed|^trace cache|^  (lru|lfuda|prefix|opt) ' | sed 's/^/   /;s/^      wall/   wall/'
    else
        local TIMEFORMAT="   wall %R s, user %U s, sys %S s"
        { time "$@" 2>&1 | grep -E '^parsed|^replayed|^trace cache|^  (lru|lfuda|prefix|opt) ' | sed 's/^/   /'; } 2>&1
    fi
    echo "   load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "bench-replay: $(date -u +%FT%TZ), $(nproc) cores, $(java -version 2>&1 | head -1)"
echo "trace: $trace ($(stat -c %s "$trace") bytes)"
rm -rf "$cache"
timed "one policy (lru), one capacity (100,000), first run: parse + write the cache" \
    "$kvbm4j" replay --trace "$trace" --policies lru --capacities 100000 --no-anchors --cache "$cache" --no-progress
for i in $(seq 1 "$runs"); do
    timed "one policy (lru), one capacity (100,000), cache warm, run $i" \
        "$kvbm4j" replay --trace "$trace" --policies lru --capacities 100000 --no-anchors --cache "$cache" --no-progress
done
timed "one policy (lfuda), one capacity (100,000), cache warm" \
    "$kvbm4j" replay --trace "$trace" --policies lfuda --capacities 100000 --no-anchors --cache "$cache" --no-progress
timed "lru,lfuda,prefix,opt x 8 capacities, 2 threads, cache warm" \
    "$kvbm4j" replay --trace "$trace" --policies lru,lfuda,prefix,opt \
    --capacities 6250,12500,25000,50000,100000,200000,400000,800000 --cache "$cache" --threads 2 --no-progress
