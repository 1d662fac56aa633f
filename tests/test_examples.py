"""Every example runs, and the Trio-style ones print the same on tether as on Trio."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from types import ModuleType

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ALL_EXAMPLES = sorted(p.name for p in EXAMPLES.glob("*.py"))
# Written for stock asyncio; run unmodified by ``python -m tether_asyncio``.
ASYNCIO_STYLE = [
    "asyncio_chat_server.py",
    "asyncio_subprocess_pipeline.py",
]
TRIO_STYLE = [
    "echo_server.py",
    "fanout_timeout.py",
    "pipeline.py",
    "subprocess_pipeline.py",
    "tls_pair.py",
]


def _load(name: str, *, on_trio: bool, tmp_path: Path) -> ModuleType:
    source = (EXAMPLES / name).read_text()
    if on_trio:
        assert "\nimport tether\n" in source
        source = source.replace("\nimport tether\n", "\nimport trio as tether\n")
    path = tmp_path / (("trio_" if on_trio else "tether_") + name)
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_virtual(module: ModuleType, *, on_trio: bool) -> Any:
    if on_trio:
        import trio
        import trio.testing

        return trio.run(module.main, clock=trio.testing.MockClock(autojump_threshold=0))
    import tether
    import tether.testing

    return tether.run(module.main, clock=tether.testing.MockClock(autojump_threshold=0))


@pytest.mark.parametrize("name", ALL_EXAMPLES)
def test_example_runs(name: str) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stderr == ""


@pytest.mark.parametrize("name", TRIO_STYLE)
def test_trio_style_example_prints_the_same_as_on_trio(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("trio")
    tether_result = _run_virtual(_load(name, on_trio=False, tmp_path=tmp_path), on_trio=False)
    tether_out = capsys.readouterr().out
    trio_result = _run_virtual(_load(name, on_trio=True, tmp_path=tmp_path), on_trio=True)
    trio_out = capsys.readouterr().out
    assert tether_out == trio_out
    assert tether_result == trio_result
    assert tether_out.count("\n") >= 2


def test_showcase_tells_its_story() -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "showcase.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for needle in ("caught: disk full", "caught: network down", "received: structured"):
        assert needle in out


@pytest.mark.parametrize("name", ASYNCIO_STYLE)
def test_asyncio_style_example_prints_the_same_on_tether_asyncio(name: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args, str(EXAMPLES / name)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    stock = run()
    facade = run("-m", "tether_asyncio")
    assert stock.returncode == 0, stock.stderr
    assert facade.returncode == 0, facade.stderr
    assert facade.stderr == ""
    assert facade.stdout == stock.stdout
    assert stock.stdout.count("\n") >= 10


def test_mixed_styles_example_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The mixed-style example, in virtual time: every rule it shows holds.
    module = _load("mixed_styles.py", on_trio=False, tmp_path=tmp_path)
    _run_virtual(module, on_trio=False)
    assert capsys.readouterr().out.splitlines() == [
        "quotes: {'ACME': 101.5, 'HOOLI': 777.0, 'INITECH': 42.0}",
        "deadline hit: True | library saw: ['quote(ACME) cancelled']",
        "job cancelled by the watchdog | unwound: ['a', 'b']",
        "nursery got: [\"KeyError('NOPE')\"]",
        "service stopped; asyncio tasks left: 0",
    ]
