#!/usr/bin/env bash
# The git-ignored virtual environment .venv/ the Python tests run in, made from the python3 on PATH
# with python/requirements-test.txt installed. Rebuilt when the requirements change (a stamp holds their
# sha256). Where PyPI cannot be reached the pip step fails and says so; nothing is half-installed silently.
set -euo pipefail
cd "$(dirname "$0")/.."
req=python/requirements-test.txt
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
py=$(command -v python3)
echo "deps: creating .venv from $py ($($py --version 2>&1)) with $req"
rm -rf .venv
"$py" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
