"""Two hooks for owned tasks: ``step_owned_now`` (the first step runs inside
the caller: asyncio's eager tasks) and ``abandon_owned`` (closing a stepped
run leaves the task's coroutine to its owner)."""

from __future__ import annotations

import contextvars
import gc
import weakref
from typing import Any

import outcome
import pytest

import tether
import tether.abc
from tether import lowlevel
from tether.lowlevel import Task, current_task, spawn_owned, step_owned_now
from tether.testing import wait_all_tasks_blocked

cvar: contextvars.ContextVar[str] = contextvars.ContextVar("cvar", default="default")


class Stop(Exception):
    pass


# -- step_owned_now ----------------------------------------------------------------


async def test_a_task_that_finishes_in_its_first_step_never_queues() -> None:
    log: list[object] = []
    me = current_task()

    async def quick() -> int:
        log.append(("inside", current_task() is not me))
        return 7

    task = spawn_owned(quick(), on_exit=lambda t, o: log.append(("exit", o)))
    assert lowlevel.current_statistics().tasks_runnable == 1
    step_owned_now(task)
    assert log == [("inside", True), ("exit", outcome.Value(7))]
    assert current_task() is me
    assert lowlevel.current_statistics().tasks_runnable == 0


async def test_the_first_step_runs_as_the_new_task_in_its_context() -> None:
    seen: list[object] = []
    ctx = contextvars.copy_context()
    ctx.run(cvar.set, "task's own")

    async def body() -> None:
        seen.append(current_task())
        seen.append(cvar.get())
        cvar.set("changed")

    task = spawn_owned(body(), context=ctx, on_exit=lambda t, o: None)
    step_owned_now(task)
    assert seen == [task, "task's own"]
    assert ctx[cvar] == "changed"
    assert cvar.get() == "default"


async def test_a_schedule_point_sends_it_to_the_back_of_the_queue() -> None:
    order: list[str] = []

    async def other() -> None:
        order.append("other")

    async def eager() -> None:
        order.append("eager first step")
        await lowlevel.cancel_shielded_checkpoint()
        order.append("eager second step")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(other)
        task = spawn_owned(eager(), on_exit=lambda t, o: order.append("exit"))
        step_owned_now(task)
        order.append("caller carries on")
    assert order == [
        "eager first step",
        "caller carries on",
        "other",
        "eager second step",
        "exit",
    ]


async def test_a_blocking_first_step_waits_as_usual(autojump_clock: tether.abc.Clock) -> None:
    exits: list[outcome.Outcome[Any]] = []

    async def sleeper() -> str:
        await tether.sleep(5)
        return "slept"

    task = spawn_owned(sleeper(), on_exit=lambda t, o: exits.append(o))
    step_owned_now(task)
    assert exits == []
    await tether.sleep(10)
    assert exits == [outcome.Value("slept")]


async def test_an_error_in_the_first_step_goes_to_on_exit() -> None:
    exits: list[outcome.Outcome[Any]] = []

    async def fail() -> None:
        raise Stop("eager failure")

    task = spawn_owned(fail(), on_exit=lambda t, o: exits.append(o))
    step_owned_now(task)
    assert len(exits) == 1
    result = exits[0]
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, Stop)
    # The traceback starts at the coroutine's own frame.
    tb = result.error.__traceback__
    assert tb is not None
    assert tb.tb_frame.f_code is fail.__code__


async def test_a_failed_first_step_leaves_no_reference_cycle() -> None:
    # The coroutine's frame links back to the frame that ran the step (its
    # f_back): that frame must hold nothing leading back to the task.
    exits: list[outcome.Outcome[Any]] = []

    async def fail() -> None:
        raise Stop("eager failure")

    task = spawn_owned(fail(), on_exit=lambda t, o: exits.append(o))
    step_owned_now(task)
    ref = weakref.ref(task)
    gc.disable()
    try:
        del task
        exits.clear()
        assert ref() is None
    finally:
        gc.enable()


async def test_an_interrupt_delivered_before_is_thrown_in_at_the_start() -> None:
    ran: list[str] = []
    exits: list[outcome.Outcome[Any]] = []

    async def body() -> None:
        ran.append("body")  # pragma: no cover - must not run

    task = spawn_owned(body(), on_exit=lambda t, o: exits.append(o))
    lowlevel.deliver_interrupt(task, lambda: Stop("before start"))
    step_owned_now(task)
    assert ran == []
    assert len(exits) == 1
    with pytest.raises(Stop, match="before start"):
        exits[0].unwrap()


async def test_a_withdrawn_interrupt_lets_the_body_run() -> None:
    exits: list[outcome.Outcome[Any]] = []

    async def body() -> str:
        return "ran"

    task = spawn_owned(body(), on_exit=lambda t, o: exits.append(o))
    lowlevel.deliver_interrupt(task, lambda: Stop("withdrawn"))
    lowlevel.discard_interrupts(task)
    step_owned_now(task)
    assert exits == [outcome.Value("ran")]


async def test_eager_steps_nest() -> None:
    log: list[str] = []

    async def inner() -> None:
        log.append(f"inner runs as {current_task().name}")

    async def outer() -> None:
        log.append(f"outer runs as {current_task().name}")
        step_owned_now(spawn_owned(inner(), name="inner", on_exit=lambda t, o: None))
        log.append(f"outer again as {current_task().name}")

    step_owned_now(spawn_owned(outer(), name="outer", on_exit=lambda t, o: None))
    log.append(f"caller as {current_task().name}")
    assert log == [
        "outer runs as outer",
        "inner runs as inner",
        "outer again as outer",
        f"caller as {current_task().name}",
    ]


async def test_tether_code_in_the_first_step_belongs_to_the_new_task() -> None:
    log: list[str] = []

    async def child() -> None:
        log.append("child")

    async def eager() -> None:
        with tether.CancelScope() as scope:
            scope.cancel()
            await tether.sleep(1)
        log.append(f"scope caught {scope.cancelled_caught}")
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
        log.append("nursery done")

    exits: list[outcome.Outcome[Any]] = []
    task = spawn_owned(eager(), on_exit=lambda t, o: exits.append(o))
    step_owned_now(task)
    assert log == []  # the scope's checkpoint raised at once; the nursery waits
    await wait_all_tasks_blocked()
    assert log == ["scope caught True", "child", "nursery done"]
    assert len(exits) == 1
    assert exits[0].unwrap() is None


def test_from_a_plain_callback_no_task_is_current_afterwards() -> None:
    seen: list[object] = []

    async def quick() -> None:
        seen.append(lowlevel.in_tether_task())

    def callback() -> None:
        task = spawn_owned(quick(), on_exit=lambda t, o: seen.append(o))
        step_owned_now(task)
        seen.append(lowlevel.in_tether_task())

    async def main() -> None:
        lowlevel.schedule_callback(callback)
        await wait_all_tasks_blocked()

    tether.run(main)
    assert seen == [True, outcome.Value(None), False]


def test_instruments_see_the_eager_step() -> None:
    events: list[str] = []

    class Steps(tether.abc.Instrument):
        def before_task_step(self, task: Task) -> None:
            if task.name == "eager":
                events.append("before")

        def after_task_step(self, task: Task) -> None:
            if task.name == "eager":
                events.append("after")

    async def quick() -> None:
        events.append("body")

    async def main() -> None:
        step_owned_now(spawn_owned(quick(), name="eager", on_exit=lambda t, o: None))

    tether.run(main, instruments=[Steps()])
    assert events == ["before", "body", "after"]


async def test_step_owned_now_refuses_other_tasks() -> None:
    async def body() -> None:
        await lowlevel.checkpoint()

    # Already stepped once.
    task = spawn_owned(body(), on_exit=lambda t, o: None)
    step_owned_now(task)
    with pytest.raises(RuntimeError, match="first step"):
        step_owned_now(task)
    # Not an owned task.
    async with tether.open_nursery() as nursery:
        nursery.start_soon(body)
        (child,) = nursery.child_tasks
        with pytest.raises(RuntimeError, match="first step"):
            step_owned_now(child)
    # The running task itself.
    with pytest.raises(RuntimeError, match="first step"):
        step_owned_now(current_task())


def test_step_owned_now_outside_a_run() -> None:
    tasks: list[Task] = []

    async def body() -> None:
        pass

    async def main() -> None:
        tasks.append(spawn_owned(body(), on_exit=lambda t, o: None))

    tether.run(main)
    with pytest.raises(RuntimeError):
        step_owned_now(tasks[0])


# -- abandon_owned ------------------------------------------------------------------


def _stepped_run_with_parked_owned_task(
    log: list[str],
) -> tuple[lowlevel.SteppedRun, list[Task]]:
    tasks: list[Task] = []

    async def parked() -> None:
        # The wait refers to the coroutine itself in every way it can.
        me = lowlevel.current_task().coro

        def abort(raise_cancel: lowlevel.RaiseCancelT) -> lowlevel.Abort:
            raise AssertionError(me)  # pragma: no cover - never cancelled

        lowlevel.current_task().custom_sleep_data = me
        lowlevel.deliver_interrupt(lowlevel.current_task(), lambda: Stop(me))
        try:
            with tether.CancelScope(shield=True):
                await lowlevel.wait_task_rescheduled(abort)
        finally:
            log.append("coroutine closed")

    async def main() -> None:
        tasks.append(spawn_owned(parked(), on_exit=lambda t, o: log.append("on_exit")))
        await tether.sleep_forever()

    run = lowlevel.open_stepped_run(main)
    for _ in range(3):
        run.step(0)
    assert len(tasks) == 1
    assert lowlevel.pending_interrupts(tasks[0]) == 1  # held back by the shield
    return run, tasks


def test_closing_the_run_leaves_an_abandoned_coroutine_alone() -> None:
    log: list[str] = []
    run, (task,) = _stepped_run_with_parked_owned_task(log)
    original = task.coro
    coro = lowlevel.abandon_owned(task)
    assert coro is original
    assert task.coro is not coro
    assert task.custom_sleep_data is None
    assert lowlevel.pending_interrupts(task) == 0
    run.close()
    assert log == []  # neither closed nor reported as exited
    ref = weakref.ref(coro)
    del coro, original
    # The run keeps nothing of it alive (its wait's abort function and
    # interrupt included): dropping the last reference closes it.
    gc.collect()
    assert ref() is None
    assert log == ["coroutine closed"]


def test_without_abandon_owned_closing_the_run_closes_the_coroutine() -> None:
    log: list[str] = []
    run, _ = _stepped_run_with_parked_owned_task(log)
    run.close()
    assert log == ["coroutine closed"]


def test_abandon_owned_refuses_tasks_it_cannot_abandon() -> None:
    async def quick() -> None:
        pass

    async def main() -> None:
        exited = spawn_owned(quick(), on_exit=lambda t, o: None)
        await wait_all_tasks_blocked()
        with pytest.raises(RuntimeError, match="not a live owned task"):
            _ = lowlevel.abandon_owned(exited)
        with pytest.raises(RuntimeError, match="not a live owned task"):
            _ = lowlevel.abandon_owned(current_task())  # not owned

        async def itself() -> None:
            with pytest.raises(RuntimeError, match="cannot abandon itself"):
                _ = lowlevel.abandon_owned(current_task())

        step_owned_now(spawn_owned(itself(), on_exit=lambda t, o: o.unwrap()))

    tether.run(main)
