.PHONY: all demo test clean

all: test

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

clean:
	rm -rf .venv .venv-3.* build dist src/*.egg-info compat/*.egg-info *.egg-info \
		.pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
