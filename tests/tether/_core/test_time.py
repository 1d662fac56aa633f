"""Sleeping, the run's clock, and the deadline heap."""

from __future__ import annotations

import math
import random
import threading
import time
from typing import TYPE_CHECKING

import outcome
import pytest

import tether
from tether._core._context import GLOBAL_RUN_CONTEXT
from tether._core._deadlines import Deadlines
from tether.abc import Instrument
from tether.lowlevel import (
    checkpoint,
    current_statistics,
    current_task,
    current_tether_token,
    reschedule,
)
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

inf = math.inf


def run_autojump(fn: Callable[[], Awaitable[object]]) -> None:
    tether.run(fn, clock=MockClock(autojump_threshold=0))


async def trace_with_other_task(body: Callable[[], Awaitable[None]]) -> list[str]:
    record: list[str] = []

    async def a() -> None:
        record.append("a1")
        await body()
        record.append("a2")

    async def b() -> None:
        record.append("b")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(a)
        nursery.start_soon(b)
    return record


def heap_len() -> int:
    return len(GLOBAL_RUN_CONTEXT.runner.deadlines._heap)


# -- sleep / sleep_until / sleep_forever ------------------------------------------------


async def test_sleep_zero_is_a_schedule_point() -> None:
    async def body() -> None:
        await tether.sleep(0)

    assert await trace_with_other_task(body) == ["a1", "b", "a2"]


async def test_sleep_zero_is_a_cancel_point() -> None:
    with tether.CancelScope() as scope:
        scope.cancel()
        await tether.sleep(0)
    assert scope.cancelled_caught


async def test_sleep_rejects_negative_and_nan() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        await tether.sleep(-1)
    with pytest.raises(ValueError, match="NaN"):
        await tether.sleep(math.nan)
    with pytest.raises(ValueError, match="NaN"):
        await tether.sleep_until(math.nan)


async def test_sleep_until_in_the_past_is_a_checkpoint() -> None:
    past = tether.current_time() - 10

    async def body() -> None:
        await tether.sleep_until(past)

    assert await trace_with_other_task(body) == ["a1", "b", "a2"]
    assert current_statistics().seconds_to_next_deadline == inf
    with tether.CancelScope() as scope:
        scope.cancel()
        await tether.sleep_until(past)
    assert scope.cancelled_caught


def test_sleep_durations_on_virtual_time() -> None:
    async def main() -> None:
        await tether.sleep(1.5)
        assert tether.current_time() == 1.5
        await tether.sleep_until(4)
        assert tether.current_time() == 4
        await tether.sleep_until(-inf)  # a checkpoint
        assert tether.current_time() == 4

    run_autojump(main)


def test_sleep_forever_only_leaves_via_cancellation() -> None:
    async def main() -> None:
        with tether.move_on_after(1000) as scope:
            await tether.sleep_forever()
        assert scope.cancelled_caught
        assert tether.current_time() == 1000
        with tether.move_on_after(10) as scope:
            await tether.sleep(inf)
        assert scope.cancelled_caught
        assert tether.current_time() == 1010

    run_autojump(main)


async def test_sleep_forever_refuses_to_be_rescheduled() -> None:
    task_box: list[tether.lowlevel.Task] = []
    errors: list[BaseException] = []

    async def sleeper() -> None:
        task_box.append(current_task())
        try:
            await tether.sleep_forever()
        except RuntimeError as exc:
            errors.append(exc)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sleeper)
        await wait_all_tasks_blocked()
        reschedule(task_box[0], outcome.Value(None))
    assert len(errors) == 1


async def test_current_time_is_perf_counter_without_offset() -> None:
    assert abs(tether.current_time() - time.perf_counter()) < 1
    before = time.perf_counter()
    now = tether.current_time()
    after = time.perf_counter()
    assert before <= now <= after


def test_current_time_outside_a_run() -> None:
    with pytest.raises(RuntimeError):
        tether.current_time()


def test_run_rejects_a_non_clock() -> None:
    async def main() -> None:
        pass  # pragma: no cover

    bad: object = object()
    with pytest.raises(TypeError):
        tether.run(main, clock=bad)  # type: ignore[arg-type]


def test_many_sleepers_wake_in_deadline_order_ties_in_registration_order() -> None:
    rng = random.Random(1234)
    deadlines = [float(rng.randrange(1, 30)) for _ in range(200)]
    woke: list[tuple[float, int]] = []

    async def sleeper(i: int, deadline: float) -> None:
        await tether.sleep_until(deadline)
        assert tether.current_time() == deadline
        woke.append((deadline, i))

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            for i, deadline in enumerate(deadlines):
                nursery.start_soon(sleeper, i, deadline)

    run_autojump(main)
    assert len(set(deadlines)) < len(deadlines)  # there are ties
    assert woke == sorted((d, i) for i, d in enumerate(deadlines))


def test_sleeps_and_scope_deadlines_interleave_in_order() -> None:
    record: list[str] = []

    async def scoped(name: str, seconds: float) -> None:
        with tether.move_on_after(seconds):
            await tether.sleep_forever()
        record.append(name)

    async def sleeper(name: str, seconds: float) -> None:
        await tether.sleep(seconds)
        record.append(name)

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(scoped, "scope3", 3)
            nursery.start_soon(sleeper, "sleep2", 2)
            nursery.start_soon(sleeper, "sleep3", 3)
            nursery.start_soon(scoped, "scope1", 1)

    run_autojump(main)
    assert record == ["scope1", "sleep2", "scope3", "sleep3"]


def test_cancelling_a_sleep_removes_its_timer() -> None:
    async def main() -> None:
        assert current_statistics().seconds_to_next_deadline == inf
        scope = tether.CancelScope()

        async def sleeper() -> None:
            with scope:
                await tether.sleep(100)

        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            await wait_all_tasks_blocked()
            assert current_statistics().seconds_to_next_deadline == 100
            scope.cancel()
            await wait_all_tasks_blocked()
            assert current_statistics().seconds_to_next_deadline == inf
        assert scope.cancelled_caught
        assert tether.current_time() == 0

    tether.run(main, clock=MockClock())


def test_scope_deadlines_are_unregistered() -> None:
    async def main() -> None:
        with tether.move_on_after(50):
            assert current_statistics().seconds_to_next_deadline == 50
            with tether.move_on_after(20) as inner:
                assert current_statistics().seconds_to_next_deadline == 20
                inner.deadline = inf
                assert current_statistics().seconds_to_next_deadline == 50
            with tether.move_on_after(30) as cancelled:
                cancelled.cancel()
                assert current_statistics().seconds_to_next_deadline == 50
                await checkpoint()
        assert current_statistics().seconds_to_next_deadline == inf

    tether.run(main, clock=MockClock())


class IOWaitRecorder(Instrument):
    def __init__(self) -> None:
        self.active = False
        self.timeouts: list[float] = []

    def before_io_wait(self, timeout: float) -> None:
        if self.active:
            self.timeouts.append(timeout)


def test_idle_loop_blocks_until_the_next_deadline() -> None:
    recorder = IOWaitRecorder()

    async def main() -> None:
        await wait_all_tasks_blocked()  # let the system tasks settle
        start = tether.current_time()
        recorder.active = True
        await tether.sleep(0.05)
        recorder.active = False
        assert tether.current_time() - start >= 0.05

    tether.run(main, instruments=[recorder])
    timeouts = recorder.timeouts
    assert 0 < len(timeouts) < 5, timeouts
    assert max(timeouts) > 0.03, timeouts
    assert max(timeouts) <= 0.05, timeouts


# -- the deadline heap -----------------------------------------------------------------


class FakeTimer:
    def __init__(self, name: str, fired: list[str]) -> None:
        self.name = name
        self.fired = fired
        self.registered = inf

    def register(self, heap: Deadlines, deadline: float) -> None:
        if self.registered != inf:
            heap.remove(self.registered, self)
        self.registered = deadline
        heap.add(deadline, self)

    def unregister(self, heap: Deadlines) -> None:
        heap.remove(self.registered, self)
        self.registered = inf

    def _timer_live(self, deadline: float) -> bool:
        return self.registered == deadline

    def _timer_fire(self, deadline: float) -> None:
        self.registered = inf
        self.fired.append(self.name)


def test_deadlines_expire_in_order_ties_by_insertion() -> None:
    heap = Deadlines()
    fired: list[str] = []
    entries = [("a", 5.0), ("b", 1.0), ("c", 3.0), ("d", 1.0), ("e", 3.0), ("f", 9.0)]
    for name, deadline in entries:
        FakeTimer(name, fired).register(heap, deadline)
    assert len(heap) == 6
    assert heap.next_deadline() == 1.0
    assert not heap.expire(0.5)
    assert fired == []
    assert heap.expire(3.0)
    assert fired == ["b", "d", "c", "e"]
    assert len(heap) == 2
    assert heap.next_deadline() == 5.0
    assert heap.expire(100)
    assert fired == ["b", "d", "c", "e", "a", "f"]
    assert len(heap) == 0
    assert heap.next_deadline() == inf
    assert not heap.expire(inf)


def test_deadlines_lazy_removal() -> None:
    heap = Deadlines()
    fired: list[str] = []
    timers = {name: FakeTimer(name, fired) for name in "abc"}
    timers["a"].register(heap, 1)
    timers["b"].register(heap, 2)
    timers["c"].register(heap, 3)
    timers["a"].unregister(heap)
    assert len(heap) == 2
    assert heap.next_deadline() == 2  # skips (and drops) the dead entry
    # Moving a timer leaves its old entry behind, stale.
    timers["b"].register(heap, 10)
    assert len(heap) == 2
    assert heap.next_deadline() == 3
    assert heap.expire(5)
    assert fired == ["c"]
    assert heap.expire(10)
    assert fired == ["c", "b"]
    assert len(heap) == 0


def test_deadlines_pruning_keeps_the_heap_bounded() -> None:
    heap = Deadlines()
    fired: list[str] = []
    keep = FakeTimer("keep", fired)
    keep.register(heap, 1e9)
    biggest = 0
    for i in range(10_000):
        timer = FakeTimer(str(i), fired)
        timer.register(heap, 1000.0 + i)
        timer.unregister(heap)
        heap.expire(0.0)  # what the run loop does every iteration
        biggest = max(biggest, len(heap._heap))
    assert len(heap) == 1
    assert biggest < 2000
    assert heap.next_deadline() == 1e9
    assert fired == []


def test_run_loop_keeps_deadline_heap_bounded_for_scopes() -> None:
    # A busy task opening and closing timeout scopes: every scope adds a heap
    # entry and removes it lazily; the loop must prune the stale ones even
    # though no deadline ever expires and the loop never goes idle.
    async def main() -> None:
        for _ in range(10_000):
            with tether.move_on_after(1000):
                await checkpoint()
        assert heap_len() < 5000

    tether.run(main)


def test_run_loop_keeps_deadline_heap_bounded_for_cancelled_sleeps() -> None:
    async def main() -> None:
        for _ in range(10_000):
            with tether.CancelScope() as scope:
                scope.cancel()
                await tether.sleep(1000)
        assert heap_len() < 5000

    tether.run(main)


async def sleep_with_watchdog(seconds: float, watchdog_seconds: float) -> bool:
    """Sleep; return False if a real-time watchdog thread had to cancel it
    (the watchdog goes through run_sync_soon, which needs no timer)."""
    token = current_tether_token()
    with tether.CancelScope() as scope:
        timer = threading.Timer(watchdog_seconds, token.run_sync_soon, args=(scope.cancel,))
        timer.start()
        try:
            await tether.sleep(seconds)
        finally:
            timer.cancel()
    return not scope.cancelled_caught


def test_timers_still_fire_after_the_heap_was_pruned() -> None:
    # Enough stale entries to make the heap rebuild itself; a sleep started
    # afterwards must still wake up on time.
    async def main() -> None:
        for _ in range(3000):
            with tether.move_on_after(1000):
                await checkpoint()
        assert await sleep_with_watchdog(0.01, 1.0), "sleep never woke up"
        with tether.move_on_after(0.01) as scope:
            assert await sleep_with_watchdog(10, 1.0), "deadline never fired"
        assert scope.cancelled_caught

    tether.run(main)


def test_timers_still_fire_after_the_heap_was_pruned_autojump() -> None:
    async def main() -> None:
        for _ in range(3000):
            with tether.CancelScope() as scope:
                scope.cancel()
                await tether.sleep(1000)
        start = tether.current_time()
        assert await sleep_with_watchdog(5, 1.0), "sleep never woke up"
        assert tether.current_time() == start + 5

    run_autojump(main)
