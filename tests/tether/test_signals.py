"""tether.open_signal_receiver."""

from __future__ import annotations

import os
import signal
import threading
from typing import TYPE_CHECKING

import pytest

import tether
from tether._signals import pending_signal_count
from tether.lowlevel import current_tether_token
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import FrameType


async def run_sync_soon_barrier() -> None:
    """Return once every idempotent run_sync_soon callback queued so far has run
    (the signal handler queues its work that way)."""
    done = tether.Event()
    current_tether_token().run_sync_soon(done.set, idempotent=True)
    await done.wait()


@pytest.fixture
def recorded_usr1() -> Iterator[list[int]]:
    """A plain Python SIGUSR1 handler that records what it sees."""
    seen: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGUSR1, previous)


async def test_receives_signals_in_order() -> None:
    with tether.open_signal_receiver(signal.SIGUSR1, signal.SIGUSR2) as receiver:
        os.kill(os.getpid(), signal.SIGUSR1)
        assert await receiver.__anext__() == signal.SIGUSR1
        os.kill(os.getpid(), signal.SIGUSR2)
        assert await receiver.__anext__() == signal.SIGUSR2


async def test_duplicates_are_coalesced() -> None:
    with tether.open_signal_receiver(signal.SIGUSR1, signal.SIGUSR2) as receiver:
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR2)
        os.kill(os.getpid(), signal.SIGUSR1)
        await run_sync_soon_barrier()
        assert pending_signal_count(receiver) == 2
        assert await receiver.__anext__() == signal.SIGUSR1
        assert await receiver.__anext__() == signal.SIGUSR2
        assert pending_signal_count(receiver) == 0
        # Once taken out, the same signal is delivered again.
        os.kill(os.getpid(), signal.SIGUSR1)
        assert await receiver.__anext__() == signal.SIGUSR1


async def test_blocked_iterator_wakes_up() -> None:
    got: list[int] = []
    with tether.open_signal_receiver(signal.SIGUSR2) as receiver:

        async def consume() -> None:
            async for signum in receiver:
                got.append(signum)
                return

        async with tether.open_nursery() as nursery:
            nursery.start_soon(consume)
            await wait_all_tasks_blocked()
            os.kill(os.getpid(), signal.SIGUSR2)
    assert got == [signal.SIGUSR2]


async def test_handlers_restored_on_exit(recorded_usr1: list[int]) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    with tether.open_signal_receiver(signal.SIGUSR1):
        assert signal.getsignal(signal.SIGUSR1) is not before
    assert signal.getsignal(signal.SIGUSR1) is before
    with pytest.raises(ValueError, match="boom"), tether.open_signal_receiver(signal.SIGUSR1):
        raise ValueError("boom")
    assert signal.getsignal(signal.SIGUSR1) is before
    assert recorded_usr1 == []


async def test_pending_signals_are_redelivered_on_exit(recorded_usr1: list[int]) -> None:
    with tether.open_signal_receiver(signal.SIGUSR1) as receiver:
        os.kill(os.getpid(), signal.SIGUSR1)
        await run_sync_soon_barrier()
        assert pending_signal_count(receiver) == 1
    # The restored handler saw it, rather than the signal being lost.
    assert recorded_usr1 == [signal.SIGUSR1]


async def test_signal_racing_the_exit_is_delivered_once(recorded_usr1: list[int]) -> None:
    # The handler's callback may run before or after the block exits: either
    # way the restored handler sees the signal exactly once.
    with tether.open_signal_receiver(signal.SIGUSR1):
        os.kill(os.getpid(), signal.SIGUSR1)
    await run_sync_soon_barrier()
    assert recorded_usr1 == [signal.SIGUSR1]


async def test_iterating_after_exit_fails() -> None:
    with tether.open_signal_receiver(signal.SIGUSR1) as receiver:
        pass
    with pytest.raises(RuntimeError, match="exited"):
        await receiver.__anext__()


async def test_one_iterator_at_a_time() -> None:
    with tether.open_signal_receiver(signal.SIGUSR1) as receiver:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(receiver.__anext__)
            await wait_all_tasks_blocked()
            with pytest.raises(tether.BusyResourceError):
                await receiver.__anext__()
            nursery.cancel_scope.cancel()


async def test_needs_signals() -> None:
    with pytest.raises(TypeError), tether.open_signal_receiver():
        pass  # pragma: no cover


def test_outside_a_run() -> None:
    with pytest.raises(RuntimeError), tether.open_signal_receiver(signal.SIGUSR1):
        pass  # pragma: no cover
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


def test_main_thread_only() -> None:
    errors: list[BaseException] = []

    async def main() -> None:
        try:
            with tether.open_signal_receiver(signal.SIGUSR1):
                pass  # pragma: no cover
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=tether.run, args=(main,))
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert "main thread" in str(errors[0])
