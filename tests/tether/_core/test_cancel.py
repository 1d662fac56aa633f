"""Cancel scopes, Cancelled, shielding, deadlines and the checkpoint traps."""

from __future__ import annotations

import math
import pickle
from typing import TYPE_CHECKING, Any

import outcome
import pytest

import tether
from tether.lowlevel import (
    Abort,
    cancel_shielded_checkpoint,
    checkpoint,
    checkpoint_if_cancelled,
    current_task,
    reschedule,
    wait_task_rescheduled,
)
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tether.lowlevel import RaiseCancelT

inf = math.inf


def run_mock(fn: Callable[[], Awaitable[object]], *, autojump: bool = False) -> None:
    clock = MockClock(autojump_threshold=0) if autojump else MockClock()
    tether.run(fn, clock=clock)


async def catch_cancelled(fn: Callable[[], Awaitable[object]]) -> tether.Cancelled:
    try:
        await fn()
    except tether.Cancelled as exc:
        return exc
    raise AssertionError("expected Cancelled")


# -- basics -------------------------------------------------------------------------


async def test_cancel_then_checkpoint_is_caught_by_the_scope() -> None:
    reached = False
    with tether.CancelScope() as scope:
        assert not scope.cancel_called
        scope.cancel()
        assert scope.cancel_called
        await checkpoint()
        reached = True  # pragma: no cover
    assert not reached
    assert scope.cancel_called
    assert scope.cancelled_caught


async def test_uncancelled_scope_catches_nothing() -> None:
    with tether.CancelScope() as scope:
        await checkpoint()
    assert not scope.cancel_called
    assert not scope.cancelled_caught


async def test_cancel_is_idempotent() -> None:
    with tether.CancelScope() as scope:
        scope.cancel("first")
        scope.cancel("second")
        exc = await catch_cancelled(checkpoint)
        assert exc.reason == "first"
        await checkpoint()
    assert scope.cancelled_caught


async def test_cancellation_is_level_triggered() -> None:
    count = 0
    with tether.CancelScope() as scope:
        scope.cancel()
        for _ in range(3):
            try:
                await checkpoint()
            except tether.Cancelled:
                count += 1
        with pytest.raises(tether.Cancelled):
            await tether.sleep_forever()
        with pytest.raises(tether.Cancelled):
            await tether.sleep(1)
    assert count == 3
    # No Cancelled escaped into the scope's exit, so it did not catch one.
    assert not scope.cancelled_caught
    # Outside the scope, checkpoints are quiet again.
    await checkpoint()


async def test_cancel_before_entering_is_delivered_on_entry() -> None:
    scope = tether.CancelScope()
    scope.cancel()
    assert scope.cancel_called
    with scope:
        await checkpoint()
    assert scope.cancelled_caught


async def test_pending_cancel_not_delivered_after_scope_exit() -> None:
    with tether.CancelScope() as scope:
        scope.cancel()
        await cancel_shielded_checkpoint()
    assert not scope.cancelled_caught
    await checkpoint()


# -- Cancelled itself ----------------------------------------------------------------


def test_cancelled_has_no_public_constructor() -> None:
    ctor: Any = tether.Cancelled
    with pytest.raises(TypeError):
        ctor()
    with pytest.raises(TypeError):
        ctor(source="explicit")


def test_cancelled_is_a_base_exception() -> None:
    # (Unlike Trio, tether lets Cancelled be subclassed at runtime, on purpose:
    # lowlevel.set_cancelled_class needs that.)
    assert issubclass(tether.Cancelled, BaseException)
    assert not issubclass(tether.Cancelled, Exception)


async def test_cancelled_explicit_source_reason_task_and_str() -> None:
    with tether.CancelScope() as scope:
        scope.cancel("because")
        exc = await catch_cancelled(checkpoint)
    me = repr(current_task())
    assert exc.source == "explicit"
    assert exc.reason == "because"
    assert exc.source_task == me
    assert str(exc) == f"cancelled due to explicit with reason 'because' from task {me}"


async def test_cancelled_explicit_without_reason() -> None:
    with tether.CancelScope() as scope:
        scope.cancel()
        exc = await catch_cancelled(checkpoint)
    assert exc.source == "explicit"
    assert exc.reason is None
    assert str(exc) == f"cancelled due to explicit from task {current_task()!r}"


def test_cancel_outside_a_run_has_no_source_task() -> None:
    scope = tether.CancelScope()
    scope.cancel("early")
    seen: list[tether.Cancelled] = []

    async def main() -> None:
        with scope:
            seen.append(await catch_cancelled(checkpoint))

    tether.run(main)
    assert seen[0].source == "explicit"
    assert seen[0].source_task is None
    assert str(seen[0]) == "cancelled due to explicit with reason 'early'"


def test_cancelled_source_deadline() -> None:
    seen: list[tether.Cancelled] = []

    async def main() -> None:
        with tether.CancelScope(deadline=5) as scope:
            seen.append(await catch_cancelled(tether.sleep_forever))
        assert tether.current_time() == 5
        assert scope.cancel_called
        assert not scope.cancelled_caught  # we caught it ourselves

    run_mock(main, autojump=True)
    exc = seen[0]
    assert exc.source == "deadline"
    assert exc.reason is None
    assert exc.source_task is None
    assert str(exc) == "cancelled due to deadline"


async def test_cancelled_source_nursery_when_sibling_fails() -> None:
    seen: list[tether.Cancelled] = []
    crasher_repr: list[str] = []

    async def sleeper() -> None:
        seen.append(await catch_cancelled(tether.sleep_forever))

    async def crasher() -> None:
        crasher_repr.append(repr(current_task()))
        raise ValueError("boom")

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(sleeper)
            await wait_all_tasks_blocked()
            nursery.start_soon(crasher)

    with pytest.raises(ExceptionGroup) as info:
        await body()
    assert [type(e) for e in info.value.exceptions] == [ValueError]
    exc = seen[0]
    assert exc.source == "nursery"
    assert exc.source_task == crasher_repr[0]
    assert exc.reason is not None
    assert "ValueError('boom')" in exc.reason
    assert str(exc).startswith("cancelled due to nursery with reason ")


def test_cancelled_source_shutdown_for_system_tasks() -> None:
    seen: list[tether.Cancelled] = []

    async def system() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled as exc:
            seen.append(exc)
            raise

    async def main() -> None:
        tether.lowlevel.spawn_system_task(system)
        await wait_all_tasks_blocked()

    tether.run(main)
    assert len(seen) == 1
    assert seen[0].source == "shutdown"
    assert str(seen[0]).startswith("cancelled due to shutdown")


async def test_cancelled_pickles_with_its_attributes() -> None:
    with tether.CancelScope() as scope:
        scope.cancel("pickled")
        exc = await catch_cancelled(checkpoint)
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is tether.Cancelled
    assert (copy.source, copy.reason, copy.source_task) == (
        exc.source,
        exc.reason,
        exc.source_task,
    )


# -- shields ------------------------------------------------------------------------


async def test_shield_keeps_outer_cancel_out_until_it_ends() -> None:
    record: list[str] = []
    with tether.CancelScope() as outer:
        outer.cancel()
        with tether.CancelScope(shield=True) as inner:
            assert inner.shield
            for _ in range(3):
                await checkpoint()
            await tether.sleep(0)
            record.append("shielded work done")
        assert not inner.cancelled_caught
        record.append("after shield")
        await checkpoint()
        record.append("not reached")  # pragma: no cover
    assert record == ["shielded work done", "after shield"]
    assert outer.cancelled_caught


async def test_shield_does_not_block_own_cancel() -> None:
    with tether.CancelScope() as outer:
        outer.cancel()
        with tether.CancelScope(shield=True) as inner:
            inner.cancel()
            await checkpoint()
        assert inner.cancelled_caught
    # The outer cancellation was never delivered at a checkpoint.
    assert not outer.cancelled_caught


async def test_unshielding_at_runtime_delivers_pending_cancel() -> None:
    with tether.CancelScope() as outer, tether.CancelScope(shield=True) as inner:
        outer.cancel()
        await checkpoint()  # shielded
        inner.shield = False
        with pytest.raises(tether.Cancelled):
            await checkpoint()
        inner.shield = True
        await checkpoint()  # shielded again
    assert not inner.cancelled_caught


async def test_shield_set_before_entering() -> None:
    scope = tether.CancelScope()
    assert not scope.shield
    scope.shield = True
    with tether.CancelScope() as outer, scope:
        outer.cancel()
        await checkpoint()
        scope.shield = False
        with pytest.raises(tether.Cancelled):
            await checkpoint()


async def test_shield_must_be_a_bool() -> None:
    scope = tether.CancelScope()
    value: Any = 1
    with pytest.raises(TypeError):
        scope.shield = value
    assert scope.shield is False


async def test_shielding_wakes_blocked_task_when_removed() -> None:
    record: list[str] = []
    inner_box: list[tether.CancelScope] = []

    outer = tether.CancelScope()

    async def child() -> None:
        with outer, tether.CancelScope(shield=True) as inner:
            inner_box.append(inner)
            try:
                await tether.sleep_forever()
            except tether.Cancelled:
                record.append("child cancelled")
                raise

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child)
        await wait_all_tasks_blocked()
        outer.cancel()
        await wait_all_tasks_blocked()
        assert record == []
        inner_box[0].shield = False
    assert record == ["child cancelled"]
    assert outer.cancelled_caught
    assert not inner_box[0].cancelled_caught


async def test_unshield_while_cancel_propagating() -> None:
    with tether.CancelScope() as outer, tether.CancelScope() as inner:
        outer.cancel()
        try:
            await checkpoint()
        finally:
            inner.shield = True
    assert outer.cancelled_caught
    assert not inner.cancelled_caught


# -- nesting -----------------------------------------------------------------------


async def test_outermost_cancelled_scope_catches() -> None:
    with tether.CancelScope() as s1, tether.CancelScope() as s2, tether.CancelScope() as s3:
        s3.cancel()
        s2.cancel()
        await tether.sleep_forever()
    assert s3.cancel_called
    assert not s3.cancelled_caught
    assert s2.cancel_called
    assert s2.cancelled_caught
    assert not s1.cancel_called
    assert not s1.cancelled_caught


async def test_inner_scope_cancelled_later_does_not_steal() -> None:
    with tether.CancelScope() as outer, tether.CancelScope() as inner:
        outer.cancel()
        try:
            await checkpoint()
        finally:
            inner.cancel()
    assert outer.cancelled_caught
    assert not inner.cancelled_caught


async def test_inner_only_cancel_is_caught_by_inner() -> None:
    with tether.CancelScope() as outer:
        with tether.CancelScope() as inner:
            inner.cancel()
            await checkpoint()
        assert inner.cancelled_caught
        await checkpoint()
    assert not outer.cancelled_caught


async def test_cancelling_nursery_scope_cancels_children() -> None:
    record: list[str] = []

    async def child(name: str) -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append(name)
            raise

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child, "a")
        nursery.start_soon(child, "b")
        await wait_all_tasks_blocked()
        assert record == []
        nursery.cancel_scope.cancel()
    assert sorted(record) == ["a", "b"]
    assert nursery.cancel_scope.cancelled_caught


async def test_cancel_reaches_tasks_in_nested_nurseries() -> None:
    record: list[str] = []

    async def grandchild() -> None:
        try:
            await tether.sleep_forever()
        finally:
            record.append("grandchild")

    async def child() -> None:
        async with tether.open_nursery() as inner:
            inner.start_soon(grandchild)

    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
            await wait_all_tasks_blocked()
            scope.cancel()
    assert record == ["grandchild"]
    assert scope.cancelled_caught


# -- deadlines ---------------------------------------------------------------------


def test_deadline_constructor_and_properties() -> None:
    async def main() -> None:
        scope = tether.CancelScope(deadline=10)
        assert scope.deadline == 10
        assert scope.is_relative is False
        with pytest.raises(RuntimeError, match="non-relative"):
            _ = scope.relative_deadline
        with pytest.raises(RuntimeError, match="non-relative"):
            scope.relative_deadline = 3
        with scope:
            assert scope.is_relative is None
            assert scope.deadline == 10
            assert scope.relative_deadline == 10
            assert tether.current_effective_deadline() == 10
        assert scope.is_relative is None

        plain = tether.CancelScope()
        assert plain.deadline == inf
        assert plain.is_relative is False
        assert plain.relative_deadline == inf

    run_mock(main)


def test_relative_deadline_is_computed_on_entry() -> None:
    async def main() -> None:
        clock = tether.lowlevel.current_clock()
        assert isinstance(clock, MockClock)
        scope = tether.CancelScope(relative_deadline=5)
        assert scope.is_relative is True
        assert scope.relative_deadline == 5
        with pytest.raises(RuntimeError, match="Unentered relative cancel scope"):
            _ = scope.deadline
        with pytest.raises(RuntimeError, match="Unentered relative cancel scope"):
            scope.deadline = 3
        scope.relative_deadline = 7  # still unentered: just replaces it
        assert scope.relative_deadline == 7
        clock.jump(3)
        with scope:
            assert scope.is_relative is None
            assert scope.deadline == 10
            assert scope.relative_deadline == 7
            clock.jump(2)
            assert scope.relative_deadline == 5
            scope.relative_deadline = 1
            assert scope.deadline == 6
            scope.deadline = 20
            assert scope.relative_deadline == 15

    run_mock(main)


def test_deadline_validation() -> None:
    nan = math.nan
    with pytest.raises(ValueError, match="NaN"):
        tether.CancelScope(deadline=nan)
    with pytest.raises(ValueError, match="NaN"):
        tether.CancelScope(relative_deadline=nan)
    with pytest.raises(ValueError, match="non-negative"):
        tether.CancelScope(relative_deadline=-1)
    with pytest.raises(ValueError, match="both"):
        tether.CancelScope(deadline=1, relative_deadline=2)
    # A negative absolute deadline is fine (it is just in the past).
    tether.CancelScope(deadline=-1)

    scope = tether.CancelScope()
    with pytest.raises(ValueError, match="NaN"):
        scope.deadline = nan
    with pytest.raises(ValueError, match="NaN"):
        scope.relative_deadline = nan
    with pytest.raises(ValueError, match="non-negative"):
        scope.relative_deadline = -3
    assert scope.deadline == inf
    scope.relative_deadline = 5
    assert scope.relative_deadline == 5
    assert scope.is_relative is True


def test_deadline_settable_before_and_after_entering() -> None:
    async def main() -> None:
        clock = tether.lowlevel.current_clock()
        assert isinstance(clock, MockClock)
        scope = tether.CancelScope()
        scope.deadline = 4
        assert scope.deadline == 4
        with scope:
            scope.deadline = 8
            clock.jump(5)
            await checkpoint()  # 5 < 8: not cancelled
            assert not scope.cancel_called
            scope.deadline -= 4  # now in the past
            await checkpoint()
        assert scope.cancelled_caught
        assert tether.current_time() == 5

    run_mock(main)


def test_deadline_expires_while_blocked() -> None:
    async def main() -> None:
        with tether.CancelScope(relative_deadline=2.5) as scope:
            await tether.sleep(100)
        assert scope.cancelled_caught
        assert tether.current_time() == 2.5

    run_mock(main, autojump=True)


def test_scope_entered_with_past_deadline_is_cancelled_at_once() -> None:
    async def main() -> None:
        clock = tether.lowlevel.current_clock()
        assert isinstance(clock, MockClock)
        clock.jump(10)
        with tether.CancelScope(deadline=3) as scope:
            assert scope.cancel_called
            assert tether.current_effective_deadline() == -inf
            exc = await catch_cancelled(checkpoint_if_cancelled)
            assert exc.source == "deadline"
            await checkpoint()
        assert scope.cancelled_caught

        with tether.CancelScope(relative_deadline=0) as zero:
            await checkpoint()
        assert zero.cancelled_caught

    run_mock(main)


def test_deadline_moved_later_before_it_fires_unexpires() -> None:
    async def main() -> None:
        clock = tether.lowlevel.current_clock()
        assert isinstance(clock, MockClock)
        with tether.CancelScope(deadline=5) as scope:
            clock.jump(6)  # the deadline has passed, but the loop has not noticed yet
            scope.deadline = 10  # moved later: it never fires at 5
            await checkpoint()
            await checkpoint()
            assert not scope.cancel_called
            clock.jump(5)
            await checkpoint()
        assert scope.cancelled_caught
        assert tether.current_time() == 11

    run_mock(main)


def test_deadline_once_fired_stays_cancelled() -> None:
    async def main() -> None:
        with tether.CancelScope(deadline=5) as scope:
            with pytest.raises(tether.Cancelled):
                await tether.sleep_forever()
            scope.deadline = 100
            assert scope.cancel_called
            with pytest.raises(tether.Cancelled):
                await checkpoint()

        # Unentered: reading cancel_called notices a passed deadline, for good.
        unentered = tether.CancelScope(deadline=tether.current_time() + 1)
        assert not unentered.cancel_called
        unentered.deadline -= 1
        assert unentered.cancel_called
        unentered.deadline += 1
        assert unentered.cancel_called

    run_mock(main, autojump=True)


def test_current_effective_deadline() -> None:
    async def main() -> None:
        assert tether.current_effective_deadline() == inf
        with tether.CancelScope(deadline=5) as s1:
            with tether.CancelScope(deadline=10) as s2:
                assert tether.current_effective_deadline() == 5
                s2.deadline = 3
                assert tether.current_effective_deadline() == 3
                s2.deadline = 10
                assert tether.current_effective_deadline() == 5
                s2.shield = True  # the shield stops the lookup
                assert tether.current_effective_deadline() == 10
                s2.shield = False
                assert tether.current_effective_deadline() == 5
                s1.cancel()
                assert tether.current_effective_deadline() == -inf
                s2.shield = True
                assert tether.current_effective_deadline() == 10
                with tether.CancelScope(shield=True):
                    assert tether.current_effective_deadline() == inf
            assert tether.current_effective_deadline() == -inf
        assert tether.current_effective_deadline() == inf

    run_mock(main)


def test_current_effective_deadline_in_child_task() -> None:
    seen: list[float] = []

    async def child() -> None:
        seen.append(tether.current_effective_deadline())

    async def main() -> None:
        with tether.move_on_at(42):
            async with tether.open_nursery() as nursery:
                nursery.start_soon(child)

    run_mock(main)
    assert seen == [42]


# -- misuse ---------------------------------------------------------------------


async def test_scope_cannot_be_reused_or_reentered() -> None:
    with tether.CancelScope() as scope, pytest.raises(RuntimeError, match="single 'with' block"):
        scope.__enter__()
    with pytest.raises(RuntimeError, match="single 'with' block"):
        scope.__enter__()
    # The failed re-entries left the scope's state alone.
    assert not scope.cancelled_caught
    await checkpoint()


async def test_scope_cannot_be_entered_by_two_tasks() -> None:
    scope = tether.CancelScope()

    async def enter() -> None:
        with scope:
            await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(enter)
        await wait_all_tasks_blocked()
        with pytest.raises(RuntimeError, match="single 'with' block"), scope:
            pass  # pragma: no cover
        scope.cancel()
    assert scope.cancelled_caught


async def test_misnesting_is_detected() -> None:
    outer = tether.CancelScope()
    inner = tether.CancelScope()
    outer.__enter__()
    inner.__enter__()
    with pytest.raises(RuntimeError, match="Cancel scope stack corrupted") as info:
        outer.__exit__(None, None, None)
    assert "still within its child" in str(info.value)
    # Exiting the abandoned inner scope afterwards raises nothing more.
    assert inner.__exit__(None, None, None)
    # And the task is back to its original, uncancelled state.
    await checkpoint()
    assert tether.current_effective_deadline() == inf


async def test_exiting_already_exited_scope() -> None:
    scope = tether.CancelScope()
    with scope:
        pass
    with pytest.raises(RuntimeError, match="already been exited"):
        scope.__exit__(None, None, None)


async def test_exit_from_another_task_is_an_error() -> None:
    async def holder(task_status: tether.TaskStatus[tether.CancelScope]) -> None:
        with tether.CancelScope() as scope:
            task_status.started(scope)
            await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        scope = await nursery.start(holder)
        with pytest.raises(RuntimeError, match="Cancel scope stack corrupted") as info:
            scope.__exit__(None, None, None)
        assert "from unrelated" in str(info.value)
        # No state was harmed: the scope still works for its owner.
        assert "active" in repr(scope)
        scope.cancel()
    assert scope.cancelled_caught


# -- repr -----------------------------------------------------------------------


def test_repr() -> None:
    async def main() -> None:
        scope = tether.CancelScope()
        assert "unbound" in repr(scope)
        assert "deadline" not in repr(scope)
        with scope:
            assert "active" in repr(scope)
            scope.deadline = tether.current_time() - 1
            assert "deadline is 1.00 seconds ago" in repr(scope)
            scope.deadline = tether.current_time() + 10
            assert "deadline is 10.00 seconds from now" in repr(scope)
            scope.cancel()
            assert "cancelled" in repr(scope)
            assert "deadline is" not in repr(scope)
        assert "exited" in repr(scope)
        assert repr(scope).startswith("<tether.CancelScope at 0x")

    run_mock(main)
    # Outside a run the deadline cannot be shown relative to "now".
    lone = tether.CancelScope(deadline=5)
    assert "unbound" in repr(lone)
    assert "deadline" not in repr(lone)


# -- exception groups --------------------------------------------------------------


async def test_cancelled_split_out_of_exception_group() -> None:
    scope = tether.CancelScope()

    async def body() -> None:
        with scope:
            scope.cancel()
            cancelled = await catch_cancelled(checkpoint)
            raise BaseExceptionGroup("mixed", [cancelled, ValueError("kept")])

    with pytest.raises(ExceptionGroup) as info:
        await body()
    assert scope.cancelled_caught
    assert [type(e) for e in info.value.exceptions] == [ValueError]
    assert str(info.value.exceptions[0]) == "kept"


async def test_group_of_only_cancelled_is_swallowed() -> None:
    with tether.CancelScope() as scope:
        scope.cancel()
        first = await catch_cancelled(checkpoint)
        second = await catch_cancelled(checkpoint)
        raise BaseExceptionGroup("only", [first, BaseExceptionGroup("nested", [second])])
    assert scope.cancelled_caught


async def test_cancel_scope_filters_nursery_group() -> None:
    async def crasher() -> None:
        raise KeyError("crash")

    outer = tether.CancelScope()

    async def body() -> None:
        with outer:
            async with tether.open_nursery() as nursery:
                nursery.start_soon(tether.sleep_forever)
                nursery.start_soon(tether.sleep_forever)
                await wait_all_tasks_blocked()
                outer.cancel()
                nursery.start_soon(crasher)
                await tether.sleep_forever()

    with pytest.raises(ExceptionGroup) as info:
        await body()
    assert outer.cancelled_caught

    def leaves(exc: BaseException) -> list[BaseException]:
        if isinstance(exc, BaseExceptionGroup):
            return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
        return [exc]

    assert [type(e) for e in leaves(info.value)] == [KeyError]


async def test_non_cancel_exception_passes_through_cancelled_scope() -> None:
    scope = tether.CancelScope()

    def body() -> None:
        with scope:
            scope.cancel()
            raise ValueError("through")

    with pytest.raises(ValueError, match="through"):
        body()
    assert not scope.cancelled_caught


# -- abort functions ---------------------------------------------------------------


async def test_abort_function_called_once_when_it_fails() -> None:
    calls: list[object] = []
    result: list[object] = []
    task_box: list[tether.lowlevel.Task] = []

    def abort(raise_cancel: RaiseCancelT) -> Abort:
        calls.append(raise_cancel)
        return Abort.FAILED

    async def waiter(outer: tether.CancelScope, inner: tether.CancelScope) -> None:
        task_box.append(current_task())
        with outer, inner:
            result.append(await wait_task_rescheduled(abort))
            with pytest.raises(tether.Cancelled):
                await checkpoint()

    outer = tether.CancelScope()
    inner = tether.CancelScope()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter, outer, inner)
        await wait_all_tasks_blocked()
        assert calls == []
        inner.cancel()
        assert len(calls) == 1
        # Further cancellations reaching the same wait do not call it again.
        outer.cancel()
        inner.cancel()
        inner.deadline = -inf
        await wait_all_tasks_blocked()
        assert len(calls) == 1
        assert result == []
        # The task is still asleep; whoever wakes it decides the outcome.
        reschedule(task_box[0], outcome.Value("woken"))
    assert result == ["woken"]
    assert len(calls) == 1
    assert not outer.cancelled_caught  # the waiter caught its Cancelled itself


async def test_abort_function_succeeding_raises_cancelled() -> None:
    calls: list[str] = []

    def abort(raise_cancel: RaiseCancelT) -> Abort:
        calls.append("abort")
        return Abort.SUCCEEDED

    async def waiter() -> None:
        await wait_task_rescheduled(abort)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
        assert calls == ["abort"]
    assert calls == ["abort"]
    assert nursery.cancel_scope.cancelled_caught


async def test_wait_in_already_cancelled_scope_aborts_at_once() -> None:
    calls: list[str] = []

    def abort(raise_cancel: RaiseCancelT) -> Abort:
        calls.append("abort")
        return Abort.SUCCEEDED

    with tether.CancelScope() as scope:
        scope.cancel()
        await wait_task_rescheduled(abort)
    assert calls == ["abort"]
    assert scope.cancelled_caught


async def test_abort_function_can_capture_cancel_itself() -> None:
    captured: list[BaseException] = []

    def abort(raise_cancel: RaiseCancelT) -> Abort:
        try:
            raise_cancel()
        except tether.Cancelled as exc:
            captured.append(exc)
        return Abort.SUCCEEDED

    with tether.CancelScope() as scope:
        scope.cancel("why")
        with pytest.raises(tether.Cancelled):
            await wait_task_rescheduled(abort)
    assert len(captured) == 1
    assert isinstance(captured[0], tether.Cancelled)
    assert captured[0].reason == "why"


# -- checkpoint traps ---------------------------------------------------------------


async def _trace_two_tasks(a_body: Callable[[], Awaitable[None]]) -> list[str]:
    record: list[str] = []

    async def a() -> None:
        record.append("a1")
        await a_body()
        record.append("a2")

    async def b() -> None:
        record.append("b")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(a)
        nursery.start_soon(b)
    return record


async def test_checkpoint_is_a_schedule_point() -> None:
    assert await _trace_two_tasks(checkpoint) == ["a1", "b", "a2"]


async def test_checkpoint_if_cancelled_is_not_a_schedule_point() -> None:
    async def three() -> None:
        await checkpoint_if_cancelled()
        await checkpoint_if_cancelled()
        await checkpoint_if_cancelled()

    assert await _trace_two_tasks(three) == ["a1", "a2", "b"]


async def test_cancel_shielded_checkpoint_is_a_schedule_point() -> None:
    async def shielded_in_cancelled_scope() -> None:
        with tether.CancelScope() as scope:
            scope.cancel()
            await cancel_shielded_checkpoint()
        assert not scope.cancelled_caught

    assert await _trace_two_tasks(shielded_in_cancelled_scope) == ["a1", "b", "a2"]


async def test_checkpoint_if_cancelled_raises_when_cancelled() -> None:
    with tether.CancelScope() as scope:
        await checkpoint_if_cancelled()
        scope.cancel()
        with pytest.raises(tether.Cancelled):
            await checkpoint_if_cancelled()
        with pytest.raises(tether.Cancelled):
            await checkpoint()
    assert not scope.cancelled_caught


async def test_cancel_shielded_checkpoint_never_raises() -> None:
    with tether.CancelScope() as scope:
        scope.cancel()
        for _ in range(3):
            await cancel_shielded_checkpoint()
        await checkpoint()
    assert scope.cancelled_caught


def test_checkpoint_if_cancelled_outside_a_task() -> None:
    with pytest.raises(RuntimeError):
        checkpoint_if_cancelled()
