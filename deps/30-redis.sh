#!/usr/bin/env bash
# redis-server, redis-cli and redis-benchmark (Debian package redis-server, which pulls redis-tools): the
# remote module's tests start their own standalone servers and a 3-master cluster on loopback ports, and the
# G4 benchmarks measure redis-benchmark beside kvbm4j. Installs the package when any of the three is missing;
# `apt-get update` runs only if the first install fails (stale or empty package lists).
set -euo pipefail
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 &&
   command -v redis-benchmark >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo -n"; fi
echo "deps: installing redis-server (apt-get install redis-server) for the remote module's tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_install() {
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends redis-server redis-tools >"$log" 2>&1
}
if ! apt_install; then
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
  apt_install || { cat "$log" >&2; exit 1; }
fi
# The package starts a system-wide service on port 6379; the tests never use it (they start their own
# servers on free ports). Stop it where a service manager runs, so it holds no memory; ignore failures.
$sudo service redis-server stop >/dev/null 2>&1 || true
command -v redis-server >/dev/null && command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null
