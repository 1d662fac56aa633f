"""Ctrl-C under the facade behaves as under stock asyncio.

Each program in ``sigint_programs/`` prints ``ready`` whenever it wants a
SIGINT; the test sends one per ``ready`` line, then compares stdout, the
exit status and the last line of stderr (the exception, if any) between
``python prog.py`` and ``python -m tether_asyncio prog.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAMS = sorted((Path(__file__).parent / "sigint_programs").glob("*.py"))
ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str]) -> tuple[str, int, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "compat")])
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.strip() == "ready":
                proc.send_signal(signal.SIGINT)
        err = proc.stderr.read()
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    last = err.strip().splitlines()[-1] if err.strip() else ""
    return "".join(lines), proc.returncode, last


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.stem for p in PROGRAMS])
def test_ctrl_c_like_stock(program: Path) -> None:
    stock = _run([str(program)])
    facade = _run(["-m", "tether_asyncio", str(program)])
    assert facade == stock


def test_uncaught_error_traceback_starts_at_the_program(tmp_path: Path) -> None:
    prog = tmp_path / "boom.py"
    prog.write_text(
        "import asyncio\n"
        "async def main():\n"
        "    raise ValueError('boom')\n"
        "asyncio.run(main())\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT / "compat")]))
    result = {}
    for key, args in {"stock": [str(prog)], "facade": ["-m", "tether_asyncio", str(prog)]}.items():
        proc = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, env=env, timeout=30
        )
        lines = proc.stderr.splitlines()
        user_frames = [line for line in lines if line.lstrip().startswith(f'File "{prog}"')]
        result[key] = (proc.returncode, lines[0], lines[1], user_frames, lines[-1])
    assert result["facade"] == result["stock"]
    assert result["stock"][-1] == "ValueError: boom"
