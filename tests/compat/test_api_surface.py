"""The facade offers everything the running Python's asyncio offers by name,
its submodules included, and the differential corpus touches the API the
facade issues list."""

from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import tether_asyncio

HERE = Path(__file__).parent


def test_every_name_in_asyncio_all_exists() -> None:
    missing = [name for name in asyncio.__all__ if not hasattr(tether_asyncio, name)]
    assert not missing, f"tether_asyncio lacks {missing}"


def test_exceptions_and_abstract_classes_are_asyncio_s_own() -> None:
    # Programs catch asyncio's exceptions and subclass its ABCs: the same objects.
    for name in ("CancelledError", "InvalidStateError", "AbstractEventLoop", "Protocol",
                 "BaseTransport", "AbstractEventLoopPolicy", "Handle", "TimerHandle"):
        assert getattr(tether_asyncio, name) is getattr(asyncio, name), name


@pytest.mark.parametrize(
    "name", ["events", "tasks", "futures", "locks", "queues", "exceptions", "base_events",
             "runners", "timeouts", "taskgroups", "coroutines", "protocols", "transports"]
)
def test_submodules_resolve_to_the_facade(name: str) -> None:
    view = getattr(tether_asyncio, name)
    stock = importlib.import_module(f"asyncio.{name}")
    for attr in getattr(stock, "__all__", ()):
        if hasattr(tether_asyncio, attr):
            assert getattr(view, attr) is getattr(tether_asyncio, attr), (name, attr)
        else:
            assert getattr(view, attr) is getattr(stock, attr), (name, attr)


def test_no_such_submodule() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        tether_asyncio.nonexistent  # noqa: B018


def test_launcher_maps_asyncio_submodules(tmp_path: Path) -> None:
    prog = tmp_path / "prog.py"
    prog.write_text(
        "import asyncio, asyncio.events, asyncio.subprocess, sys\n"
        "from asyncio.events import get_running_loop\n"
        "import tether_asyncio\n"
        "print(asyncio is tether_asyncio, get_running_loop is tether_asyncio.get_running_loop,\n"
        "      asyncio.subprocess is tether_asyncio.subprocess, __name__, sys.argv[1:])\n"
    )
    root = HERE.parents[1]
    env = {"PYTHONPATH": f"{root / 'src'}:{root / 'compat'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "tether_asyncio", str(prog), "a", "b"],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    ).stdout
    assert out == "True True True __main__ ['a', 'b']\n"


def test_corpus_touches_every_name_the_issues_list() -> None:
    spec = importlib.util.spec_from_file_location("corpus_coverage", HERE / "corpus_coverage.py")
    assert spec is not None
    assert spec.loader is not None
    coverage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coverage)
    counts = coverage.used_names()
    missing = [name for name in coverage.required_names() if not counts[name]]
    assert not missing, f"no program in tests/compat/programs uses {missing}"
    assert len(list((HERE / "programs").glob("[0-9]*_*.py"))) >= 60
