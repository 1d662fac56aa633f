"""An interrupt delivered before a task's first step is thrown in at the
start: none of the coroutine's body runs (asyncio's cancel-before-start)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import tether
import tether.testing
from tether import lowlevel

if TYPE_CHECKING:
    from outcome import Outcome


class Stop(Exception):
    pass


async def test_interrupt_before_first_step_runs_no_body() -> None:
    ran: list[str] = []
    exits: list[Outcome[object]] = []

    async def body() -> None:
        ran.append("body")  # pragma: no cover - must not run
        await tether.sleep(0)  # pragma: no cover

    task = lowlevel.spawn_owned(body(), on_exit=lambda t, o: exits.append(o))
    lowlevel.deliver_interrupt(task, lambda: Stop("before start"))
    await tether.testing.wait_all_tasks_blocked()
    assert ran == []
    assert len(exits) == 1
    with pytest.raises(Stop, match="before start"):
        exits[0].unwrap()


async def test_withdrawn_interrupt_before_first_step_lets_it_run() -> None:
    ran: list[str] = []

    async def body() -> None:
        ran.append("body")
        await tether.sleep(0)
        ran.append("done")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(body)
        (task,) = nursery.child_tasks
        lowlevel.deliver_interrupt(task, lambda: Stop("withdrawn"))
        assert lowlevel.discard_interrupts(task) == 1
    assert ran == ["body", "done"]


async def test_interrupt_after_start_is_delivered_at_a_checkpoint() -> None:
    ran: list[str] = []

    async def body() -> None:
        ran.append("started")
        await tether.sleep_forever()

    with pytest.RaisesGroup(Stop):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(body)
            await tether.testing.wait_all_tasks_blocked()
            (task,) = nursery.child_tasks
            lowlevel.deliver_interrupt(task, lambda: Stop("later"))
    assert ran == ["started"]
