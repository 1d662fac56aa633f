#!/usr/bin/env bash
# Runs the whole check suite: pytest on every supported Python found, then
# mypy --strict and ruff once. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_common.sh

# Override with e.g. `TETHER_PYTHONS=3.12 make test` for a quick single-version run.
read -r -a VERSIONS <<< "${TETHER_PYTHONS:-3.11 3.12 3.13}"
first_venv=""
found=0
start=$SECONDS

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

for ver in "${VERSIONS[@]}"; do
    py=$(find_python "$ver")
    if [[ -z "$py" ]]; then
        echo "SKIP: Python $ver not found"
        continue
    fi
    found=$((found + 1))
    venv=".venv-$ver"
    echo "==> Python $ver: $py"
    ensure_venv "$py" "$venv" "[test]" || fail "installing into $venv (Python $ver)"
    [[ -n "$first_venv" ]] || first_venv=$venv

    rc=0
    "$venv/bin/python" -m pytest -n 2 || rc=$?
    if [[ $rc -eq 5 ]]; then
        fail "pytest collected no tests on Python $ver"
    elif [[ $rc -ne 0 ]]; then
        fail "pytest on Python $ver (exit $rc)"
    fi
done

if [[ $found -eq 0 ]]; then
    fail "no supported Python (${VERSIONS[*]}) found"
fi

echo "==> mypy (strict) with $first_venv"
"$first_venv/bin/python" -m mypy || fail "mypy"

echo "==> ruff check"
"$first_venv/bin/python" -m ruff check . || fail "ruff check"

echo "==> docs (sphinx, warnings are errors) with $first_venv"
"$first_venv/bin/python" -m sphinx -W --keep-going -b html docs docs/_build/html -q || fail "docs build"

echo "==> all checks passed on $found Python version(s) in $((SECONDS - start))s"
