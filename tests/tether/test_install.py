"""install_as_trio(): third-party code that does ``import trio`` runs on tether."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

LIBRARY = '''
"""A stand-in for a third-party library written for Trio."""
import trio
import trio.lowlevel
import trio.testing


async def double_later(x: int) -> int:
    await trio.sleep(1)
    assert isinstance(trio.lowlevel.current_trio_token(), trio.lowlevel.TrioToken)
    return 2 * x


async def fan_out(values: list[int]) -> list[int]:
    results: list[int] = []

    async def one(v: int) -> None:
        results.append(await double_later(v))

    async with trio.open_nursery() as nursery:
        for v in values:
            nursery.start_soon(one, v)
    return sorted(results)
'''

PROGRAM = '''
import sys
import tether
tether.install_as_trio()
tether.install_as_trio()  # idempotent

import sniffio
import thirdparty
import trio

assert trio is tether, trio
assert sys.modules["trio.lowlevel"] is tether.lowlevel

async def main():
    assert sniffio.current_async_library() == "trio"
    return await thirdparty.fan_out([3, 1, 2])

print(tether.run(main, clock=tether.testing.MockClock(autojump_threshold=0)))
try:
    import trio._core
except ModuleNotFoundError as exc:
    print("private:", exc.name)
'''


def run_program(tmp_path: Path, program: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "thirdparty.py").write_text(textwrap.dedent(LIBRARY))
    (tmp_path / "prog.py").write_text(textwrap.dedent(program))
    return subprocess.run(
        [sys.executable, str(tmp_path / "prog.py")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        check=False,
    )


def test_trio_library_runs_on_tether(tmp_path: Path) -> None:
    result = run_program(tmp_path, PROGRAM)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[2, 4, 6]", "private: trio._core"]


def test_refuses_when_real_trio_is_already_imported(tmp_path: Path) -> None:
    pytest.importorskip("trio")
    program = """
    import trio
    import tether
    try:
        tether.install_as_trio()
    except RuntimeError as exc:
        print("refused:", "already been imported" in str(exc))
    """
    result = run_program(tmp_path, program)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "refused: True"


def test_sniffio_says_tether_without_the_switch() -> None:
    import sniffio

    import tether

    async def main() -> str:
        return sniffio.current_async_library()

    assert tether.run(main) == "tether"
    assert sniffio.thread_local.name is None
