"""Async generator finalization (Trio's rules).

* An unfinished async generator garbage collected during a run is closed in
  a system task, and a ResourceWarning points at ``aclosing()``.
* Those still alive when the main task is done are closed at the end of
  the run, inside a cancelled shielded scope: their ``finally`` blocks run,
  but anything they await raises Cancelled.
* The previous ``sys.get_asyncgen_hooks()`` come back after the run, and
  generators first iterated outside tether's tasks are left to them.
"""

from __future__ import annotations

import gc
import logging
import sys
import types
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Any

import pytest

import tether
from tether.abc import Instrument
from tether.lowlevel import current_root_task, current_task, currently_ki_protected
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable, Generator


def collect_garbage() -> None:
    for _ in range(3):
        gc.collect()


def drop(refs: list[Any]) -> None:
    """Drop the last references to some objects, and collect them."""
    refs.clear()
    collect_garbage()


@pytest.fixture
def restore_asyncgen_hooks() -> Generator[None, None, None]:
    old = sys.get_asyncgen_hooks()
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*old)


def drive_by_hand(agen: AsyncGenerator[Any, Any]) -> object:
    """Get the next value of an async generator that never suspends on
    anything, without any event loop."""
    try:
        agen.__anext__().send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the generator suspended")  # pragma: no cover


# ---------------------------------------------------------------------------
# Garbage collected during the run


async def test_unfinished_asyncgen_garbage_collected_is_closed_in_a_system_task() -> None:
    record: list[object] = []
    main_task = current_task()

    async def agen() -> AsyncGenerator[int, None]:
        try:
            yield 1
            yield 2  # pragma: no cover
        finally:
            task = current_task()
            record.append(("finally", task is main_task, currently_ki_protected()))
            # The system nursery belongs to the init (root) task.
            parent = task.parent_nursery
            record.append(parent is not None and parent.parent_task is current_root_task())
            try:
                await tether.sleep(0)
            except tether.Cancelled:
                record.append("await cancelled")
                raise

    refs = [agen()]
    assert await refs[0].__anext__() == 1
    with pytest.warns(ResourceWarning, match="garbage collected before it had been exhausted"):
        drop(refs)
    assert record == []  # not closed synchronously by the finalizer
    await wait_all_tasks_blocked()
    assert record == [("finally", False, True), True, "await cancelled"]


async def test_garbage_collected_asyncgen_can_use_the_run_in_its_finally() -> None:
    record: list[object] = []

    async def agen() -> AsyncGenerator[int, None]:
        try:
            yield 1
        finally:
            # Still inside the run: tether functions work (no checkpoint).
            record.append(tether.current_time() > 0 or tether.current_time() <= 0)
            record.append(tether.current_effective_deadline())

    refs = [agen()]
    await refs[0].asend(None)
    with pytest.warns(ResourceWarning):
        drop(refs)
    await wait_all_tasks_blocked()
    assert record == [True, float("-inf")]


async def test_errors_while_closing_are_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def agen() -> AsyncGenerator[int, None]:
        try:
            yield 1
        finally:
            raise ValueError("oops in finally")

    with caplog.at_level(logging.ERROR, logger="tether.async_generator_errors"):
        refs = [agen()]
        await refs[0].asend(None)
        with pytest.warns(ResourceWarning):
            drop(refs)
        await wait_all_tasks_blocked()
    records = [r for r in caplog.records if r.name == "tether.async_generator_errors"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], ValueError)
    assert "aclosing" in records[0].getMessage()


async def test_asyncgen_closed_properly_is_not_finalized_again() -> None:
    record: list[str] = []

    async def agen() -> AsyncGenerator[int, None]:
        try:
            yield 1
            yield 2  # pragma: no cover
        finally:
            record.append("finally")

    ag = agen()
    async with aclosing(ag):
        assert await ag.__anext__() == 1
    assert record == ["finally"]
    del ag
    collect_garbage()  # no ResourceWarning (warnings are errors here)
    await wait_all_tasks_blocked()
    assert record == ["finally"]


async def test_exhausted_asyncgen_gives_no_warning() -> None:
    async def agen() -> AsyncGenerator[int, None]:
        yield 1
        yield 2

    assert [x async for x in agen()] == [1, 2]
    collect_garbage()
    await wait_all_tasks_blocked()


# ---------------------------------------------------------------------------
# Alive at the end of the run


def test_live_asyncgens_are_closed_after_main_returns() -> None:
    record: list[object] = []
    keep_alive: list[AsyncGenerator[int, None]] = []

    async def agen(name: str) -> AsyncGenerator[int, None]:
        try:
            yield 1
            yield 2  # pragma: no cover
        finally:
            record.append(f"{name} finally")
            try:
                await tether.sleep(0)
            except tether.Cancelled:
                record.append(f"{name} cancelled")
            # After the Cancelled, still inside a cancelled scope.
            with pytest.raises(tether.Cancelled):
                await tether.lowlevel.checkpoint()

    async def main() -> str:
        for name in ("a", "b"):
            ag = agen(name)
            assert await ag.__anext__() == 1
            keep_alive.append(ag)
        record.append("main done")
        return "result"

    assert tether.run(main) == "result"
    assert record[0] == "main done"
    assert sorted(map(str, record[1:])) == ["a cancelled", "a finally", "b cancelled", "b finally"]
    for ag in keep_alive:
        assert isinstance(ag, types.AsyncGeneratorType)
        assert ag.ag_frame is None  # finished
    # Closed ones stay closed: nothing happens now that the run is over.
    keep_alive.clear()
    collect_garbage()


def test_live_asyncgens_closed_after_system_tasks_exit() -> None:
    record: list[str] = []
    keep_alive: list[AsyncGenerator[int, None]] = []

    async def agen() -> AsyncGenerator[int, None]:
        try:
            yield 1
        finally:
            record.append("agen finally")

    async def system_task() -> None:
        try:
            await tether.sleep_forever()
        finally:
            record.append("system task finally")

    async def main() -> None:
        tether.lowlevel.spawn_system_task(system_task)
        ag = agen()
        await ag.asend(None)
        keep_alive.append(ag)
        await wait_all_tasks_blocked()
        record.append("main done")

    tether.run(main)
    assert record == ["main done", "system task finally", "agen finally"]


def test_asyncgen_made_by_a_finalizing_asyncgen_is_closed_too() -> None:
    record: list[str] = []
    keep_alive: list[AsyncGenerator[int, None]] = []

    async def inner() -> AsyncGenerator[int, None]:
        try:
            yield 1
        finally:
            record.append("inner finally")

    async def outer() -> AsyncGenerator[int, None]:
        try:
            yield 1
        finally:
            record.append("outer finally")
            ag = inner()
            await ag.asend(None)
            keep_alive.append(ag)

    async def main() -> None:
        ag = outer()
        await ag.asend(None)
        keep_alive.append(ag)

    tether.run(main)
    assert record == ["outer finally", "inner finally"]


def test_live_asyncgen_error_at_end_of_run_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    keep_alive: list[AsyncGenerator[int, None]] = []

    async def agen() -> AsyncGenerator[int, None]:
        try:
            yield 1
        finally:
            raise KeyError("in finally")

    async def main() -> str:
        ag = agen()
        await ag.asend(None)
        keep_alive.append(ag)
        return "fine"

    with caplog.at_level(logging.ERROR, logger="tether.async_generator_errors"):
        assert tether.run(main) == "fine"
    records = [r for r in caplog.records if r.name == "tether.async_generator_errors"]
    assert len(records) == 1
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], KeyError)


# ---------------------------------------------------------------------------
# The hooks


@pytest.mark.usefixtures("restore_asyncgen_hooks")
def test_asyncgen_hooks_are_restored_after_the_run() -> None:
    def my_firstiter(agen: AsyncGenerator[Any, Any]) -> None:
        pass  # pragma: no cover

    def my_finalizer(agen: AsyncGenerator[Any, Any]) -> None:
        pass  # pragma: no cover

    sys.set_asyncgen_hooks(firstiter=my_firstiter, finalizer=my_finalizer)
    during: list[Any] = []

    async def main() -> None:
        during.append(sys.get_asyncgen_hooks())

    tether.run(main)
    hooks = sys.get_asyncgen_hooks()
    assert hooks.firstiter is my_firstiter
    assert hooks.finalizer is my_finalizer
    assert during[0].firstiter is not my_firstiter
    assert during[0].finalizer is not my_finalizer


@pytest.mark.usefixtures("restore_asyncgen_hooks")
def test_asyncgen_hooks_restored_when_run_raises() -> None:
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)

    async def main() -> None:
        raise ValueError

    with pytest.raises(ValueError, match=r"^$"):
        tether.run(main)
    assert tuple(sys.get_asyncgen_hooks()) == (None, None)


def make_recording_hooks(
    events: list[tuple[str, str]],
) -> tuple[Callable[[AsyncGenerator[Any, Any]], None], Callable[[AsyncGenerator[Any, Any]], None]]:
    def firstiter(agen: AsyncGenerator[Any, Any]) -> None:
        assert isinstance(agen, types.AsyncGeneratorType)
        events.append(("firstiter", agen.__qualname__))

    def finalizer(agen: AsyncGenerator[Any, Any]) -> None:
        assert isinstance(agen, types.AsyncGeneratorType)
        events.append(("finalizer", agen.__qualname__))
        # Close it synchronously (it does not await in its finally).
        with suppress(StopIteration):
            agen.aclose().send(None)

    return firstiter, finalizer


async def foreign() -> AsyncGenerator[int, None]:
    try:
        yield 1
        yield 2  # pragma: no cover
    finally:
        FOREIGN_FINALLY.append(currently_in_a_task())


FOREIGN_FINALLY: list[bool] = []


def currently_in_a_task() -> bool:
    return tether.lowlevel.in_tether_task()


@pytest.mark.usefixtures("restore_asyncgen_hooks")
def test_asyncgen_first_iterated_before_the_run_is_left_to_the_previous_hooks() -> None:
    events: list[tuple[str, str]] = []
    firstiter, finalizer = make_recording_hooks(events)
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    FOREIGN_FINALLY.clear()

    ag = foreign()
    assert drive_by_hand(ag) == 1
    assert events == [("firstiter", "foreign")]

    async def main() -> None:
        nonlocal ag
        # Finalized during the run, but not by tether: no ResourceWarning.
        del ag
        collect_garbage()
        await wait_all_tasks_blocked()

    tether.run(main)
    assert events == [("firstiter", "foreign"), ("finalizer", "foreign")]
    assert FOREIGN_FINALLY == [True]  # synchronously, by our finalizer, in main


class IterateInBeforeRun(Instrument):
    """Iterates an async generator from tether's thread, during the run, but
    outside any task."""

    def __init__(self) -> None:
        self.agens: list[AsyncGenerator[int, None]] = []

    def before_run(self) -> None:
        ag = foreign()
        assert drive_by_hand(ag) == 1
        self.agens.append(ag)


@pytest.mark.usefixtures("restore_asyncgen_hooks")
def test_asyncgen_first_iterated_outside_tasks_goes_to_previous_hooks() -> None:
    events: list[tuple[str, str]] = []
    firstiter, finalizer = make_recording_hooks(events)
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
    FOREIGN_FINALLY.clear()
    instrument = IterateInBeforeRun()

    async def main() -> None:
        assert events == [("firstiter", "foreign")]
        del instrument.agens[:]
        collect_garbage()
        # Our finalizer ran, synchronously; tether did not warn.
        assert events == [("firstiter", "foreign"), ("finalizer", "foreign")]
        await wait_all_tasks_blocked()

    tether.run(main, instruments=[instrument])
    assert events == [("firstiter", "foreign"), ("finalizer", "foreign")]
    assert FOREIGN_FINALLY == [True]


@pytest.mark.usefixtures("restore_asyncgen_hooks")
def test_foreign_asyncgen_with_no_previous_hooks_is_closed_like_python_does() -> None:
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    FOREIGN_FINALLY.clear()
    instrument = IterateInBeforeRun()

    async def main() -> None:
        del instrument.agens[:]
        collect_garbage()
        # Closed synchronously, right where it was collected.
        assert FOREIGN_FINALLY == [True]
        await wait_all_tasks_blocked()

    tether.run(main, instruments=[instrument])
    assert FOREIGN_FINALLY == [True]


@pytest.mark.usefixtures("restore_asyncgen_hooks")
def test_foreign_asyncgen_alive_at_the_end_is_not_closed_by_tether() -> None:
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    FOREIGN_FINALLY.clear()
    instrument = IterateInBeforeRun()

    async def main() -> None:
        await tether.sleep(0)

    tether.run(main, instruments=[instrument])
    assert FOREIGN_FINALLY == []
    (ag,) = instrument.agens
    assert isinstance(ag, types.AsyncGeneratorType)
    assert ag.ag_frame is not None  # still suspended at its first yield
    assert drive_by_hand(ag) == 2
    with suppress(StopIteration):
        ag.aclose().send(None)
    assert FOREIGN_FINALLY == [False]
