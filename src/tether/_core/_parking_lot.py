"""ParkingLot: the fair, cancellable wait queue under every sync primitive.

Parked tasks live in an :class:`~collections.OrderedDict` used as an
ordered set: parking appends, waking pops from the front, and a cancelled
waiter removes itself by key, all in O(1).
"""

from __future__ import annotations

import math
import types
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import attrs
import outcome

from .._util import final
from ._context import GLOBAL_RUN_CONTEXT, current_task
from ._exceptions import BrokenResourceError
from ._ki import enable_ki_protection
from ._traps import VALUE_NONE, Abort, WaitTaskRescheduled

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

    from ._task import Task
    from ._traps import RaiseCancelT


# task -> lots that break when the task exits
GLOBAL_PARKING_LOT_BREAKER: dict[Task, list[ParkingLot]] = {}


def add_parking_lot_breaker(task: Task, lot: ParkingLot) -> None:
    """Register ``task`` as a breaker for ``lot``: if the task exits while
    still registered, the lot is broken (see :meth:`ParkingLot.break_lot`).

    Raises:
        BrokenResourceError: if the task has already exited.
    """
    if task._outcome is not None:  # the task has exited
        raise BrokenResourceError("Attempted to add already exited task as lot breaker.")
    lots = GLOBAL_PARKING_LOT_BREAKER.get(task)
    if lots is None:
        GLOBAL_PARKING_LOT_BREAKER[task] = [lot]
    else:
        lots.append(lot)


def remove_parking_lot_breaker(task: Task, lot: ParkingLot) -> None:
    """Undo :func:`add_parking_lot_breaker`.

    Raises:
        RuntimeError: if ``task`` is not registered as a breaker for ``lot``.
    """
    try:
        GLOBAL_PARKING_LOT_BREAKER[task].remove(lot)
    except (KeyError, ValueError):
        raise RuntimeError(
            "Attempted to remove task as breaker for a lot it is not registered for"
        ) from None
    if not GLOBAL_PARKING_LOT_BREAKER[task]:
        del GLOBAL_PARKING_LOT_BREAKER[task]


@attrs.frozen
class ParkingLotStatistics:
    """Debugging information about a :class:`ParkingLot`.

    Attributes:
        tasks_waiting: how many tasks are parked.
    """

    tasks_waiting: int


class _Unpark:
    """The abort function of a parked task: takes it out of its lot (which
    is in ``custom_sleep_data``, as ``repark`` may have moved it)."""

    __slots__ = ("task",)

    def __init__(self, task: Task) -> None:
        self.task = task

    def __call__(self, _: RaiseCancelT) -> Abort:
        task = self.task
        del task.custom_sleep_data._parked[task]
        return Abort.SUCCEEDED


@final
class ParkingLot:
    """A fair (FIFO) wait queue with cancellation and requeuing.

    The building block for locks, conditions, channels and the like.
    ``len(lot)`` is the number of parked tasks, and ``bool(lot)`` says
    whether there are any.
    """

    __slots__ = ("_parked", "broken_by")

    def __init__(self) -> None:
        self._parked: OrderedDict[Task, None] = OrderedDict()
        #: The tasks that broke this lot (see :meth:`break_lot`).
        self.broken_by: list[Task] = []

    def __len__(self) -> int:
        return len(self._parked)

    def __bool__(self) -> bool:
        return bool(self._parked)

    def __repr__(self) -> str:
        return f"<tether.lowlevel.ParkingLot with {len(self._parked)} waiting>"

    @enable_ki_protection
    @types.coroutine
    def park(self) -> Generator[Any, Any, None]:
        """Sleep until woken by :meth:`unpark` or :meth:`unpark_all`.

        This is a cancel point (the wait can be cancelled) but not a full
        checkpoint: if the scope is already cancelled, it raises at once.

        Raises:
            BrokenResourceError: if the lot is broken, now or while waiting.
        """
        # A generator-based coroutine yielding the trap itself: one frame
        # per parked task instead of two, which saves memory for every
        # blocked waiter and a frame hop on every wake-up.
        if self.broken_by:
            raise BrokenResourceError(
                f"Attempted to park in parking lot broken by {self.broken_by}"
            )
        task = GLOBAL_RUN_CONTEXT.task
        self._parked[task] = None
        task.custom_sleep_data = self
        result = yield WaitTaskRescheduled(_Unpark(task))
        if result is not VALUE_NONE:  # (unpark()'s outcome: nothing to unwrap)
            result.unwrap()

    def _pop_several(self, count: int | float) -> Iterator[Task]:  # noqa: PYI041
        if isinstance(count, float):
            if math.isinf(count):
                count = len(self._parked)
            else:
                raise ValueError("Cannot pop a non-integer number of tasks.")
        else:
            count = min(count, len(self._parked))
        popitem = self._parked.popitem
        for _ in range(count):
            task, _ = popitem(last=False)
            yield task

    @enable_ki_protection
    def unpark(self, *, count: int | float = 1) -> list[Task]:  # noqa: PYI041
        """Wake up to ``count`` parked tasks, oldest first, and return them.

        Args:
            count: how many to wake (an int, or ``math.inf`` for all).
        """
        if count == 1:
            if not self._parked:
                return []
            task, _ = self._parked.popitem(last=False)
            task._runner.reschedule(task, VALUE_NONE)
            return [task]
        tasks = list(self._pop_several(count))
        for task in tasks:
            task._runner.reschedule(task, VALUE_NONE)
        return tasks

    def _unpark_first(self) -> Task | None:
        # unpark(count=1) for tether's own primitives: the task woken (or
        # None), without a list.
        if not self._parked:
            return None
        task, _ = self._parked.popitem(last=False)
        task._runner.reschedule(task, VALUE_NONE)
        return task

    def unpark_all(self) -> list[Task]:
        """Wake every parked task; return them."""
        return self.unpark(count=len(self._parked))

    @enable_ki_protection
    def repark(self, new_lot: ParkingLot, *, count: int | float = 1) -> None:  # noqa: PYI041
        """Move up to ``count`` parked tasks, oldest first, to the back of
        ``new_lot``, keeping their order. They stay asleep.

        Raises:
            TypeError: if ``new_lot`` is not a ParkingLot.
        """
        if not isinstance(new_lot, ParkingLot):
            raise TypeError("new_lot must be a ParkingLot")
        for task in self._pop_several(count):
            new_lot._parked[task] = None
            task.custom_sleep_data = new_lot

    def repark_all(self, new_lot: ParkingLot) -> None:
        """Move every parked task to ``new_lot`` (see :meth:`repark`)."""
        self.repark(new_lot, count=len(self._parked))

    def break_lot(self, task: Task | None = None) -> None:
        """Break the lot: every parked task, and every later :meth:`park`,
        raises :exc:`~tether.BrokenResourceError` naming ``task`` (default:
        the current task) as the breaker."""
        if task is None:
            task = current_task()
        if task not in self.broken_by:
            self.broken_by.append(task)
        for parked in self._pop_several(math.inf):
            parked._runner.reschedule(
                parked, outcome.Error(BrokenResourceError(f"Parking lot broken by {task}"))
            )

    def statistics(self) -> ParkingLotStatistics:
        """Return a :class:`ParkingLotStatistics`."""
        return ParkingLotStatistics(tasks_waiting=len(self._parked))
