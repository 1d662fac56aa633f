"""The hooks compatibility layers are built on: interrupts, plain callbacks,
owned tasks, the cancelled class, task companions, and coroutine detaching."""

from __future__ import annotations

import contextvars
import math
import types
from typing import TYPE_CHECKING, Any

import outcome
import pytest

import tether
from tether import lowlevel
from tether.lowlevel import (
    CallbackHandle,
    Task,
    current_task,
    deliver_interrupt,
    discard_interrupts,
    pending_interrupts,
    schedule_callback,
    schedule_callback_at,
    set_callback_error_handler,
    set_cancelled_class,
    spawn_owned,
)
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Generator

cvar: contextvars.ContextVar[str] = contextvars.ContextVar("cvar", default="default")


def _causes(exc: BaseException) -> list[BaseException]:
    """Every exception reachable from ``exc`` via __cause__ and groups."""
    found: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        found.append(current)
        if current.__cause__ is not None:
            todo.append(current.__cause__)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
    return found


@types.coroutine
def _foreign_yield(value: object) -> Generator[object, Any, Any]:
    return (yield value)


class _Recorder:
    """Records which tasks get which exceptions."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.tasks: list[Task] = []


# -- deliver_interrupt ----------------------------------------------------------


async def test_interrupt_wakes_a_blocked_task_at_once() -> None:
    got: list[BaseException] = []
    tasks: list[Task] = []

    async def sleeper() -> None:
        tasks.append(current_task())
        try:
            await tether.sleep_forever()
        except KeyError as exc:
            got.append(exc)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sleeper)
        await wait_all_tasks_blocked()
        deliver_interrupt(tasks[0], lambda: KeyError("interrupt"))
        # Woken right away: one schedule point later the task has run.
        assert lowlevel.current_statistics().tasks_runnable == 1
        await lowlevel.cancel_shielded_checkpoint()
        assert [str(e) for e in got] == ["'interrupt'"]
        assert pending_interrupts(tasks[0]) == 0


async def test_interrupt_to_running_task_raises_at_next_checkpoint() -> None:
    me = current_task()
    made: list[int] = []

    def factory() -> BaseException:
        made.append(1)
        return KeyError("later")

    deliver_interrupt(me, factory)
    # Nothing happens until a checkpoint, and the exception is made lazily.
    assert pending_interrupts(me) == 1
    assert made == []
    with pytest.raises(KeyError, match="later"):
        await lowlevel.checkpoint()
    assert made == [1]
    assert pending_interrupts(me) == 0
    # Delivered once only.
    await lowlevel.checkpoint()


async def test_interrupt_raised_by_checkpoint_if_cancelled() -> None:
    me = current_task()
    deliver_interrupt(me, lambda: KeyError("x"))
    with pytest.raises(KeyError):
        await lowlevel.checkpoint_if_cancelled()
    await lowlevel.checkpoint_if_cancelled()


async def test_interrupt_not_raised_by_cancel_shielded_checkpoint() -> None:
    me = current_task()
    deliver_interrupt(me, lambda: KeyError("x"))
    await lowlevel.cancel_shielded_checkpoint()
    assert pending_interrupts(me) == 1
    with pytest.raises(KeyError):
        await tether.sleep(0)


async def test_interrupt_raised_by_a_blocking_call() -> None:
    me = current_task()
    deliver_interrupt(me, lambda: KeyError("x"))
    lot = lowlevel.ParkingLot()
    with pytest.raises(KeyError):
        await lot.park()
    assert len(lot) == 0


async def test_interrupt_is_held_by_a_shield_for_the_running_task() -> None:
    me = current_task()
    with tether.CancelScope(shield=True):
        deliver_interrupt(me, lambda: KeyError("held"))
        await lowlevel.checkpoint()
        # An unshielded scope inside the shield is still shielded.
        with tether.CancelScope():
            await lowlevel.checkpoint()
            await lowlevel.checkpoint_if_cancelled()
        assert pending_interrupts(me) == 1
    # Leaving the shield does not raise by itself ...
    assert pending_interrupts(me) == 1
    # ... the next checkpoint does.
    with pytest.raises(KeyError, match="held"):
        await lowlevel.checkpoint()


async def test_interrupt_to_blocked_shielded_task_waits_for_the_shield() -> None:
    log: list[str] = []
    tasks: list[Task] = []
    release = tether.Event()

    async def worker() -> None:
        tasks.append(current_task())
        with tether.CancelScope(shield=True):
            await release.wait()
            log.append("woke in shield")
            await lowlevel.checkpoint()
            log.append("checkpoint in shield")
        log.append("left shield")
        try:
            await lowlevel.checkpoint()
        except KeyError:
            log.append("interrupted")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(worker)
        await wait_all_tasks_blocked()
        deliver_interrupt(tasks[0], lambda: KeyError("held"))
        await wait_all_tasks_blocked()
        assert log == []
        assert pending_interrupts(tasks[0]) == 1
        release.set()
    assert log == ["woke in shield", "checkpoint in shield", "left shield", "interrupted"]


async def test_unshieldable_interrupt_goes_through_shields() -> None:
    got: list[BaseException] = []
    tasks: list[Task] = []

    async def worker() -> None:
        tasks.append(current_task())
        with tether.CancelScope(shield=True):
            try:
                await tether.sleep_forever()
            except KeyError as exc:
                got.append(exc)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(worker)
        await wait_all_tasks_blocked()
        deliver_interrupt(tasks[0], lambda: KeyError("through"), shieldable=False)
        await wait_all_tasks_blocked()
        assert len(got) == 1

    me = current_task()
    with tether.CancelScope(shield=True):
        deliver_interrupt(me, lambda: ValueError("through"), shieldable=False)
        with pytest.raises(ValueError, match="through"):
            await lowlevel.checkpoint()


async def test_unshieldable_interrupt_overtakes_held_ones_inside_a_shield() -> None:
    me = current_task()
    with tether.CancelScope(shield=True):
        deliver_interrupt(me, lambda: KeyError("shieldable"))
        deliver_interrupt(me, lambda: ValueError("unshieldable"), shieldable=False)
        with pytest.raises(ValueError, match="unshieldable"):
            await lowlevel.checkpoint()
        assert pending_interrupts(me) == 1
        await lowlevel.checkpoint()
    with pytest.raises(KeyError):
        await lowlevel.checkpoint()


async def test_several_interrupts_are_delivered_once_each_in_order() -> None:
    me = current_task()
    deliver_interrupt(me, lambda: KeyError("1"))
    deliver_interrupt(me, lambda: ValueError("2"))
    deliver_interrupt(me, lambda: IndexError("3"))
    assert pending_interrupts(me) == 3
    with pytest.raises(KeyError):
        await lowlevel.checkpoint()
    assert pending_interrupts(me) == 2
    with pytest.raises(ValueError, match="2"):
        await lowlevel.checkpoint()
    with pytest.raises(IndexError):
        await lowlevel.checkpoint()
    assert pending_interrupts(me) == 0
    await lowlevel.checkpoint()


async def test_several_interrupts_to_a_blocked_task() -> None:
    got: list[str] = []
    tasks: list[Task] = []

    async def worker() -> None:
        tasks.append(current_task())
        for _ in range(2):
            try:
                await tether.sleep_forever()
            except (KeyError, ValueError) as exc:
                got.append(type(exc).__name__)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(worker)
        await wait_all_tasks_blocked()
        deliver_interrupt(tasks[0], lambda: KeyError())
        deliver_interrupt(tasks[0], lambda: ValueError())
        # The first one was taken when it woke the task; the second waits.
        assert pending_interrupts(tasks[0]) == 1
    assert got == ["KeyError", "ValueError"]


async def test_discard_interrupts() -> None:
    me = current_task()
    assert discard_interrupts(me) == 0
    deliver_interrupt(me, lambda: KeyError())
    deliver_interrupt(me, lambda: ValueError(), shieldable=False)
    assert discard_interrupts(me) == 2
    assert pending_interrupts(me) == 0
    await lowlevel.checkpoint()
    assert discard_interrupts(me) == 0


async def test_cancellation_wins_over_a_pending_interrupt() -> None:
    me = current_task()
    with tether.CancelScope() as scope:
        scope.cancel()
        deliver_interrupt(me, lambda: KeyError())
        await lowlevel.checkpoint()
    assert scope.cancelled_caught
    assert pending_interrupts(me) == 1
    with pytest.raises(KeyError):
        await lowlevel.checkpoint()


async def test_interrupt_in_nursery_aexit_cancels_the_nursery() -> None:
    me = current_task()
    cancelled: list[str] = []

    async def sleeper() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            cancelled.append("sleeper")
            raise

    async def interrupter() -> None:
        await wait_all_tasks_blocked()
        # The main task is now blocked in the nursery's __aexit__.
        deliver_interrupt(me, lambda: KeyError("from outside"))

    with pytest.RaisesGroup(pytest.RaisesExc(KeyError, match="from outside")):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            nursery.start_soon(interrupter)
    assert cancelled == ["sleeper"]
    assert pending_interrupts(me) == 0


async def test_interrupt_to_an_exited_task_is_a_runtime_error() -> None:
    tasks: list[Task] = []

    async def short() -> None:
        tasks.append(current_task())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(short)
    with pytest.raises(RuntimeError):
        deliver_interrupt(tasks[0], lambda: KeyError())


# -- schedule_callback --------------------------------------------------------


async def test_callbacks_interleave_fifo_with_task_steps() -> None:
    trace: list[str] = []

    async def task(name: str) -> None:
        trace.append(name)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(task, "A")
        schedule_callback(trace.append, "cb1")
        nursery.start_soon(task, "B")
        schedule_callback(trace.append, "cb2")
        assert trace == []
    assert trace == ["A", "cb1", "B", "cb2"]


async def test_callback_scheduled_by_a_callback_runs_in_a_later_batch() -> None:
    trace: list[str] = []

    def first() -> None:
        trace.append("first")
        schedule_callback(trace.append, "nested")

    async def task() -> None:
        trace.append("task step 1")
        await lowlevel.cancel_shielded_checkpoint()
        trace.append("task step 2")

    async with tether.open_nursery() as nursery:
        schedule_callback(first)
        nursery.start_soon(task)
    # The nested callback was queued before the task's second step.
    assert trace == ["first", "task step 1", "nested", "task step 2"]


async def test_callback_runs_outside_any_task() -> None:
    seen: list[tuple[bool, bool]] = []

    def cb() -> None:
        seen.append((lowlevel.in_tether_run(), lowlevel.in_tether_task()))
        with pytest.raises(RuntimeError):
            current_task()

    schedule_callback(cb)
    await wait_all_tasks_blocked()
    assert seen == [(True, False)]


async def test_callback_handle() -> None:
    trace: list[str] = []
    handle = schedule_callback(trace.append, "x")
    assert isinstance(handle, CallbackHandle)
    assert handle.callback == trace.append
    assert handle.args == ("x",)
    assert handle.context is None
    assert handle.when() == math.inf
    assert not handle.cancelled()
    handle.cancel()
    assert handle.cancelled()
    handle.cancel()  # idempotent
    assert "cancelled" in repr(handle)
    await wait_all_tasks_blocked()
    assert trace == []

    # Cancelling after it ran does nothing harmful.
    handle2 = schedule_callback(trace.append, "y")
    await wait_all_tasks_blocked()
    handle2.cancel()
    assert trace == ["y"]


async def test_callback_context() -> None:
    seen: list[str] = []
    ctx = contextvars.copy_context()
    ctx.run(cvar.set, "in ctx")
    cvar.set("in task")

    def cb() -> None:
        seen.append(cvar.get())
        cvar.set("changed by callback")

    handle = schedule_callback(cb, context=ctx)
    assert handle.context is ctx
    await wait_all_tasks_blocked()
    assert seen == ["in ctx"]
    assert ctx[cvar] == "changed by callback"
    assert cvar.get() == "in task"


async def test_callback_error_goes_to_the_handler() -> None:
    errors: list[tuple[BaseException, CallbackHandle]] = []
    trace: list[str] = []

    def bad() -> None:
        raise KeyError("bad callback")

    set_callback_error_handler(lambda exc, handle: errors.append((exc, handle)))
    try:
        handle = schedule_callback(bad)
        schedule_callback(trace.append, "after")
        await wait_all_tasks_blocked()
    finally:
        set_callback_error_handler(None)
    assert len(errors) == 1
    exc, got_handle = errors[0]
    assert isinstance(exc, KeyError)
    assert got_handle is handle
    # The run carries on, and the next callback still ran.
    assert trace == ["after"]


def test_callback_error_without_handler_crashes_the_run() -> None:
    cleanup: list[str] = []

    def bad() -> None:
        raise KeyError("bad callback")

    async def main() -> None:
        schedule_callback(bad)
        try:
            await tether.sleep_forever()
        finally:
            cleanup.append("main cancelled")

    with pytest.raises(tether.TetherInternalError) as info:
        tether.run(main)
    assert cleanup == ["main cancelled"]
    assert any(isinstance(e, KeyError) for e in _causes(info.value))


def test_callback_error_handler_reset_to_none_restores_the_crash() -> None:
    async def main() -> None:
        set_callback_error_handler(lambda exc, handle: None)
        set_callback_error_handler(None)
        schedule_callback(operator_div_zero)
        await tether.sleep_forever()

    with pytest.raises(tether.TetherInternalError) as info:
        tether.run(main)
    assert any(isinstance(e, ZeroDivisionError) for e in _causes(info.value))


def operator_div_zero() -> None:
    1 / 0  # noqa: B018


def test_raising_error_handler_crashes_the_run() -> None:
    def handler(exc: BaseException, handle: CallbackHandle) -> None:
        raise ValueError("handler failed") from exc

    async def main() -> None:
        set_callback_error_handler(handler)
        schedule_callback(operator_div_zero)
        await tether.sleep_forever()

    with pytest.raises(tether.TetherInternalError) as info:
        tether.run(main)
    assert any(isinstance(e, ValueError) for e in _causes(info.value))


def test_schedule_callback_at_fires_at_the_time_in_deadline_order() -> None:
    clock = MockClock(autojump_threshold=0)
    trace: list[tuple[str, float]] = []

    async def main() -> None:
        start = tether.current_time()

        def cb(name: str) -> None:
            trace.append((name, tether.current_time() - start))

        schedule_callback_at(start + 3, cb, "c")
        schedule_callback_at(start + 1, cb, "a")
        schedule_callback_at(start + 2, cb, "b1")
        schedule_callback_at(start + 2, cb, "b2")
        cancelled = schedule_callback_at(start + 1.5, cb, "cancelled")
        assert cancelled.when() == start + 1.5
        cancelled.cancel()
        assert cancelled.cancelled()
        await tether.sleep(0.5)
        assert trace == []
        await tether.sleep(10)

    tether.run(main, clock=clock)
    assert trace == [("a", 1), ("b1", 2), ("b2", 2), ("c", 3)]


def test_schedule_callback_at_in_the_past_runs_soon() -> None:
    trace: list[str] = []

    async def main() -> None:
        schedule_callback_at(tether.current_time() - 5, trace.append, "past")
        schedule_callback_at(-math.inf, trace.append, "minus inf")
        await wait_all_tasks_blocked()
        # Both are due: they run in deadline order.
        assert trace == ["minus inf", "past"]

    tether.run(main, clock=MockClock(autojump_threshold=0))


async def test_schedule_callback_at_nan_is_rejected() -> None:
    with pytest.raises(ValueError, match="NaN"):
        schedule_callback_at(math.nan, print)


def test_schedule_callback_at_context() -> None:
    seen: list[str] = []

    async def main() -> None:
        ctx = contextvars.copy_context()
        ctx.run(cvar.set, "timed ctx")
        when = tether.current_time() + 1
        schedule_callback_at(when, lambda: seen.append(cvar.get()), context=ctx)
        await tether.sleep(2)

    tether.run(main, clock=MockClock(autojump_threshold=0))
    assert seen == ["timed ctx"]


# -- spawn_owned -----------------------------------------------------------------


async def test_spawn_owned_drives_a_coroutine_object() -> None:
    exits: list[tuple[Task, outcome.Outcome[Any]]] = []

    async def work(x: int) -> int:
        await lowlevel.checkpoint()
        return x * 2

    coro = work(21)
    task = spawn_owned(coro, name="worker", on_exit=lambda t, o: exits.append((t, o)))
    assert task.coro is coro
    assert task.name == "worker"
    await wait_all_tasks_blocked()
    assert exits == [(task, outcome.Value(42))]


async def test_spawn_owned_default_name() -> None:
    async def some_coroutine_function() -> None:
        pass

    task = spawn_owned(some_coroutine_function(), on_exit=lambda t, o: None)
    assert "some_coroutine_function" in task.name
    await wait_all_tasks_blocked()


async def test_spawn_owned_error_goes_to_on_exit() -> None:
    exits: list[outcome.Outcome[Any]] = []

    async def fail() -> None:
        await lowlevel.checkpoint()
        raise ValueError("owned failure")

    spawn_owned(fail(), on_exit=lambda t, o: exits.append(o))
    await wait_all_tasks_blocked()
    assert len(exits) == 1
    result = exits[0]
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, ValueError)
    # The run is fine: we are still here, and not cancelled.
    await lowlevel.checkpoint()


async def test_spawn_owned_context() -> None:
    seen: list[str] = []

    async def read() -> None:
        seen.append(cvar.get())
        cvar.set("changed in owned task")

    ctx = contextvars.copy_context()
    ctx.run(cvar.set, "explicit ctx")
    spawn_owned(read(), context=ctx, on_exit=lambda t, o: None)
    await wait_all_tasks_blocked()
    assert seen == ["explicit ctx"]
    assert ctx[cvar] == "changed in owned task"

    # Default: a copy of the caller's context.
    cvar.set("caller's value")
    task = spawn_owned(read(), on_exit=lambda t, o: None)
    await wait_all_tasks_blocked()
    assert seen == ["explicit ctx", "caller's value"]
    assert cvar.get() == "caller's value"
    assert task.context is not contextvars.copy_context()


def test_spawn_owned_task_is_cancelled_when_main_exits() -> None:
    exits: list[outcome.Outcome[Any]] = []
    cleanup: list[str] = []

    async def forever() -> None:
        try:
            await tether.sleep_forever()
        finally:
            cleanup.append("owned cleanup")

    async def main() -> str:
        spawn_owned(forever(), on_exit=lambda t, o: exits.append(o))
        await wait_all_tasks_blocked()
        assert exits == []
        return "main result"

    assert tether.run(main) == "main result"
    assert cleanup == ["owned cleanup"]
    assert len(exits) == 1
    result = exits[0]
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, tether.Cancelled)


def test_spawn_owned_on_exit_error_crashes_the_run() -> None:
    async def noop() -> None:
        pass

    def bad_on_exit(task: Task, result: outcome.Outcome[Any]) -> None:
        raise KeyError("on_exit failed")

    async def main() -> None:
        spawn_owned(noop(), on_exit=bad_on_exit)
        await tether.sleep_forever()

    with pytest.raises(tether.TetherInternalError) as info:
        tether.run(main)
    assert any(isinstance(e, KeyError) for e in _causes(info.value))


async def test_spawn_owned_rejects_non_coroutines() -> None:
    async def afn() -> None:
        pass

    with pytest.raises(TypeError):
        spawn_owned(afn, on_exit=lambda t, o: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        spawn_owned(42, on_exit=lambda t, o: None)  # type: ignore[arg-type]


def test_spawn_owned_outside_a_run() -> None:
    async def afn() -> None:
        pass  # pragma: no cover

    coro = afn()
    try:
        with pytest.raises(RuntimeError):
            spawn_owned(coro, on_exit=lambda t, o: None)
    finally:
        coro.close()


# -- set_cancelled_class ------------------------------------------------------------


class MyCancelled(tether.Cancelled):
    pass


def test_set_cancelled_class() -> None:
    async def main() -> None:
        set_cancelled_class(MyCancelled)
        caught: list[BaseException] = []
        with tether.CancelScope() as scope:
            scope.cancel()
            try:
                await lowlevel.checkpoint()
            except tether.Cancelled as exc:
                caught.append(exc)
                raise
        assert scope.cancelled_caught
        assert type(caught[0]) is MyCancelled

        # Also for deadlines and blocked tasks.
        with tether.move_on_after(1) as scope2:
            try:
                await tether.sleep_forever()
            except MyCancelled:
                caught.append(MyCancelled._create())
                raise
        assert scope2.cancelled_caught
        assert len(caught) == 2

    tether.run(main, clock=MockClock(autojump_threshold=0))

    # It is per run.
    async def plain() -> type[BaseException]:
        with tether.CancelScope() as scope:
            scope.cancel()
            try:
                await lowlevel.checkpoint()
            except tether.Cancelled as exc:
                return type(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    assert tether.run(plain) is tether.Cancelled


async def test_set_cancelled_class_rejects_other_classes() -> None:
    with pytest.raises(TypeError):
        set_cancelled_class(KeyError)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        set_cancelled_class(BaseException)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        set_cancelled_class("Cancelled")  # type: ignore[arg-type]
    # The class may still be set back to the plain one.
    set_cancelled_class(tether.Cancelled)


# -- Task.companion ----------------------------------------------------------------------


async def test_task_companion_slot() -> None:
    me = current_task()
    assert me.companion is None
    marker = object()
    me.companion = marker
    await lowlevel.checkpoint()
    assert current_task().companion is marker
    me.companion = None


# -- detaching coroutines ------------------------------------------------------------------


async def test_temporarily_detach_and_reattach() -> None:
    tasks: dict[str, Task] = {}
    log: list[str] = []

    async def unrelated() -> None:
        tasks["unrelated"] = current_task()

    async def detachable() -> None:
        await lowlevel.checkpoint()
        tasks["detachable"] = current_task()

        def abort_fn(_: lowlevel.RaiseCancelT) -> lowlevel.Abort:  # pragma: no cover
            return lowlevel.Abort.FAILED

        got = await lowlevel.temporarily_detach_coroutine_object(abort_fn)
        log.append(f"got {got!r}")
        log.append(f"foreign sent {await _foreign_yield('first')!r}")
        log.append(f"foreign sent {await _foreign_yield('second')!r}")
        with pytest.raises(RuntimeError):
            await lowlevel.reattach_detached_coroutine_object(tasks["unrelated"], None)
        # (current_task() would be the foreign driver's task here.)
        await lowlevel.reattach_detached_coroutine_object(tasks["detachable"], "goodbye")
        log.append("reattached")
        await lowlevel.checkpoint()
        log.append("done")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(unrelated)
        nursery.start_soon(detachable)
        await wait_all_tasks_blocked()
        coro: Any = tasks["detachable"].coro
        # We are now the coroutine's driver.
        assert coro.send("hello from outside") == "first"
        assert coro.send(1) == "second"
        assert coro.send(2) == "goodbye"
        assert log == ["got 'hello from outside'", "foreign sent 1", "foreign sent 2"]
    assert log[-2:] == ["reattached", "done"]


async def test_detached_coroutine_cancellation_calls_abort_fn() -> None:
    abort_calls: list[str] = []
    tasks: list[Task] = []

    async def detachable() -> None:
        tasks.append(current_task())

        def abort_fn(_: lowlevel.RaiseCancelT) -> lowlevel.Abort:
            abort_calls.append("abort")
            return lowlevel.Abort.FAILED

        await lowlevel.temporarily_detach_coroutine_object(abort_fn)
        await lowlevel.reattach_detached_coroutine_object(tasks[0], None)
        await lowlevel.checkpoint()  # raises Cancelled

    async with tether.open_nursery() as nursery:
        nursery.start_soon(detachable)
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
        assert abort_calls == ["abort"]
        coro: Any = tasks[0].coro
        # Abort failed: the task stays detached until the foreign driver lets go.
        assert coro.send(None) is None
    assert nursery.cancel_scope.cancelled_caught


async def test_permanently_detach() -> None:
    tasks: list[Task] = []
    pdco: list[outcome.Outcome[Any]] = []

    async def detachable(final: outcome.Outcome[Any], yield_value: object) -> None:
        await lowlevel.checkpoint()
        tasks.append(current_task())
        pdco.append(await outcome.acapture(lowlevel.permanently_detach_coroutine_object, final))
        await _foreign_yield(yield_value)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(detachable, outcome.Value(None), "free")
    # The task is over, as far as tether is concerned; the coroutine lives on.
    assert pdco == []
    coro: Any = tasks[0].coro
    assert coro.send("sent by new owner") == "free"
    assert pdco == [outcome.Value("sent by new owner")]
    with pytest.raises(StopIteration):
        coro.send(None)

    # The task may end with an error instead.
    tasks.clear()
    pdco.clear()
    with pytest.RaisesGroup(KeyError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(detachable, outcome.Error(KeyError("bye")), "uh oh")
    coro = tasks[0].coro
    thrown = ValueError()
    assert coro.throw(thrown) == "uh oh"
    assert pdco == [outcome.Error(thrown)]
    coro.close()


async def test_permanently_detach_result_is_the_task_outcome() -> None:
    exits: list[outcome.Outcome[Any]] = []

    async def detachable() -> None:
        await lowlevel.permanently_detach_coroutine_object(outcome.Value("final"))

    coro = detachable()
    spawn_owned(coro, on_exit=lambda t, o: exits.append(o))
    await wait_all_tasks_blocked()
    assert exits == [outcome.Value("final")]
    coro.close()


async def test_permanently_detach_with_open_nursery_is_an_error() -> None:
    async with tether.open_nursery():
        with pytest.raises(RuntimeError):
            await lowlevel.permanently_detach_coroutine_object(outcome.Value(None))
