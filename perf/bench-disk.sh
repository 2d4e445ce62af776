#!/usr/bin/env bash
# G3 disk tier throughput and CPU against fio (libaio, and --verify=xxhash) in the same run: `make bench-disk`
# (18 cells x 8 one-second runs: 144 s of measurement, plus fio start-up, file layouts and fills). `make bench-disk ARGS=--full`: 3 s runs, 5 repeats, fio psync,
# 2 GiB region and the restart time with 1 M blocks (about 30 minutes). `--path engine`: the engine-path hook.
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
    if ! { $sudo apt-get install -y -q fio >/dev/null 2>&1 ||
           { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q fio >/dev/null 2>&1; }; }; then
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
