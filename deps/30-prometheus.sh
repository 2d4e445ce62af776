#!/usr/bin/env bash
# observe (issue 11): a real Prometheus server for PrometheusScrapeTest, which starts it on a loopback port
# and reads a value back through /api/v1/query. Debian's package; its service is not started here.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 || [ -x /usr/bin/prometheus ]; then
  exit 0
fi
echo "deps: installing Debian package prometheus (observe: Prometheus scrape test)"
export DEBIAN_FRONTEND=noninteractive
sudo_cmd=""
if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
if ! $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends prometheus >/dev/null; then
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends prometheus >/dev/null
fi
# The package starts a system service on :9090 where an init system runs; the tests use their own instance.
$sudo_cmd systemctl disable --now prometheus >/dev/null 2>&1 || true
