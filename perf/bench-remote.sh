#!/usr/bin/env bash
# G4 (remote tier on Redis) against redis-benchmark, same server, same run: `make bench-remote`.
# Needs redis-server, redis-cli and redis-benchmark (deps/30-redis.sh installs them). Arguments go to
# io.kvbm4j.perf.remote.RemoteBench, for example:
#
#   perf/bench-remote.sh --block-bytes 2097152 --blocks 128 --in-flight 4 --rounds 3 --lookups 2000
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$root/perf/target/kvbm4j-perf.jar"
options="$root/perf/target/classes/jvm.options"

bash "$root/deps/30-redis.sh"

stale() {
    [[ ! -f "$jar" || ! -f "$options" || ! -d "$root/perf/target/lib" ]] && return 0
    [[ -n "$(find "$root/pom.xml" "$root/tiers" "$root/remote" "$root/perf" \
        \( -path '*/target' -prune \) -o \( -type f \( -name '*.java' -o -name 'pom.xml' \
        -o -path '*/src/main/resources/*' \) -newer "$jar" -print \) | head -n 1)" ]]
}

if stale; then
    echo "bench-remote: building perf (mvn -B -q -pl perf -am package -DskipTests)" >&2
    (cd "$root" && mvn -B -q -pl perf -am package -DskipTests)
fi

read -r -a flags < "$options"
exec "${JAVA:-java}" "${flags[@]}" -cp "$jar:$root/perf/target/lib/*" io.kvbm4j.perf.remote.RemoteBench "$@"
