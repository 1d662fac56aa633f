"""The facade's Future and Task objects: what each one costs (memory per
idle task, asyncio handles per timer and per done callback) and the
internals that asyncio-style code reads, compared with stock asyncio where
both can run."""

from __future__ import annotations

import asyncio
import gc
import sys
import traceback
import tracemalloc
import weakref
from typing import TYPE_CHECKING, Any

import pytest

import tether_asyncio
from tether_asyncio import _futures

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from types import ModuleType

BACKENDS = [asyncio, tether_asyncio]
IDS = ["stock", "facade"]



def _idle_task_bytes(n: int) -> float:
    """tracemalloc's growth per facade task parked on an Event."""

    async def main() -> float:
        never = tether_asyncio.Event()

        async def idle() -> None:
            await never.wait()

        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            tasks = [tether_asyncio.create_task(idle()) for _ in range(n)]
            for _ in range(3):
                await tether_asyncio.sleep(0)
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        never.set()
        await tether_asyncio.gather(*tasks)
        return grown / n

    per_task: float = tether_asyncio.run(main())
    return per_task


def test_memory_per_idle_task_stays_bounded() -> None:
    # About 2.0 KiB on 3.11-3.13 (stock asyncio: about 1.2 KiB; the facade
    # before its per-task objects were trimmed: 2.5 KiB); the bound leaves
    # room for noise and catches an object more per task or per wait, or
    # instances that fall back to a full __dict__.
    assert _idle_task_bytes(2000) < 2300


@pytest.mark.parametrize("make", ["future", "task"])
def test_futures_and_tasks_never_fall_back_to_a_dict(make: str) -> None:
    """Attributes set late in the life of many instances (a result, a
    waiting future) stay in the instances' compact attribute storage."""

    def has_dict(obj: object) -> bool:
        return any(type(ref) is dict for ref in gc.get_referents(obj))

    async def main() -> list[bool]:
        loop = tether_asyncio.get_running_loop()
        gate = loop.create_future()

        async def child() -> int:
            await gate
            return 1

        objs: list[Any]
        if make == "future":
            objs = [loop.create_future() for _ in range(500)]
            for fut in objs:
                fut.set_result(1)
            for fut in objs[:10]:
                fut.cancel()
        else:
            objs = [tether_asyncio.create_task(child()) for _ in range(500)]
            await tether_asyncio.sleep(0)
            gate.set_result(None)
            await tether_asyncio.gather(*objs)
            for task in objs[:10]:
                task.cancel()
        return [has_dict(obj) for obj in objs]

    assert not any(tether_asyncio.run(main()))


def _slot_names(cls: type) -> set[str]:
    return {
        name
        for klass in cls.__mro__
        for name in klass.__dict__.get("__slots__", ())
        if name not in ("__dict__", "__weakref__")
    }


def test_every_way_of_making_futures_and_tasks_sets_every_slot() -> None:
    """Futures and tasks keep their state in slots; the constructors and the
    paths that skip them (create_future, Task.__init__ writing Future's out,
    eager tasks) must set every one, to the same values, and leave the
    instance dictionary empty."""

    async def main() -> list[tuple[str, dict[str, object], dict[str, object]]]:
        loop = tether_asyncio.get_running_loop()

        async def child() -> None:
            pass

        made: list[tuple[str, Any]] = [
            ("Future()", tether_asyncio.Future(loop=loop)),
            ("create_future()", loop.create_future()),
            ("Task()", tether_asyncio.Task(child(), loop=loop)),
            ("create_task()", tether_asyncio.create_task(child())),
        ]
        if hasattr(tether_asyncio, "eager_task_factory"):
            made.append(("eager Task()", tether_asyncio.Task(child(), loop=loop, eager_start=True)))
        out = []
        for label, obj in made:
            names = _slot_names(type(obj))
            state = {name: getattr(obj, name, "<unset>") for name in sorted(names)}
            out.append((label, state, dict(vars(obj))))
        await tether_asyncio.sleep(0)
        return out

    results = tether_asyncio.run(main())
    futures = [state for label, state, _ in results if "uture" in label]
    assert futures[0] == futures[1]
    for label, state, instance_dict in results:
        assert "<unset>" not in state.values(), (label, state)
        assert instance_dict == {}, (label, instance_dict)
    task_states = [state for label, state, _ in results if "ask" in label]
    shared = {"_state", "_result", "_exception", "_log_tb", "_callback0", "_context0"}
    for state in task_states[1:]:
        assert {k: state[k] for k in shared if k != "_state"} == {
            k: task_states[0][k] for k in shared if k != "_state"
        }


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_futures_and_tasks_take_attributes_of_the_programs_own(mod: ModuleType) -> None:
    async def main() -> tuple[object, object, bool]:
        fut = mod.get_running_loop().create_future()
        fut.note = "on a future"
        task = mod.create_task(mod.sleep(0))
        task.note = "on a task"
        await task
        fut.set_result(None)
        return fut.note, task.note, weakref.ref(fut)() is fut

    assert mod.run(main()) == ("on a future", "on a task", True)


def test_a_future_made_without_init_is_freed_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    # (As the C Future: no state, nothing to report, no error from __del__.)
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    for cls in (tether_asyncio.Future, tether_asyncio.Task):
        obj = cls.__new__(cls)
        del obj
        gc.collect()
    assert unraisable == []


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_a_cancelled_task_keeps_its_cancellation_without_the_futures_frames(
    mod: ModuleType,
) -> None:
    """A task cancelled while it awaits keeps the CancelledError it ended
    with (task.exception() raises it again); its traceback runs from the
    task's coroutine down to the await, with no frames of the facade's
    Future in it (the C Future has none), and so keeps no more frames alive
    than stock asyncio's does."""

    async def sleeper() -> None:
        await mod.sleep(3600)

    async def main() -> list[str]:
        task = mod.create_task(sleeper())
        await mod.sleep(0)
        task.cancel()
        await mod.wait({task})  # (awaiting the task would use its error up)
        try:
            task.exception()
        except mod.CancelledError as exc:
            frames = [entry.name for entry in traceback.extract_tb(exc.__traceback__)]
            return frames[frames.index("sleeper") :]
        raise AssertionError("exception() did not raise")

    assert mod.run(main()) == ["sleeper", "sleep"]


def _count_calls(monkeypatch: pytest.MonkeyPatch, cls: type, names: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(names, 0)
    for name in names:
        original = getattr(cls, name)

        def counting(
            self: Any, *args: Any, _name: str = name, _orig: Any = original, **kw: Any
        ) -> Any:
            counts[_name] += 1
            return _orig(self, *args, **kw)

        monkeypatch.setattr(cls, name, counting)
    return counts


async def _timers_and_callbacks(mod: ModuleType) -> list[object]:
    seen: list[object] = []
    await mod.sleep(0.001)
    async with mod.timeout(10):
        await mod.sleep(0)
    seen.append(await mod.wait_for(mod.sleep(0, "r"), 10))
    fut = mod.get_running_loop().create_future()
    fut.add_done_callback(lambda f: seen.append(("callback", f.result())))
    fut.set_result(1)
    await mod.sleep(0)
    return seen


def test_timers_and_done_callbacks_make_no_asyncio_handles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counts = _count_calls(
        monkeypatch, tether_asyncio.TetherLoop, ["call_at", "call_later", "call_soon"]
    )
    assert tether_asyncio.run(_timers_and_callbacks(tether_asyncio)) == [
        "r",
        ("callback", 1),
    ]
    # (wait_for on 3.11 arms a timer of its own; sleep(0, "r") arms none.)
    assert counts == {"call_at": 0, "call_later": 0, "call_soon": 0}


def test_debug_mode_keeps_the_handles(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = _count_calls(
        monkeypatch, tether_asyncio.TetherLoop, ["call_at", "call_soon"]
    )

    async def main() -> list[object]:
        return await _timers_and_callbacks(tether_asyncio)

    assert tether_asyncio.run(main(), debug=True) == ["r", ("callback", 1)]
    assert counts["call_at"] >= 2  # sleep(0.001), timeout(10)
    assert counts["call_soon"] >= 1  # the done callback


def test_a_loop_subclass_sees_every_timer_and_callback() -> None:
    calls: list[str] = []

    class Recording(tether_asyncio.TetherLoop):
        def call_at(self, when: float, callback: Any, *args: Any, context: Any = None) -> Any:
            calls.append("call_at")
            return super().call_at(when, callback, *args, context=context)

        def call_soon(self, callback: Any, *args: Any, context: Any = None) -> Any:
            calls.append("call_soon")
            return super().call_soon(callback, *args, context=context)

    loop = Recording()
    try:
        result = loop.run_until_complete(_timers_and_callbacks(tether_asyncio))
    finally:
        loop.close()
    assert result == ["r", ("callback", 1)]
    assert calls.count("call_at") >= 2
    assert "call_soon" in calls


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_a_failing_done_callback_is_reported_with_a_handle(mod: ModuleType) -> None:
    reports: list[dict[str, Any]] = []

    def broken(fut: Any) -> None:
        raise KeyError("in callback")

    async def main() -> None:
        loop = mod.get_running_loop()
        loop.set_exception_handler(lambda loop, context: reports.append(context))
        fut = loop.create_future()
        fut.add_done_callback(broken)
        fut.set_result(None)
        await mod.sleep(0)

    mod.run(main())
    assert len(reports) == 1
    report = reports[0]
    assert sorted(report) == ["exception", "handle", "message"]
    assert report["message"].startswith("Exception in callback ")
    assert "broken" in report["message"]
    assert type(report["exception"]) is KeyError
    handle = report["handle"]
    assert type(handle) is asyncio.Handle
    assert handle._callback is broken  # type: ignore[attr-defined]
    assert len(handle._args) == 1
    assert repr(handle).startswith("<Handle ")


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_done_callbacks_run_in_their_context_and_in_order(mod: ModuleType) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="default")
    order: list[tuple[str, str]] = []

    async def main() -> None:
        loop = mod.get_running_loop()
        fut = loop.create_future()
        var.set("first")
        fut.add_done_callback(lambda f: order.append(("a", var.get())))
        ctx = contextvars.copy_context()
        var.set("second")
        fut.add_done_callback(lambda f: var.set("changed by a callback"))
        fut.add_done_callback(lambda f: order.append(("b", var.get())), context=ctx)
        loop.call_soon(lambda: order.append(("soon", var.get())))
        fut.set_result(None)
        loop.call_soon(lambda: order.append(("after", var.get())))
        await mod.sleep(0)
        await mod.sleep(0)

    mod.run(main())
    # (A callback runs in a copy of the context it was registered in.)
    assert order == [("soon", "second"), ("a", "first"), ("b", "first"), ("after", "second")]


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_all_tasks_still_lists_tasks_cut_loose_from_a_closed_loop(mod: ModuleType) -> None:
    async def forever() -> None:
        await mod.sleep(3600)

    loop = mod.new_event_loop()
    task = loop.create_task(forever())
    loop.run_until_complete(mod.sleep(0))
    assert mod.all_tasks(loop) == {task}
    loop.close()
    assert mod.all_tasks(loop) == {task}
    task._log_destroy_pending = False
    ref = weakref.ref(task)
    del task
    gc.collect()
    assert ref() is None
    assert mod.all_tasks(loop) == set()


def test_registered_third_party_tasks_are_held_weakly(no_gc: None) -> None:
    class Foreign:
        def __init__(self, loop: Any) -> None:
            self._loop = loop

        def get_loop(self) -> Any:
            return self._loop

        def done(self) -> bool:
            return False

    async def main() -> tuple[bool, bool]:
        loop = tether_asyncio.get_running_loop()
        foreign = Foreign(loop)
        tether_asyncio._register_task(foreign)
        listed = any(task is foreign for task in list[object](tether_asyncio.all_tasks()))
        ref = weakref.ref(foreign)
        del foreign
        return listed, ref() is None

    assert tether_asyncio.run(main()) == (True, True)


def test_closing_a_loop_leaves_registered_third_party_tasks_alone() -> None:
    class Foreign:
        def __init__(self, loop: Any) -> None:
            self._loop = loop

        def get_loop(self) -> Any:
            return self._loop

        def done(self) -> bool:
            return False

    loop = tether_asyncio.new_event_loop()
    foreign = Foreign(loop)
    tether_asyncio._register_task(foreign)
    try:
        loop.close()  # used to call foreign._abandon(): AttributeError
        assert loop.is_closed()
    finally:
        tether_asyncio._unregister_task(foreign)


def test_finished_tasks_leave_the_registry(no_gc: None) -> None:
    from tether_asyncio import _tasks

    async def child() -> int:
        await tether_asyncio.sleep(0)
        return 1

    async def main() -> tuple[int, int, int]:
        before = len(_tasks._pending_tasks)
        tasks = [tether_asyncio.create_task(child()) for _ in range(10)]
        during = len(_tasks._pending_tasks)
        await tether_asyncio.gather(*tasks)
        return before, during, len(_tasks._pending_tasks)

    before, during, after = tether_asyncio.run(main())
    assert during == before + 10
    assert after == before
    assert not _tasks._pending_tasks  # (the main task left too)


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_a_task_subclass_with_slots_and_attributes(mod: ModuleType) -> None:
    class Tagged(mod.Task):  # type: ignore[name-defined,misc]
        __slots__ = ("tag",)

        def __init__(self, coro: Coroutine[Any, Any, Any], *, loop: Any = None, **kw: Any) -> None:
            super().__init__(coro, loop=loop, **kw)
            self.tag = "tagged"
            self.free_form = 1  # type: ignore[misc] # (the base has a __dict__)

    async def child() -> str:
        await mod.sleep(0)
        return "done"

    async def main() -> tuple[str, str, int, bool]:
        loop = mod.get_running_loop()
        loop.set_task_factory(lambda loop, coro, **kw: Tagged(coro, loop=loop, **kw))
        task = mod.create_task(child())
        assert isinstance(task, Tagged)
        return await task, task.tag, task.free_form, task in mod.all_tasks() or task.done()

    assert mod.run(main()) == ("done", "tagged", 1, True)


@pytest.mark.parametrize("mod", BACKENDS, ids=IDS)
def test_cancelled_waits_leave_no_cycles_behind(mod: ModuleType, no_gc: None) -> None:
    async def sleeper() -> None:
        await mod.sleep(3600)

    async def main() -> bool:
        task = mod.create_task(sleeper())
        await mod.sleep(0)
        task.cancel()
        await mod.wait([task])
        ref = weakref.ref(task)
        del task
        await mod.sleep(0)
        return ref() is None

    assert mod.run(main()) is True


class _Target:
    pass


def test_timer_at_only_serves_plain_loops_outside_debug_mode() -> None:
    seen: list[object] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        target = _Target()
        handle = _futures.timer_at(loop, loop.time(), seen.append, target)
        assert handle is not None
        await tether_asyncio.sleep(0.001)
        assert seen == [target]
        loop.set_debug(True)
        assert _futures.timer_at(loop, loop.time(), seen.append, target) is None
        loop.set_debug(False)

    tether_asyncio.run(main())
