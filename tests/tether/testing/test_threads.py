"""active_thread_count / wait_all_threads_completed.

``tether.to_thread`` does not exist yet; these tests drive the counter the
way it will, through the private hook ``_track_active_thread`` around a
thread started with ``tether.lowlevel.start_thread_soon``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

import tether
from tether.lowlevel import Abort, current_task, current_tether_token, reschedule
from tether.testing import (
    MockClock,
    active_thread_count,
    wait_all_tasks_blocked,
    wait_all_threads_completed,
)
from tether.testing._threads import _track_active_thread

if TYPE_CHECKING:
    from collections.abc import Callable

    import outcome


async def run_in_thread(fn: Callable[[], object]) -> object:
    """A minimal, uncancellable to_thread.run_sync stand-in."""
    task = current_task()
    token = current_tether_token()

    def deliver(result: outcome.Outcome[object]) -> None:
        token.run_sync_soon(reschedule, task, result)

    with _track_active_thread():
        tether.lowlevel.start_thread_soon(fn, deliver)
        return await tether.lowlevel.wait_task_rescheduled(lambda _: Abort.FAILED)


async def test_counts_threads_until_their_results_are_back() -> None:
    assert active_thread_count() == 0
    release = [threading.Event(), threading.Event()]
    results: list[Any] = []
    first_back = tether.Event()

    async def start(i: int) -> None:
        results.append(await run_in_thread(lambda: release[i].wait() and i))
        first_back.set()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(start, 0)
        nursery.start_soon(start, 1)
        await wait_all_tasks_blocked()
        assert active_thread_count() == 2
        release[1].set()
        await first_back.wait()
        assert results == [1]
        assert active_thread_count() == 1
        release[0].set()
    assert active_thread_count() == 0
    assert results == [1, 0]


async def test_wait_all_threads_completed_waits() -> None:
    release = threading.Event()
    finished: list[str] = []

    async def waiter() -> None:
        await wait_all_threads_completed()
        finished.append("waiter")

    async def worker() -> None:
        await run_in_thread(release.wait)
        finished.append("worker")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(worker)
        await wait_all_tasks_blocked()
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        assert finished == []
        release.set()
    assert finished == ["worker", "waiter"]
    # With nothing in flight it returns at once (after a checkpoint).
    with tether.testing.assert_checkpoints():
        await wait_all_threads_completed()


async def test_wait_all_threads_completed_without_any_thread() -> None:
    with tether.testing.assert_checkpoints():
        await wait_all_threads_completed()
    assert active_thread_count() == 0


async def test_wait_all_threads_completed_is_cancellable(autojump_clock: MockClock) -> None:
    release = threading.Event()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(run_in_thread, release.wait)
        await wait_all_tasks_blocked()
        with tether.move_on_after(1) as scope:
            await wait_all_threads_completed()
        assert scope.cancelled_caught
        release.set()


def test_count_is_per_run() -> None:
    async def main() -> int:
        await run_in_thread(lambda: None)
        return active_thread_count()

    assert tether.run(main) == 0
    with pytest.raises(RuntimeError):
        active_thread_count()
