"""Test oracles for schedule points and cancel points, shared by test modules.

They watch the scheduler from outside (an instrument counting the steps of
one task, a sibling task recording that it ran), so they are independent of
the per-task counters that :func:`tether.testing.assert_checkpoints` reads.
``tests/helpers`` is on ``sys.path`` through pytest's ``pythonpath`` setting.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

import tether
from tether._core._traps import FAST_PATH_YIELD_INTERVAL
from tether.abc import Instrument
from tether.lowlevel import Task, add_instrument, current_task, remove_instrument
from tether.testing import assert_checkpoints

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

__all__ = [
    "FAST_PATH_YIELD_INTERVAL",
    "StepCounter",
    "assert_no_schedule_point",
    "assert_schedule_point",
    "count_steps",
    "fast_path_lets_others_run",
    "lets_others_run",
    "raises_if_cancelled",
]


class StepCounter(Instrument):
    """Counts the run loop's steps of one task."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.steps = 0

    def before_task_step(self, task: Task) -> None:
        if task is self.task:
            self.steps += 1


@contextmanager
def count_steps() -> Iterator[StepCounter]:
    """Count how many times the block gives control back to the run loop."""
    counter = StepCounter(current_task())
    add_instrument(counter)
    try:
        yield counter
    finally:
        remove_instrument(counter)


@contextmanager
def assert_schedule_point() -> Iterator[None]:
    """The block gives control back to the run loop at least once."""
    with count_steps() as counter:
        yield
    assert counter.steps >= 1, "no schedule point"


@contextmanager
def assert_no_schedule_point() -> Iterator[None]:
    """The block never gives control back to the run loop."""
    with count_steps() as counter:
        yield
    assert counter.steps == 0, "unexpected schedule point"


async def lets_others_run(op: Callable[[], Awaitable[object]]) -> object:
    """``op()`` lets a freshly started task run before it returns; returns
    what ``op()`` returned."""
    progress: list[str] = []

    async def other() -> None:
        progress.append("ran")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(other)
        assert progress == []
        result = await op()
        assert progress == ["ran"]
    return result


async def fast_path_lets_others_run(op: Callable[[], Awaitable[object]]) -> None:
    """``op()`` completes without waiting, and is a fast-path schedule point:
    each call counts as a schedule point and never waits, and
    :data:`FAST_PATH_YIELD_INTERVAL` calls in a row yield to the run loop
    exactly once, which lets a freshly started task run."""
    progress: list[int] = []

    async def other() -> None:
        progress.append(1)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(other)
        with count_steps() as counter:
            for _ in range(FAST_PATH_YIELD_INTERVAL):
                with assert_checkpoints():
                    await op()
        assert counter.steps == 1, counter.steps
        assert progress == [1]


async def raises_if_cancelled(op: Callable[[], Awaitable[object]]) -> None:
    """``op()`` is a cancel point: inside a cancelled scope it raises Cancelled."""
    with tether.CancelScope() as scope:
        scope.cancel()
        with pytest.raises(tether.Cancelled):
            await op()
