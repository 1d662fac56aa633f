from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import tether
from tether.abc import Instrument
from tether.testing import MockClock, tether_test, trio_test

if TYPE_CHECKING:
    from tether.lowlevel import Task


def test_trio_test_is_tether_test() -> None:
    assert trio_test is tether_test


def test_runs_the_function_and_returns_its_value() -> None:
    @tether_test
    async def check(x: int, *, y: int) -> int:
        await tether.sleep(0)
        return x + y

    assert check.__name__ == "check"
    assert check(1, y=2) == 3


def test_a_clock_argument_becomes_the_runs_clock() -> None:
    clock = MockClock(autojump_threshold=0)

    @tether_test
    async def check(clock: MockClock) -> float:
        assert tether.lowlevel.current_clock() is clock
        await tether.sleep(1000)
        return tether.current_time()

    assert check(clock=clock) == 1000


def test_instrument_arguments_are_installed() -> None:
    seen: list[str] = []

    class Recorder(Instrument):
        def before_run(self) -> None:
            seen.append("before_run")

        def task_exited(self, task: Task) -> None:
            seen.append("task_exited")

    @tether_test
    async def check(recorder: Recorder, other: int) -> None:
        assert other == 7

    check(recorder=Recorder(), other=7)
    assert seen[0] == "before_run"
    assert "task_exited" in seen


def test_two_clocks_are_an_error() -> None:
    @tether_test
    async def check(a: MockClock, b: MockClock) -> None:  # pragma: no cover
        pass

    with pytest.raises(ValueError, match="too many clocks"):
        check(a=MockClock(), b=MockClock())


def test_errors_propagate() -> None:
    @tether_test
    async def check() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError):
        check()
