"""Timers in the facade: ``asyncio.sleep``, ``asyncio.timeout``,
``wait_for`` and ``loop.call_at`` arm their timers straight in tether's
timer heap on a plain loop, and the futures they wait on are made without
the constructor call. What asyncio-style code can observe is checked against
stock asyncio where both can run, and with a virtual clock (that a disarmed
timer no longer matters) on the facade."""

from __future__ import annotations

import asyncio
import weakref
from typing import TYPE_CHECKING, Any

import pytest

import tether_asyncio
from tether.testing import MockClock

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from types import ModuleType

BACKENDS = [asyncio, tether_asyncio]
IDS = ["stock", "facade"]



def _run_virtual(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run ``main()`` on a facade loop with a virtual clock that jumps to the
    next deadline whenever every task is blocked."""
    loop = tether_asyncio.TetherLoop(clock=MockClock(autojump_threshold=0))
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


# -- futures ---------------------------------------------------------------------


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_create_future_records_its_origin_only_in_debug_mode(mod: ModuleType) -> None:
    loop = mod.new_event_loop()
    try:
        fut = loop.create_future()
        assert fut.get_loop() is loop
        assert not fut.done()
        assert fut._source_traceback is None
        assert fut._callbacks is None
        assert repr(fut) == "<Future pending>"
        loop.set_debug(True)
        fut = loop.create_future()
        assert fut._source_traceback is not None
        # (The C Future's stack includes the loop's create_future frame.)
        assert [entry.name for entry in fut._source_traceback[-2:]] == [
            "test_create_future_records_its_origin_only_in_debug_mode",
            "create_future",
        ]
    finally:
        loop.close()


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_create_future_asks_a_loop_subclass_for_its_debug_mode(mod: ModuleType) -> None:
    # (The C Future calls loop.get_debug(), so a subclass that overrides it
    # is obeyed.)
    made = mod.new_event_loop()
    base = type(made)
    made.close()

    class AlwaysDebug(base):  # type: ignore[misc, valid-type]
        def get_debug(self) -> bool:
            return True

    loop = AlwaysDebug()
    try:
        assert loop.create_future()._source_traceback is not None
    finally:
        loop.close()


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_done_callbacks_after_removing_the_first(mod: ModuleType) -> None:
    calls: list[str] = []

    def make(name: str) -> Callable[[object], None]:
        return lambda _fut: calls.append(name)

    a, b, c = make("a"), make("b"), make("c")

    async def main() -> None:
        fut = mod.get_running_loop().create_future()
        fut.add_done_callback(a)
        fut.add_done_callback(b)
        assert fut.remove_done_callback(a) == 1
        fut.add_done_callback(c)
        fut.add_done_callback(a)
        assert [cb for cb, _ in fut._callbacks] == [b, c, a]
        fut.set_result(None)
        await mod.sleep(0)

    mod.run(main())
    assert calls == ["b", "c", "a"]


# -- sleep -------------------------------------------------------------------------


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_sleep_wakes_when_debug_mode_is_switched_on_meanwhile(mod: ModuleType) -> None:
    async def main() -> tuple[object, object, bool]:
        loop = mod.get_running_loop()
        loop.call_soon(loop.set_debug, True)
        plain = await mod.sleep(0.001)
        with_result = await mod.sleep(0.001, "result")
        return plain, with_result, loop.get_debug()

    assert mod.run(main()) == (None, "result", True)


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_a_sleeping_task_shows_the_future_it_waits_for(mod: ModuleType) -> None:
    async def main() -> str:
        task = mod.create_task(mod.sleep(3600))
        await mod.sleep(0)
        shown = repr(task)
        waited = task._fut_waiter
        task.cancel()
        with pytest.raises(mod.CancelledError):
            await task
        assert waited.cancelled()
        return shown

    shown = mod.run(main())
    assert "wait_for=<Future pending cb=[Task.task_wakeup()]>" in shown


def test_a_cancelled_sleep_no_longer_matters_to_the_clock() -> None:
    async def main() -> float:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()
        task = tether_asyncio.create_task(tether_asyncio.sleep(100))
        await tether_asyncio.sleep(1)
        task.cancel()
        with pytest.raises(tether_asyncio.CancelledError):
            await task
        await tether_asyncio.sleep(2)
        return loop.time() - start

    assert _run_virtual(main) == 3


def test_sleeps_end_in_deadline_order_at_their_deadlines() -> None:
    ended: list[tuple[float, float]] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()

        async def sleeper(delay: float) -> None:
            await tether_asyncio.sleep(delay)
            ended.append((delay, loop.time() - start))

        await tether_asyncio.gather(*(sleeper(d) for d in (3, 1, 2.5, 0.5)))

    _run_virtual(main)
    assert ended == [(0.5, 0.5), (1, 1), (2.5, 2.5), (3, 3)]


# -- timeouts and wait_for ---------------------------------------------------------


def test_timeouts_disarm_their_timers_and_expire_on_time() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()
        seen: list[tuple[str, float]] = []
        assert await tether_asyncio.wait_for(tether_asyncio.sleep(1, "ok"), 100) == "ok"
        seen.append(("wait_for done", loop.time() - start))
        async with tether_asyncio.timeout(50) as cm:
            await tether_asyncio.sleep(1)
        assert not cm.expired()
        seen.append(("timeout done", loop.time() - start))
        with pytest.raises(TimeoutError):
            await tether_asyncio.wait_for(tether_asyncio.sleep(100), 5)
        seen.append(("wait_for expired", loop.time() - start))
        with pytest.raises(TimeoutError):
            async with tether_asyncio.timeout(5) as cm:
                await tether_asyncio.sleep(100)
        assert cm.expired()
        assert repr(cm) == "<Timeout [expired]>"
        seen.append(("timeout expired", loop.time() - start))
        # Nothing left armed: only this sleep's deadline moves the clock.
        await tether_asyncio.sleep(2)
        seen.append(("end", loop.time() - start))
        return seen

    assert _run_virtual(main) == [
        ("wait_for done", 1),
        ("timeout done", 2),
        ("wait_for expired", 7),
        ("timeout expired", 12),
        ("end", 14),
    ]


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_a_timeout_subclass_is_rescheduled_on_entry(mod: ModuleType) -> None:
    calls: list[object] = []

    class Recording(mod.Timeout):  # type: ignore[misc, name-defined]
        def reschedule(self, when: float | None) -> None:
            calls.append(when)
            super().reschedule(when)

    async def main() -> str:
        when = mod.get_running_loop().time() + 3600
        async with Recording(when) as cm:
            assert repr(cm).startswith("<Timeout [active] when=")
        async with Recording(None):
            pass
        assert calls == [when, None]
        return repr(cm)

    assert mod.run(main()) == "<Timeout [finished]>"


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_a_timeout_already_due_on_entry_expires_at_the_first_await(mod: ModuleType) -> None:
    async def main() -> list[str]:
        seen: list[str] = []
        loop = mod.get_running_loop()
        try:
            async with mod.timeout_at(loop.time() - 1) as cm:
                seen.append("entered")
                await mod.sleep(0)
                seen.append("not reached")
        except TimeoutError:
            seen.append("TimeoutError")
        assert cm.expired()
        return seen

    assert mod.run(main()) == ["entered", "TimeoutError"]


# -- call_at -----------------------------------------------------------------------


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_call_at_timers_run_in_deadline_order_and_cancelled_ones_never(
    mod: ModuleType,
) -> None:
    async def main() -> list[str]:
        loop = mod.get_running_loop()
        ran: list[str] = []
        now = loop.time()
        done = loop.create_future()
        loop.call_at(now + 0.003, ran.append, "third")
        loop.call_at(now + 0.001, ran.append, "first")
        cancelled = loop.call_at(now + 0.002, ran.append, "cancelled")
        loop.call_later(0.0025, ran.append, "second")
        loop.call_at(now + 0.004, done.set_result, None)
        cancelled.cancel()
        assert cancelled.cancelled()
        await done
        return ran

    assert mod.run(main()) == ["first", "second", "third"]


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_closing_a_loop_frees_what_its_timers_hold(mod: ModuleType, no_gc: None) -> None:
    class Payload:
        pass

    loop = mod.new_event_loop()
    try:
        payload = Payload()
        ref = weakref.ref(payload)
        loop.call_later(3600, print, payload)
        loop.run_until_complete(mod.sleep(0))
        del payload
        assert ref() is not None  # (the timer holds it)
    finally:
        loop.close()
    assert ref() is None


def test_call_at_timers_and_sleeps_share_one_deadline_order() -> None:
    ran: list[tuple[str, float]] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()

        def note(what: str) -> None:
            ran.append((what, loop.time() - start))

        async def sleeper() -> None:
            await tether_asyncio.sleep(2)
            note("sleep(2)")

        loop.call_later(3, note, "call_later(3)")
        loop.call_at(start + 1, note, "call_at(+1)")
        await tether_asyncio.gather(sleeper(), tether_asyncio.sleep(4))

    _run_virtual(main)
    assert ran == [("call_at(+1)", 1), ("sleep(2)", 2), ("call_later(3)", 3)]
