# Shared helpers for scripts/test.sh and scripts/demo.sh (sourced, not run).

export PIP_DISABLE_PIP_VERSION_CHECK=1

# find_python 3.11 -> prints the path of an interpreter for that version, or
# nothing. Prefers pyenv's builds, then pythonX.Y on PATH (skipping pyenv shims,
# which exist for every version and fail at run time when it is not selected).
find_python() {
    local ver=$1 root cand
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root 2>/dev/null || true)
    else
        root=${PYENV_ROOT:-$HOME/.pyenv}
    fi
    if [[ -n "$root" && -d "$root/versions" ]]; then
        # Highest patch release first.
        for cand in $(ls -d "$root/versions/$ver".* "$root/versions/$ver" 2>/dev/null | sort -rV); do
            if [[ -x "$cand/bin/python" ]] && "$cand/bin/python" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$ver'.split('.')))" 2>/dev/null; then
                echo "$cand/bin/python"
                return 0
            fi
        done
    fi
    cand=$(command -v "python$ver" 2>/dev/null || true)
    if [[ -n "$cand" ]] && "$cand" -c "import sys" >/dev/null 2>&1; then
        echo "$cand"
        return 0
    fi
    return 0
}

# ensure_venv PYTHON VENV_DIR EXTRAS
# Creates/reuses VENV_DIR and installs the project editable with EXTRAS
# ("" or "[test]"). Reinstalls only when pyproject.toml is newer than the stamp.
ensure_venv() {
    local py=$1 venv=$2 extras=$3
    local stamp="$venv/.tether-installed${extras:+-test}"
    if ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
        echo "==> creating $venv with $py"
        rm -rf "$venv"
        "$py" -m venv "$venv"
    fi
    if [[ -f "$stamp" && "$stamp" -nt pyproject.toml ]]; then
        echo "==> $venv up to date (rm $stamp to force a reinstall)"
    else
        echo "==> installing tether$extras into $venv"
        "$venv/bin/python" -m pip install -q --upgrade pip
        "$venv/bin/python" -m pip install -q -e ".$extras"
        touch "$stamp"
    fi
}
