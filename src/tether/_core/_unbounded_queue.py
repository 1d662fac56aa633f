"""UnboundedQueue: a queue whose consumers take everything at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from .._util import final
from ._exceptions import WouldBlock
from ._parking_lot import ParkingLot
from ._traps import cancel_shielded_checkpoint, checkpoint_if_cancelled

if TYPE_CHECKING:
    from typing import Self

T = TypeVar("T")


@attrs.frozen
class UnboundedQueueStatistics:
    """What :meth:`UnboundedQueue.statistics` returns.

    Attributes:
        qsize: items in the queue.
        tasks_waiting: tasks blocked in :meth:`UnboundedQueue.get_batch`.
    """

    qsize: int
    tasks_waiting: int


@final
class UnboundedQueue(Generic[T]):
    """A queue with no size limit, whose consumers take every pending item
    in one batch.

    Meant for low-level plumbing where the producer cannot block (a
    callback from the I/O layer, say). Prefer memory channels otherwise.
    ``async for batch in queue:`` yields batches forever.
    """

    __slots__ = ("_can_get", "_data", "_lot")

    def __init__(self) -> None:
        self._lot = ParkingLot()
        self._data: list[T] = []
        # Whether a wake-up is already on its way to a waiter.
        self._can_get = False

    def __repr__(self) -> str:
        return f"<UnboundedQueue holding {len(self._data)} items>"

    def qsize(self) -> int:
        """The number of items queued."""
        return len(self._data)

    def empty(self) -> bool:
        """Whether nothing is queued."""
        return not self._data

    def put_nowait(self, obj: T) -> None:
        """Add ``obj``; never blocks."""
        if not self._data:
            assert not self._can_get
            if self._lot:
                self._lot.unpark(count=1)
            else:
                self._can_get = True
        self._data.append(obj)

    def _get_batch_protected(self) -> list[T]:
        data = self._data.copy()
        self._data.clear()
        self._can_get = False
        return data

    def get_batch_nowait(self) -> list[T]:
        """Take every queued item now.

        Raises:
            WouldBlock: if the queue is empty.
        """
        if not self._can_get:
            raise WouldBlock
        return self._get_batch_protected()

    async def get_batch(self) -> list[T]:
        """Wait until the queue is non-empty, then take everything in it.

        Returns a non-empty list.
        """
        await checkpoint_if_cancelled()
        if not self._can_get:
            await self._lot.park()
            return self._get_batch_protected()
        try:
            return self._get_batch_protected()
        finally:
            await cancel_shielded_checkpoint()

    def statistics(self) -> UnboundedQueueStatistics:
        """Return an :class:`UnboundedQueueStatistics`."""
        return UnboundedQueueStatistics(qsize=len(self._data), tasks_waiting=len(self._lot))

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> list[T]:
        return await self.get_batch()

