"""The loop's executors, to_thread, run_coroutine_threadsafe and wrap_future,
alone and mixed with tether code (cancel scopes, the mock clock)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import sys
import threading
from typing import Any

import pytest

import tether
import tether_asyncio
from tether.testing import MockClock
from tether_asyncio import _pyversion
from tether_asyncio._executors import THREAD_JOIN_TIMEOUT

var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")


def _runner(clock: MockClock | None = None) -> tether_asyncio.Runner:
    return tether_asyncio.Runner(loop_factory=lambda: tether_asyncio.TetherLoop(clock=clock))


def _asyncio_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("asyncio_")]


def test_default_executor_is_created_on_first_use() -> None:
    async def main() -> tuple[Any, ...]:
        loop = tether_asyncio.get_running_loop()
        before = loop._default_executor
        name = await loop.run_in_executor(None, lambda: threading.current_thread().name)
        return before, loop._default_executor, name

    with _runner() as runner:
        before, executor, name = runner.run(main())
    assert before is None
    assert isinstance(executor, concurrent.futures.ThreadPoolExecutor)
    assert name.startswith("asyncio_")
    assert _asyncio_threads() == []  # joined when the runner closed


def test_run_in_executor_returns_a_facade_future() -> None:
    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="custom") as ex:
            fut = loop.run_in_executor(ex, lambda x: (x, threading.current_thread().name), 5)
            assert isinstance(fut, tether_asyncio.Future)
            assert fut.get_loop() is loop
            value, name = await fut
        assert value == 5
        assert name.startswith("custom")
        with pytest.raises(ZeroDivisionError):
            await loop.run_in_executor(None, lambda: 1 / 0)

    with _runner() as runner:
        runner.run(main())


def test_run_in_executor_checks_callbacks_in_debug_mode() -> None:
    async def coro_fn() -> None:
        pass

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.set_debug(True)
        with pytest.raises(TypeError, match="coroutines cannot be used with run_in_executor"):
            loop.run_in_executor(None, coro_fn)

    with _runner() as runner:
        runner.run(main())


def test_set_default_executor() -> None:
    loop = tether_asyncio.TetherLoop()
    try:
        with pytest.raises(TypeError, match="executor must be ThreadPoolExecutor instance"):
            loop.set_default_executor(concurrent.futures.Executor())  # type: ignore[arg-type]
        executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="chosen")
        loop.set_default_executor(executor)
        name = loop.run_until_complete(
            loop.run_in_executor(None, lambda: threading.current_thread().name)
        )
        assert name.startswith("chosen")
        loop.run_until_complete(loop.shutdown_default_executor())
        assert executor._shutdown
    finally:
        loop.close()


def test_shutdown_default_executor_then_run_in_executor() -> None:
    loop = tether_asyncio.TetherLoop()
    try:
        loop.run_until_complete(loop.run_in_executor(None, int))
        loop.run_until_complete(loop.shutdown_default_executor())
        assert _asyncio_threads() == []
        with pytest.raises(RuntimeError, match="Executor shutdown has been called"):
            loop.run_in_executor(None, int)
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            assert loop.run_until_complete(loop.run_in_executor(ex, abs, -2)) == 2
        # A second shutdown (asyncio.run() would do one) is harmless.
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def test_shutdown_timeout_when_the_executor_is_stuck() -> None:
    if not _pyversion.SHUTDOWN_EXECUTOR_HAS_TIMEOUT:
        loop = tether_asyncio.TetherLoop()
        try:
            with pytest.raises(TypeError):
                loop.shutdown_default_executor(1).close()
        finally:
            loop.close()
        return
    release = threading.Event()

    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        loop.run_in_executor(None, release.wait)
        if not _pyversion.SHUTDOWN_EXECUTOR_TIMEOUT_BOUNDS_WAIT:
            # On 3.12 the timeout does not bound the wait: this releases it
            # (at once: the clock autojumps while the loop waits).
            loop.call_later(10, release.set)
        await loop.shutdown_default_executor(0.01)

    try:
        with _runner(MockClock(autojump_threshold=0)) as runner:
            if _pyversion.SHUTDOWN_EXECUTOR_TIMEOUT_BOUNDS_WAIT:
                with pytest.warns(RuntimeWarning, match="within 0.01 seconds"):
                    runner.run(main())
                assert not release.is_set()
            else:
                runner.run(main())
                assert release.is_set()
            release.set()
    finally:
        release.set()
    assert _asyncio_threads() == []


def test_shutdown_timeout_is_not_cut_short_by_autojump() -> None:
    # Runner.close() waits up to THREAD_JOIN_TIMEOUT for the executor: a
    # mock clock jumping over the idle loop must not turn that into a warning.
    async def main() -> None:
        await tether_asyncio.to_thread(int)

    with _runner(MockClock(autojump_threshold=0)) as runner:
        runner.run(main())
    assert _asyncio_threads() == []


def test_runner_close_shuts_the_default_executor_down_as_stock() -> None:
    calls: list[tuple[Any, ...]] = []

    class Spy(tether_asyncio.TetherLoop):
        async def shutdown_default_executor(self, *args: Any) -> None:
            calls.append(args)
            await super().shutdown_default_executor(*args)

    with tether_asyncio.Runner(loop_factory=Spy) as runner:
        runner.run(tether_asyncio.to_thread(int))
    assert calls == ([(THREAD_JOIN_TIMEOUT,)] if sys.version_info >= (3, 12) else [()])
    assert _asyncio_threads() == []


def test_close_shuts_the_default_executor_down_without_waiting() -> None:
    loop = tether_asyncio.TetherLoop()
    release = threading.Event()
    loop.run_until_complete(loop.run_in_executor(None, int))
    executor = loop._default_executor
    assert executor is not None
    executor.submit(release.wait)
    loop.close()  # returns although a worker is blocked
    assert loop._default_executor is None
    assert executor._shutdown
    release.set()
    executor.shutdown(wait=True)
    with pytest.raises(RuntimeError, match="Event loop is closed"):
        loop.run_in_executor(None, int)


def test_to_thread_copies_the_context() -> None:
    def work(a: int, *, b: int) -> tuple[int, str]:
        seen = var.get()
        var.set("changed in the thread")
        return a + b, seen

    async def main() -> tuple[tuple[int, str], str]:
        var.set("in task")
        result = await tether_asyncio.to_thread(work, 1, b=2)
        return result, var.get()

    with _runner() as runner:
        assert runner.run(main()) == ((3, "in task"), "in task")


def test_to_thread_func_is_positional_only() -> None:
    async def main() -> Any:
        return await tether_asyncio.to_thread(dict, func=1)

    with _runner() as runner:
        assert runner.run(main()) == {"func": 1}


def test_scope_cancelling_to_thread_leaves_no_thread_behind() -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[str] = []

    def blocking() -> None:
        started.set()
        release.wait()
        finished.append("thread")

    async def main() -> bool:
        with tether.CancelScope() as scope:
            fut = tether_asyncio.ensure_future(tether_asyncio.to_thread(blocking))
            await tether.to_thread.run_sync(started.wait)
            scope.cancel()
            await fut
        release.set()
        return scope.cancelled_caught

    with _runner() as runner:
        assert runner.run(main()) is True
    # Runner.close() joined the default executor: the thread ran to its end.
    assert finished == ["thread"]
    assert _asyncio_threads() == []


def test_to_thread_with_autojumping_mock_clock() -> None:
    clock = MockClock(autojump_threshold=0)
    gate = threading.Event()

    async def sleeper() -> float:
        loop = tether_asyncio.get_running_loop()
        await tether_asyncio.sleep(3600)
        gate.set()
        return loop.time()

    async def main() -> tuple[Any, ...]:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()
        # The thread can only finish once virtual time has jumped an hour.
        threaded = tether_asyncio.to_thread(gate.wait)
        woke, ok = await tether_asyncio.gather(sleeper(), threaded)
        return woke - start, ok, loop.time() - start

    with _runner(clock) as runner:
        assert runner.run(main()) == (3600, True, 3600)


def test_run_coroutine_threadsafe() -> None:
    started = threading.Event()
    seen: list[str] = []

    async def add(a: int, b: int) -> int:
        await tether_asyncio.sleep(0)
        return a + b

    async def fail() -> None:
        raise LookupError("in loop")

    async def forever() -> None:
        started.set()
        try:
            await tether_asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    def thread_side(loop: tether_asyncio.TetherLoop) -> list[Any]:
        out: list[Any] = []
        fut = tether_asyncio.run_coroutine_threadsafe(add(1, 2), loop)
        assert isinstance(fut, concurrent.futures.Future)
        out.append(fut.result(10))
        fut = tether_asyncio.run_coroutine_threadsafe(fail(), loop)
        with pytest.raises(LookupError, match="in loop"):
            fut.result(10)
        fut = tether_asyncio.run_coroutine_threadsafe(forever(), loop)
        started.wait(10)
        out.append(fut.cancel())
        with pytest.raises(concurrent.futures.CancelledError):
            fut.result(10)
        return out

    async def main() -> list[Any]:
        loop = tether_asyncio.get_running_loop()
        out: list[Any] = await tether_asyncio.to_thread(thread_side, loop)
        for _ in range(3):
            await tether_asyncio.sleep(0)
        return out

    with _runner() as runner:
        assert runner.run(main()) == [3, True]
    assert seen == ["cancelled"]


def test_run_coroutine_threadsafe_rejects_non_coroutines() -> None:
    loop = tether_asyncio.TetherLoop()
    try:
        with pytest.raises(TypeError, match="A coroutine object is required"):
            tether_asyncio.run_coroutine_threadsafe(tether_asyncio.sleep, loop)
    finally:
        loop.close()


def test_wrap_future() -> None:
    async def main() -> None:
        loop = tether_asyncio.get_running_loop()
        cf: concurrent.futures.Future[str] = concurrent.futures.Future()
        wrapped = tether_asyncio.wrap_future(cf)
        assert isinstance(wrapped, tether_asyncio.Future)
        assert wrapped.get_loop() is loop
        threading.Thread(target=cf.set_result, args=("done",)).start()
        assert await wrapped == "done"

        own = loop.create_future()
        assert tether_asyncio.wrap_future(own) is own

        cf = concurrent.futures.Future()
        wrapped = tether_asyncio.wrap_future(cf, loop=loop)
        wrapped.cancel()
        await tether_asyncio.sleep(0)
        assert cf.cancelled()

        cf = concurrent.futures.Future()
        wrapped = tether_asyncio.wrap_future(cf)
        cf.cancel()
        with pytest.raises(asyncio.CancelledError):
            await wrapped

        cf = concurrent.futures.Future()
        cf.set_exception(concurrent.futures.CancelledError("converted"))
        wrapped = tether_asyncio.wrap_future(cf)
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        assert type(wrapped.exception()) is asyncio.CancelledError

        with pytest.raises(AssertionError, match=r"concurrent\.futures\.Future is expected"):
            tether_asyncio.wrap_future("nope")

    with _runner() as runner:
        runner.run(main())


def test_wrap_future_timeout_error_identity_follows_the_version() -> None:
    exc = TimeoutError("t")

    async def main() -> BaseException | None:
        cf: concurrent.futures.Future[None] = concurrent.futures.Future()
        cf.set_exception(exc)
        wrapped = tether_asyncio.wrap_future(cf)
        await tether_asyncio.sleep(0)
        await tether_asyncio.sleep(0)
        return wrapped.exception()

    with _runner() as runner:
        got = runner.run(main())
    assert type(got) is TimeoutError
    assert (got is exc) == _pyversion.CHAIN_FUTURE_KEEPS_EXCEPTIONS


def test_call_soon_threadsafe_wakes_a_loop_blocked_in_io_wait() -> None:
    async def main() -> str:
        loop = tether_asyncio.get_running_loop()
        fut = loop.create_future()
        # Nothing else is scheduled: the loop blocks in its I/O wait until
        # the thread's callback arrives through the run's token.
        thread = threading.Thread(target=loop.call_soon_threadsafe, args=(fut.set_result, "ok"))
        thread.start()
        result: str = await fut
        thread.join()
        return result

    with _runner() as runner:
        assert runner.run(main()) == "ok"


def test_call_soon_threadsafe_between_runs_keeps_call_soon_order() -> None:
    loop = tether_asyncio.TetherLoop()
    order: list[str] = []
    try:
        loop.call_soon_threadsafe(order.append, "ts1")
        loop.call_soon(order.append, "soon1")
        thread = threading.Thread(target=loop.call_soon_threadsafe, args=(order.append, "ts2"))
        thread.start()
        thread.join()
        loop.call_soon(order.append, "soon2")
        loop.run_until_complete(tether_asyncio.sleep(0))
        assert order == ["ts1", "soon1", "ts2", "soon2"]
        order.clear()
        # After a run, too.
        loop.call_soon_threadsafe(order.append, "ts3")
        loop.call_soon(order.append, "soon3")
        loop.run_until_complete(tether_asyncio.sleep(0))
        assert order == ["ts3", "soon3"]
    finally:
        loop.close()
