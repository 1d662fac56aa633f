"""Plain callbacks in the run queue and in the timer heap: the handles
``schedule_callback`` and ``schedule_callback_at`` make, and what the heap
does with many cancelled ones."""

from __future__ import annotations

import contextvars
import math
import weakref

import pytest

import tether
from tether import lowlevel
from tether.lowlevel import CallbackHandle, schedule_callback, schedule_callback_at
from tether.testing import MockClock, wait_all_tasks_blocked


def test_scheduling_a_callback_outside_a_run_is_an_error() -> None:
    with pytest.raises(RuntimeError, match=r"must be called from async context"):
        schedule_callback(print)
    with pytest.raises(RuntimeError, match=r"must be called from async context"):
        schedule_callback_at(0.0, print)


async def test_handles_start_out_complete() -> None:
    ctx = contextvars.copy_context()
    now = tether.current_time()
    soon = schedule_callback(print, "a", context=ctx)
    later = schedule_callback_at(now + 10, print, "b", "c")
    expected = ((soon, ("a",), ctx, math.inf), (later, ("b", "c"), None, now + 10))
    for handle, args, context, when in expected:
        assert type(handle) is CallbackHandle
        assert handle.callback is print
        assert handle.args == args
        assert handle.context is context
        assert handle.when() == when
        assert not handle.cancelled()
        assert repr(handle) == "<CallbackHandle print>"
        handle.cancel()
        assert handle.cancelled()
        assert repr(handle) == "<CallbackHandle cancelled>"
        # (As asyncio's Handle.cancel(): the callback and its arguments are
        # let go; the handle keeps its context.)
        assert handle.callback is not print
        assert not handle.args
        assert handle.context is context
        handle.callback()  # (a function that does nothing)
    await wait_all_tasks_blocked()


def test_many_cancelled_timers_leave_the_live_ones_in_order() -> None:
    # Enough cancellations to make the heap prune itself (more than twice
    # the live entries plus a thousand), with a cancel scope's deadline and
    # a sleeping task's among the entries that must survive.
    fired: list[tuple[int, float]] = []
    scope_expired_at: list[float] = []
    slept_until: list[float] = []

    async def main() -> None:
        start = tether.current_time()

        def record(i: int) -> None:
            fired.append((i, tether.current_time() - start))

        async def in_a_scope() -> None:
            with tether.move_on_after(2.5):
                await tether.sleep_forever()
            scope_expired_at.append(tether.current_time() - start)

        async def sleeper() -> None:
            await tether.sleep(3.25)
            slept_until.append(tether.current_time() - start)

        async with tether.open_nursery() as nursery:
            nursery.start_soon(in_a_scope)
            nursery.start_soon(sleeper)
            await wait_all_tasks_blocked()
            handles = [schedule_callback_at(start + 1 + i / 1000, record, i) for i in range(3000)]
            for i, handle in enumerate(handles):
                if i % 500 != 7:
                    handle.cancel()
            await tether.sleep(10)

    tether.run(main, clock=MockClock(autojump_threshold=0))
    assert fired == [(i, 1 + i / 1000) for i in range(7, 3000, 500)]
    assert scope_expired_at == [2.5]
    assert slept_until == [3.25]


async def test_a_timer_cancelled_in_the_iteration_it_is_due_does_not_run() -> None:
    trace: list[str] = []
    now = tether.current_time()
    due = schedule_callback_at(now - 1, trace.append, "due")
    also_due = schedule_callback_at(now - 1, trace.append, "also due")
    # (Both are due at the next iteration; the first one cancels the other
    # before it runs.)
    schedule_callback_at(now - 2, also_due.cancel)
    await wait_all_tasks_blocked()
    assert trace == ["due"]
    assert due.when() == math.inf  # fired
    assert also_due.cancelled()


async def test_timer_deadline_must_be_a_real_number() -> None:
    trace: list[str] = []
    with pytest.raises(ValueError, match="NaN"):
        schedule_callback_at(math.nan, trace.append, "nan")
    with pytest.raises(TypeError):
        schedule_callback_at("soon", trace.append, "str")  # type: ignore[arg-type]
    # An int is a real number; nothing was left behind by the refused ones.
    schedule_callback_at(int(tether.current_time()) - 1, trace.append, "int")
    await wait_all_tasks_blocked()
    assert trace == ["int"]



class _Payload:
    pass


def test_a_cancelled_timer_lets_go_of_its_arguments(no_gc: None) -> None:
    refs: list[weakref.ref[_Payload]] = []

    async def main() -> None:
        payload = _Payload()
        refs.append(weakref.ref(payload))
        handle = schedule_callback_at(tether.current_time() + 3600, print, payload)
        del payload
        assert refs[0]() is not None
        handle.cancel()  # (its entry stays in the heap until pruned)
        assert refs[0]() is None

    tether.run(main)


def test_a_finished_run_lets_go_of_its_pending_timers(no_gc: None) -> None:
    refs: list[weakref.ref[_Payload]] = []

    async def main() -> None:
        payload = _Payload()
        refs.append(weakref.ref(payload))
        schedule_callback_at(tether.current_time() + 3600, print, payload)

    tether.run(main)
    assert refs[0]() is None


def test_a_closed_stepped_run_lets_go_of_its_pending_timers(no_gc: None) -> None:
    refs: list[weakref.ref[_Payload]] = []

    async def main() -> None:
        payload = _Payload()
        refs.append(weakref.ref(payload))
        schedule_callback_at(tether.current_time() + 3600, print, payload)
        del payload
        await tether.sleep_forever()

    run = lowlevel.open_stepped_run(main)
    try:
        for _ in range(3):
            assert run.step(0.0)
        assert refs[0]() is not None
    finally:
        run.close()
    assert refs[0]() is None
