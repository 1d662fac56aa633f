"""Force blocks of code in different tasks to run in a fixed order."""

from __future__ import annotations

from collections import defaultdict
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from .. import _core
from .._sync import Event
from .._util import final

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@final
class Sequencer:
    """Make code in different tasks run in an explicit linear order.

    Calling the sequencer with a position returns an async context manager;
    the block for position 0 starts at once, and the block for position
    ``n`` starts only once the block for ``n - 1`` has finished. Each
    position may be used only once.

    If a task is cancelled while it waits for its turn, the sequence is
    broken: that task gets :exc:`RuntimeError` (instead of
    :exc:`~tether.Cancelled`), every other waiting task wakes with
    :exc:`RuntimeError` too, and so does any later use of the sequencer.

    Example: an elaborate way to print 0, 1, 2, 3 in order::

        async def worker_a(seq):
            async with seq(0):
                print(0)
            async with seq(2):
                print(2)

        async def worker_b(seq):
            async with seq(1):
                print(1)
            async with seq(3):
                print(3)

        async def main():
            seq = tether.testing.Sequencer()
            async with tether.open_nursery() as nursery:
                nursery.start_soon(worker_b, seq)
                nursery.start_soon(worker_a, seq)
    """

    def __init__(self) -> None:
        self._sequence_points: defaultdict[int, Event] = defaultdict(Event)
        self._claimed: set[int] = set()
        self._broken = False

    def __repr__(self) -> str:
        state = "broken" if self._broken else f"{len(self._claimed)} positions claimed"
        return f"<Sequencer ({state}) at {id(self):#x}>"

    def __call__(self, position: int) -> AbstractAsyncContextManager[None]:
        """Return the async context manager for the block at ``position``.

        Args:
            position: this block's place in the sequence (0 goes first).

        Returns:
            An async context manager: entering it waits until the block at
            ``position - 1`` has exited; exiting it lets ``position + 1``
            start.

        Raises:
            RuntimeError: (when entered) if ``position`` was already used,
                if the sequence is broken, or if the wait is cancelled
                (which breaks the sequence).
        """
        return self._block(position)

    @asynccontextmanager
    async def _block(self, position: int) -> AsyncIterator[None]:
        if position in self._claimed:
            raise RuntimeError(f"Attempted to reuse sequence point {position}")
        if self._broken:
            raise RuntimeError("sequence broken!")
        self._claimed.add(position)
        if position != 0:
            try:
                await self._sequence_points[position].wait()
            except _core.Cancelled:
                self._broken = True
                for event in self._sequence_points.values():
                    event.set()
                raise RuntimeError("Sequencer wait cancelled -- sequence broken") from None
            if self._broken:
                raise RuntimeError("sequence broken!")
        try:
            yield
        finally:
            self._sequence_points[position + 1].set()
