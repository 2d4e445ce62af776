#!/usr/bin/env bash
# Runs the JMH benchmarks of the perf module through io.kvbm4j.perf.BenchMain, which appends the
# project's JVM flags (parent pom property kvbm.jvm.flags, baked into jvm.options) to every fork.
#
# Builds perf and the modules it depends on first when the jar is missing or older than any source
# or pom it is built from (a reactor build inside this checkout; nothing is installed into ~/.m2).
# Every argument goes to JMH unchanged, for example:
#
#   perf/run-bench.sh -l
#   perf/run-bench.sh 'BlockHashingBenchmark' -prof gc
#   perf/run-bench.sh 'MatchBenchmark' -f 1 -wi 1 -i 1 -w 1s -r 1s -prof gc
#   perf/run-bench.sh 'io.kvbm4j.perf' -rf json -rff out/perf.json
#
# JAVA selects the java binary (default: java on PATH).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/perf/target/kvbm4j-perf.jar"
options="$root/perf/target/classes/jvm.options"

stale() {
    [[ ! -f "$jar" || ! -f "$options" || ! -d "$root/perf/target/lib" ]] && return 0
    [[ -n "$(find "$root/pom.xml" "$root/tiers" "$root/gds" "$root/engine" "$root/journal" "$root/perf" \
        \( -path '*/target' -prune \) -o \( -type f \( -name '*.java' -o -name 'pom.xml' \
        -o -path '*/src/main/resources/*' \) -newer "$jar" -print \) | head -n 1)" ]]
}

if stale; then
    echo "run-bench.sh: building perf (mvn -B -q -pl perf -am package -DskipTests)" >&2
    (cd "$root" && mvn -B -q -pl perf -am package -DskipTests)
fi

# The launcher JVM gets the flags too, so that -f 0 (benchmarks in the launcher itself) works;
# forks inherit them and BenchMain does not append them twice.
read -r -a flags < "$options"
exec "${JAVA:-java}" "${flags[@]}" -cp "$jar:$root/perf/target/lib/*" io.kvbm4j.perf.BenchMain "$@"
