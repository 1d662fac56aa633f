"""MockClock and wait_all_tasks_blocked."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import pytest

import tether
from tether._core._context import GLOBAL_RUN_CONTEXT
from tether.lowlevel import checkpoint, current_clock
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

inf = math.inf


class FakeRealTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def fake_clock(monkeypatch: pytest.MonkeyPatch, **kwargs: float) -> tuple[MockClock, FakeRealTime]:
    real = FakeRealTime(123.0)
    clock = MockClock(**kwargs)
    monkeypatch.setattr(clock, "_real_clock", real)
    # Re-base on the fake real clock.
    clock.rate = clock.rate
    return clock, real


def running_mock_clock() -> MockClock:
    clock = current_clock()
    assert isinstance(clock, MockClock)
    return clock


def run_with(clock: MockClock, fn: Callable[[], Awaitable[object]]) -> None:
    tether.run(fn, clock=clock)


# -- the clock by itself --------------------------------------------------------------


def test_defaults() -> None:
    clock = MockClock()
    assert clock.rate == 0
    assert clock.autojump_threshold == inf
    assert clock.current_time() == 0
    assert isinstance(clock, tether.abc.Clock)


def test_jump(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, _ = fake_clock(monkeypatch)
    assert clock.current_time() == 0
    clock.jump(1.25)
    assert clock.current_time() == 1.25
    clock.jump(0)
    assert clock.current_time() == 1.25
    with pytest.raises(ValueError, match="backwards"):
        clock.jump(-1)
    assert clock.current_time() == 1.25


def test_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, real = fake_clock(monkeypatch)
    clock.jump(1)
    real.now += 10
    assert clock.current_time() == 1  # rate 0: standing still
    clock.rate = 2
    assert clock.current_time() == 1  # changing the rate keeps the time
    real.now += 1
    assert clock.current_time() == 3
    clock.rate = 0.5
    assert clock.current_time() == 3
    real.now += 2
    assert clock.current_time() == 4
    clock.jump(1)
    real.now += 2
    assert clock.current_time() == 6
    with pytest.raises(ValueError, match=">= 0"):
        clock.rate = -1
    assert clock.rate == 0.5
    with pytest.raises(ValueError, match=">= 0"):
        MockClock(rate=-1)


def test_rate_from_constructor_uses_real_time() -> None:
    clock = MockClock(rate=3)
    assert clock.rate == 3
    first = clock.current_time()
    assert 0 <= first < 10
    assert clock.current_time() >= first


def test_deadline_to_sleep_time(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, _ = fake_clock(monkeypatch)
    clock.jump(5)
    assert clock.deadline_to_sleep_time(4) == 0
    assert clock.deadline_to_sleep_time(5) == 0
    # Standing still: a future deadline is never reached by waiting.
    assert clock.deadline_to_sleep_time(6) > 999_999
    clock.rate = 2
    assert clock.deadline_to_sleep_time(4) == 0
    assert clock.deadline_to_sleep_time(5) == 0
    assert clock.deadline_to_sleep_time(6) == 0.5
    clock.rate = 0.5
    assert clock.deadline_to_sleep_time(6) == 2


def test_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, _ = fake_clock(monkeypatch)
    clock.jump(1.5)
    text = repr(clock)
    assert text.startswith("<MockClock")
    assert "time=1.5000000" in text
    assert "rate=0.0" in text
    assert f"{id(clock):#x}" in text


def test_creating_a_clock_in_a_run_does_not_touch_the_runner() -> None:
    async def main() -> None:
        runner = GLOBAL_RUN_CONTEXT.runner
        before = (runner.clock, runner.clock_autojump_threshold)
        MockClock(autojump_threshold=2, rate=3)
        other = MockClock()
        other.autojump_threshold = 0
        assert (runner.clock, runner.clock_autojump_threshold) == before

    tether.run(main)


# -- in a run -----------------------------------------------------------------------


def test_time_starts_at_zero_and_only_moves_by_jumps() -> None:
    async def main() -> None:
        clock = running_mock_clock()
        assert tether.current_time() == 0
        await checkpoint()
        assert tether.current_time() == 0
        clock.jump(7)
        assert tether.current_time() == 7

    run_with(MockClock(), main)


def test_manual_jump_wakes_sleeper() -> None:
    record: list[float] = []

    async def sleeper() -> None:
        await tether.sleep(10)
        record.append(tether.current_time())

    async def main() -> None:
        clock = running_mock_clock()
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            await wait_all_tasks_blocked()
            clock.jump(9)
            await wait_all_tasks_blocked()
            assert record == []
            clock.jump(2)
        assert record == [11]

    run_with(MockClock(), main)


def test_autojump_zero() -> None:
    async def main() -> None:
        start = time.perf_counter()
        virtual = tether.current_time()
        for i in range(10):
            await tether.sleep(10 * i)
            assert tether.current_time() == virtual + 10 * i
            virtual = tether.current_time()
        await tether.sleep(3600)
        assert tether.current_time() == 450 + 3600
        assert time.perf_counter() - start < 1

    run_with(MockClock(autojump_threshold=0), main)


def test_autojump_small_positive_threshold() -> None:
    async def main() -> None:
        clock = running_mock_clock()
        assert clock.autojump_threshold == 0.01
        start = time.perf_counter()
        await tether.sleep(1000)
        elapsed = time.perf_counter() - start
        assert tether.current_time() == 1000
        assert 0.01 <= elapsed < 1
        # wait_all_tasks_blocked with a smaller cushion wakes first: no jump.
        t = tether.current_time()
        await wait_all_tasks_blocked()
        assert tether.current_time() == t
        await wait_all_tasks_blocked(0.005)
        assert tether.current_time() == t

    run_with(MockClock(autojump_threshold=0.01), main)


def test_autojump_threshold_change_takes_effect_at_once() -> None:
    async def main() -> None:
        clock = running_mock_clock()
        clock.autojump_threshold = 10_000
        await wait_all_tasks_blocked()
        clock.autojump_threshold = 0
        assert clock.autojump_threshold == 0
        start = time.perf_counter()
        await tether.sleep(100_000)
        assert time.perf_counter() - start < 1
        assert tether.current_time() == 100_000

    run_with(MockClock(), main)


def test_autojump_threshold_set_before_run() -> None:
    clock = MockClock(autojump_threshold=100)
    clock.autojump_threshold = 0.01
    start = time.perf_counter()
    tether.run(tether.sleep, 10_000, clock=clock)
    assert time.perf_counter() - start < 1
    assert clock.current_time() == 10_000


def test_autojump_of_an_uninstalled_clock_does_nothing() -> None:
    async def main() -> None:
        other = MockClock()
        other.autojump_threshold = 0.001
        # With other's threshold in effect this would loop forever jumping;
        # with the real one (0.02) the waiter's cushion comes first.
        t = tether.current_time()
        await wait_all_tasks_blocked(0.01)
        assert tether.current_time() == t
        await tether.sleep(100_000)
        assert tether.current_time() == t + 100_000

    run_with(MockClock(autojump_threshold=0.02), main)


def test_autojump_zero_with_wait_all_tasks_blocked_zero() -> None:
    record: list[str] = []

    async def sleeper() -> None:
        await tether.sleep(100)
        record.append("yawn")

    async def waiter() -> None:
        await wait_all_tasks_blocked()
        record.append("waiter woke")
        await tether.sleep(1000)
        record.append("waiter done")

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            nursery.start_soon(waiter)

    run_with(MockClock(autojump_threshold=0), main)
    assert record == ["waiter woke", "yawn", "waiter done"]


def test_autojump_zero_with_wait_all_tasks_blocked_nonzero() -> None:
    record: list[str] = []

    async def sleeper() -> None:
        await tether.sleep(100)
        record.append("yawn")

    async def waiter() -> None:
        await wait_all_tasks_blocked(0.02)
        record.append("waiter done")

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            nursery.start_soon(waiter)

    run_with(MockClock(autojump_threshold=0), main)
    assert record == ["waiter done", "yawn"]


# -- wait_all_tasks_blocked ------------------------------------------------------------


async def test_wait_all_tasks_blocked_smaller_cushion_wakes_first() -> None:
    record: list[str] = []

    async def waiter(name: str, cushion: float) -> None:
        await wait_all_tasks_blocked(cushion)
        record.append(name)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter, "c", 0.03)
        nursery.start_soon(waiter, "b", 0.02)
        nursery.start_soon(waiter, "a", 0)
        nursery.start_soon(waiter, "b2", 0.02)
    assert record[0] == "a"
    assert sorted(record[1:3]) == ["b", "b2"]
    assert record[3] == "c"


async def test_wait_all_tasks_blocked_waits_for_busy_tasks() -> None:
    record: list[str] = []
    event = tether.Event()

    async def busy() -> None:
        for _ in range(50):
            await checkpoint()
        record.append("busy done")
        await event.wait()
        record.append("event seen")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(busy)
        await wait_all_tasks_blocked()
        record.append("all blocked")
        event.set()
    assert record == ["busy done", "all blocked", "event seen"]


async def test_wait_all_tasks_blocked_with_nothing_else_running() -> None:
    await wait_all_tasks_blocked()
    await wait_all_tasks_blocked(0.001)


async def test_wait_all_tasks_blocked_is_cancellable() -> None:
    busy_done = tether.Event()

    async def spinner() -> None:
        while not busy_done.is_set():
            await checkpoint()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(spinner)
        with tether.CancelScope() as scope:
            scope.cancel()
            await wait_all_tasks_blocked()
        assert scope.cancelled_caught
        busy_done.set()
