"""tether.to_thread and tether.from_thread.

Threads are synchronised with threading.Event (``HANG`` is only a hang
detector); blocking the run's thread on such an event is fine while the
worker needs nothing from the run.
"""

from __future__ import annotations

import contextvars
import os
import signal
import subprocess
import sys
import textwrap
import threading
from typing import TYPE_CHECKING, Any

import pytest

import tether
import tether.from_thread
import tether.to_thread
from tether.lowlevel import current_tether_token
from tether.testing import active_thread_count, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Callable

HANG = 20.0

run_sync = tether.to_thread.run_sync


def wait(event: threading.Event) -> None:
    assert event.wait(HANG), "hang detector fired"


class RecordingLimiter:
    """A CapacityLimiter-like object that reports releases to the run."""

    def __init__(self, total: int) -> None:
        self.inner = tether.CapacityLimiter(total)
        self.released = tether.Event()
        self.borrowers: list[object] = []

    async def acquire_on_behalf_of(self, borrower: object) -> None:
        await self.inner.acquire_on_behalf_of(borrower)
        self.borrowers.append(borrower)

    def release_on_behalf_of(self, borrower: object) -> None:
        self.inner.release_on_behalf_of(borrower)
        self.released.set()


def as_limiter(limiter: RecordingLimiter) -> tether.CapacityLimiter:
    return limiter  # type: ignore[return-value]


# ----------------------------------------------------------------- basics


async def test_returns_the_result_from_another_thread() -> None:
    def fn(x: int, y: int) -> tuple[int, int]:
        return x + y, threading.get_ident()

    total, ident = await run_sync(fn, 2, 3)
    assert total == 5
    assert ident != threading.get_ident()


async def test_worker_error_propagates() -> None:
    def boom() -> None:
        raise ValueError("from the thread")

    with pytest.raises(ValueError, match="from the thread") as info:
        await run_sync(boom)
    assert info.value.__traceback__ is not None


async def test_async_function_is_rejected() -> None:
    async def not_sync() -> None:
        pass  # pragma: no cover

    with pytest.raises(TypeError, match="appears to be asynchronous"):
        await run_sync(not_sync)  # type: ignore[arg-type,unused-ignore,unused-coroutine]


async def test_is_a_checkpoint() -> None:
    with tether.testing.assert_checkpoints():
        await run_sync(lambda: None)
    ran: list[bool] = []
    with tether.CancelScope() as scope:
        scope.cancel()
        await run_sync(lambda: ran.append(True))
    assert scope.cancelled_caught
    assert ran == []  # cancelled before the thread started


async def test_default_thread_name_and_custom_name() -> None:
    def name() -> str:
        return threading.current_thread().name

    def my_function() -> str:
        return name()

    task_name = tether.lowlevel.current_task().name
    assert await run_sync(my_function) == f"my_function from {task_name}"
    assert await run_sync(name, thread_name="custom name") == "custom name"


async def test_os_thread_name_is_set_where_supported() -> None:
    comm = "/proc/self/task/{}/comm"
    if not os.path.exists(comm.format(threading.get_native_id())):  # noqa: ASYNC240
        pytest.skip("no /proc thread names here")

    def read_comm() -> str:
        with open(comm.format(threading.get_native_id())) as f:
            return f.read().strip()

    assert await run_sync(read_comm, thread_name="abcdefghijklmnopq") == "abcdefghijklmno"


async def test_threads_are_reused() -> None:
    first = await run_sync(threading.get_ident)
    second = await run_sync(threading.get_ident)
    assert first == second


async def test_context_vars_are_copied_into_the_thread() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("task value")

    def in_thread() -> str:
        seen = var.get()
        var.set("thread value")
        return seen

    assert await run_sync(in_thread) == "task value"
    assert var.get() == "task value"  # the thread's change stays in the thread


async def test_thread_is_not_in_async_context() -> None:
    sniffio = pytest.importorskip("sniffio")

    def which() -> str:
        try:
            return str(sniffio.current_async_library())
        except sniffio.AsyncLibraryNotFoundError:
            return "none"

    assert await run_sync(which) == "none"


async def test_active_thread_count() -> None:
    entered, release = threading.Event(), threading.Event()

    def fn() -> None:
        entered.set()
        wait(release)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(run_sync, fn)
        await wait_all_tasks_blocked()
        wait(entered)
        assert active_thread_count() == 1
        release.set()
    assert active_thread_count() == 0


# ----------------------------------------------------------------- cancellation


async def test_cancel_without_abandon_waits_for_the_thread() -> None:
    entered, release = threading.Event(), threading.Event()
    results: list[str] = []
    scope = tether.CancelScope()

    def fn() -> str:
        entered.set()
        wait(release)
        return "finished"

    async def call() -> None:
        with scope:
            results.append(await run_sync(fn))
            await tether.lowlevel.checkpoint()  # now the cancellation lands
            results.append("not reached")  # pragma: no cover

    async with tether.open_nursery() as nursery:
        nursery.start_soon(call)
        await wait_all_tasks_blocked()
        wait(entered)
        scope.cancel()
        await wait_all_tasks_blocked()
        assert results == []  # still waiting for the thread
        release.set()
    assert results == ["finished"]
    assert scope.cancelled_caught


async def test_cancel_with_abandon_returns_at_once() -> None:
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()
    limiter = RecordingLimiter(1)

    def fn() -> str:
        entered.set()
        wait(release)
        finished.set()
        return "discarded"

    async def call(task_status: tether.TaskStatus[tether.CancelScope]) -> None:
        with tether.CancelScope() as inner:
            task_status.started(inner)
            await run_sync(fn, abandon_on_cancel=True, limiter=as_limiter(limiter))
        assert inner.cancelled_caught

    async with tether.open_nursery() as nursery:
        inner = await nursery.start(call)
        await wait_all_tasks_blocked()
        wait(entered)
        inner.cancel()
    # The call is over but the thread still runs and still holds the token.
    assert not finished.is_set()
    assert limiter.inner.borrowed_tokens == 1
    assert active_thread_count() == 0
    release.set()
    await limiter.released.wait()
    assert finished.is_set()
    assert limiter.inner.borrowed_tokens == 0


@pytest.mark.parametrize("abandon", [False, True])
async def test_check_cancelled(abandon: bool) -> None:
    entered, go_on, checked = threading.Event(), threading.Event(), threading.Event()
    seen: list[str] = []

    def fn() -> None:
        tether.from_thread.check_cancelled()  # not cancelled: no-op
        entered.set()
        wait(go_on)
        try:
            tether.from_thread.check_cancelled()
        except tether.Cancelled as exc:
            seen.append(f"cancelled: {exc.source}")
            raise
        finally:
            checked.set()

    scope = tether.CancelScope()

    async def call() -> None:
        with scope:
            await run_sync(fn, abandon_on_cancel=abandon)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(call)
        await wait_all_tasks_blocked()
        wait(entered)
        scope.cancel()
        await wait_all_tasks_blocked()
        go_on.set()
        if abandon:
            # The call has already returned: wait for the thread here.
            wait(checked)
    assert scope.cancelled_caught
    assert seen == ["cancelled: explicit"]


async def test_cancelled_error_from_check_cancelled_reaches_the_scope() -> None:
    entered, go_on = threading.Event(), threading.Event()

    def fn() -> None:
        entered.set()
        wait(go_on)
        tether.from_thread.check_cancelled()

    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(run_sync, fn)
            await wait_all_tasks_blocked()
            wait(entered)
            scope.cancel("stop it")
            go_on.set()
    assert scope.cancelled_caught


async def test_cancellation_propagates_into_from_thread_run() -> None:
    afn_started = tether.Event()
    seen: list[str] = []

    async def afn() -> None:
        afn_started.set()
        await tether.sleep_forever()

    def fn() -> str:
        try:
            tether.from_thread.run(afn)
        except tether.Cancelled:
            seen.append("Cancelled in the thread")
            raise
        return "not reached"  # pragma: no cover

    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(run_sync, fn)
            await afn_started.wait()
            scope.cancel()
    assert scope.cancelled_caught
    assert seen == ["Cancelled in the thread"]


async def test_abandoned_thread_calls_into_a_system_task() -> None:
    # With abandon_on_cancel=True, from_thread.run does not run inside the
    # waiting task, so cancelling the call does not cancel it.
    started, release, done = tether.Event(), tether.Event(), tether.Event()
    seen: list[str] = []

    async def afn() -> str:
        started.set()
        await release.wait()
        return "afn finished"

    def fn() -> None:
        seen.append(tether.from_thread.run(afn))
        tether.from_thread.run_sync(done.set)

    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(lambda: run_sync(fn, abandon_on_cancel=True))
            await started.wait()
            scope.cancel()
    assert scope.cancelled_caught
    release.set()
    await done.wait()
    assert seen == ["afn finished"]


# ----------------------------------------------------------------- limiter


async def test_default_limiter() -> None:
    limiter = tether.to_thread.current_default_thread_limiter()
    assert isinstance(limiter, tether.CapacityLimiter)
    assert limiter.total_tokens == 40
    assert tether.to_thread.current_default_thread_limiter() is limiter


def test_default_limiter_is_per_run() -> None:
    async def get() -> tether.CapacityLimiter:
        limiter = tether.to_thread.current_default_thread_limiter()
        entered, release = threading.Event(), threading.Event()

        def fn() -> None:
            entered.set()
            wait(release)

        async with tether.open_nursery() as nursery:
            nursery.start_soon(run_sync, fn)
            await wait_all_tasks_blocked()
            wait(entered)
            stats = limiter.statistics()
            assert stats.borrowed_tokens == 1
            assert stats.total_tokens == 40
            assert len(stats.borrowers) == 1
            assert stats.borrowers[0] is not tether.lowlevel.current_task()
            release.set()
        assert limiter.borrowed_tokens == 0
        return limiter

    assert tether.run(get) is not tether.run(get)
    with pytest.raises(RuntimeError):
        tether.to_thread.current_default_thread_limiter()


async def test_limiter_bounds_concurrent_threads() -> None:
    limiter = tether.CapacityLimiter(1)
    entered = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]
    order: list[int] = []

    def fn(i: int) -> None:
        entered[i].set()
        order.append(i)
        wait(release[i])

    async with tether.open_nursery() as nursery:
        nursery.start_soon(lambda: run_sync(fn, 0, limiter=limiter))
        await wait_all_tasks_blocked()
        wait(entered[0])
        nursery.start_soon(lambda: run_sync(fn, 1, limiter=limiter))
        await wait_all_tasks_blocked()
        stats = limiter.statistics()
        assert stats.borrowed_tokens == 1
        assert stats.tasks_waiting == 1
        assert not entered[1].is_set()
        release[0].set()
        release[1].set()
    assert order == [0, 1]
    assert limiter.borrowed_tokens == 0


async def test_changing_the_default_limiter_total() -> None:
    limiter = tether.to_thread.current_default_thread_limiter()
    limiter.total_tokens = 2
    entered = [threading.Event() for _ in range(3)]
    release = threading.Event()

    def fn(i: int) -> None:
        entered[i].set()
        wait(release)

    async with tether.open_nursery() as nursery:
        for i in range(3):
            nursery.start_soon(run_sync, fn, i)
        await wait_all_tasks_blocked()
        wait(entered[0])
        wait(entered[1])
        assert limiter.statistics().tasks_waiting == 1
        assert not entered[2].is_set()
        release.set()
    assert all(e.is_set() for e in entered)


async def test_limiter_release_error_replaces_the_result() -> None:
    class BadLimiter(RecordingLimiter):
        def release_on_behalf_of(self, borrower: object) -> None:
            super().release_on_behalf_of(borrower)
            raise RuntimeError("release failed")

    def boom() -> None:
        raise ValueError("thread error")

    with pytest.raises(RuntimeError, match="release failed") as info:
        await run_sync(boom, limiter=as_limiter(BadLimiter(1)))
    assert isinstance(info.value.__context__, ValueError)


# ----------------------------------------------------------------- from_thread


async def test_from_thread_run_and_run_sync_from_a_worker() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")

    async def afn(x: int) -> tuple[int, str, bool]:
        await tether.lowlevel.checkpoint()
        return x * 2, var.get(), tether.lowlevel.in_tether_task()

    def fn() -> list[object]:
        var.set("set in thread")
        return [
            tether.from_thread.run(afn, 21),
            tether.from_thread.run_sync(lambda: (var.get(), threading.get_ident())),
        ]

    async_result, sync_result = await run_sync(fn)
    assert async_result == (42, "set in thread", True)
    assert sync_result == ("set in thread", threading.get_ident())
    # The thread's context changes don't leak back into the task.
    assert var.get() == "unset"


async def test_from_thread_errors_propagate_both_ways() -> None:
    async def afn() -> None:
        await tether.lowlevel.checkpoint()
        raise KeyError("async side")

    def sync_fn() -> None:
        raise LookupError("sync side")

    def fn() -> list[str]:
        seen = []
        with pytest.raises(KeyError, match="async side"):
            tether.from_thread.run(afn)
        seen.append("run")
        with pytest.raises(LookupError, match="sync side"):
            tether.from_thread.run_sync(sync_fn)
        seen.append("run_sync")
        with pytest.raises(TypeError, match="async function"):
            tether.from_thread.run(lambda: None)  # type: ignore[arg-type,return-value]
        with pytest.raises(TypeError, match="appears to be asynchronous"):
            tether.from_thread.run_sync(afn)  # type: ignore[unused-coroutine]
        seen.append("type errors")
        raise ZeroDivisionError(seen)

    with pytest.raises(ZeroDivisionError) as info:
        await run_sync(fn)
    assert info.value.args[0] == ["run", "run_sync", "type errors"]


async def test_from_thread_in_a_foreign_thread_with_a_token() -> None:
    token = current_tether_token()
    done = tether.Event()
    results: list[Any] = []

    async def afn() -> str:
        await tether.lowlevel.checkpoint()
        return "async ok"

    def foreign() -> None:
        try:
            results.append(tether.from_thread.run(afn, trio_token=token))
            results.append(tether.from_thread.run_sync(lambda: "sync ok", trio_token=token))
            calls: list[Callable[[], object]] = [
                lambda: tether.from_thread.run_sync(lambda: None),
                tether.from_thread.check_cancelled,
                lambda: tether.from_thread.run_sync(lambda: None, trio_token="x"),  # type: ignore[arg-type]
            ]
            for call in calls:
                try:
                    call()
                except RuntimeError as exc:
                    results.append(str(exc))
        finally:
            tether.from_thread.run_sync(done.set, trio_token=token)

    thread = threading.Thread(target=foreign)
    thread.start()
    await done.wait()
    thread.join(HANG)
    assert not thread.is_alive()
    assert results[:2] == ["async ok", "sync ok"]
    assert "pass kwarg trio_token" in results[2]
    assert "can't check for cancellation" in results[3]
    assert "not of type TrioToken" in results[4]


async def test_from_thread_in_the_run_thread_is_an_error() -> None:
    token = current_tether_token()

    async def afn() -> None:
        pass  # pragma: no cover

    with pytest.raises(RuntimeError, match="call it from a thread"):
        tether.from_thread.run(afn, trio_token=token)
    with pytest.raises(RuntimeError, match="call it from a thread"):
        tether.from_thread.run_sync(lambda: None, trio_token=token)
    with pytest.raises(RuntimeError, match="trio_token"):
        tether.from_thread.run_sync(lambda: None)
    with pytest.raises(RuntimeError):
        tether.from_thread.check_cancelled()


def test_from_thread_after_the_run_finished() -> None:
    async def get_token() -> tether.lowlevel.TetherToken:
        return current_tether_token()

    token = tether.run(get_token)
    errors: list[BaseException] = []

    def foreign() -> None:
        try:
            tether.from_thread.run_sync(lambda: None, trio_token=token)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=foreign)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive()
    assert len(errors) == 1
    assert isinstance(errors[0], tether.RunFinishedError)


async def test_from_thread_run_with_token_from_a_worker_uses_a_system_task() -> None:
    token = current_tether_token()

    async def afn() -> bool:
        task = tether.lowlevel.current_task()
        return task.parent_nursery is not None and task.parent_nursery.parent_task is (
            tether.lowlevel.current_root_task()
        )

    assert await run_sync(lambda: tether.from_thread.run(afn, trio_token=token))


async def test_nested_to_thread_from_a_worker_via_from_thread() -> None:
    async def inner() -> int:
        return await run_sync(threading.get_ident)

    outer_ident, inner_ident = await run_sync(
        lambda: (threading.get_ident(), tether.from_thread.run(inner))
    )
    assert isinstance(inner_ident, int)
    assert isinstance(outer_ident, int)


# ----------------------------------------------------------------- KeyboardInterrupt

KI_PROGRAM = textwrap.dedent(
    """
    import threading

    import tether
    import tether.to_thread

    never = threading.Event()

    def blocker():
        print("blocked", flush=True)
        never.wait()

    async def main():
        await tether.to_thread.run_sync(blocker, abandon_on_cancel=True)

    try:
        tether.run(main)
    finally:
        left = [
            t.name
            for t in threading.enumerate()
            if not t.daemon and t is not threading.main_thread()
        ]
        print("non-daemon threads:", left, flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_keyboard_interrupt_while_in_an_abandonable_thread() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KI_PROGRAM],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "blocked\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG)
    finally:
        if proc.poll() is None:  # pragma: no cover - hang
            proc.kill()
            proc.communicate()
    assert "KeyboardInterrupt" in err, err
    assert proc.returncode in (-signal.SIGINT, 1, 130), (proc.returncode, err)
    assert "non-daemon threads: []" in out
