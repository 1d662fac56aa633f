"""Tests for nurseries: ``open_nursery``, ``start_soon``, ``start`` and how
errors come out of them."""

from __future__ import annotations

import contextlib
import traceback
from typing import TYPE_CHECKING, Any

import pytest

import tether
import tether.lowlevel
from tether import TASK_STATUS_IGNORED
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tether.lowlevel import Task

GROUP_MESSAGE = "Exceptions from Tether nursery"


def run_autojump(async_fn: Callable[..., Awaitable[Any]], *args: object) -> Any:
    return tether.run(async_fn, *args, clock=MockClock(autojump_threshold=0))


async def fail_with(exc: BaseException) -> None:
    raise exc


async def fail_after_checkpoint(exc: BaseException) -> None:
    await tether.sleep(0)
    raise exc


def frame_names(exc: BaseException) -> list[str]:
    return [fs.name for fs in traceback.extract_tb(exc.__traceback__)]


# ----------------------------------------------------------------------------
# Basics


async def test_nursery_waits_for_its_children() -> None:
    done: list[int] = []

    async def child(i: int) -> None:
        for _ in range(i):
            await tether.sleep(0)
        done.append(i)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child, 3)
        nursery.start_soon(child, 1)
        nursery.start_soon(child, 2)
        # start_soon returns at once: nothing has run yet.
        assert done == []
    assert done == [1, 2, 3]


async def test_child_tasks_parent_task_and_cancel_scope() -> None:
    me = tether.lowlevel.current_task()

    async def child() -> None:
        await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        assert nursery.parent_task is me
        assert nursery.child_tasks == frozenset()
        assert isinstance(nursery.child_tasks, frozenset)
        assert isinstance(nursery.cancel_scope, tether.CancelScope)
        nursery.start_soon(child, name="one")
        nursery.start_soon(child, name="two")
        tasks = nursery.child_tasks
        assert {t.name for t in tasks} == {"one", "two"}
        for task in tasks:
            assert task.parent_nursery is nursery
        await wait_all_tasks_blocked()
        assert not nursery.cancel_scope.cancel_called
        nursery.cancel_scope.cancel()
        assert nursery.cancel_scope.cancel_called
    # Cancelling the nursery's scope cancelled the children; the scope
    # caught the Cancelled, so nothing came out.
    assert nursery.cancel_scope.cancelled_caught
    assert nursery.child_tasks == frozenset()


async def test_child_tasks_shrinks_as_children_exit() -> None:
    gate = tether.Event()

    async def quick() -> None:
        pass

    async def slow() -> None:
        await gate.wait()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(quick, name="quick")
        nursery.start_soon(slow, name="slow")
        await wait_all_tasks_blocked()
        assert [t.name for t in nursery.child_tasks] == ["slow"]
        gate.set()


async def test_cancelling_the_nursery_cancels_the_body_too() -> None:
    record: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.cancel_scope.cancel()
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append("body cancelled")
            raise
    assert record == ["body cancelled"]
    assert nursery.cancel_scope.cancelled_caught


async def test_empty_nursery_is_a_schedule_point() -> None:
    record: list[str] = []

    async def other() -> None:
        record.append("other ran")

    async with tether.open_nursery() as outer:
        outer.start_soon(other)
        async with tether.open_nursery():
            pass
        # The empty inner nursery's exit let "other" run.
        assert record == ["other ran"]


async def test_children_may_spawn_siblings_while_the_nursery_is_open() -> None:
    record: list[str] = []

    async def second() -> None:
        record.append("second")

    async def first(nursery: tether.Nursery) -> None:
        await tether.sleep(0)
        # The body has finished; the nursery is still open for its children.
        nursery.start_soon(second)
        record.append("first")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(first, nursery)
    assert record == ["first", "second"]


async def test_start_soon_on_closed_nursery() -> None:
    async def child() -> None:  # pragma: no cover - never started
        pass

    async with tether.open_nursery() as nursery:
        pass
    # No coroutine object is created, so no "never awaited" warning either.
    with pytest.raises(RuntimeError, match="closed"):
        nursery.start_soon(child)
    with pytest.raises(RuntimeError, match="closed"):
        await nursery.start(child)


async def test_open_nursery_needs_async_with() -> None:
    with pytest.raises(RuntimeError, match="async with"), tether.open_nursery():
        pass  # pragma: no cover


async def test_open_nursery_strict_false_is_deprecated_and_unwraps() -> None:
    # As in Trio: asking for strict_exception_groups=False explicitly warns.
    with pytest.warns(tether.TetherDeprecationWarning, match="strict_exception_groups"):
        manager = tether.open_nursery(strict_exception_groups=False)
    with pytest.raises(KeyError):
        async with manager as nursery:
            nursery.start_soon(fail_with, KeyError("lone"))


async def test_open_nursery_strict_true_is_not_deprecated() -> None:
    # (filterwarnings=error would turn any warning into a failure.)
    with pytest.raises(ExceptionGroup):
        async with tether.open_nursery(strict_exception_groups=True) as nursery:
            nursery.start_soon(fail_with, KeyError("lone"))


async def test_start_soon_rejects_non_async_functions() -> None:
    def sync() -> None:  # pragma: no cover - never called by tether
        pass

    async with tether.open_nursery() as nursery:
        with pytest.raises(TypeError, match="synchronous"):
            nursery.start_soon(sync)  # type: ignore[arg-type]
        assert nursery.child_tasks == frozenset()


async def test_start_soon_passes_args() -> None:
    got: list[tuple[int, str]] = []

    async def child(a: int, b: str) -> None:
        got.append((a, b))

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child, 1, "b")
    assert got == [(1, "b")]


async def test_nursery_repr() -> None:
    async with tether.open_nursery() as nursery:
        assert "Nursery" in repr(nursery)


# ----------------------------------------------------------------------------
# Errors


async def group_from(body: Callable[[], Awaitable[object]]) -> BaseExceptionGroup[BaseException]:
    """Run ``body``, which must raise an exception group, and return the group."""
    with pytest.raises(BaseExceptionGroup) as info:
        await body()
    return info.value


async def test_failing_child_cancels_siblings_and_body() -> None:
    record: list[str] = []
    boom = ValueError("boom")
    nurseries: list[tether.Nursery] = []

    async def sibling() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append("sibling cancelled")
            raise

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nurseries.append(nursery)
            nursery.start_soon(sibling)
            nursery.start_soon(fail_after_checkpoint, boom)
            try:
                await tether.sleep_forever()
            except tether.Cancelled:
                record.append("body cancelled")
                raise

    group = await group_from(body)
    assert sorted(record) == ["body cancelled", "sibling cancelled"]
    assert type(group) is ExceptionGroup
    assert group.message == GROUP_MESSAGE
    # Only the real error: the Cancelled exceptions were absorbed (by the
    # nursery's own scope, which the failure cancelled).
    assert group.exceptions == (boom,)
    [nursery] = nurseries
    assert nursery.cancel_scope.cancel_called
    assert nursery.cancel_scope.cancelled_caught


async def test_single_error_is_still_grouped() -> None:
    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_with, KeyError("k"))

    group = await group_from(body)
    assert type(group) is ExceptionGroup
    assert group.message == GROUP_MESSAGE
    [exc] = group.exceptions
    assert isinstance(exc, KeyError)


async def test_base_exception_gives_base_exception_group() -> None:
    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_with, SystemExit(2))
            nursery.start_soon(fail_with, ValueError())

    group = await group_from(body)
    assert type(group) is BaseExceptionGroup
    assert not isinstance(group, ExceptionGroup)
    assert group.message == GROUP_MESSAGE
    assert {type(e) for e in group.exceptions} == {SystemExit, ValueError}


async def test_two_failing_children_both_reported_once() -> None:
    first = ValueError("first")
    second = KeyError("second")

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            # Both raise in their first step, before the cancellation that
            # the first error causes can reach the second.
            nursery.start_soon(fail_with, first)
            nursery.start_soon(fail_with, second)

    excs = (await group_from(body)).exceptions
    assert len(excs) == 2
    assert {id(e) for e in excs} == {id(first), id(second)}
    # In the order they were raised.
    assert excs == (first, second)


async def test_second_failure_after_cancellation_is_kept() -> None:
    first = ValueError("first")
    second = KeyError("second")

    async def fail_when_cancelled() -> None:
        try:
            await tether.sleep_forever()
        finally:
            raise second

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_when_cancelled)
            await wait_all_tasks_blocked()
            nursery.start_soon(fail_with, first)

    excs = (await group_from(body)).exceptions
    assert excs == (first, second)
    assert isinstance(second.__context__, tether.Cancelled)


async def test_many_failing_children_none_lost_none_duplicated() -> None:
    errors = [ValueError(i) for i in range(10)]

    async def fail_eventually(i: int) -> None:
        # Fail at different steps: some after their siblings were cancelled
        # (shielded checkpoints, so that the failure still happens).
        for _ in range(i % 3):
            await tether.lowlevel.cancel_shielded_checkpoint()
        raise errors[i]

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            for i in range(10):
                nursery.start_soon(fail_eventually, i)

    excs = (await group_from(body)).exceptions
    assert len(excs) == 10
    assert sorted(excs, key=lambda e: int(e.args[0])) == errors


async def test_error_in_body_and_in_children() -> None:
    body_error = KeyError("body")
    child_error = ValueError("child")

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_with, child_error)
            raise body_error

    excs = (await group_from(body)).exceptions
    assert len(excs) == 2
    assert set(map(id, excs)) == {id(body_error), id(child_error)}


async def test_error_in_body_cancels_children() -> None:
    record: list[str] = []

    async def child() -> None:
        try:
            await tether.sleep_forever()
        finally:
            record.append("child cleaned up")

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
            await wait_all_tasks_blocked()
            raise KeyError("body")

    group = await group_from(body)
    assert record == ["child cleaned up"]
    [exc] = group.exceptions
    assert isinstance(exc, KeyError)


async def test_body_error_while_child_fails_during_cleanup() -> None:
    async def child() -> None:
        try:
            await tether.sleep_forever()
        finally:
            raise ValueError("from cleanup")

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
            await wait_all_tasks_blocked()
            raise KeyError("body")

    excs = (await group_from(body)).exceptions
    assert sorted(type(e).__name__ for e in excs) == ["KeyError", "ValueError"]
    [cleanup_error] = [e for e in excs if isinstance(e, ValueError)]
    # The child's error happened while it handled its Cancelled.
    assert isinstance(cleanup_error.__context__, tether.Cancelled)


async def test_nested_nurseries_nest_groups() -> None:
    inner_error = ValueError("inner")
    outer_error = KeyError("outer")

    async def has_nursery() -> None:
        async with tether.open_nursery() as inner:
            inner.start_soon(fail_with, inner_error)

    async def body() -> None:
        async with tether.open_nursery() as outer:
            outer.start_soon(has_nursery)
            outer.start_soon(fail_with, outer_error)

    excs = (await group_from(body)).exceptions
    assert len(excs) == 2
    [inner_group] = [e for e in excs if isinstance(e, ExceptionGroup)]
    assert inner_group.message == GROUP_MESSAGE
    assert inner_group.exceptions == (inner_error,)
    assert [e for e in excs if e is outer_error] == [outer_error]
    # The errors themselves carry no tether-made context.
    assert inner_error.__context__ is None
    assert outer_error.__context__ is None


async def test_nested_nursery_in_body() -> None:
    async def body() -> None:
        async with tether.open_nursery() as outer:
            outer.start_soon(tether.sleep_forever)
            async with tether.open_nursery() as inner:
                inner.start_soon(fail_with, ValueError("deep"))

    [inner_group] = (await group_from(body)).exceptions
    assert isinstance(inner_group, ExceptionGroup)
    [exc] = inner_group.exceptions
    assert str(exc) == "deep"


async def test_caught_inner_group_does_not_disturb_outer_nursery() -> None:
    async with tether.open_nursery() as outer:
        outer.start_soon(tether.sleep, 0)
        try:
            async with tether.open_nursery() as inner:
                inner.start_soon(fail_with, ValueError())
        except* ValueError:
            pass
    assert not outer.cancel_scope.cancel_called


async def test_cancelled_never_appears_in_the_group() -> None:
    async def stubborn() -> None:
        # Lets its Cancelled out: the nursery's scope must absorb it.
        await tether.sleep_forever()

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(stubborn)
            nursery.start_soon(fail_after_checkpoint, ValueError())

    group = await group_from(body)
    assert [type(e) for e in group.exceptions] == [ValueError]


async def test_outer_cancel_passes_through_nursery() -> None:
    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(tether.sleep_forever)
            await wait_all_tasks_blocked()
            scope.cancel()
            await tether.sleep_forever()
    assert scope.cancelled_caught
    assert not nursery.cancel_scope.cancelled_caught


def test_child_error_reaches_run_as_group() -> None:
    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_after_checkpoint, ValueError("x"))

    with pytest.raises(ExceptionGroup) as info:
        tether.run(main)
    assert info.value.message == GROUP_MESSAGE


def test_errors_after_sleeps_with_virtual_time() -> None:
    async def fail_at(t: float, exc: BaseException) -> None:
        await tether.sleep(t)
        raise exc

    async def main() -> tuple[list[str], float]:
        async def body() -> None:
            async with tether.open_nursery() as nursery:
                nursery.start_soon(fail_at, 5, ValueError("five"))
                nursery.start_soon(fail_at, 10, ValueError("ten"))  # cancelled at t=5
                nursery.start_soon(tether.sleep, 100)  # cancelled at t=5

        group = await group_from(body)
        return [str(e) for e in group.exceptions], tether.current_time()

    assert run_autojump(main) == (["five"], 5)


# ----------------------------------------------------------------------------
# Exception chaining: exactly what the user's code made


async def child_group(child: Callable[[], Awaitable[object]]) -> BaseExceptionGroup[BaseException]:
    """Run ``child`` in a nursery; return the group the nursery raises."""

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)

    return await group_from(body)


async def test_plain_child_error_has_no_context() -> None:
    boom = ValueError("plain")

    async def child() -> None:
        await tether.sleep(0)
        await tether.sleep(0.0001)
        raise boom

    assert (await child_group(child)).exceptions == (boom,)
    assert boom.__context__ is None
    assert boom.__cause__ is None
    assert not boom.__suppress_context__


async def test_child_error_without_checkpoint_has_no_context() -> None:
    boom = ValueError("immediate")

    async def child() -> None:
        raise boom

    assert (await child_group(child)).exceptions == (boom,)
    assert boom.__context__ is None


async def test_child_error_while_parent_handles_exception_has_no_context() -> None:
    boom = ValueError("child")

    async def child() -> None:
        await tether.sleep(0)
        raise boom

    try:
        raise KeyError("parent is handling this")
    except KeyError:
        group = await child_group(child)
    assert group.exceptions == (boom,)
    # The child ran in its own task: the parent's handled exception is not
    # its context.
    assert boom.__context__ is None


async def test_sibling_errors_do_not_become_each_others_context() -> None:
    first = ValueError("first")
    second = ValueError("second")

    async def fail_on_cancel(exc: BaseException) -> None:
        with contextlib.suppress(tether.Cancelled):
            await tether.sleep_forever()
        raise exc

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_on_cancel, second)
            await wait_all_tasks_blocked()
            nursery.start_soon(fail_with, first)

    group = await group_from(body)
    assert set(group.exceptions) == {first, second}
    assert first.__context__ is None
    # "second" was raised after its ``except`` block ended: no context.
    assert second.__context__ is None


async def test_raise_from_in_child_keeps_cause() -> None:
    async def child() -> None:
        await tether.sleep(0)
        try:
            raise KeyError("original")
        except KeyError as exc:
            raise ValueError("wrapped") from exc

    [exc] = (await child_group(child)).exceptions
    assert isinstance(exc, ValueError)
    assert isinstance(exc.__cause__, KeyError)
    assert exc.__cause__.args == ("original",)
    assert exc.__suppress_context__
    assert exc.__context__ is exc.__cause__
    assert exc.__cause__.__context__ is None


async def test_raise_from_none_in_child() -> None:
    async def child() -> None:
        try:
            raise KeyError("hidden")
        except KeyError:
            raise ValueError("shown") from None

    [exc] = (await child_group(child)).exceptions
    assert exc.__cause__ is None
    assert exc.__suppress_context__
    assert isinstance(exc.__context__, KeyError)


async def test_raise_in_except_in_child_keeps_context() -> None:
    async def child() -> None:
        try:
            raise KeyError("first")
        except KeyError:
            # Suspend inside the handler: the context must survive the trip
            # through the scheduler.
            await tether.sleep(0)
            await tether.sleep(0.0001)
            raise ValueError("second")  # noqa: B904

    [exc] = (await child_group(child)).exceptions
    assert isinstance(exc, ValueError)
    assert exc.__cause__ is None
    assert isinstance(exc.__context__, KeyError)
    assert exc.__context__.__context__ is None


async def test_error_raised_after_catching_cancelled_has_cancelled_context() -> None:
    async def child() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            raise ValueError("converted")  # noqa: B904

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
            await wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()

    [exc] = (await group_from(body)).exceptions
    assert isinstance(exc.__context__, tether.Cancelled)
    assert exc.__context__.__context__ is None


async def test_group_has_no_spurious_context() -> None:
    async def child() -> None:
        await tether.sleep(0)
        raise ValueError

    group = await child_group(child)
    assert group.__context__ is None
    assert group.__cause__ is None


async def test_group_does_not_get_body_error_as_context() -> None:
    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(fail_with, ValueError())
            raise KeyError("body")

    group = await group_from(body)
    assert len(group.exceptions) == 2
    # The body's error is a member of the group, not its context.
    assert group.__context__ is None


async def test_child_traceback_shows_the_child_frames() -> None:
    async def deepest() -> None:
        await tether.sleep(0)
        raise ValueError("tb")

    async def child() -> None:
        await deepest()

    [exc] = (await child_group(child)).exceptions
    names = frame_names(exc)
    assert names[-2:] == ["child", "deepest"]

# ----------------------------------------------------------------------------
# nursery.start()


async def test_start_returns_the_started_value() -> None:
    record: list[str] = []

    async def server(port: int, *, task_status: tether.TaskStatus[int]) -> None:
        record.append("starting")
        await tether.sleep(0)
        task_status.started(port + 1)
        record.append("started")
        await tether.sleep(0)
        record.append("serving")

    async with tether.open_nursery() as nursery:
        value = await nursery.start(server, 8000)
        assert value == 8001
        # The child ran on from started() to its next checkpoint.
        assert record == ["starting", "started"]
    assert record == ["starting", "started", "serving"]


async def test_start_default_value_is_none() -> None:
    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        task_status.started()

    async with tether.open_nursery() as nursery:
        assert await nursery.start(child) is None


async def test_start_moves_the_task_into_the_target_nursery() -> None:
    seen: dict[str, object] = {}

    async def child(*, task_status: tether.TaskStatus[Task]) -> None:
        me = tether.lowlevel.current_task()
        seen["during"] = me.parent_nursery
        seen["eventual"] = me.eventual_parent_nursery
        task_status.started(me)
        seen["after"] = me.parent_nursery
        seen["eventual_after"] = me.eventual_parent_nursery
        await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        task = await nursery.start(child, name="started-child")
        assert task.name == "started-child"
        assert seen["during"] is not nursery
        assert seen["eventual"] is nursery
        assert seen["after"] is nursery
        assert seen["eventual_after"] is None
        assert task.parent_nursery is nursery
        assert nursery.child_tasks == frozenset({task})
        # The temporary nursery belonged to the caller of start().
        temp = seen["during"]
        assert isinstance(temp, tether.Nursery)
        assert temp.parent_task is tether.lowlevel.current_task()
        assert temp not in tether.lowlevel.current_task().child_nurseries
        nursery.cancel_scope.cancel()


async def test_start_into_a_different_nursery_than_the_caller() -> None:
    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        task_status.started()
        await tether.sleep_forever()

    async def starter(target: tether.Nursery) -> None:
        await target.start(child)

    async with tether.open_nursery() as target:
        async with tether.open_nursery() as other:
            other.start_soon(starter, target)
        # The starter is gone; the child lives on in target.
        await wait_all_tasks_blocked()
        [task] = target.child_tasks
        assert task.parent_nursery is target
        target.cancel_scope.cancel()


async def test_start_error_before_started_propagates_bare() -> None:
    boom = KeyError("early")

    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        await tether.sleep(0)
        raise boom

    async with tether.open_nursery() as nursery:
        with pytest.raises(KeyError) as info:
            await nursery.start(child)
        assert info.value is boom
        assert boom.__context__ is None
        # The nursery itself is unaffected.
        assert not nursery.cancel_scope.cancel_called


async def test_start_error_before_started_keeps_user_chain() -> None:
    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        try:
            raise KeyError("a")
        except KeyError as exc:
            raise ValueError("b") from exc

    async with tether.open_nursery() as nursery:
        with pytest.raises(ValueError, match="b") as info:
            await nursery.start(child)
    assert isinstance(info.value.__cause__, KeyError)


async def test_start_error_after_started_goes_to_the_nursery() -> None:
    async def child(*, task_status: tether.TaskStatus[str]) -> None:
        task_status.started("ok")
        await tether.sleep(0)
        raise ValueError("later")

    with pytest.raises(ExceptionGroup) as info:
        async with tether.open_nursery() as nursery:
            assert await nursery.start(child) == "ok"
    [exc] = info.value.exceptions
    assert str(exc) == "later"


async def test_start_child_exiting_without_started_is_runtime_error() -> None:
    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        await tether.sleep(0)

    async with tether.open_nursery() as nursery:
        with pytest.raises(RuntimeError, match=r"started\(\)"):
            await nursery.start(child)


async def test_start_calling_started_twice_is_runtime_error() -> None:
    errors: list[BaseException] = []

    async def child(*, task_status: tether.TaskStatus[int]) -> None:
        task_status.started(1)
        try:
            task_status.started(2)
        except RuntimeError as exc:
            errors.append(exc)

    async with tether.open_nursery() as nursery:
        assert await nursery.start(child) == 1
    [err] = errors
    assert "twice" in str(err)


async def test_cancelling_start_cancels_the_child() -> None:
    record: list[str] = []

    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append("child cancelled")
            raise

    async def canceller(scope: tether.CancelScope) -> None:
        await wait_all_tasks_blocked()
        scope.cancel()

    async with tether.open_nursery() as nursery:
        with tether.CancelScope() as scope:
            nursery.start_soon(canceller, scope)
            await nursery.start(child)
        assert scope.cancelled_caught
        # The nursery's own scope was not touched.
        assert not nursery.cancel_scope.cancel_called
    assert record == ["child cancelled"]


def test_start_with_timeout_cancels_the_child() -> None:
    record: list[float] = []

    async def slow_to_start(*, task_status: tether.TaskStatus[None]) -> None:
        try:
            await tether.sleep(100)
        finally:
            record.append(tether.current_time())
        task_status.started()  # pragma: no cover

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            with tether.move_on_after(3) as scope:
                await nursery.start(slow_to_start)
            assert scope.cancelled_caught

    run_autojump(main)
    assert record == [3]


async def test_started_when_the_start_caller_is_cancelled() -> None:
    record: list[str] = []

    async def child(*, task_status: tether.TaskStatus[str], scope: tether.CancelScope) -> None:
        scope.cancel()
        task_status.started("value")
        record.append("after started")
        try:
            await tether.sleep(0)
        except tether.Cancelled:
            record.append("cancelled where it was")
            raise

    async with tether.open_nursery() as nursery:
        with tether.CancelScope() as scope:

            async def thunk(*, task_status: tether.TaskStatus[str]) -> None:
                await child(task_status=task_status, scope=scope)

            await nursery.start(thunk)
        assert scope.cancelled_caught
        # It never moved into the nursery.
        assert nursery.child_tasks == frozenset()
    assert record == ["after started", "cancelled where it was"]


async def test_pending_start_keeps_the_target_nursery_open() -> None:
    record: list[str] = []
    gate = tether.Event()
    targets: list[tether.Nursery] = []

    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        await gate.wait()
        task_status.started()
        await tether.sleep(0)
        assert tether.lowlevel.current_task().parent_nursery is targets[0]
        record.append("child finished in target")

    async def starter(target: tether.Nursery) -> None:
        await target.start(child)
        record.append("start returned")

    async with tether.open_nursery() as outer, tether.open_nursery() as target:
        targets.append(target)
        outer.start_soon(starter, target)
        await wait_all_tasks_blocked()
        # The body exits now, with no children: only the start() in flight
        # (begun by a task outside the nursery) keeps it open.
        gate.set()
    assert sorted(record) == ["child finished in target", "start returned"]


async def test_task_status_ignored() -> None:
    record: list[str] = []

    async def service(*, task_status: tether.TaskStatus[str] = TASK_STATUS_IGNORED) -> None:
        task_status.started("ready")
        record.append("ran")

    # A no-op, however often it is called.
    TASK_STATUS_IGNORED.started()
    TASK_STATUS_IGNORED.started(123)
    TASK_STATUS_IGNORED.started(123)
    await service()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(service)
        assert await nursery.start(service) == "ready"
    assert record == ["ran", "ran", "ran"]
    assert repr(TASK_STATUS_IGNORED) == "TASK_STATUS_IGNORED"


async def test_started_moves_the_childs_own_nursery_along() -> None:
    record: list[str] = []

    async def grandchild() -> None:
        try:
            await tether.sleep_forever()
        except tether.Cancelled:
            record.append("grandchild cancelled")
            raise

    async def child(*, task_status: tether.TaskStatus[str]) -> None:
        async with tether.open_nursery() as inner:
            inner.start_soon(grandchild)
            await tether.sleep(0)
            task_status.started("up")
            await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        with tether.CancelScope() as caller_scope:
            assert await nursery.start(child) == "up"
        # The child (and its grandchild) left the caller's scope when it
        # called started(): cancelling that scope now touches neither.
        caller_scope.cancel()
        await wait_all_tasks_blocked()
        assert record == []
        nursery.cancel_scope.cancel()
    assert record == ["grandchild cancelled"]


async def test_start_passes_args_and_name() -> None:
    async def child(a: int, b: int, *, task_status: tether.TaskStatus[int]) -> None:
        task_status.started(a + b)
        await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        assert await nursery.start(child, 2, 3, name="adder") == 5
        [task] = nursery.child_tasks
        assert task.name == "adder"
        nursery.cancel_scope.cancel()


async def test_start_default_name_is_the_function() -> None:
    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        task_status.started()
        await tether.sleep_forever()

    async with tether.open_nursery() as nursery:
        await nursery.start(child)
        [task] = nursery.child_tasks
        assert task.name == f"{child.__module__}.{child.__qualname__}"
        nursery.cancel_scope.cancel()


async def test_start_into_cancelled_nursery() -> None:
    record: list[str] = []

    async def child(*, task_status: tether.TaskStatus[None]) -> None:
        await tether.sleep(0)  # not cancelled: start()'s caller is not
        record.append("before started")
        task_status.started()
        try:
            await tether.sleep(0)
        except tether.Cancelled:
            record.append("cancelled in the target nursery")
            raise

    async with tether.open_nursery() as target:
        target.cancel_scope.cancel()
        with tether.CancelScope(shield=True):
            await target.start(child)
    assert record == ["before started", "cancelled in the target nursery"]
