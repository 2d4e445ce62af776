#!/usr/bin/env bash
# G3 throughput and CPU against fio (libaio, and --verify=xxhash) in the same run: `make bench-disk` measures
# the disk tier alone AND the engine path (G2→G3 write-back, G3→G2→G1 onboards through the transfer engine):
# 18 cells x 11 one-second runs (tier, fio, engine 3 times each, interleaved; I/O only and fio+verify once),
# 198 s of measurement plus fio layouts and fills: about 4.5 minutes in all (5:05 with the old 512 MiB region
# at load 17). `make bench-disk ARGS=--full`: 3 s runs, 5 repeats, fio psync, 2 GiB region and the restart
# time with 1 M blocks (about 40 minutes). `ARGS="--path tier"` or `--path engine` runs one path only.
# Installs fio (Debian package) with apt-get when it is missing; if that fails the run goes on and says
# that the fio columns are empty. Arguments go to io.kvbm4j.perf.disk.DiskBench, for example:
#
#   perf/bench-disk.sh --sizes 512K --qd 1 --seconds 1 --repeats 1
#
# BENCH_DIR picks the directory (on the disk to measure; default perf/target/bench-disk).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/perf/target/kvbm4j-perf.jar"
options="$root/perf/target/classes/jvm.options"
dir="${BENCH_DIR:-$root/perf/target/bench-disk}"

if ! command -v fio >/dev/null 2>&1; then
    echo "bench-disk: fio missing, installing the Debian package (apt-get install -y fio)" >&2
    if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo -n"; fi
    if ! { $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q fio >/dev/null 2>&1 ||
           { $sudo apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null 2>&1 && $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q fio >/dev/null 2>&1; }; }; then
        echo "bench-disk: could not install fio; the fio columns will be empty" >&2
    fi
fi

stale() {
    [[ ! -f "$jar" || ! -f "$options" || ! -d "$root/perf/target/lib" ]] && return 0
    [[ -n "$(find "$root/pom.xml" "$root/tiers" "$root/gds" "$root/engine" "$root/perf" \
        \( -path '*/target' -prune \) -o \( -type f \( -name '*.java' -o -name 'pom.xml' \
        -o -path '*/src/main/resources/*' \) -newer "$jar" -print \) | head -n 1)" ]]
}

if stale; then
    echo "bench-disk: building perf (mvn -B -q -pl perf -am package -DskipTests)" >&2
    (cd "$root" && mvn -B -q -pl perf -am package -DskipTests)
fi

read -r -a flags < "$options"
exec "${JAVA:-java}" "${flags[@]}" -cp "$jar:$root/perf/target/lib/*" io.kvbm4j.perf.disk.DiskBench --dir "$dir" "$@"
