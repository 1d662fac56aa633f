"""``call_soon_threadsafe`` from another thread runs its callback where
asyncio's ready queue would: in the first loop iteration that starts after
the call (the one whose I/O wait the call's wake-up ends), not one later."""

from __future__ import annotations

import threading
from typing import Any

import tether
import tether.abc
import tether.lowlevel
import tether_asyncio


class _Iterations(tether.abc.Instrument):
    """Counts the loop's iterations (one I/O wait each)."""

    def __init__(self) -> None:
        self.count = 0

    def after_io_wait(self, timeout: float) -> None:
        self.count += 1


def test_a_threadsafe_callback_runs_in_the_next_iteration() -> None:
    async def main() -> tuple[int, int]:
        loop = tether_asyncio.get_running_loop()
        iterations = _Iterations()
        tether.lowlevel.add_instrument(iterations)
        fut = loop.create_future()
        ran_in: list[int] = []

        def callback() -> None:
            ran_in.append(iterations.count)
            fut.set_result(None)

        parked_in = iterations.count
        # Whether the thread calls before or after this task parks (the
        # loop then idles in its I/O wait), the callback runs in the next
        # iteration and the task resumes in the one after, as in asyncio.
        thread = threading.Thread(target=loop.call_soon_threadsafe, args=(callback,))
        thread.start()
        try:
            await fut
        finally:
            thread.join()
        resumed_in = iterations.count
        tether.lowlevel.remove_instrument(iterations)
        return ran_in[0] - parked_in, resumed_in - parked_in

    assert tether_asyncio.run(main()) == (1, 2)


def test_to_thread_takes_two_iterations() -> None:
    async def main() -> list[int]:
        iterations = _Iterations()
        tether.lowlevel.add_instrument(iterations)
        spans = []
        for _ in range(5):
            before = iterations.count
            await tether_asyncio.to_thread(_noop)
            spans.append(iterations.count - before)
        tether.lowlevel.remove_instrument(iterations)
        return spans

    # The worker's result wakes the loop and is copied into the future in
    # that iteration; the awaiting task resumes in the next (as asyncio).
    assert tether_asyncio.run(main()) == [2] * 5


def _noop(*args: Any) -> None:
    return None
