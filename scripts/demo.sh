#!/usr/bin/env bash
# Creates .venv, installs tether editable and runs the showcase.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_common.sh

py=$(find_python 3.11)
if [[ -z "$py" ]]; then
    py=$(command -v python3 || true)
    [[ -n "$py" ]] || { echo "FAIL: neither Python 3.11 nor python3 found" >&2; exit 1; }
    echo "==> Python 3.11 not found, using $py"
fi
ensure_venv "$py" .venv ""
exec .venv/bin/python examples/showcase.py
