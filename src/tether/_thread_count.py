"""Counting the worker threads a run has in flight.

``tether.to_thread.run_sync`` wraps each thread it starts in
:func:`_track_active_thread`; that context manager is the private hook the
count relies on. It holds from the moment the calling task hands the
job to a thread until that task has the result back, so a thread counts
as active while its result is still on its way back to the run.

The state lives in a :class:`~tether.lowlevel.RunVar`. This is a
high-level private module (not part of ``tether.testing``) so that
``tether._threads`` may import it; ``tether.testing`` re-exports the two
public functions.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import _core

if TYPE_CHECKING:
    from collections.abc import Iterator


class _ActiveThreads:
    __slots__ = ("count", "idle")

    def __init__(self) -> None:
        self.count = 0
        # Tasks in wait_all_threads_completed() park here until count is 0.
        self.idle = _core.ParkingLot()


_active_threads: _core.RunVar[_ActiveThreads] = _core.RunVar("tether.testing.active_threads")


@contextmanager
def _track_active_thread() -> Iterator[None]:
    """Count one more active thread in the current run for the block.

    For the code that starts worker threads (``to_thread.run_sync``): wrap
    the whole hand-off, from starting the thread to receiving its outcome,
    in ``with _track_active_thread():``. Must be called in a tether run.
    """
    try:
        state = _active_threads.get()
    except LookupError:
        state = _ActiveThreads()
        _active_threads.set(state)
    state.count += 1
    try:
        yield
    finally:
        state.count -= 1
        if state.count == 0:
            state.idle.unpark_all()


def active_thread_count() -> int:
    """Return how many worker threads the current run has in flight.

    A thread started by ``tether.to_thread.run_sync`` counts from the
    moment it is handed its job until the calling task has received its
    result.

    Returns:
        The number of such threads (0 if the run never started any).

    Raises:
        RuntimeError: if called outside a tether run.
    """
    try:
        return _active_threads.get().count
    except LookupError:
        return 0


async def wait_all_threads_completed() -> None:
    """Wait until the current run has no worker thread in flight.

    Always executes a checkpoint, then returns once
    :func:`active_thread_count` is 0. Combine it with
    :func:`~tether.testing.wait_all_tasks_blocked` to wait until a run has
    truly settled::

        async def wait_all_settled():
            while True:
                await tether.testing.wait_all_threads_completed()
                await tether.testing.wait_all_tasks_blocked()
                if tether.testing.active_thread_count() == 0:
                    break
    """
    await _core.checkpoint()
    try:
        state = _active_threads.get()
    except LookupError:
        return  # no thread was ever started in this run
    while state.count:
        await state.idle.park()
