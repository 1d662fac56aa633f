"""Yielding :class:`tether.lowlevel.WaitTaskRescheduled` from a generator:
parking without wait_task_rescheduled()'s generator; and the wake-up and
cancel-point helpers on that path."""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any

import outcome
import pytest

import tether
from tether import lowlevel
from tether.lowlevel import Abort, Task, WaitTaskRescheduled
from tether.testing import assert_checkpoints, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Generator


class Gate:
    """An awaitable that parks its task with a yielded message (the docstring's example)."""

    def __init__(self) -> None:
        self.task: Task | None = None
        self.aborts: list[str] = []
        self.message = WaitTaskRescheduled(self.abort)

    def __await__(self) -> Generator[Any, Any, Any]:
        self.task = lowlevel.current_task()
        result = yield self.message
        return result.unwrap()

    def abort(self, raise_cancel: lowlevel.RaiseCancelT) -> Abort:
        self.aborts.append("abort")
        self.task = None
        return Abort.SUCCEEDED

    def open(self, value: outcome.Outcome[Any] | None = None) -> None:
        task = self.task
        assert task is not None
        self.task = None
        if value is None:
            lowlevel.reschedule(task)
        else:
            lowlevel.reschedule(task, value)


async def test_a_yielded_message_parks_until_rescheduled() -> None:
    gate = Gate()
    got: list[object] = []

    async def waiter() -> None:
        got.append(await gate)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        assert got == []
        assert gate.task is not None
        gate.open(outcome.Value("hello"))
    assert got == ["hello"]
    assert gate.aborts == []


async def test_the_yield_returns_the_outcome_itself() -> None:
    gate = Gate()
    seen: list[object] = []

    @types.coroutine
    def raw_wait() -> Generator[Any, Any, Any]:
        gate.task = lowlevel.current_task()
        result = yield gate.message
        seen.append(result)
        return result

    async def waiter() -> None:
        result = await raw_wait()
        with pytest.raises(KeyError, match="passed through"):
            result.unwrap()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        gate.open(outcome.Error(KeyError("passed through")))
    assert len(seen) == 1
    assert isinstance(seen[0], outcome.Error)


async def test_one_message_serves_many_waits() -> None:
    gate = Gate()
    got: list[object] = []

    async def waiter() -> None:
        for _ in range(3):
            got.append(await gate)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        for i in range(3):
            await wait_all_tasks_blocked()
            gate.open(outcome.Value(i))
    assert got == [0, 1, 2]


async def test_a_yielded_message_is_a_cancel_point_with_the_abort_protocol() -> None:
    gate = Gate()

    # Already cancelled when it parks: the abort function runs at once.
    with tether.CancelScope() as scope:
        scope.cancel()
        await gate
    assert scope.cancelled_caught
    assert gate.aborts == ["abort"]
    assert gate.task is None

    # Cancelled while parked.
    async def waiter() -> None:
        with assert_checkpoints():
            await gate

    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(waiter)
            await wait_all_tasks_blocked()
            scope.cancel()
    assert gate.aborts == ["abort", "abort"]


async def test_a_failed_abort_leaves_the_waker_in_charge() -> None:
    tasks: list[Task] = []

    def abort(raise_cancel: lowlevel.RaiseCancelT) -> Abort:
        return Abort.FAILED

    message = WaitTaskRescheduled(abort)

    @types.coroutine
    def park() -> Generator[Any, Any, Any]:
        tasks.append(lowlevel.current_task())
        return (yield message).unwrap()

    async def waiter() -> str:
        result: str = await park()
        return result

    got: list[str] = []
    scopes: list[tether.CancelScope] = []

    async def record() -> None:
        with tether.CancelScope() as scope:
            scopes.append(scope)
            got.append(await waiter())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(record)
        await wait_all_tasks_blocked()
        scopes[0].cancel()
        await wait_all_tasks_blocked()
        assert got == []  # still parked: the abort failed
        lowlevel.reschedule(tasks[0], outcome.Value("woken anyway"))
    assert got == ["woken anyway"]


def test_wait_message_repr() -> None:
    def my_abort(raise_cancel: lowlevel.RaiseCancelT) -> Abort:
        return Abort.SUCCEEDED  # pragma: no cover

    text = repr(WaitTaskRescheduled(my_abort))
    assert text.startswith("<tether.lowlevel.WaitTaskRescheduled abort_func=")
    assert "my_abort" in text


def test_reschedule_and_checkpoint_if_cancelled_outside_a_run() -> None:
    tasks: list[Task] = []

    async def main() -> None:
        tasks.append(lowlevel.current_task())

    tether.run(main)
    with pytest.raises(RuntimeError, match="must be called from async context"):
        lowlevel.reschedule(tasks[0])
    with pytest.raises(RuntimeError, match="must be called from async context"):
        lowlevel.checkpoint_if_cancelled()


async def test_spawn_owned_accepts_a_generator_based_coroutine() -> None:
    exits: list[outcome.Outcome[Any]] = []

    @types.coroutine
    def legacy() -> Generator[Any, Any, str]:
        yield from lowlevel.checkpoint()
        return "legacy result"

    task = lowlevel.spawn_owned(legacy(), name="legacy", on_exit=lambda t, o: exits.append(o))
    assert task.name == "legacy"
    await wait_all_tasks_blocked()
    assert exits == [outcome.Value("legacy result")]
