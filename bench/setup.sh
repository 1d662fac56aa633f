#!/usr/bin/env bash
# Create bench/.venv (Python 3.11) with the comparison backends and, if the repo
# has packaging metadata, tether itself installed editable.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PY="${BENCH_PYTHON:-}"
if [ -z "$PY" ]; then
    if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.11.7/bin/python" ]; then
        PY="$(pyenv root)/versions/3.11.7/bin/python"
    elif [ -x /root/.pyenv/versions/3.11.7/bin/python ]; then
        PY=/root/.pyenv/versions/3.11.7/bin/python
    else
        PY="$(command -v python3.11 || command -v python3)"
    fi
fi
VENV="$HERE/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# Comparison backends: benchmark-only, never dependencies of the library.
"$VENV/bin/python" -m pip install -q trio uvloop
if [ -f "$ROOT/pyproject.toml" ] || [ -f "$ROOT/setup.py" ]; then
    if ! "$VENV/bin/python" -m pip install -q -e "$ROOT"; then
        echo "setup.sh: editable install of the repo failed; tether backends will be n/a" >&2
    fi
else
    echo "setup.sh: no pyproject.toml at $ROOT; tether backends will report 'not installed'" >&2
fi
"$VENV/bin/python" - <<'PY'
import importlib
for name in ("tether", "tether_asyncio", "trio", "uvloop"):
    try:
        importlib.import_module(name)
        print(f"  {name}: importable")
    except Exception as exc:  # noqa: BLE001
        print(f"  {name}: not available ({type(exc).__name__})")
PY
