"""Eager tasks (3.12+): ``Task(..., eager_start=True)``, ``eager_task_factory``
and ``create_eager_task_factory``, built on ``tether.lowlevel.step_owned_now``.
On 3.11 they do not exist, as in stock asyncio."""

from __future__ import annotations

import contextvars
import gc
import logging
import sys
import warnings
import weakref
from typing import Any

import pytest

import tether
import tether.lowlevel
import tether_asyncio
from tether_asyncio import _pyversion

eager_only = pytest.mark.skipif(not _pyversion.HAS_EAGER_TASKS, reason="eager tasks are 3.12+")

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def _run_eager(main: Any) -> Any:
    """Run ``main()`` on a loop whose task factory is the eager one."""

    async def wrapper() -> Any:
        loop = tether_asyncio.get_running_loop()
        loop.set_task_factory(tether_asyncio.eager_task_factory)
        return await main()

    return tether_asyncio.run(wrapper())


# -- 3.11 ---------------------------------------------------------------------------


@pytest.mark.skipif(_pyversion.HAS_EAGER_TASKS, reason="3.11's Task has no eager_start")
def test_there_are_no_eager_tasks_on_3_11() -> None:
    assert not hasattr(tether_asyncio, "eager_task_factory")
    assert not hasattr(tether_asyncio, "create_eager_task_factory")

    async def body() -> None:
        pass  # pragma: no cover

    async def main() -> None:
        coro = body()
        with pytest.raises(TypeError, match="'eager_start' is an invalid keyword argument"):
            tether_asyncio.Task(coro, eager_start=True)
        coro.close()

    tether_asyncio.run(main())


# -- 3.12+ --------------------------------------------------------------------------


@eager_only
def test_a_task_that_finishes_eagerly_is_done_before_create_task_returns() -> None:
    log: list[object] = []

    async def quick() -> int:
        me = tether_asyncio.current_task()
        log.append(("inside", me is not None and me in tether_asyncio.all_tasks()))
        return 42

    async def main() -> None:
        log.append("before")
        task = tether_asyncio.create_task(quick())
        log.append(("after", task.done(), task.result()))
        # Never scheduled: no tether task is left, and it let go of its coroutine.
        log.append((task._ttask, task.get_coro(), task in tether_asyncio.all_tasks()))
        log.append(repr(task))

    _run_eager(main)
    assert log[:4] == ["before", ("inside", True), ("after", True, 42), (None, None, False)]
    name = "None" if _pyversion.FACTORY_TASKS_ALWAYS_RENAMED else "Task-"
    assert isinstance(log[4], str)
    assert log[4].startswith(f"<Task finished name='{name}")
    assert "coro=" not in log[4]


@eager_only
def test_a_task_that_suspends_carries_on_from_the_run_queue() -> None:
    log: list[str] = []

    async def suspends() -> str:
        me = tether_asyncio.current_task()
        log.append("first step")
        await tether_asyncio.sleep(0)
        log.append(f"second step, same task: {tether_asyncio.current_task() is me}")
        return "result"

    async def main() -> str:
        loop = tether_asyncio.get_running_loop()
        loop.call_soon(log.append, "call_soon before")
        task = tether_asyncio.create_task(suspends())
        loop.call_soon(log.append, "call_soon after")
        log.append(f"created, done: {task.done()}")
        result: str = await task
        return result

    assert _run_eager(main) == "result"
    assert log == [
        "first step",
        "created, done: False",
        "call_soon before",
        "second step, same task: True",
        "call_soon after",
    ]


@eager_only
def test_an_eager_failure_is_the_task_exception() -> None:
    async def fails() -> None:
        raise ValueError("eager")

    async def main() -> None:
        task = tether_asyncio.create_task(fails())
        assert task.done()
        exc = task.exception()
        assert isinstance(exc, ValueError)
        assert exc.__traceback__ is not None
        assert exc.__traceback__.tb_frame.f_code is fails.__code__

    _run_eager(main)


@eager_only
def test_keyboard_interrupt_in_the_eager_step_propagates_from_create_task() -> None:
    async def interrupts() -> None:
        raise KeyboardInterrupt

    async def main() -> str:
        with pytest.raises(KeyboardInterrupt):
            tether_asyncio.create_task(interrupts())
        return "caught"

    # As asyncio: the loop also stops with it once the iteration is over.
    with pytest.raises(KeyboardInterrupt):
        _run_eager(main)


@eager_only
def test_names_and_counters() -> None:
    names: list[str] = []

    async def record() -> None:
        names.append(tether_asyncio.current_task().get_name())  # type: ignore[union-attr]
        await tether_asyncio.sleep(0)
        names.append(tether_asyncio.current_task().get_name())  # type: ignore[union-attr]

    async def main() -> None:
        await tether_asyncio.create_task(record(), name="given")
        loop = tether_asyncio.get_running_loop()
        await tether_asyncio.Task(record(), loop=loop, name="direct", eager_start=True)

    _run_eager(main)
    # The factory names the task after its eager step, as asyncio does.
    first = names[0]
    assert first.startswith("Task-")
    assert names[1:] == ["given", "direct", "direct"]


@eager_only
def test_contextvars_in_the_eager_step() -> None:
    seen: list[str] = []

    async def body() -> None:
        seen.append(var.get())
        var.set("changed by the task")
        await tether_asyncio.sleep(0)
        seen.append(var.get())

    async def main() -> None:
        var.set("creator's value")
        await tether_asyncio.create_task(body())
        seen.append(var.get())
        ctx = contextvars.copy_context()
        ctx.run(var.set, "explicit")
        await tether_asyncio.create_task(body(), context=ctx)
        seen.append(ctx[var])

    _run_eager(main)
    assert seen == [
        "creator's value",
        "changed by the task",
        "creator's value",
        "explicit",
        "changed by the task",
        "changed by the task",
    ]


@eager_only
def test_nested_eager_tasks_restore_the_current_task() -> None:
    log: list[str] = []

    async def inner() -> str:
        log.append(f"inner as {tether_asyncio.current_task().get_name()}")  # type: ignore[union-attr]
        return "inner"

    async def outer() -> str:
        child = tether_asyncio.create_task(inner(), name="inner")
        log.append(f"outer as {tether_asyncio.current_task().get_name()}")  # type: ignore[union-attr]
        result: str = await child
        return result

    async def main() -> str:
        me = tether_asyncio.current_task()
        task = tether_asyncio.Task(
            outer(), loop=tether_asyncio.get_running_loop(), name="outer", eager_start=True
        )
        log.append(f"main is current again: {tether_asyncio.current_task() is me}")
        result: str = await task
        return result

    assert _run_eager(main) == "inner"
    # (The factory names the inner task only after its eager step.)
    assert log[0].startswith("inner as Task-")
    assert log[1:] == ["outer as outer", "main is current again: True"]


@eager_only
def test_cancelled_during_the_eager_step() -> None:
    log: list[object] = []

    async def cancels_itself() -> None:
        me = tether_asyncio.current_task()
        assert me is not None
        me.cancel("eager")
        log.append(me.cancelling())
        try:
            await tether_asyncio.sleep(0)
        except tether_asyncio.CancelledError as exc:
            log.append(exc.args)
            raise

    async def main() -> None:
        task = tether_asyncio.create_task(cancels_itself())
        log.append(task.done())
        with pytest.raises(tether_asyncio.CancelledError):
            await task
        log.append(task.cancelled())

    _run_eager(main)
    assert log == [1, False, ("eager",), True]


@eager_only
def test_cancelled_right_after_the_eager_step() -> None:
    async def waits(fut: Any) -> None:
        await fut

    async def main() -> tuple[bool, bool]:
        fut = tether_asyncio.get_running_loop().create_future()
        task = tether_asyncio.create_task(waits(fut))
        task.cancel()
        await tether_asyncio.sleep(0)
        return task.cancelled(), fut.cancelled()

    assert _run_eager(main) == (True, True)


@eager_only
def test_taskgroup_and_gather_take_eagerly_finished_tasks() -> None:
    log: list[object] = []

    async def value(x: int) -> int:
        return x

    async def later(x: int) -> int:
        await tether_asyncio.sleep(0)
        return x

    async def main() -> None:
        async with tether_asyncio.TaskGroup() as group:
            a = group.create_task(value(1))
            b = group.create_task(later(2))
            log.append((a.done(), b.done()))
        log.append((a.result(), b.result()))
        outer = tether_asyncio.gather(value(3), value(4))
        log.append(outer.done())
        log.append(await outer)
        log.append(await tether_asyncio.gather(value(5), later(6)))

    _run_eager(main)
    assert log == [(True, False), (1, 2), True, [3, 4], [5, 6]]


@eager_only
def test_tether_code_in_the_eager_step() -> None:
    log: list[str] = []

    async def child() -> None:
        log.append("tether child")

    async def mixed() -> str:
        with tether.move_on_after(0) as scope:
            await tether.sleep(1)
        log.append(f"scope cancelled: {scope.cancelled_caught}")
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
        return "mixed"

    async def main() -> str:
        task = tether_asyncio.create_task(mixed())
        log.append(f"created, done: {task.done()}")
        result: str = await task
        return result

    assert _run_eager(main) == "mixed"
    assert log == ["created, done: False", "scope cancelled: True", "tether child"]


@eager_only
def test_not_eager_while_the_loop_is_not_running() -> None:
    log: list[str] = []

    async def body() -> None:
        log.append("runs")

    loop = tether_asyncio.new_event_loop()
    loop.set_task_factory(tether_asyncio.eager_task_factory)
    task = loop.create_task(body())
    log.append(f"created, done: {task.done()}")
    loop.run_until_complete(task)
    loop.close()
    assert log == ["created, done: False", "runs"]


@eager_only
def test_a_custom_task_constructor() -> None:
    class MyTask(tether_asyncio.Task):
        pass

    async def body() -> int:
        return 1

    async def main() -> tuple[str, bool]:
        loop = tether_asyncio.get_running_loop()
        loop.set_task_factory(tether_asyncio.create_eager_task_factory(MyTask))
        task = tether_asyncio.create_task(body())
        return type(task).__name__, task.done()

    assert tether_asyncio.run(main()) == ("MyTask", True)


@eager_only
def test_eager_start_without_a_loop_fails_as_in_the_c_task() -> None:
    seen: list[str] = []

    async def body() -> None:
        pass  # pragma: no cover

    async def main() -> None:
        tether_asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: seen.append(context["message"])
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(AttributeError, match="'NoneType' object has no attribute"):
                tether_asyncio.Task(body(), eager_start=True)
            # Freed at once (before the except clause ends), as the C Task.
            assert seen == ["Task was destroyed but it is pending!"]
            assert [type(w.message) for w in caught] == [RuntimeWarning]

    tether_asyncio.run(main())


@eager_only
def test_an_eagerly_finished_failing_task_is_reported_when_dropped() -> None:
    seen: list[str] = []

    async def fails() -> None:
        raise ValueError

    async def main() -> bool:
        tether_asyncio.get_running_loop().set_exception_handler(
            lambda loop, context: seen.append(context["message"])
        )
        task = tether_asyncio.create_task(fails())
        ref = weakref.ref(task)
        del task
        return ref() is None

    gc.disable()
    try:
        assert _run_eager(main) is True
    finally:
        gc.enable()
    assert seen == ["Task exception was never retrieved"]


@eager_only
def test_an_eager_step_inside_a_slow_callback_is_part_of_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]

    async def eager() -> None:
        clock[0] += 0.4

    def callback() -> None:
        tether_asyncio.Task(eager(), loop=tether_asyncio.get_running_loop(), eager_start=True)

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.time = lambda: clock[0]  # type: ignore[method-assign]
        await tether_asyncio.sleep(0)
        loop.call_soon(callback)
        await tether_asyncio.sleep(0)

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        tether_asyncio.run(main(), debug=True)
    messages = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert len(messages) == 1
    assert messages[0].startswith("Executing <Handle ")
    assert messages[0].endswith("took 0.400 seconds")


@eager_only
def test_the_factory_names_tasks_as_the_running_python_does() -> None:
    async def body() -> None:
        pass

    async def main() -> str:
        return tether_asyncio.create_task(body()).get_name()

    name = _run_eager(main)
    if _pyversion.FACTORY_TASKS_ALWAYS_RENAMED:
        assert name == "None"  # 3.13.0: create_task() calls set_name(None)
    else:
        assert name.startswith("Task-")
    assert sys.version_info >= (3, 12)
