#!/usr/bin/env bash
# Creates (once) the git-ignored virtual environment VENV from the python3 on PATH and installs PACKAGE (a pinned
# runtime: vllm==0.33.0, sglang==0.5.23) and pytest from PyPI. Used by `make test-vllm` / `make test-sglang`
# (docs/CONNECTORS.md), never by `make test`. Each runtime is several GB (the CUDA build of torch and its kernels):
# free disk is checked first. A stamp holds what was installed; a different PACKAGE rebuilds the environment.
# Where PyPI cannot be reached the pip step fails and says so; nothing is half-installed silently.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${1:?usage: install-venv.sh VENV PACKAGE [NEED_GB]}
package=${2:?usage: install-venv.sh VENV PACKAGE [NEED_GB]}
need_gb=${3:-16}
stamp=$venv/.kvbm4j-installed
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$package" ]; then
  exit 0
fi
free_gb=$(df -Pk . | awk 'NR==2 {print int($4 / 1048576)}')
if [ "$free_gb" -lt "$need_gb" ]; then
  echo "install-venv: $venv needs about $need_gb GB for $package, $free_gb GB free here" >&2
  exit 1
fi
py=$(command -v python3)
echo "install-venv: creating $venv from $py ($($py --version 2>&1)) with $package (several GB, minutes)"
rm -rf "$venv"
"$py" -m venv "$venv"
start=$(date +%s)
nice -n 10 "$venv/bin/python" -m pip install -q --disable-pip-version-check "$package" pytest
echo "install-venv: $package installed in $(( $(date +%s) - start )) s, $(du -sh "$venv" | cut -f1)"
echo "$package" > "$stamp"
