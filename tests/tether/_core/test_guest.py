"""Guest mode (tether inside another event loop) and stepped runs."""

from __future__ import annotations

import asyncio
import gc
import math
import queue
import signal
import socket
import sys
import threading
import time
import warnings
from typing import TYPE_CHECKING, Any, TypeVar

import outcome
import pytest

import tether
from tether import lowlevel
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine

T = TypeVar("T")

# Real time: the point of guest mode is interleaving with a real host loop.
SHORT = 0.01


# -- a trivial host: a queue of callbacks ----------------------------------------


def _queue_host_run(
    guest_fn: Callable[..., Awaitable[T]],
    *args: object,
    after_start: Callable[[], object] | None = None,
    **kwargs: Any,
) -> outcome.Outcome[T]:
    """Run ``guest_fn`` as a guest of a minimal host loop; return the outcome.

    Also checks that tether calls the non-threadsafe hook only from the host
    thread.
    """
    todo: queue.Queue[tuple[str, Any]] = queue.Queue()
    host_thread = threading.get_ident()
    misuse: list[str] = []

    def threadsafe(fn: Callable[[], object]) -> None:
        todo.put(("run", fn))

    def not_threadsafe(fn: Callable[[], object]) -> None:
        if threading.get_ident() != host_thread:  # pragma: no cover
            misuse.append("not-threadsafe hook called from another thread")
        todo.put(("run", fn))

    lowlevel.start_guest_run(
        guest_fn,
        *args,
        run_sync_soon_threadsafe=threadsafe,
        run_sync_soon_not_threadsafe=not_threadsafe,
        done_callback=lambda result: todo.put(("done", result)),
        **kwargs,
    )
    if after_start is not None:
        after_start()
    while True:
        op, obj = todo.get(timeout=10)
        if op == "run":
            obj()
        else:
            assert misuse == []
            return obj  # type: ignore[no-any-return]


def test_queue_host_trivial() -> None:
    async def guest(x: int) -> int:
        await tether.sleep(0)
        return x + 1

    assert _queue_host_run(guest, 1) == outcome.Value(2)


def test_queue_host_sleeps_and_errors() -> None:
    async def guest() -> None:
        await tether.sleep(SHORT)
        raise KeyError("from guest")

    result = _queue_host_run(guest)
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, KeyError)


def test_queue_host_without_not_threadsafe_hook() -> None:
    todo: queue.Queue[tuple[str, Any]] = queue.Queue()

    async def guest() -> str:
        await tether.sleep(SHORT)
        return "only threadsafe"

    lowlevel.start_guest_run(
        guest,
        run_sync_soon_threadsafe=lambda fn: todo.put(("run", fn)),
        done_callback=lambda result: todo.put(("done", result)),
    )
    while True:
        op, obj = todo.get(timeout=10)
        if op == "run":
            obj()
        else:
            assert obj == outcome.Value("only threadsafe")
            break


def test_guest_main_does_not_run_before_start_returns() -> None:
    record: list[str] = []

    async def guest() -> str:
        record.append("main ran")
        await lowlevel.checkpoint()
        return "ok"

    def after_start() -> None:
        assert record == []
        # As in Trio, the host thread counts as inside the run until it ends.
        assert lowlevel.in_tether_run()
        assert not lowlevel.in_tether_task()

    assert _queue_host_run(guest, after_start=after_start) == outcome.Value("ok")
    assert record == ["main ran"]


def test_guest_start_errors_are_raised_from_start_guest_run() -> None:
    # As in Trio: an error while starting the run (only possible as an
    # internal error) comes out of start_guest_run, not the done callback.
    class BadClock(MockClock):
        def start_clock(self) -> None:
            raise ValueError("bad clock")

    async def guest() -> None:
        pass  # pragma: no cover

    todo: queue.Queue[tuple[str, Any]] = queue.Queue()
    try:
        lowlevel.start_guest_run(
            guest,
            run_sync_soon_threadsafe=lambda fn: todo.put(("run", fn)),
            done_callback=lambda result: todo.put(("done", result)),
            clock=BadClock(),
        )
    except tether.TetherInternalError:
        raised: object = True
    else:
        # Drive the run to its end, so that nothing leaks into other tests.
        while True:
            op, obj = todo.get(timeout=10)
            if op == "run":
                obj()
            else:
                raised = obj
                break
    assert raised is True, f"start_guest_run returned; the done callback got {raised!r}"
    # The thread is not left inside a run.
    assert not lowlevel.in_tether_run()
    assert tether.run(tether.sleep, 0) is None


def test_guest_run_timer_callbacks_fire() -> None:
    # A guest run's host learns about a new timed callback's deadline.
    trace: list[str] = []

    async def guest() -> str:
        event = tether.Event()
        lowlevel.schedule_callback_at(tether.current_time() + 0.01, event.set)
        lowlevel.schedule_callback_at(tether.current_time() + 0.005, trace.append, "first")
        await event.wait()
        return "done"

    assert _queue_host_run(guest) == outcome.Value("done")
    assert trace == ["first"]


def test_host_can_wake_a_guest_task() -> None:
    in_host: list[Callable[[], object]] = []

    async def guest() -> str:
        event = tether.Event()
        # The host loop will call event.set from outside the run.
        assert lowlevel.current_tether_token() is not None
        in_host.append(event.set)
        await event.wait()
        return "woken by host"

    todo: queue.Queue[tuple[str, Any]] = queue.Queue()
    lowlevel.start_guest_run(
        guest,
        run_sync_soon_threadsafe=lambda fn: todo.put(("run", fn)),
        done_callback=lambda result: todo.put(("done", result)),
    )
    while True:
        op, obj = todo.get(timeout=10)
        if op == "run":
            obj()
            while in_host:
                todo.put(("run", in_host.pop()))
        else:
            assert obj == outcome.Value("woken by host")
            break


def test_host_changing_a_deadline_wakes_the_guest() -> None:
    # As in Trio, the host may move a guest cancel scope's deadline.
    in_host: list[Callable[[], object]] = []
    errors: list[BaseException] = []

    async def guest() -> str:
        token = lowlevel.current_tether_token()
        with tether.CancelScope() as scope:

            def expire() -> None:
                try:
                    scope.deadline = -math.inf
                except BaseException as exc:
                    # Let the run end cleanly (so no state leaks into other
                    # tests), but fail.
                    errors.append(exc)
                    token.run_sync_soon(scope.cancel)

            in_host.append(expire)
            await tether.sleep_forever()
        assert scope.cancelled_caught
        return "ok"

    todo: queue.Queue[tuple[str, Any]] = queue.Queue()
    lowlevel.start_guest_run(
        guest,
        run_sync_soon_threadsafe=lambda fn: todo.put(("run", fn)),
        done_callback=lambda result: todo.put(("done", result)),
    )
    while True:
        op, obj = todo.get(timeout=10)
        if op == "run":
            obj()
            while in_host:
                todo.put(("run", in_host.pop()))
        else:
            assert obj == outcome.Value("ok")
            break
    assert errors == []


# -- asyncio as the host -----------------------------------------------------------


def _asyncio_host_run(
    guest_fn: Callable[..., Awaitable[T]],
    *args: object,
    host_side: Callable[[], Coroutine[Any, Any, object]] | None = None,
) -> tuple[outcome.Outcome[T], object]:
    """Run ``guest_fn`` as a guest of asyncio (with ``host_side()`` running
    alongside as an asyncio task); return the guest's outcome and the result
    of ``host_side``."""

    async def host() -> tuple[outcome.Outcome[T], object]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[outcome.Outcome[T]] = loop.create_future()
        host_task: asyncio.Task[object] | None = None
        if host_side is not None:
            host_task = asyncio.create_task(host_side())
        lowlevel.start_guest_run(
            guest_fn,
            *args,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=loop.call_soon,
            done_callback=done.set_result,
            host_uses_signal_set_wakeup_fd=True,
        )
        result = await done
        host_result = await host_task if host_task is not None else None
        # The host loop still works after the guest is gone.
        await asyncio.sleep(0)
        assert await asyncio.wait_for(asyncio.to_thread(lambda: "thread"), 10) == "thread"
        return result, host_result

    return asyncio.run(host())


def test_asyncio_host_interleaves_with_guest() -> None:
    ticks = [0]
    stop = [False]

    async def ticker() -> int:
        while not stop[0]:
            ticks[0] += 1
            await asyncio.sleep(SHORT / 5)
        return ticks[0]

    async def child(i: int, results: list[int]) -> None:
        await tether.sleep(SHORT * (3 - i))
        results.append(i)

    async def guest() -> str:
        # We run on the host's thread, inside its loop.
        loop = asyncio.get_running_loop()
        observed = []
        for _ in range(5):
            before = ticks[0]
            await tether.sleep(SHORT)
            observed.append(ticks[0] - before)
        results: list[int] = []
        async with tether.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(child, i, results)
        assert results == [2, 1, 0]
        # Timeouts work too.
        with tether.move_on_after(SHORT) as scope:
            await tether.sleep_forever()
        assert scope.cancelled_caught
        stop[0] = True
        assert loop is asyncio.get_running_loop()
        # The host ran while we slept.
        assert sum(observed) > 0
        return "guest done"

    result, host_result = _asyncio_host_run(guest, host_side=ticker)
    assert result == outcome.Value("guest done")
    assert isinstance(host_result, int)
    assert host_result > 0


def test_asyncio_host_wakes_guest_reading_a_socket() -> None:
    a, b = socket.socketpair()
    guest_waiting = asyncio.Event()

    async def writer() -> str:
        # An asyncio task: writes once the guest says it is about to wait.
        await guest_waiting.wait()
        b.send(b"from host")
        return "written"

    async def guest() -> bytes:
        guest_waiting.set()
        await lowlevel.wait_readable(a)
        return a.recv(100)

    with a, b:
        result, host_result = _asyncio_host_run(guest, host_side=writer)
    assert result == outcome.Value(b"from host")
    assert host_result == "written"


def test_asyncio_host_gets_guest_errors() -> None:
    async def guest() -> None:
        await tether.sleep(SHORT)
        async with tether.open_nursery() as nursery:
            nursery.start_soon(tether.sleep_forever)
            raise ValueError("guest failed")

    result, _ = _asyncio_host_run(guest)
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, ExceptionGroup)
    assert [type(e) for e in result.error.exceptions] == [ValueError]


def test_asyncio_host_and_run_sync_soon_from_a_thread() -> None:
    async def guest() -> str:
        token = lowlevel.current_tether_token()
        with tether.CancelScope() as scope:
            thread = threading.Thread(target=token.run_sync_soon, args=(scope.cancel,))
            thread.start()
            await tether.sleep_forever()
        thread.join()
        return "cancelled from thread"

    result, _ = _asyncio_host_run(guest)
    assert result == outcome.Value("cancelled from thread")


def test_asyncio_host_keeps_its_signal_wakeup_fd() -> None:
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        pytest.skip("needs the main thread")
    seen: list[int] = []

    async def guest() -> None:
        await tether.sleep(0)

    async def host() -> None:
        loop = asyncio.get_running_loop()
        before = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(before)
        done: asyncio.Future[outcome.Outcome[None]] = loop.create_future()
        lowlevel.start_guest_run(
            guest,
            run_sync_soon_threadsafe=loop.call_soon_threadsafe,
            run_sync_soon_not_threadsafe=loop.call_soon,
            done_callback=done.set_result,
            host_uses_signal_set_wakeup_fd=True,
        )
        during = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(during)
        (await done).unwrap()
        after = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(after)
        seen.extend([before, during, after])

    asyncio.run(host())
    assert seen[0] == seen[1] == seen[2]


# -- stepped runs --------------------------------------------------------------------


def test_stepped_run_until_done() -> None:
    async def main(x: int) -> int:
        for _ in range(3):
            await tether.sleep(0)
        return x * 2

    run = lowlevel.open_stepped_run(main, 21)
    assert not run.done
    with pytest.raises(RuntimeError):
        run.outcome  # noqa: B018
    steps = 0
    while run.step():
        steps += 1
        # Between steps, this thread is not inside the run.
        assert not lowlevel.in_tether_run()
        assert steps < 1000
    assert steps > 0
    assert run.done
    assert run.outcome == outcome.Value(42)
    # Stepping a finished run is harmless.
    assert run.step() is False
    run.close()
    assert run.outcome == outcome.Value(42)


def test_stepped_run_error_outcome() -> None:
    async def main() -> None:
        await tether.sleep(0)
        raise KeyError("stepped")

    run = lowlevel.open_stepped_run(main)
    try:
        while run.step():
            pass
    finally:
        run.close()
    result = run.outcome
    assert isinstance(result, outcome.Error)
    assert isinstance(result.error, KeyError)


def test_stepped_run_with_max_block_zero_does_not_block() -> None:
    clock = MockClock()

    async def main() -> str:
        await tether.sleep(10)
        return "slept"

    run = lowlevel.open_stepped_run(main, clock=clock)
    try:
        start = time.perf_counter()
        for _ in range(20):
            assert run.step(max_block=0)
        # The deadline is ~forever away in real time, and we never waited.
        assert time.perf_counter() - start < 2
        assert not run.done
        clock.jump(10)
        while run.step(max_block=0):
            pass
        assert run.outcome == outcome.Value("slept")
    finally:
        run.close()


def test_stepped_run_woken_by_token_from_a_thread() -> None:
    scopes: list[tether.CancelScope] = []

    async def main() -> str:
        with tether.CancelScope() as scope:
            scopes.append(scope)
            await tether.sleep_forever()
        return "cancelled"

    run = lowlevel.open_stepped_run(main)
    try:
        while not scopes:
            assert run.step(max_block=0)
        # Queue the wake-up before stepping; step() may then block forever
        # in the I/O wait but returns as soon as the token's byte arrives.
        thread = threading.Thread(target=run.token.run_sync_soon, args=(scopes[0].cancel,))
        thread.start()
        thread.join()
        while run.step():
            pass
        assert run.outcome == outcome.Value("cancelled")
    finally:
        run.close()


def test_stepped_run_close_abandons_the_run() -> None:
    async def main() -> None:
        await tether.sleep_forever()

    run = lowlevel.open_stepped_run(main)
    for _ in range(5):
        assert run.step(max_block=0)
    run.close()
    assert run.done
    assert run.step() is False
    with pytest.raises(RuntimeError):
        run.outcome  # noqa: B018
    run.close()  # idempotent
    assert not lowlevel.in_tether_run()
    # A new run can start afterwards.
    assert tether.run(tether.sleep, 0) is None
    # Dropping the abandoned run must not make its coroutines complain
    # (collect now, so any complaint is reported against this test).
    del run
    for _ in range(3):
        gc.collect()


def test_stepped_run_close_reports_a_task_whose_cleanup_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reports: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reports.append)

    async def stubborn() -> None:
        try:
            await tether.sleep_forever()
        finally:
            raise ValueError("cleanup failed")

    async def main() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(stubborn)
            await tether.sleep_forever()

    run = lowlevel.open_stepped_run(main)
    for _ in range(5):
        run.step(max_block=0)
    run.close()  # the other tasks are still closed; the failure is reported
    assert run.done
    assert len(reports) == 1
    report = reports[0]
    assert isinstance(report.exc_value, ValueError)
    assert report.exc_type is ValueError
    assert "abandoned task" in report.err_msg
    assert report.object is not None


def test_stepped_run_close_before_first_step() -> None:
    async def main() -> None:
        pass  # pragma: no cover

    sigint_before = signal.getsignal(signal.SIGINT)
    try:
        run = lowlevel.open_stepped_run(main)
        run.close()
        assert run.done
        assert run.step() is False
        # Everything open_stepped_run set up is released again.
        assert signal.getsignal(signal.SIGINT) is sigint_before
        del run
        with warnings.catch_warnings():
            warnings.simplefilter("error", ResourceWarning)
            for _ in range(3):
                gc.collect()
    finally:
        # Don't let a leaked handler affect later tests.
        signal.signal(signal.SIGINT, sigint_before)


async def test_stepped_run_made_inside_a_run_steps_only_outside_it() -> None:
    async def main() -> str:
        return "stepped elsewhere"

    run = lowlevel.open_stepped_run(main)
    try:
        with pytest.raises(RuntimeError, match="inside another run"):
            run.step()
        # Another thread (with no run of its own) may drive it.
        result: list[bool] = []

        def drive() -> None:
            while run.step():
                pass
            result.append(run.done)

        await tether.to_thread.run_sync(drive)
        assert result == [True]
        assert run.outcome.unwrap() == "stepped elsewhere"
    finally:
        run.close()


def test_two_stepped_runs_interleaved_in_one_thread() -> None:
    log: list[str] = []

    async def main(name: str) -> str:
        for i in range(3):
            log.append(f"{name}{i}")
            await tether.sleep(0)
        await wait_all_tasks_blocked()
        return name

    run_a = lowlevel.open_stepped_run(main, "a")
    run_b = lowlevel.open_stepped_run(main, "b")
    try:
        busy = True
        while busy:
            busy = run_a.step(max_block=0) | run_b.step(max_block=0)
        assert run_a.outcome == outcome.Value("a")
        assert run_b.outcome == outcome.Value("b")
    finally:
        run_a.close()
        run_b.close()
    assert sorted(log) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    assert log.index("b0") < log.index("a2")


def test_stepped_run_can_be_entered_between_steps() -> None:
    seen: list[str] = []

    async def main() -> str:
        await tether.sleep(0)
        await tether.sleep(0)
        return "done"

    run = lowlevel.open_stepped_run(main)
    try:
        with pytest.raises(RuntimeError, match="step"), run.entered():
            pass  # pragma: no cover
        assert run.step(max_block=0)
        assert not lowlevel.in_tether_run()
        with run.entered():
            assert lowlevel.in_tether_run()
            with run.entered():  # nesting is fine
                lowlevel.schedule_callback(seen.append, "callback")
        assert not lowlevel.in_tether_run()
        assert seen == []  # nothing runs until the next step
        while run.step(max_block=0):
            pass
        assert seen == ["callback"]
        assert run.outcome.unwrap() == "done"
        with pytest.raises(RuntimeError, match="finished"), run.entered():
            pass  # pragma: no cover
    finally:
        run.close()


def test_work_scheduled_while_entered_is_not_blocked_on() -> None:
    seen: list[str] = []
    release = tether.Event()

    async def main() -> None:
        await release.wait()

    run = lowlevel.open_stepped_run(main)
    try:
        assert run.step(max_block=0)
        # main is now parked with nothing due: the next step would block
        # forever unless scheduling work shortens its timeout.
        with run.entered():
            lowlevel.schedule_callback(seen.append, "callback")
            lowlevel.schedule_callback(release.set)
        assert run.step()  # must return promptly
        assert seen == ["callback"]
        while run.step():
            pass
        assert run.outcome.unwrap() is None
    finally:
        run.close()


# -- stepped runs that leave Ctrl-C to the driver --------------------------------


class _Interrupted(Exception):
    pass


def _recording_sigint_handler(calls: list[str]) -> Any:
    def handler(signum: int, frame: object) -> None:
        calls.append("handler")
        raise _Interrupted

    return handler


def test_stepped_run_can_leave_sigint_alone() -> None:
    before = signal.getsignal(signal.SIGINT)
    run = lowlevel.open_stepped_run(tether.sleep_forever, deliver_keyboard_interrupt=False)
    try:
        run.step()
        assert signal.getsignal(signal.SIGINT) is before
    finally:
        run.close()
    with_default = lowlevel.open_stepped_run(tether.sleep_forever)
    try:
        with_default.step()
        if before is signal.default_int_handler:
            assert signal.getsignal(signal.SIGINT) is not before  # tether's own handler
    finally:
        with_default.close()
    assert signal.getsignal(signal.SIGINT) is before


def test_sigint_guard_calls_the_handler_in_a_task_at_once() -> None:
    calls: list[str] = []
    seen: list[str] = []

    async def main() -> None:
        try:
            signal.raise_signal(signal.SIGINT)  # lands in this task's code
        except _Interrupted:
            seen.append("raised in the task")
        await tether.sleep(0)

    previous = signal.signal(signal.SIGINT, _recording_sigint_handler(calls))
    run = lowlevel.open_stepped_run(main, deliver_keyboard_interrupt=False)
    try:
        with run.sigint_guard():
            assert signal.getsignal(signal.SIGINT) is not previous
            while run.step():
                pass
    finally:
        run.close()
        signal.signal(signal.SIGINT, previous)
    assert calls == ["handler"]
    assert seen == ["raised in the task"]
    assert run.outcome.unwrap() is None


def test_sigint_guard_defers_the_handler_out_of_tether_code() -> None:
    calls: list[str] = []
    progress: list[str] = []

    async def main() -> None:
        # A callback runs inside tether's protected code: the handler must
        # not run there, but right after the step, from step().
        lowlevel.schedule_callback(signal.raise_signal, signal.SIGINT)
        await tether.sleep(0)
        progress.append("after")

    handler = _recording_sigint_handler(calls)
    previous = signal.signal(signal.SIGINT, handler)
    run = lowlevel.open_stepped_run(main, deliver_keyboard_interrupt=False)
    try:
        with run.sigint_guard():
            raised = 0
            while True:
                try:
                    if not run.step():
                        break
                except _Interrupted:
                    raised += 1
                    assert not lowlevel.in_tether_run()
            assert raised == 1
        assert signal.getsignal(signal.SIGINT) is handler  # the guard is gone
    finally:
        run.close()
        signal.signal(signal.SIGINT, previous)
    # The run survived the interruption and finished normally.
    assert progress == ["after"]
    assert run.outcome.unwrap() is None


def test_sigint_guard_ends_a_step_that_keeps_going() -> None:
    calls: list[str] = []
    progress: list[int] = []
    at_interrupt: list[list[int]] = []

    async def main() -> None:
        lowlevel.schedule_callback(signal.raise_signal, signal.SIGINT)
        for i in range(5):
            await tether.sleep(0)
            progress.append(i)

    previous = signal.signal(signal.SIGINT, _recording_sigint_handler(calls))
    run = lowlevel.open_stepped_run(main, deliver_keyboard_interrupt=False)
    try:
        with run.sigint_guard():
            while True:
                try:
                    if not run.step(0, lambda: True):
                        break
                except _Interrupted:
                    at_interrupt.append(list(progress))
    finally:
        run.close()
        signal.signal(signal.SIGINT, previous)
    # The handler ran right after the iteration the signal landed in, not
    # once the step had run the whole program.
    assert calls == ["handler"]
    assert len(at_interrupt) == 1
    assert len(at_interrupt[0]) <= 1
    assert progress == [0, 1, 2, 3, 4]


def test_sigint_guard_between_steps_calls_the_handler_at_once() -> None:
    calls: list[str] = []
    previous = signal.signal(signal.SIGINT, _recording_sigint_handler(calls))
    run = lowlevel.open_stepped_run(tether.sleep_forever, deliver_keyboard_interrupt=False)
    try:
        run.step(0)
        with run.sigint_guard(), pytest.raises(_Interrupted):
            signal.raise_signal(signal.SIGINT)
        assert calls == ["handler"]
        run.step(0)
    finally:
        run.close()
        signal.signal(signal.SIGINT, previous)


def test_sigint_guard_wakes_a_step_blocked_in_the_io_wait() -> None:
    calls: list[str] = []
    previous = signal.signal(signal.SIGINT, _recording_sigint_handler(calls))
    run = lowlevel.open_stepped_run(tether.sleep_forever, deliver_keyboard_interrupt=False)
    main_thread = threading.main_thread().ident
    timer = threading.Timer(0.05, signal.pthread_kill, (main_thread, signal.SIGINT))

    def step_until_interrupted() -> None:
        while True:  # blocks in the I/O wait until the signal
            run.step(30)

    try:
        run.step(0)
        with run.sigint_guard():
            timer.start()
            with pytest.raises(_Interrupted):
                step_until_interrupted()
        assert calls == ["handler"]
    finally:
        timer.cancel()
        run.close()
        signal.signal(signal.SIGINT, previous)


def test_stepped_run_sniffio_name() -> None:
    sniffio = pytest.importorskip("sniffio")
    names: list[str] = []

    async def main() -> None:
        names.append(sniffio.current_async_library())

    run = lowlevel.open_stepped_run(main, sniffio_name="asyncio")
    try:
        while run.step():
            pass
    finally:
        run.close()
    assert names == ["asyncio"]
