"""Error reporting as stock asyncio does it (never-retrieved exceptions,
tasks destroyed pending, callback errors, the default handler's log) and
debug mode (creation stacks, slow callbacks, thread checks, coroutine
origin tracking)."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import os
import subprocess
import sys
import threading
import warnings
import weakref
from typing import Any

import pytest

import tether
import tether_asyncio
from tether_asyncio import _pyversion

Context = dict[str, Any]

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outside")



def _recorder(seen: list[Context]) -> Any:
    """A handler that records what it gets: the reported objects by type
    only (keeping them would keep them alive)."""

    def handler(loop: Any, context: Context) -> None:
        summary: Context = {}
        for key, value in context.items():
            if key in ("task", "future", "handle"):
                value = type(value)
            elif key == "exception":
                value = (type(value), value.__traceback__ and _frame_names(value.__traceback__))
            summary[key] = value
        seen.append(summary)

    return handler


def _frame_names(tb: Any) -> list[str]:
    names = []
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


async def _boom(msg: str = "boom") -> None:
    raise ValueError(msg)


async def _await(fut: Any) -> Any:
    return await fut


# -- never-retrieved exceptions ---------------------------------------------------


def test_a_finished_task_is_freed_and_reported_by_refcounting(no_gc: None) -> None:
    seen: list[Context] = []
    events: list[str] = []

    async def main() -> None:
        tether_asyncio.get_running_loop().set_exception_handler(_recorder(seen))
        task = tether_asyncio.create_task(_boom())
        await tether_asyncio.sleep(0)
        assert task.done()
        ref = weakref.ref(task)
        del task
        events.append(f"alive after del: {ref() is not None}")

    tether_asyncio.run(main())
    assert events == ["alive after del: False"]
    assert len(seen) == 1
    (context,) = seen
    assert context["message"] == "Task exception was never retrieved"
    assert set(context) == {"message", "exception", "future"}
    assert context["exception"][0] is ValueError
    assert context["future"] is tether_asyncio.Task


def test_nothing_of_the_run_refers_to_a_finished_task(no_gc: None) -> None:
    async def main() -> list[Any]:
        task = tether_asyncio.create_task(_boom())
        await tether_asyncio.sleep(0)
        task.exception()
        referrers = [r for r in gc.get_referrers(task) if r is not sys._getframe()]
        return referrers

    referrers = tether_asyncio.run(main())
    assert referrers == []


def test_future_subclass_names_in_the_message(no_gc: None) -> None:
    seen: list[Context] = []

    class MyFuture(tether_asyncio.Future):
        pass

    class MyTask(tether_asyncio.Task):
        pass

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(_recorder(seen))
        fut = loop.create_future()
        fut.set_exception(KeyError("plain"))
        del fut
        mine = MyFuture()
        mine.set_exception(OSError)  # a class is instantiated
        del mine
        task = MyTask(_boom("subclass"))
        await tether_asyncio.sleep(0)
        del task

    tether_asyncio.run(main())
    assert [c["message"] for c in seen] == [
        "Future exception was never retrieved",
        "MyFuture exception was never retrieved",
        "MyTask exception was never retrieved",
    ]
    assert seen[1]["exception"][0] is OSError


def test_retrieved_cancelled_or_cleared_exceptions_are_not_reported(no_gc: None) -> None:
    seen: list[Context] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(_recorder(seen))
        task = tether_asyncio.create_task(_boom())
        await tether_asyncio.sleep(0)
        task.exception()
        del task
        fut = loop.create_future()
        fut.set_exception(ValueError())
        with pytest.raises(ValueError, match=r"^$"):
            fut.result()
        del fut
        fut = loop.create_future()
        fut.set_exception(ValueError())
        fut._log_traceback = False
        del fut
        task = tether_asyncio.create_task(_boom())
        await tether_asyncio.sleep(0)
        task.cancel()  # done already: only clears the flag
        del task

    tether_asyncio.run(main())
    assert seen == []


def test_log_traceback_can_only_be_cleared() -> None:
    async def main() -> None:
        fut = tether_asyncio.get_running_loop().create_future()
        with pytest.raises(ValueError, match="can only be set to False"):
            fut._log_traceback = True

    tether_asyncio.run(main())


def test_a_stored_exception_shows_no_facade_frames(no_gc: None) -> None:
    seen: list[Context] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(_recorder(seen))
        inner = loop.create_future()
        task = tether_asyncio.create_task(_await(inner))
        await tether_asyncio.sleep(0)
        inner.set_exception(RuntimeError("inner"))
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        inner.exception()
        del inner, task

    tether_asyncio.run(main())
    (context,) = seen
    # As the C Future: no __await__ or result() frames.
    assert context["exception"] == (RuntimeError, ["_await"])


def test_the_default_handler_logs_as_asyncio(
    no_gc: None, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        task = tether_asyncio.create_task(_boom("logged"))
        await tether_asyncio.sleep(0)
        del task
        loop = tether_asyncio.get_running_loop()
        loop.call_exception_handler({"message": "keys", "zeta": 1, "alpha": "a"})
        loop.call_exception_handler({})

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        tether_asyncio.run(main())
    records = [r for r in caplog.records if r.name == "asyncio"]
    assert [r.getMessage().splitlines()[0] for r in records] == [
        "Task exception was never retrieved",
        "keys",
        "Unhandled exception in event loop",
    ]
    first = records[0].getMessage().splitlines()
    assert first[1].startswith("future: <Task finished name='Task-")
    assert "exception=ValueError('logged')" in first[1]
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is ValueError
    assert records[1].getMessage().splitlines()[1:] == ["alpha: 'a'", "zeta: 1"]


def test_handler_errors_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    def bad_handler(loop: Any, context: Context) -> None:
        raise RuntimeError("handler failed")

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(bad_handler)
        loop.call_exception_handler({"message": "original"})

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        tether_asyncio.run(main())
    (record,) = [r for r in caplog.records if r.name == "asyncio"]
    lines = record.getMessage().splitlines()
    assert lines[0] == "Unhandled error in exception handler"
    assert lines[1] == "context: {'message': 'original'}"
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError


def test_exception_in_callback_reports_the_handle() -> None:
    seen: list[Context] = []

    def bad(x: int) -> None:
        raise ZeroDivisionError(x)

    def on_done(fut: Any) -> None:
        raise KeyError("done callback")

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(_recorder(seen))
        loop.call_soon(bad, 1)
        fut = loop.create_future()
        fut.add_done_callback(on_done)
        fut.set_result(2)
        await tether_asyncio.sleep(0)

    tether_asyncio.run(main())
    assert [sorted(c) for c in seen] == [["exception", "handle", "message"]] * 2
    assert seen[0]["message"].startswith("Exception in callback test_exception_in_callback")
    assert seen[0]["handle"] is asyncio.Handle
    assert "on_done" in seen[1]["message"]
    assert seen[1]["exception"][0] is KeyError


def test_the_handler_runs_in_the_context_of_what_is_reported(no_gc: None) -> None:
    seen: list[str] = []

    def handler(loop: Any, context: Context) -> None:
        seen.append(var.get())

    async def fails_in_context() -> None:
        var.set("task context")
        raise ValueError

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(handler)
        ctx = contextvars.copy_context()
        ctx.run(var.set, "handle context")
        loop.call_soon(_raise, context=ctx)
        await tether_asyncio.sleep(0)
        task = tether_asyncio.create_task(fails_in_context())
        await tether_asyncio.sleep(0)
        del task

    tether_asyncio.run(main())
    if _pyversion.EXCEPTION_HANDLER_RUNS_IN_CONTEXT:
        assert seen == ["handle context", "task context"]
    else:
        assert seen == ["outside", "outside"]


def _raise() -> None:
    raise ValueError("callback")


# -- tasks destroyed while pending -------------------------------------------------


def test_closing_the_loop_leaves_pending_tasks_to_the_garbage_collector(no_gc: None) -> None:
    seen: list[Context] = []
    events: list[str] = []

    async def waiter(fut: Any) -> None:
        try:
            await fut
        finally:
            events.append("coroutine closed")

    loop = tether_asyncio.new_event_loop()
    loop.set_exception_handler(_recorder(seen))
    fut = loop.create_future()
    task = loop.create_task(waiter(fut))
    loop.run_until_complete(tether_asyncio.sleep(0))
    loop.close()
    assert events == []  # close() does not close the coroutine
    ref = weakref.ref(task)
    del task
    assert ref() is not None  # the future it awaits keeps it, as in asyncio
    del fut
    gc.collect()  # task -> coroutine -> future -> task: a cycle, as in asyncio
    assert ref() is None
    assert events == ["coroutine closed"]
    (context,) = seen
    assert context["message"] == "Task was destroyed but it is pending!"
    assert set(context) == {"message", "task"}


def test_a_sleeping_task_is_freed_once_its_loop_is_closed(no_gc: None) -> None:
    seen: list[Context] = []

    loop = tether_asyncio.new_event_loop()
    loop.set_exception_handler(_recorder(seen))
    task = loop.create_task(tether_asyncio.sleep(3600))
    loop.run_until_complete(tether_asyncio.sleep(0))
    loop.close()
    ref = weakref.ref(task)
    del task
    gc.collect()
    assert ref() is None
    assert [c["message"] for c in seen] == ["Task was destroyed but it is pending!"]


def test_a_task_that_never_started_is_reported_when_close_drops_it(no_gc: None) -> None:
    seen: list[Context] = []

    async def never() -> None:
        raise AssertionError("never runs")  # pragma: no cover

    loop = tether_asyncio.new_event_loop()
    loop.set_exception_handler(_recorder(seen))
    loop.create_task(never())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loop.close()
    assert [c["message"] for c in seen] == ["Task was destroyed but it is pending!"]
    assert [str(w.message) for w in caught] == [
        f"coroutine '{never.__qualname__}' was never awaited"
    ]


def test_a_task_created_on_a_closed_loop() -> None:
    seen: list[Context] = []

    async def never() -> None:
        raise AssertionError("never runs")  # pragma: no cover

    loop = tether_asyncio.new_event_loop()
    loop.set_exception_handler(_recorder(seen))
    loop.close()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="closed"):
            tether_asyncio.Task(never(), loop=loop)
    assert [c["message"] for c in seen] == ["Task was destroyed but it is pending!"]


def test_run_until_complete_own_task_is_not_reported(no_gc: None) -> None:
    seen: list[Context] = []
    loop = tether_asyncio.new_event_loop()
    loop.set_exception_handler(_recorder(seen))

    async def stops() -> None:
        loop.stop()
        await tether_asyncio.sleep(3600)

    with pytest.raises(RuntimeError, match="stopped before Future completed"):
        loop.run_until_complete(stops())
    loop.close()
    gc.collect()
    assert seen == []


# -- debug mode ----------------------------------------------------------------------


def test_debug_mode_records_where_things_were_created() -> None:
    async def main() -> dict[str, Any]:
        loop = tether_asyncio.get_running_loop()
        fut = tether_asyncio.Future()
        task = tether_asyncio.create_task(tether_asyncio.sleep(0))
        handle = loop.call_soon(print)
        timer = loop.call_later(10, print)
        timer.cancel()
        await task
        assert fut._source_traceback is not None
        assert task._source_traceback is not None
        return {
            "future": fut._source_traceback[-1],
            "task": task._source_traceback[-1],
            "handle": handle._source_traceback[-1],  # type: ignore[attr-defined]
            "timer": timer._source_traceback[-1],  # type: ignore[attr-defined]
            "repr": repr(fut),
            "depth": sys.get_coroutine_origin_tracking_depth(),
        }

    found = tether_asyncio.run(main(), debug=True)
    assert found["future"].name == "main"
    assert found["task"].name == "create_task"  # as stock: asyncio.create_task's frame
    assert found["handle"].name == "main"
    assert found["timer"].name == "main"
    assert found["repr"] == f"<Future pending created at {__file__}:{found['future'].lineno}>"
    assert found["depth"] == asyncio.constants.DEBUG_STACK_DEPTH
    assert sys.get_coroutine_origin_tracking_depth() == 0


def test_creation_stacks_leave_out_the_launcher(tmp_path: Any) -> None:
    program = tmp_path / "prog.py"
    program.write_text(
        "import asyncio\n"
        "async def main():\n"
        "    print([f.name for f in asyncio.Future()._source_traceback][:2])\n"
        "asyncio.run(main(), debug=True)\n"
    )
    result = _run_python(["-m", "tether_asyncio", str(program)])
    assert result.stdout == "['<module>', 'run']\n", result.stderr


def test_reports_in_debug_mode_carry_the_creation_stack(no_gc: None) -> None:
    seen: list[Context] = []

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(_recorder(seen))
        fut = loop.create_future()
        fut.set_exception(KeyError())
        del fut

    tether_asyncio.run(main(), debug=True)
    (context,) = seen
    assert set(context) == {"message", "exception", "future", "source_traceback"}
    assert [f.name for f in context["source_traceback"]][-2:] == ["main", "create_future"]


def test_the_default_handler_shows_where_the_running_callback_came_from(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def report() -> None:
        tether_asyncio.get_running_loop().call_exception_handler({"message": "from a callback"})

    async def main() -> None:
        tether_asyncio.get_running_loop().call_soon(report)
        await tether_asyncio.sleep(0)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        tether_asyncio.run(main(), debug=True)
    (record,) = [r for r in caplog.records if r.name == "asyncio"]
    lines = record.getMessage().splitlines()
    assert lines[0] == "from a callback"
    assert lines[1] == "handle_traceback: Handle created at (most recent call last):"
    assert "tether_asyncio.get_running_loop().call_soon(report)" in lines[-1]


def _spend(clock: list[float], seconds: float) -> None:
    clock[0] += seconds


def test_slow_callbacks_and_steps_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]

    async def slow_step() -> None:
        _spend(clock, 0.3)
        await tether_asyncio.sleep(0)
        _spend(clock, 0.01)

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.time = lambda: clock[0]  # type: ignore[method-assign]
        await tether_asyncio.sleep(0)
        loop.call_soon(_spend, clock, 0.25)
        loop.call_soon(_spend, clock, 0.05)
        await tether_asyncio.sleep(0)
        await tether_asyncio.create_task(slow_step(), name="slow")
        loop.slow_callback_duration = 1.0
        loop.call_soon(_spend, clock, 0.5)
        await tether_asyncio.sleep(0)

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        tether_asyncio.run(main(), debug=True)
    messages = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert len(messages) == 2
    assert messages[0].startswith("Executing <Handle _spend(")
    assert messages[0].endswith("took 0.250 seconds")
    assert messages[1].startswith("Executing <Task pending name='slow' coro=<")
    assert "slow_step() running at" in messages[1]
    assert messages[1].endswith("took 0.300 seconds")


def test_set_debug_takes_effect_at_the_next_step(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.time = lambda: clock[0]  # type: ignore[method-assign]
        loop.set_debug(True)
        _spend(clock, 5.0)  # this step started outside debug mode
        await tether_asyncio.sleep(0)
        depth = sys.get_coroutine_origin_tracking_depth()
        loop.call_soon(_spend, clock, 0.2)
        await tether_asyncio.sleep(0)
        loop.set_debug(False)
        _spend(clock, 0.5)  # a step started in debug mode is measured
        await tether_asyncio.sleep(0)
        loop.call_soon(_spend, clock, 0.2)
        await tether_asyncio.sleep(0)
        assert depth == asyncio.constants.DEBUG_STACK_DEPTH

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        tether_asyncio.run(main())
    messages = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert len(messages) == 2
    assert messages[0].startswith("Executing <Handle _spend(")
    assert messages[0].endswith("took 0.200 seconds")
    assert messages[1].startswith("Executing <Task pending name=")
    assert messages[1].endswith("took 0.500 seconds")
    assert sys.get_coroutine_origin_tracking_depth() == 0


def test_non_thread_safe_calls_from_another_thread() -> None:
    async def main(debug: bool) -> list[str]:
        loop = tether_asyncio.get_running_loop()
        fut = loop.create_future()
        fut.add_done_callback(lambda f: None)
        results: list[str] = []

        def other() -> None:
            for call in (
                lambda: loop.call_soon(print),
                lambda: loop.call_later(3600, print).cancel(),
                lambda: fut.set_result(1),
            ):
                try:
                    call()
                    results.append("allowed")
                except RuntimeError as exc:
                    results.append(str(exc))

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        return results

    refused = "Non-thread-safe operation invoked on an event loop other than the current one"
    assert tether_asyncio.run(main(True), debug=True) == [refused] * 3
    assert tether_asyncio.run(main(False)) == ["allowed"] * 3


def test_callbacks_are_checked_in_debug_mode_only() -> None:
    seen: list[Context] = []

    async def coroutine_function() -> None:
        pass  # pragma: no cover

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_exception_handler(_recorder(seen))
        if loop.get_debug():
            with pytest.raises(TypeError, match="coroutines cannot be used with call_soon"):
                loop.call_soon(coroutine_function)
            with pytest.raises(TypeError, match="a callable object was expected by call_at"):
                loop.call_later(1, 42)  # type: ignore[arg-type]
        else:
            loop.call_soon(42)  # type: ignore[arg-type]
            await tether_asyncio.sleep(0)

    tether_asyncio.run(main(), debug=True)
    tether_asyncio.run(main())
    assert [c["message"] for c in seen] == ["Exception in callback 42()"]
    assert seen[0]["exception"][0] is TypeError


def test_never_awaited_coroutines_show_their_origin_in_debug_mode() -> None:
    async def coro() -> None:
        pass  # pragma: no cover

    async def main() -> None:
        c = coro()
        del c

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tether_asyncio.run(main(), debug=True)
        gc.collect()
    (warning,) = [w for w in caught if "never awaited" in str(w.message)]
    lines = str(warning.message).splitlines()
    assert lines[0] == f"coroutine '{coro.__qualname__}' was never awaited"
    assert lines[1] == "Coroutine created at (most recent call last)"
    assert lines[-1].strip() == "c = coro()"


def test_debug_mode_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")
    loop = tether_asyncio.new_event_loop()
    assert loop.get_debug()
    loop.close()
    monkeypatch.setenv("PYTHONASYNCIODEBUG", "")
    loop = tether_asyncio.new_event_loop()
    assert not loop.get_debug()
    loop.close()


def test_python_e_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    class Flags:
        dev_mode = False
        ignore_environment = True

    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")
    monkeypatch.setattr(sys, "flags", Flags())
    loop = tether_asyncio.new_event_loop()
    assert not loop.get_debug()
    loop.close()


def _run_python(
    args: list[str], *, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [os.path.join(root, "src"), os.path.join(root, "compat")]
    )
    full_env.pop("PYTHONASYNCIODEBUG", None)
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=30,
        check=False,
    )


def test_dev_mode_turns_debug_mode_on() -> None:
    code = (
        "import tether_asyncio\n"
        "async def main():\n"
        "    print(tether_asyncio.get_running_loop().get_debug())\n"
        "tether_asyncio.run(main())\n"
    )
    assert _run_python(["-X", "dev", "-c", code]).stdout == "True\n"
    assert _run_python(["-c", code]).stdout == "False\n"


def test_tether_code_in_a_debug_loop_is_not_measured(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]

    async def native() -> None:
        _spend(clock, 1.0)

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.time = lambda: clock[0]  # type: ignore[method-assign]
        await tether_asyncio.sleep(0)
        async with tether.open_nursery() as nursery:
            nursery.start_soon(native)  # a native tether task, not an asyncio one

    with caplog.at_level(logging.WARNING, logger="asyncio"):
        tether_asyncio.run(main(), debug=True)
    messages = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert messages == []
