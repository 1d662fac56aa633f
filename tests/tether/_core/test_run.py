"""Tests for ``tether.run`` and the run loop: entry-point checks, scheduling
order, tasks, statistics, system tasks, instruments and the task tree."""

from __future__ import annotations

import contextvars
import functools
import io
import logging
import threading
import types
from math import inf
from typing import TYPE_CHECKING, Any

import pytest

import tether
import tether.lowlevel
from tether.abc import Clock, Instrument
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

    from tether.lowlevel import Task


def run_autojump(async_fn: Callable[..., Awaitable[Any]], *args: object) -> Any:
    """Run with a virtual clock that jumps whenever every task is blocked."""
    return tether.run(async_fn, *args, clock=MockClock(autojump_threshold=0))


def qualified(fn: object) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"  # type: ignore[attr-defined]


# ----------------------------------------------------------------------------
# tether.run: arguments, results, errors


def test_run_returns_value_and_passes_args() -> None:
    async def main(a: int, b: str) -> tuple[int, str]:
        await tether.sleep(0)
        return a, b

    assert tether.run(main, 1, "x") == (1, "x")


def test_run_returns_value_without_any_checkpoint() -> None:
    async def main() -> str:
        return "done"

    assert tether.run(main) == "done"


def test_main_task_exception_propagates_bare() -> None:
    class MyError(Exception):
        pass

    async def main() -> None:
        await tether.sleep(0)
        raise MyError("bad")

    with pytest.raises(MyError, match="bad") as info:
        tether.run(main)
    # Not wrapped in a group, and tether added no context of its own.
    assert type(info.value) is MyError
    assert info.value.__context__ is None
    assert info.value.__cause__ is None


def test_main_task_exception_keeps_user_chains() -> None:
    async def main() -> None:
        try:
            await tether.sleep(0)
            raise KeyError("first")
        except KeyError as exc:
            raise ValueError("second") from exc

    with pytest.raises(ValueError, match="second") as info:
        tether.run(main)
    assert isinstance(info.value.__cause__, KeyError)


def test_main_task_base_exception_propagates() -> None:
    async def main() -> None:
        raise SystemExit(3)

    with pytest.raises(SystemExit) as info:
        tether.run(main)
    assert info.value.code == 3


def test_functions_outside_run_raise_runtime_error() -> None:
    sync_calls: list[Callable[[], object]] = [
        tether.current_time,
        tether.lowlevel.current_task,
        tether.lowlevel.current_root_task,
        tether.lowlevel.current_statistics,
        tether.lowlevel.current_clock,
        tether.lowlevel.current_tether_token,
        tether.lowlevel.format_task_tree,
        tether.current_effective_deadline,
        tether.open_nursery,
        functools.partial(tether.lowlevel.spawn_system_task, tether.sleep_forever),
    ]
    for fn in sync_calls:
        with pytest.raises(RuntimeError, match=r"tether\.run"):
            fn()
    coro = tether.sleep(1)
    with pytest.raises(RuntimeError, match=r"tether\.run"):
        coro.send(None)
    coro.close()
    assert not tether.lowlevel.in_tether_run()
    assert not tether.lowlevel.in_tether_task()


async def test_in_run_and_in_task_inside_a_run() -> None:
    assert tether.lowlevel.in_tether_run()
    assert tether.lowlevel.in_tether_task()
    assert tether.lowlevel.in_trio_run is tether.lowlevel.in_tether_run


async def test_nested_run_raises_runtime_error() -> None:
    called = False

    async def inner() -> None:  # pragma: no cover - must never start
        nonlocal called
        called = True

    with pytest.raises(RuntimeError, match=r"run\(\) from inside a run\(\)"):
        tether.run(inner)
    assert not called
    # The outer run is still healthy.
    await tether.sleep(0)


def test_nested_run_from_sync_callback_raises() -> None:
    errors: list[BaseException] = []

    async def noop() -> None:  # pragma: no cover - must never start
        pass

    def sync_callback() -> None:
        try:
            tether.run(noop)
        except RuntimeError as exc:
            errors.append(exc)

    async def main() -> None:
        tether.lowlevel.current_tether_token().run_sync_soon(sync_callback)
        await wait_all_tasks_blocked()
        await tether.sleep(0)

    tether.run(main)
    assert len(errors) == 1
    assert "inside a run" in str(errors[0])


def test_run_with_coroutine_object_says_drop_the_parentheses() -> None:
    async def main() -> None:  # pragma: no cover - the coroutine is never run
        pass

    # pytest runs with filterwarnings=error: a "coroutine ... was never
    # awaited" RuntimeWarning here would fail the test.
    with pytest.raises(TypeError) as info:
        tether.run(main())  # type: ignore[arg-type]
    msg = str(info.value)
    assert "coroutine object" in msg
    assert "parentheses" in msg


def test_run_with_sync_function_is_type_error() -> None:
    def not_async() -> int:
        return 1

    with pytest.raises(TypeError, match="synchronous"):
        tether.run(not_async)  # type: ignore[arg-type]


def test_run_with_async_generator_is_type_error() -> None:
    async def agen() -> Any:  # pragma: no cover - never iterated
        yield 1

    with pytest.raises(TypeError, match="async generator"):
        tether.run(agen)


async def test_start_soon_coroutine_object_is_type_error() -> None:
    async def child() -> None:  # pragma: no cover - never run
        pass

    async with tether.open_nursery() as nursery:
        with pytest.raises(TypeError, match="parentheses"):
            nursery.start_soon(child())  # type: ignore[arg-type]


@types.coroutine
def _bare_yield() -> Generator[None, None, None]:
    # What asyncio.sleep(0) does: a bare ``yield``.
    yield


class _ForeignFuture:
    """An awaitable from "some other framework": yields a message tether
    does not know."""

    def __await__(self) -> Generator[str, None, None]:
        yield "a foreign future"


async def test_awaiting_bare_yield_raises_type_error_in_the_task() -> None:
    with pytest.raises(TypeError, match="unrecognized yield message") as info:
        await _bare_yield()
    assert "None" in str(info.value)
    # The task goes on working normally.
    await tether.sleep(0)


async def test_awaiting_foreign_future_raises_type_error_in_the_task() -> None:
    with pytest.raises(TypeError, match="a foreign future") as info:
        await _ForeignFuture()
    assert "asyncio" in str(info.value)
    await tether.sleep(0)


def test_foreign_yield_in_child_comes_out_of_the_nursery() -> None:
    async def child() -> None:
        await _ForeignFuture()

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)

    with pytest.raises(ExceptionGroup) as info:
        tether.run(main)
    [exc] = info.value.exceptions
    assert isinstance(exc, TypeError)
    assert "unrecognized yield message" in str(exc)


def test_run_in_a_non_main_thread() -> None:
    results: list[object] = []

    async def main(x: int) -> tuple[int, bool]:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(tether.sleep, 0)
        await tether.sleep(0.001)
        return x, threading.current_thread() is threading.main_thread()

    def in_thread() -> None:
        try:
            results.append(tether.run(main, 7))
        except BaseException as exc:  # pragma: no cover - reported below
            results.append(exc)

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join(10)
    assert results == [(7, False)]


def test_runs_in_two_threads_at_once_are_independent() -> None:
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, object] = {}

    async def main(label: str) -> str:
        await tether.sleep(0)
        barrier.wait()  # both runs are alive here
        await tether.sleep(0)
        return label + tether.lowlevel.current_task().name.rsplit(".", 1)[-1]

    def in_thread(label: str) -> None:
        results[label] = tether.run(main, label)

    threads = [threading.Thread(target=in_thread, args=(label,)) for label in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {"a": "amain", "b": "bmain"}


def test_clock_must_be_a_clock() -> None:
    async def main() -> None:  # pragma: no cover - never started
        pass

    with pytest.raises(TypeError, match="Clock"):
        tether.run(main, clock=object())  # type: ignore[arg-type]


def test_custom_clock_is_used() -> None:
    class FixedClock(Clock):
        started = False

        def start_clock(self) -> None:
            self.started = True

        def current_time(self) -> float:
            return 1234.5

        def deadline_to_sleep_time(self, deadline: float) -> float:
            return 0.0

    clock = FixedClock()

    async def main() -> tuple[float, Clock]:
        return tether.current_time(), tether.lowlevel.current_clock()

    assert tether.run(main, clock=clock) == (1234.5, clock)
    assert clock.started


def test_mock_clock_virtual_time() -> None:
    async def main() -> float:
        start = tether.current_time()
        await tether.sleep(1000)
        return tether.current_time() - start

    assert run_autojump(main) == 1000


def test_strict_exception_groups_false_is_deprecated() -> None:
    async def child() -> None:
        raise KeyError("k")

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)

    with (
        pytest.warns(tether.TetherDeprecationWarning, match="strict_exception_groups"),
        pytest.raises(KeyError),  # a lone error is not wrapped in this mode
    ):
        tether.run(main, strict_exception_groups=False)
    assert tether.TrioDeprecationWarning is tether.TetherDeprecationWarning


def test_strict_exception_groups_false_still_groups_several_errors() -> None:
    async def fail(exc: BaseException) -> None:
        raise exc

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail, KeyError())
            nursery.start_soon(fail, ValueError())

    with (
        pytest.warns(tether.TetherDeprecationWarning),
        pytest.raises(ExceptionGroup) as info,
    ):
        tether.run(main, strict_exception_groups=False)
    assert {type(e) for e in info.value.exceptions} == {KeyError, ValueError}


def test_internal_error_alias() -> None:
    assert tether.TrioInternalError is tether.TetherInternalError
    assert issubclass(tether.TetherInternalError, Exception)


# ----------------------------------------------------------------------------
# Scheduling order


async def test_tasks_spawned_in_order_run_in_fifo_order() -> None:
    trace: list[int] = []

    async def child(i: int) -> None:
        trace.append(i)

    async with tether.open_nursery() as nursery:
        for i in range(20):
            nursery.start_soon(child, i)
    assert trace == list(range(20))


async def test_yielding_tasks_interleave_in_a_fixed_order() -> None:
    trace: list[str] = []

    async def looper(label: str, n: int) -> None:
        for i in range(n):
            trace.append(f"{label}{i}")
            await tether.sleep(0)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(looper, "a", 3)
        nursery.start_soon(looper, "b", 2)
        nursery.start_soon(looper, "c", 4)
    assert trace == ["a0", "b0", "c0", "a1", "b1", "c1", "a2", "c2", "c3"]


async def test_task_looping_on_sleep_zero_does_not_starve_a_newcomer() -> None:
    trace: list[str] = []

    async def spinner() -> None:
        for i in range(4):
            trace.append(f"spin{i}")
            await tether.sleep(0)

    async def spawner(nursery: tether.Nursery) -> None:
        trace.append("spawner")
        await tether.sleep(0)
        # Spawned during spin1's batch: runs in the batch after.
        nursery.start_soon(newcomer)
        trace.append("spawned")

    async def newcomer() -> None:
        trace.append("newcomer")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(spinner)
        nursery.start_soon(spawner, nursery)
    assert trace == ["spin0", "spawner", "spin1", "spawned", "spin2", "newcomer", "spin3"]


def test_equal_deadlines_wake_in_registration_order() -> None:
    trace: list[str] = []

    async def sleeper(label: str, delay_checkpoints: int) -> None:
        for _ in range(delay_checkpoints):
            await tether.sleep(0)
        # Everybody sleeps until exactly t=10; registration order c, b, a.
        await tether.sleep_until(10)
        trace.append(label)

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper, "a", 2)
            nursery.start_soon(sleeper, "b", 1)
            nursery.start_soon(sleeper, "c", 0)

    run_autojump(main)
    assert trace == ["c", "b", "a"]


def test_earlier_deadlines_wake_first() -> None:
    trace: list[tuple[str, float]] = []

    async def sleeper(label: str, delay: float) -> None:
        await tether.sleep(delay)
        trace.append((label, tether.current_time()))

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            for label, delay in [("x", 3), ("y", 1), ("z", 2), ("w", 1)]:
                nursery.start_soon(sleeper, label, delay)

    run_autojump(main)
    assert trace == [("y", 1), ("w", 1), ("z", 2), ("x", 3)]


def _shuffled_trace() -> list[int]:
    trace: list[int] = []

    async def child(i: int) -> None:
        trace.append(i)
        await tether.sleep(0)
        trace.append(100 + i)

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            for i in range(12):
                nursery.start_soon(child, i)

    tether.run(main)
    return trace


def test_shuffle_scheduling_seed_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TETHER_SHUFFLE_SCHEDULING_SEED", raising=False)
    fifo = _shuffled_trace()
    assert fifo == list(range(12)) + [100 + i for i in range(12)]

    traces: dict[str, list[int]] = {}
    for seed in ["0", "1", "2", "3", "hello"]:
        monkeypatch.setenv("TETHER_SHUFFLE_SCHEDULING_SEED", seed)
        first = _shuffled_trace()
        again = _shuffled_trace()
        assert first == again, seed
        assert sorted(first) == sorted(fifo)
        traces[seed] = first
    # Some seed reorders a batch, and not every seed gives the same order.
    assert any(trace != fifo for trace in traces.values())
    assert len({tuple(trace) for trace in traces.values()}) > 1


# ----------------------------------------------------------------------------
# Task objects


async def _named_child() -> None:
    await tether.sleep(0)


async def test_task_name_defaults_to_module_and_qualname() -> None:
    async def local_child() -> None:
        await tether.sleep(0)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(local_child)
        nursery.start_soon(_named_child)
        names = sorted(t.name for t in nursery.child_tasks)
    assert names == sorted([qualified(local_child), qualified(_named_child)])
    assert any(
        n.endswith(".test_task_name_defaults_to_module_and_qualname.<locals>.local_child")
        for n in names
    )


def test_main_task_name() -> None:
    async def main() -> str:
        return tether.lowlevel.current_task().name

    assert tether.run(main) == qualified(main)
    assert tether.run(functools.partial(main)) == qualified(main)


async def test_task_name_kwarg_and_conversion() -> None:
    class Named:
        def __repr__(self) -> str:
            return "<Named thing>"

    async with tether.open_nursery() as nursery:
        nursery.start_soon(_named_child, name="custom name")
        nursery.start_soon(_named_child, name=42)
        nursery.start_soon(_named_child, name=Named())
        nursery.start_soon(_named_child, name=test_main_task_name)
        names = {t.name for t in nursery.child_tasks}
    assert all(isinstance(n, str) for n in names)
    assert names == {"custom name", "42", "<Named thing>", qualified(test_main_task_name)}


async def test_partial_is_unwrapped_for_naming() -> None:
    async def takes_args(a: int, *, b: int) -> None:
        await tether.sleep(0)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(functools.partial(takes_args, 1, b=2))
        nursery.start_soon(functools.partial(functools.partial(takes_args, 1), b=2))
        names = [t.name for t in nursery.child_tasks]
    assert names == [qualified(takes_args)] * 2


async def test_task_repr_and_coro() -> None:
    async def child() -> None:
        await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child, name="repr-me")
        await wait_all_tasks_blocked()
        [task] = nursery.child_tasks
        assert repr(task).startswith("<Task 'repr-me' at 0x")
        assert isinstance(task.coro, types.CoroutineType)
        assert task.coro.cr_code is child.__code__
        nursery.cancel_scope.cancel()


def test_task_public_constructor_is_refused() -> None:
    with pytest.raises(TypeError, match="no public constructor"):
        tether.lowlevel.Task()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="no public constructor"):
        tether.Nursery()  # type: ignore[call-arg]


_var: contextvars.ContextVar[str] = contextvars.ContextVar("_var", default="unset")


async def test_child_context_is_a_copy_taken_at_spawn_time() -> None:
    seen: list[str] = []

    async def child() -> None:
        seen.append(_var.get())
        _var.set("set by child")
        await tether.sleep(0)
        seen.append(_var.get())

    _var.set("before spawn")
    async with tether.open_nursery() as nursery:
        nursery.start_soon(child)
        [task] = nursery.child_tasks
        # Changed after the spawn, before the child runs: not seen.
        _var.set("after spawn")
        assert task.context is not contextvars.copy_context()
        assert task.context[_var] == "before spawn"
    assert seen == ["before spawn", "set by child"]
    # Nothing leaked back to the parent.
    assert _var.get() == "after spawn"
    assert task.context[_var] == "set by child"


async def test_current_task_context_is_the_running_context() -> None:
    token = _var.set("main value")
    try:
        task = tether.lowlevel.current_task()
        assert task.context[_var] == "main value"
    finally:
        _var.reset(token)


async def test_parent_nursery_and_child_nurseries() -> None:
    main = tether.lowlevel.current_task()
    assert main.child_nurseries == []
    seen: list[Task] = []

    async def child() -> None:
        seen.append(tether.lowlevel.current_task())

    async with tether.open_nursery() as outer:
        assert main.child_nurseries == [outer]
        assert outer.parent_task is main
        async with tether.open_nursery() as inner:
            assert main.child_nurseries == [outer, inner]
            inner.start_soon(child)
            [task] = inner.child_tasks
            assert task.parent_nursery is inner
            assert task.eventual_parent_nursery is None
        assert inner.child_tasks == frozenset()
        assert main.child_nurseries == [outer]
    assert main.child_nurseries == []
    assert seen == [task]
    assert isinstance(main.child_nurseries, list)


async def test_custom_sleep_data_and_companion() -> None:
    task = tether.lowlevel.current_task()
    assert task.custom_sleep_data is None
    assert task.companion is None
    task.companion = "mine"

    def abort(_: tether.lowlevel.RaiseCancelT) -> tether.lowlevel.Abort:
        return tether.lowlevel.Abort.SUCCEEDED  # pragma: no cover

    async def sleeper() -> str:
        me = tether.lowlevel.current_task()
        me.custom_sleep_data = "sleeping here"
        return str(await tether.lowlevel.wait_task_rescheduled(abort))

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sleeper)
        await wait_all_tasks_blocked()
        [child] = nursery.child_tasks
        assert child.custom_sleep_data == "sleeping here"
        tether.lowlevel.reschedule(child)
        # Rescheduling resets it.
        assert child.custom_sleep_data is None
    assert task.companion == "mine"


async def test_reschedule_twice_is_an_error() -> None:
    async def sleeper() -> None:
        await tether.lowlevel.wait_task_rescheduled(
            lambda _: tether.lowlevel.Abort.SUCCEEDED
        )

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sleeper)
        await wait_all_tasks_blocked()
        [child] = nursery.child_tasks
        tether.lowlevel.reschedule(child)
        with pytest.raises(RuntimeError):
            tether.lowlevel.reschedule(child)


async def test_iter_await_frames_walks_the_await_chain() -> None:
    async def innermost() -> None:
        await tether.sleep_forever()

    async def middle() -> None:
        await innermost()

    async def child() -> None:
        await middle()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child)
        await wait_all_tasks_blocked()
        [task] = nursery.child_tasks
        frames = list(task.iter_await_frames())
        names = [frame.f_code.co_name for frame, _ in frames]
        assert names[:3] == ["child", "middle", "innermost"]
        for frame, lineno in frames:
            assert lineno == frame.f_lineno
        # The line the innermost user function is suspended at.
        innermost_frame, lineno = frames[2]
        first = innermost.__code__.co_firstlineno
        assert lineno == first + 1
        assert innermost_frame.f_code is innermost.__code__
        nursery.cancel_scope.cancel()


async def test_iter_await_frames_of_exited_task_is_empty() -> None:
    async def child() -> None:
        pass

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child)
        [task] = nursery.child_tasks
    assert list(task.iter_await_frames()) == []


async def test_current_task_and_root_task() -> None:
    main = tether.lowlevel.current_task()
    root = tether.lowlevel.current_root_task()
    assert root is not None
    assert root is not main
    assert root.parent_nursery is None
    # The main task hangs somewhere below the root.
    ancestors: list[Task] = []
    nursery = main.parent_nursery
    while nursery is not None:
        ancestors.append(nursery.parent_task)
        nursery = nursery.parent_task.parent_nursery
    assert ancestors[-1] is root

    seen: list[Task] = []

    async def child() -> None:
        seen.append(tether.lowlevel.current_task())
        seen.append(tether.lowlevel.current_root_task())  # type: ignore[arg-type]

    async with tether.open_nursery() as n:
        n.start_soon(child)
        [child_task] = n.child_tasks
    assert seen == [child_task, root]


# ----------------------------------------------------------------------------
# Statistics


async def test_current_statistics_fields() -> None:
    await wait_all_tasks_blocked()
    base = tether.lowlevel.current_statistics()
    assert base.tasks_runnable == 0
    assert base.seconds_to_next_deadline == inf
    assert base.io_statistics.backend == "epoll"  # type: ignore[attr-defined]
    assert base.run_sync_soon_queue_size == 0

    async with tether.open_nursery() as nursery:
        nursery.start_soon(tether.sleep_forever)
        nursery.start_soon(tether.sleep_forever)
        stats = tether.lowlevel.current_statistics()
        assert stats.tasks_living == base.tasks_living + 2
        assert stats.tasks_runnable == 2
        await wait_all_tasks_blocked()
        assert tether.lowlevel.current_statistics().tasks_runnable == 0
        nursery.cancel_scope.cancel()
    assert tether.lowlevel.current_statistics().tasks_living == base.tasks_living


def test_current_statistics_deadlines_and_run_sync_soon_queue() -> None:
    async def main() -> None:
        clock = tether.lowlevel.current_clock()
        assert isinstance(clock, MockClock)
        with tether.move_on_after(3):
            stats = tether.lowlevel.current_statistics()
            assert stats.seconds_to_next_deadline == 3
            clock.jump(1)
            assert tether.lowlevel.current_statistics().seconds_to_next_deadline == 2
        assert tether.lowlevel.current_statistics().seconds_to_next_deadline == inf

        async with tether.open_nursery() as nursery:
            nursery.start_soon(tether.sleep, 5)
            await wait_all_tasks_blocked()
            assert tether.lowlevel.current_statistics().seconds_to_next_deadline == 5
            nursery.cancel_scope.cancel()

        ran: list[int] = []
        token = tether.lowlevel.current_tether_token()
        token.run_sync_soon(ran.append, 1)
        token.run_sync_soon(ran.append, 2)
        assert tether.lowlevel.current_statistics().run_sync_soon_queue_size == 2
        await wait_all_tasks_blocked()
        assert ran == [1, 2]
        assert tether.lowlevel.current_statistics().run_sync_soon_queue_size == 0

    tether.run(main, clock=MockClock())


# ----------------------------------------------------------------------------
# System tasks


def test_system_task_runs_and_is_cancelled_when_main_exits() -> None:
    record: list[str] = []
    tasks: list[Task] = []

    async def system() -> None:
        record.append("started")
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append("cancelled")
            raise

    async def main() -> str:
        tasks.append(tether.lowlevel.spawn_system_task(system, name="sys"))
        await wait_all_tasks_blocked()
        assert record == ["started"]
        return "main done"

    assert tether.run(main) == "main done"
    assert record == ["started", "cancelled"]
    [task] = tasks
    assert task.name == "sys"
    # A system task is not in the main task's nurseries.
    assert task.parent_nursery is not None
    assert task.parent_nursery.parent_task.name == "<init>"


def test_system_task_that_absorbs_its_cancellation() -> None:
    record: list[str] = []

    async def system() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append("cancelled")
        record.append("returned normally")

    async def main() -> None:
        tether.lowlevel.spawn_system_task(system)
        await wait_all_tasks_blocked()

    tether.run(main)
    assert record == ["cancelled", "returned normally"]


def _causes(exc: BaseException | None) -> list[BaseException]:
    """Every exception reachable through __cause__ and group membership."""
    found: list[BaseException] = []
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or e in found:
            continue
        found.append(e)
        stack.append(e.__cause__)
        if isinstance(e, BaseExceptionGroup):
            stack.extend(e.exceptions)
    return found


def test_system_task_error_crashes_run_with_internal_error() -> None:
    main_cancelled = False

    class Boom(Exception):
        pass

    async def system() -> None:
        await tether.sleep(0)
        raise Boom("system failure")

    async def main() -> None:
        nonlocal main_cancelled
        tether.lowlevel.spawn_system_task(system)
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            main_cancelled = True
            raise

    with pytest.raises(tether.TetherInternalError) as info:
        tether.run(main)
    assert main_cancelled
    booms = [e for e in _causes(info.value) if isinstance(e, Boom)]
    assert len(booms) == 1
    assert str(booms[0]) == "system failure"


def test_system_task_context_argument() -> None:
    seen: list[str] = []

    async def system() -> None:
        seen.append(_var.get())

    async def main() -> None:
        _var.set("main's value")
        # Default: a copy of the context run() was called in, not main's.
        tether.lowlevel.spawn_system_task(system)
        ctx = contextvars.Context()
        ctx.run(_var.set, "explicit")
        task = tether.lowlevel.spawn_system_task(system, context=ctx)
        assert task.context is ctx
        await wait_all_tasks_blocked()

    token = _var.set("outside run")
    try:
        tether.run(main)
    finally:
        _var.reset(token)
    assert seen == ["outside run", "explicit"]


# ----------------------------------------------------------------------------
# Instruments


class Recorder(Instrument):
    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    def before_run(self) -> None:
        self.events.append(("before_run", None))

    def after_run(self) -> None:
        self.events.append(("after_run", None))

    def task_spawned(self, task: Task) -> None:
        self.events.append(("task_spawned", task))

    def task_scheduled(self, task: Task) -> None:
        self.events.append(("task_scheduled", task))

    def before_task_step(self, task: Task) -> None:
        self.events.append(("before_task_step", task))

    def after_task_step(self, task: Task) -> None:
        self.events.append(("after_task_step", task))

    def task_exited(self, task: Task) -> None:
        self.events.append(("task_exited", task))

    def before_io_wait(self, timeout: float) -> None:
        self.events.append(("before_io_wait", timeout))

    def after_io_wait(self, timeout: float) -> None:
        self.events.append(("after_io_wait", timeout))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]

    def for_task(self, task: Task) -> list[str]:
        return [kind for kind, obj in self.events if obj is task]


def test_instrument_sees_every_hook() -> None:
    recorder = Recorder()
    tasks: list[Task] = []

    async def child() -> None:
        await tether.sleep(0)

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
            [task] = nursery.child_tasks
            tasks.append(task)
        await tether.sleep(1)  # makes the loop block

    tether.run(main, clock=MockClock(autojump_threshold=0), instruments=[recorder])
    kinds = recorder.kinds()
    assert set(kinds) == {
        "before_run",
        "after_run",
        "task_spawned",
        "task_scheduled",
        "before_task_step",
        "after_task_step",
        "task_exited",
        "before_io_wait",
        "after_io_wait",
    }
    assert kinds[0] == "before_run"
    assert kinds[-1] == "after_run"
    assert kinds.count("before_run") == kinds.count("after_run") == 1
    assert kinds.count("before_io_wait") == kinds.count("after_io_wait")
    assert kinds.count("before_task_step") == kinds.count("after_task_step")
    # The child's life, in order (as in Trio): spawned and scheduled; a step
    # that ends in sleep(0), which makes it runnable again at once; a final
    # step, during which it exits.
    [task] = tasks
    assert recorder.for_task(task) == [
        "task_spawned",
        "task_scheduled",
        "before_task_step",
        "task_scheduled",
        "after_task_step",
        "before_task_step",
        "task_exited",
        "after_task_step",
    ]
    # Every task that was spawned exited.
    spawned = [obj for kind, obj in recorder.events if kind == "task_spawned"]
    exited = [obj for kind, obj in recorder.events if kind == "task_exited"]
    assert sorted(map(id, spawned)) == sorted(map(id, exited))
    # Steps come in before/after pairs for the same task.
    steps = [(k, o) for k, o in recorder.events if k.endswith("task_step")]
    for before, after in zip(steps[::2], steps[1::2], strict=True):
        assert before[0] == "before_task_step"
        assert after[0] == "after_task_step"
        assert before[1] is after[1]


def test_instrument_io_wait_timeouts_are_paired() -> None:
    recorder = Recorder()

    async def main() -> None:
        await tether.sleep(5)

    tether.run(main, clock=MockClock(autojump_threshold=0), instruments=[recorder])
    waits = [(k, o) for k, o in recorder.events if k.endswith("io_wait")]
    assert waits
    for before, after in zip(waits[::2], waits[1::2], strict=True):
        assert before[0] == "before_io_wait"
        assert after[0] == "after_io_wait"
        assert before[1] == after[1]


def test_instrument_with_only_some_hooks() -> None:
    class OnlySpawned(Instrument):
        def __init__(self) -> None:
            self.names: list[str] = []

        def task_spawned(self, task: Task) -> None:
            self.names.append(task.name)

    inst = OnlySpawned()

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(tether.sleep, 0, name="kid")

    tether.run(main, instruments=[inst])
    assert "kid" in inst.names
    assert "<init>" in inst.names


async def test_add_and_remove_instrument_during_run() -> None:
    recorder = Recorder()

    async def child() -> None:
        await tether.sleep(0)

    tether.lowlevel.add_instrument(recorder)
    tether.lowlevel.add_instrument(recorder)  # idempotent
    async with tether.open_nursery() as nursery:
        nursery.start_soon(child, name="observed")
    tether.lowlevel.remove_instrument(recorder)
    observed = [o for k, o in recorder.events if k == "task_spawned"]
    assert [t.name for t in observed] == ["observed"]  # type: ignore[attr-defined]
    count = len(recorder.events)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child, name="unobserved")
    assert len(recorder.events) == count

    with pytest.raises(KeyError):
        tether.lowlevel.remove_instrument(recorder)


async def test_add_instrument_without_hooks_is_type_error() -> None:
    with pytest.raises(TypeError):
        tether.lowlevel.add_instrument(object())  # type: ignore[arg-type]


def test_raising_instrument_is_removed_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Instrument):
        def __init__(self) -> None:
            self.calls = 0

        def before_task_step(self, task: Task) -> None:
            self.calls += 1
            raise ValueError("instrument is broken")

        def after_task_step(self, task: Task) -> None:
            self.calls += 100  # pragma: no cover - removed by then

    broken = Broken()
    healthy = Recorder()

    async def main() -> str:
        for _ in range(3):
            await tether.sleep(0)
        return "survived"

    with caplog.at_level(logging.ERROR):
        result = tether.run(main, instruments=[broken, healthy])
    assert result == "survived"
    # Called once, then removed (all its hooks, not just the broken one).
    assert broken.calls == 1
    [record] = [r for r in caplog.records if "instrument" in r.getMessage().lower()]
    assert record.levelno == logging.ERROR
    assert "before_task_step" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], ValueError)
    # The other instrument kept working.
    assert healthy.kinds().count("before_task_step") > 3
    assert healthy.kinds()[-1] == "after_run"


# ----------------------------------------------------------------------------
# Task tree


async def test_format_task_tree_shows_names_and_nesting() -> None:
    async def leaf() -> None:
        await tether.sleep_forever()

    async def branch() -> None:
        async with tether.open_nursery() as inner:
            inner.start_soon(leaf, name="grandchild-leaf")
            await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(leaf, name="child-leaf")
        nursery.start_soon(branch, name="child-branch")
        await wait_all_tasks_blocked()
        text = tether.lowlevel.format_task_tree()
        main_text = tether.lowlevel.format_task_tree(tether.lowlevel.current_task())
        nursery.cancel_scope.cancel()

    def indent_of(name: str, text: str) -> int:
        [line] = [ln for ln in text.splitlines() if repr(name) in ln]
        return len(line) - len(line.lstrip())

    lines = text.splitlines()
    assert "<init>" in lines[0]
    me = tether.lowlevel.current_task().name
    main_indent = indent_of(me, text)
    assert indent_of("child-leaf", text) > main_indent
    assert indent_of("child-branch", text) == indent_of("child-leaf", text)
    assert indent_of("grandchild-leaf", text) > indent_of("child-branch", text)
    # Children appear below their parent.
    order = [i for i, ln in enumerate(lines) if "branch" in ln or "grandchild" in ln]
    assert "child-branch" in lines[order[0]]
    assert "nursery" in text
    # Starting from the main task: that task is the first line, unindented.
    main_lines = main_text.splitlines()
    assert repr(me) in main_lines[0]
    assert not main_lines[0].startswith(" ")
    assert "<init>" not in main_text
    assert indent_of("grandchild-leaf", main_text) > indent_of("child-branch", main_text)
    # Where a task waits: the innermost user frame.
    [leaf_line] = [ln for ln in lines if "'child-leaf'" in ln]
    assert "leaf" in leaf_line.split(" at ", 1)[1]


async def test_print_task_tree(capsys: pytest.CaptureFixture[str]) -> None:
    async with tether.open_nursery() as nursery:
        nursery.start_soon(tether.sleep_forever, name="printed-child")
        await wait_all_tasks_blocked()
        tether.lowlevel.print_task_tree()
        nursery.cancel_scope.cancel()
    err = capsys.readouterr().err
    assert "'printed-child'" in err

    buf = io.StringIO()
    tether.lowlevel.print_task_tree(file=buf)
    expected = tether.lowlevel.format_task_tree()
    # (Equal but for the line number the main task is suspended at.)
    assert buf.getvalue().count("\n") == expected.count("\n") + 1
    assert buf.getvalue().startswith(expected.splitlines()[0][:15])
