"""Synchronisation primitives built on :class:`~tether.lowlevel.ParkingLot`.

All are fair (FIFO) and bound to no particular run until used. Like Trio's,
blocking methods are checkpoints even when they don't block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ._core import (
    BrokenResourceError,
    ParkingLot,
    Task,
    WouldBlock,
    add_parking_lot_breaker,
    cancel_shielded_checkpoint,
    checkpoint,
    checkpoint_if_cancelled,
    current_task,
    enable_ki_protection,
    remove_parking_lot_breaker,
)
from ._util import final

if TYPE_CHECKING:
    from types import TracebackType


@attrs.frozen
class EventStatistics:
    """Attributes:
    tasks_waiting: tasks blocked in :meth:`Event.wait`.
    """

    tasks_waiting: int


@final
class Event:
    """A flag that tasks can wait for; once set, it stays set.

    Unlike :class:`threading.Event` it cannot be cleared: make a new one.
    """

    __slots__ = ("_flag", "_lot")

    def __init__(self) -> None:
        self._lot = ParkingLot()
        self._flag = False

    def __repr__(self) -> str:
        return f"<tether.Event {'set' if self._flag else 'unset'} at {id(self):#x}>"

    def is_set(self) -> bool:
        """Whether the event has been set."""
        return self._flag

    @enable_ki_protection
    def set(self) -> None:
        """Set the flag and wake every waiting task."""
        if not self._flag:
            self._flag = True
            self._lot.unpark_all()

    async def wait(self) -> None:
        """Wait until the event is set (a checkpoint even if it already is)."""
        if self._flag:
            await checkpoint()
        else:
            await self._lot.park()

    def statistics(self) -> EventStatistics:
        """Return an :class:`EventStatistics`."""
        return EventStatistics(tasks_waiting=len(self._lot))


@attrs.frozen
class LockStatistics:
    """Attributes:
    locked: whether the lock is held.
    owner: the task holding it, or None.
    tasks_waiting: tasks blocked in ``acquire``.
    """

    locked: bool
    owner: Task | None
    tasks_waiting: int


class _LockImpl:
    __slots__ = ("_lot", "_owner")

    def __init__(self) -> None:
        self._lot = ParkingLot()
        self._owner: Task | None = None

    def __repr__(self) -> str:
        if self.locked():
            s1, s2 = "locked", f" by {self._owner!r}"
        else:
            s1, s2 = "unlocked", ""
        return f"<{s1} {type(self).__name__} object at {id(self):#x}{s2}>"

    def locked(self) -> bool:
        """Whether some task holds the lock."""
        return self._owner is not None

    @enable_ki_protection
    def acquire_nowait(self) -> None:
        """Take the lock if it is free, without blocking.

        Raises:
            tether.WouldBlock: if it is held (or others are queued for it).
            RuntimeError: if the current task already holds it.
        """
        task = current_task()
        if self._owner is task:
            raise RuntimeError("attempt to re-acquire an already held Lock")
        if self._owner is None and not self._lot:
            self._owner = task
            add_parking_lot_breaker(task, self._lot)
        else:
            raise WouldBlock

    @enable_ki_protection
    async def acquire(self) -> None:
        """Take the lock, waiting in line if it is held.

        Raises:
            RuntimeError: if the current task already holds it.
            tether.BrokenResourceError: if the holder exited without releasing it.
        """
        await checkpoint_if_cancelled()
        try:
            self.acquire_nowait()
        except WouldBlock:
            try:
                await self._lot.park()
            except BrokenResourceError:
                raise BrokenResourceError(
                    f"Owner of this lock exited without releasing: {self._owner}"
                ) from None
        else:
            await cancel_shielded_checkpoint()

    @enable_ki_protection
    def release(self) -> None:
        """Release the lock; the longest waiter (if any) gets it next.

        Raises:
            RuntimeError: if the current task does not hold it.
        """
        task = current_task()
        if task is not self._owner:
            raise RuntimeError("can't release a Lock you don't own")
        remove_parking_lot_breaker(task, self._lot)
        if self._lot:
            (self._owner,) = self._lot.unpark(count=1)
            add_parking_lot_breaker(self._owner, self._lot)
        else:
            self._owner = None

    def statistics(self) -> LockStatistics:
        """Return a :class:`LockStatistics`."""
        return LockStatistics(
            locked=self.locked(), owner=self._owner, tasks_waiting=len(self._lot)
        )

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


@final
class Lock(_LockImpl):
    """A classic mutex, owned by the task that acquired it.

    Use ``async with lock:``. Only the owner may release it; it is fair
    (waiters get it in arrival order) and not re-entrant.
    """

    __slots__ = ()


@final
class StrictFIFOLock(_LockImpl):
    """A lock that guarantees strict first-come first-served order.

    :class:`Lock` behaves the same way today; use this one when your code
    *relies* on the order (e.g. to serialise writes to a stream), so that
    stays true whatever happens to :class:`Lock`.
    """

    __slots__ = ()
