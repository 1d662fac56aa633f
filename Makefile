.PHONY: all demo test docs clean

all: test

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# Builds the HTML docs into docs/_build/html (warnings are errors, as in `make test`),
# with the first test venv (.venv-3.11, else 3.12, 3.13), created if need be.
docs:
	@bash -c 'set -euo pipefail; source scripts/_common.sh; \
	for ver in $${TETHER_PYTHONS:-3.11 3.12 3.13}; do \
	    py=$$(find_python "$$ver"); [[ -n "$$py" ]] || continue; \
	    ensure_venv "$$py" ".venv-$$ver" "[test]"; \
	    ".venv-$$ver/bin/python" -m sphinx -W --keep-going -b html docs docs/_build/html -q; \
	    echo "==> docs built: docs/_build/html/index.html"; exit 0; \
	done; echo "FAIL: no supported Python found" >&2; exit 1'

clean:
	rm -rf .venv .venv-3.* build dist src/*.egg-info compat/*.egg-info *.egg-info \
		.pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
