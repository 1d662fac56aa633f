"""Each program in ``programs/`` must print the same transcript (and exit
with the same status) under stock asyncio and under the facade, on the
Python that runs the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("[0-9]*_*.py"))
ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT / "compat"), env.get("PYTHONPATH", "")]
    )
    env.pop("PYTHONASYNCIODEBUG", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=50
    )


def test_there_are_programs() -> None:
    assert len(PROGRAMS) >= 25


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_same_transcript(program: Path) -> None:
    stock = _run([str(program)], program.parent)
    facade = _run(["-m", "tether_asyncio", str(program)], program.parent)
    assert facade.stdout == stock.stdout, facade.stderr
    assert facade.returncode == stock.returncode, facade.stderr
