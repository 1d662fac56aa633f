"""TetherToken: getting work into a run from other threads and signal handlers."""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import TYPE_CHECKING

import pytest

import tether
from tether import lowlevel
from tether.lowlevel import (
    TetherToken,
    current_tether_token,
    in_tether_run,
    in_tether_task,
    schedule_callback,
)
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    from types import FrameType


def _causes(exc: BaseException) -> list[BaseException]:
    """Every exception reachable from ``exc`` via __cause__ and groups."""
    found: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        found.append(current)
        if current.__cause__ is not None:
            todo.append(current.__cause__)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
    return found


def test_trio_names_are_aliases() -> None:
    assert lowlevel.TrioToken is TetherToken
    assert lowlevel.current_trio_token is current_tether_token
    assert lowlevel.in_trio_run is in_tether_run
    assert lowlevel.in_trio_task is in_tether_task


def test_token_has_no_public_constructor() -> None:
    with pytest.raises(TypeError):
        TetherToken()  # type: ignore[call-arg]


def test_current_token_outside_a_run() -> None:
    with pytest.raises(RuntimeError):
        current_tether_token()


async def test_tokens_are_equal_and_hashable_within_a_run() -> None:
    token = current_tether_token()
    tokens: list[TetherToken] = []

    async def child() -> None:
        tokens.append(lowlevel.current_trio_token())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child)
    assert tokens[0] == token
    assert hash(tokens[0]) == hash(token)
    assert len({token, tokens[0], current_tether_token()}) == 1


def test_tokens_of_different_runs_differ() -> None:
    async def get_token() -> TetherToken:
        return current_tether_token()

    first = tether.run(get_token)
    second = tether.run(get_token)
    assert first != second
    assert len({first, second}) == 2


async def test_run_sync_soon_from_a_thread_wakes_a_blocked_run() -> None:
    token = current_tether_token()
    with tether.CancelScope() as scope:
        thread = threading.Thread(target=token.run_sync_soon, args=(scope.cancel,))
        thread.start()
        # Nothing else can wake us: no deadline, no other task.
        await tether.sleep_forever()
    thread.join()
    assert scope.cancelled_caught


async def test_run_sync_soon_callbacks_run_in_fifo_order() -> None:
    token = current_tether_token()
    done = tether.Event()
    record: list[int] = []
    caller_threads: list[int] = []

    def cb(i: int) -> None:
        caller_threads.append(threading.get_ident())
        record.append(i)

    def from_thread() -> None:
        for i in range(50):
            token.run_sync_soon(cb, i)
        token.run_sync_soon(done.set)

    thread = threading.Thread(target=from_thread)
    thread.start()
    await done.wait()
    thread.join()
    assert record == list(range(50))
    # The callbacks ran in the run's thread.
    assert set(caller_threads) == {threading.get_ident()}


async def test_run_sync_soon_from_inside_the_run() -> None:
    token = current_tether_token()
    record: list[str] = []
    done = tether.Event()

    def cb(tag: str) -> None:
        # Callbacks run in a (system) task of the run.
        assert in_tether_run()
        assert in_tether_task()
        record.append(tag)

    token.run_sync_soon(cb, "a")
    token.run_sync_soon(cb, "b")
    token.run_sync_soon(done.set)
    # Nothing ran synchronously.
    assert record == []
    await done.wait()
    assert record == ["a", "b"]


async def test_idempotent_callbacks_are_deduplicated() -> None:
    token = current_tether_token()
    record: list[int] = []
    done = tether.Event()

    def cb(i: int) -> None:
        record.append(i)

    for _ in range(5):
        token.run_sync_soon(cb, 1, idempotent=True)
    token.run_sync_soon(cb, 2, idempotent=True)
    token.run_sync_soon(cb, 1, idempotent=True)
    # Non-idempotent ones are never merged.
    token.run_sync_soon(cb, 3)
    token.run_sync_soon(cb, 3)
    token.run_sync_soon(done.set)
    await done.wait()
    await wait_all_tasks_blocked()
    assert sorted(record) == [1, 2, 3, 3]

    # Once it has run, the same callback may be queued again.
    record.clear()
    done = tether.Event()
    token.run_sync_soon(cb, 1, idempotent=True)
    token.run_sync_soon(done.set)
    await done.wait()
    await wait_all_tasks_blocked()
    assert record == [1]


def test_raising_callback_crashes_the_run() -> None:
    cleanup: list[str] = []

    async def main() -> None:
        token = current_tether_token()

        def bad() -> None:
            raise KeyError("from callback")

        token.run_sync_soon(bad)
        try:
            await tether.sleep_forever()
        finally:
            cleanup.append("main cancelled")

    with pytest.raises(tether.TetherInternalError) as info:
        tether.run(main)
    assert cleanup == ["main cancelled"]
    errors = _causes(info.value)
    assert any(isinstance(e, KeyError) and e.args == ("from callback",) for e in errors)


def test_run_sync_soon_after_the_run_raises_run_finished_error() -> None:
    async def main() -> TetherToken:
        return current_tether_token()

    token = tether.run(main)
    with pytest.raises(tether.RunFinishedError):
        token.run_sync_soon(print)
    with pytest.raises(tether.RunFinishedError):
        token.run_sync_soon(print, idempotent=True)

    # Also from another thread.
    errors: list[BaseException] = []

    def from_thread() -> None:
        try:
            token.run_sync_soon(print)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=from_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert isinstance(errors[0], tether.RunFinishedError)


def test_callbacks_queued_during_shutdown_still_run() -> None:
    record: list[str] = []

    async def main() -> None:
        token = current_tether_token()
        token.run_sync_soon(record.append, "late")

    tether.run(main)
    assert record == ["late"]


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")
async def test_run_sync_soon_from_a_signal_handler() -> None:
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        pytest.skip("signal handlers can only be installed in the main thread")
    token = current_tether_token()
    done = tether.Event()
    record: list[str] = []

    def callback() -> None:
        record.append("callback")
        done.set()

    def handler(signum: int, frame: FrameType | None) -> None:
        record.append("handler")
        token.run_sync_soon(callback)

    old = signal.signal(signal.SIGUSR1, handler)
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        with tether.fail_after(10):
            await done.wait()
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert record == ["handler", "callback"]


def test_in_run_and_in_task() -> None:
    assert not in_tether_run()
    assert not in_tether_task()
    assert not lowlevel.in_trio_run()
    assert not lowlevel.in_trio_task()
    seen: dict[str, tuple[bool, bool]] = {}

    def plain_callback() -> None:
        seen["callback"] = (in_tether_run(), in_tether_task())

    def in_thread() -> None:
        seen["thread"] = (in_tether_run(), in_tether_task())

    async def main() -> None:
        seen["main"] = (lowlevel.in_trio_run(), lowlevel.in_trio_task())
        schedule_callback(plain_callback)
        thread = threading.Thread(target=in_thread)
        thread.start()
        thread.join()
        await wait_all_tasks_blocked()

    tether.run(main)
    assert seen == {
        "main": (True, True),
        "callback": (True, False),
        "thread": (False, False),
    }
    assert not in_tether_run()
    assert not in_tether_task()


async def test_statistics_count_pending_callbacks() -> None:
    token = current_tether_token()
    done = tether.Event()
    token.run_sync_soon(len, "a")
    token.run_sync_soon(len, "b", idempotent=True)
    assert lowlevel.current_statistics().run_sync_soon_queue_size == 2
    token.run_sync_soon(done.set)
    await done.wait()
    assert lowlevel.current_statistics().run_sync_soon_queue_size == 0


def test_wakeup_is_prompt_without_timeouts() -> None:
    # The whole run, including a thread round trip, finishes far below any
    # sanity cap on the I/O wait (which is a day long).
    async def main() -> None:
        token = current_tether_token()
        with tether.CancelScope() as scope:

            def later() -> None:
                token.run_sync_soon(scope.cancel)

            thread = threading.Thread(target=later)
            thread.start()
            await tether.sleep_forever()
        thread.join()

    start = time.perf_counter()
    tether.run(main)
    assert time.perf_counter() - start < 5
