"""Synchronisation primitives built on :class:`~tether.lowlevel.ParkingLot`.

All are fair (FIFO) and bound to no particular run until used. Like Trio's,
blocking methods are checkpoints even when they don't block: a cancel point
before the operation and a schedule point after it, so an operation that
succeeds was never cancelled half-way. When nothing had to be waited for, the
schedule point is a fast-path one (see ``fast_path_schedule_point`` in
``_core/_traps.py``): counted, but yielding to the scheduler only once every
64 such points of the task.

The fast paths (nothing to wait for) are written inline, without calling the
``*_nowait`` method or raising :exc:`~tether.WouldBlock`: locks are taken and
released in tight loops, so a frame or an exception per call shows up in the
benchmarks. ``__aenter__`` is the ``acquire`` method itself for the same reason.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NoReturn

import attrs

from ._core import (
    BrokenResourceError,
    CancelScope,
    ParkingLot,
    ParkingLotStatistics,
    Task,
    WouldBlock,
    add_parking_lot_breaker,
    checkpoint,
    current_task,
    enable_ki_protection,
    remove_parking_lot_breaker,
)
from ._core._traps import cancel_point_task, fast_path_schedule_point
from ._util import final

if TYPE_CHECKING:
    from types import TracebackType


# -- Event ------------------------------------------------------------------------------


class _ReleaseOnExit:
    """``async with x:`` releases on the way out (``__aenter__`` is each
    class's own ``acquire``, aliased, so entering costs no extra frame)."""

    __slots__ = ()

    def release(self) -> None:
        raise NotImplementedError

    @enable_ki_protection
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


@attrs.frozen
class EventStatistics:
    """Debugging information about an :class:`Event`.

    Attributes:
        tasks_waiting: how many tasks are blocked in :meth:`Event.wait`.
    """

    tasks_waiting: int


@final
class Event:
    """A flag that tasks can wait for; once set, it stays set.

    :meth:`wait` blocks until some task calls :meth:`set`; if the event is
    already set it returns at once (after a checkpoint). Setting it before or
    after someone starts waiting makes no difference, so no wake-up is lost.

    Unlike :class:`threading.Event` it cannot be cleared: to signal a series
    of happenings, make a new event for each (they are cheap), or use a
    channel or a :class:`Condition`.
    """

    __slots__ = ("_flag", "_lot")

    def __init__(self) -> None:
        self._lot = ParkingLot()
        self._flag = False

    def __repr__(self) -> str:
        return f"<tether.Event {'set' if self._flag else 'unset'} at {id(self):#x}>"

    def __bool__(self) -> NoReturn:
        """Refuse truth-testing, which is always a bug: use :meth:`is_set`.

        Raises:
            NotImplementedError: always.
        """
        raise NotImplementedError(
            "tether events cannot be treated as bools; use `event.is_set()` instead."
        )

    def is_set(self) -> bool:
        """Return whether the event has been set."""
        return self._flag

    @enable_ki_protection
    def set(self) -> None:
        """Set the flag and wake every task waiting in :meth:`wait`.

        Setting an event that is already set does nothing.
        """
        if not self._flag:
            self._flag = True
            self._lot.unpark_all()

    async def wait(self) -> None:
        """Wait until the event is set.

        A checkpoint even if the event is already set.

        Raises:
            tether.Cancelled: if cancelled while waiting.
        """
        if self._flag:
            await checkpoint()
        else:
            await self._lot.park()

    def statistics(self) -> EventStatistics:
        """Return an :class:`EventStatistics` for this event."""
        return EventStatistics(tasks_waiting=len(self._lot))


# -- CapacityLimiter ----------------------------------------------------------------------


@attrs.frozen
class CapacityLimiterStatistics:
    """Debugging information about a :class:`CapacityLimiter`.

    Attributes:
        borrowed_tokens: how many tokens are borrowed now.
        total_tokens: the limiter's capacity. It can be lower than
            ``borrowed_tokens`` just after :attr:`CapacityLimiter.total_tokens`
            was lowered.
        borrowers: the tasks (or other objects) holding a token, as a list.
        tasks_waiting: how many tasks are blocked in
            :meth:`CapacityLimiter.acquire` or
            :meth:`CapacityLimiter.acquire_on_behalf_of`.
    """

    borrowed_tokens: int
    total_tokens: int | float
    borrowers: list[Task | object]
    tasks_waiting: int


def _check_total_tokens(total_tokens: object) -> None:
    if not isinstance(total_tokens, int) and total_tokens != math.inf:
        raise TypeError("total_tokens must be an int or math.inf")
    if total_tokens < 0:
        raise ValueError("total_tokens must be >= 0")


@final
class CapacityLimiter(_ReleaseOnExit):
    """Limit how many tasks (or threads, or anything) use a resource at once.

    Think of a sack holding ``total_tokens`` tokens. Each borrower takes one
    token while it uses the resource and puts it back afterwards; when the
    sack is empty, newcomers wait in line (first come, first served)::

        limiter = tether.CapacityLimiter(10)

        async with limiter:
            ...  # at most 10 tasks are in here at a time

    Each borrower (by default the current task) may hold at most one token,
    and only the borrower may give it back. For a plain counter without those
    checks, use a :class:`Semaphore`.

    Args:
        total_tokens: the capacity: an int >= 0, or ``math.inf`` for no limit.

    Raises:
        TypeError: if ``total_tokens`` is neither an int nor ``math.inf``.
        ValueError: if ``total_tokens`` is negative.
    """

    __slots__ = ("_borrowers", "_lot", "_pending_borrowers", "_total_tokens")

    def __init__(self, total_tokens: int | float) -> None:  # noqa: PYI041
        _check_total_tokens(total_tokens)
        self._lot = ParkingLot()
        self._borrowers: set[Task | object] = set()
        # The task parked in acquire*() -> the borrower it acquires for.
        self._pending_borrowers: dict[Task, Task | object] = {}
        self._total_tokens: int | float = total_tokens

    def __repr__(self) -> str:
        return (
            f"<tether.CapacityLimiter at {id(self):#x}, "
            f"{len(self._borrowers)}/{self._total_tokens} with {len(self._lot)} waiting>"
        )

    @property
    def total_tokens(self) -> int | float:
        """The capacity: how many tokens the sack holds.

        Assign to it to change the capacity. Raising it wakes as many waiting
        tasks as there are new free tokens, at once; lowering it below the
        number of tokens in use takes nothing away from current borrowers,
        but no one new gets in until enough tokens have come back.

        Raises:
            TypeError: on assignment of something other than an int or
                ``math.inf``.
            ValueError: on assignment of a negative number.
        """
        return self._total_tokens

    @total_tokens.setter
    def total_tokens(self, new_total_tokens: int | float) -> None:  # noqa: PYI041
        _check_total_tokens(new_total_tokens)
        self._total_tokens = new_total_tokens
        self._wake_waiters()

    def _wake_waiters(self) -> None:
        available = self._total_tokens - len(self._borrowers)
        if available > 0 and self._lot:
            pending = self._pending_borrowers
            for woken in self._lot.unpark(count=available):
                self._borrowers.add(pending.pop(woken))

    @property
    def borrowed_tokens(self) -> int:
        """How many tokens are borrowed now."""
        return len(self._borrowers)

    @property
    def available_tokens(self) -> int | float:
        """How many tokens are free now (negative just after
        :attr:`total_tokens` was lowered below :attr:`borrowed_tokens`)."""
        return self._total_tokens - len(self._borrowers)

    @enable_ki_protection
    def acquire_nowait(self) -> None:
        """Borrow a token for the current task, without blocking.

        Raises:
            tether.WouldBlock: if no token is free (or others are queued).
            RuntimeError: if the current task already holds a token.
        """
        self.acquire_on_behalf_of_nowait(current_task())

    @enable_ki_protection
    def acquire_on_behalf_of_nowait(self, borrower: Task | object) -> None:
        """Borrow a token for ``borrower``, without blocking.

        Args:
            borrower: who holds the token: a :class:`~tether.lowlevel.Task`
                or any hashable object (for example, a thread's identity).
                The same object must be passed to :meth:`release_on_behalf_of`.

        Raises:
            tether.WouldBlock: if no token is free (or others are queued).
            RuntimeError: if ``borrower`` already holds a token.
        """
        if borrower in self._borrowers:
            raise RuntimeError(
                "this borrower is already holding one of this CapacityLimiter's tokens"
            )
        if len(self._borrowers) < self._total_tokens and not self._lot:
            self._borrowers.add(borrower)
        else:
            raise WouldBlock

    @enable_ki_protection
    async def acquire(self) -> None:
        """Borrow a token for the current task, waiting in line if none is free.

        Raises:
            RuntimeError: if the current task already holds a token.
            tether.Cancelled: if cancelled before getting a token (it then
                holds none).
        """
        await self.acquire_on_behalf_of(current_task())

    @enable_ki_protection
    async def acquire_on_behalf_of(self, borrower: Task | object) -> None:
        """Borrow a token for ``borrower``, waiting in line if none is free.

        Args:
            borrower: who holds the token (see :meth:`acquire_on_behalf_of_nowait`).

        Raises:
            RuntimeError: if ``borrower`` already holds a token.
            tether.Cancelled: if cancelled before getting a token
                (``borrower`` then holds none).
        """
        task = cancel_point_task()
        borrowers = self._borrowers
        if borrower in borrowers:
            raise RuntimeError(
                "this borrower is already holding one of this CapacityLimiter's tokens"
            )
        if len(borrowers) < self._total_tokens and not self._lot:
            borrowers.add(borrower)
            await fast_path_schedule_point(task)
            return
        self._pending_borrowers[task] = borrower
        try:
            await self._lot.park()
        except BaseException:
            # Woken by an error (cancellation, an interrupt), not by
            # _wake_waiters, which would have removed the entry.
            self._pending_borrowers.pop(task, None)
            raise

    @enable_ki_protection
    def release(self) -> None:
        """Give back the current task's token, waking the next waiter if any.

        Raises:
            RuntimeError: if the current task holds no token.
        """
        self.release_on_behalf_of(current_task())

    @enable_ki_protection
    def release_on_behalf_of(self, borrower: Task | object) -> None:
        """Give back ``borrower``'s token, waking the next waiter if any.

        Args:
            borrower: the object passed when the token was acquired.

        Raises:
            RuntimeError: if ``borrower`` holds no token.
        """
        try:
            self._borrowers.remove(borrower)
        except KeyError:
            raise RuntimeError(
                "this borrower isn't holding any of this CapacityLimiter's tokens"
            ) from None
        if self._lot:
            self._wake_waiters()

    def statistics(self) -> CapacityLimiterStatistics:
        """Return a :class:`CapacityLimiterStatistics` for this limiter."""
        return CapacityLimiterStatistics(
            borrowed_tokens=len(self._borrowers),
            total_tokens=self._total_tokens,
            borrowers=list(self._borrowers),
            tasks_waiting=len(self._lot),
        )

    __aenter__ = acquire


# -- Semaphore --------------------------------------------------------------------------


@final
class Semaphore(_ReleaseOnExit):
    """A counter that :meth:`acquire` decrements and :meth:`release` increments.

    The value never drops below zero: :meth:`acquire` on a zero semaphore
    waits (in line, first come first served) until someone releases it.
    Anyone may release; nothing tracks who acquired. To cap how many tasks
    use a resource at once, a :class:`CapacityLimiter` is usually the better
    tool.

    ``async with semaphore:`` acquires on entry and releases on exit.

    Args:
        initial_value: the starting value, an int >= 0.
        max_value: if given, the value may never exceed it (a "bounded"
            semaphore): :meth:`release` beyond it raises :exc:`ValueError`.

    Raises:
        TypeError: if ``initial_value`` is not an int, or ``max_value`` is
            neither None nor an int.
        ValueError: if ``initial_value`` is negative or ``max_value`` is
            below it.
    """

    __slots__ = ("_lot", "_max_value", "_value")

    def __init__(self, initial_value: int, *, max_value: int | None = None) -> None:
        if not isinstance(initial_value, int):
            raise TypeError("initial_value must be an int")
        if initial_value < 0:
            raise ValueError("initial value must be >= 0")
        if max_value is not None:
            if not isinstance(max_value, int):
                raise TypeError("max_value must be None or an int")
            if max_value < initial_value:
                raise ValueError("max_values must be >= initial_value")
        # Invariant: tasks wait in _lot only while _value == 0.
        self._lot = ParkingLot()
        self._value = initial_value
        self._max_value = max_value

    def __repr__(self) -> str:
        max_part = "" if self._max_value is None else f", max_value={self._max_value}"
        return f"<tether.Semaphore({self._value}{max_part}) at {id(self):#x}>"

    @property
    def value(self) -> int:
        """The current value."""
        return self._value

    @property
    def max_value(self) -> int | None:
        """The largest value allowed, or None for no limit."""
        return self._max_value

    @enable_ki_protection
    def acquire_nowait(self) -> None:
        """Decrement the value if it is above zero, without blocking.

        Raises:
            tether.WouldBlock: if the value is zero.
        """
        if self._value > 0:
            self._value -= 1
        else:
            raise WouldBlock

    @enable_ki_protection
    async def acquire(self) -> None:
        """Decrement the value, first waiting in line while it is zero.

        Raises:
            tether.Cancelled: if cancelled first (the value is then unchanged).
        """
        task = cancel_point_task()
        if self._value > 0:
            self._value -= 1
            await fast_path_schedule_point(task)
        else:
            # release() hands its increment straight to the woken task.
            await self._lot.park()

    @enable_ki_protection
    def release(self) -> None:
        """Increment the value, or wake the longest waiter in :meth:`acquire`.

        Raises:
            ValueError: if the value would exceed :attr:`max_value`.
        """
        if self._lot:
            self._lot.unpark(count=1)
        elif self._max_value is not None and self._value >= self._max_value:
            raise ValueError("semaphore released too many times")
        else:
            self._value += 1

    def statistics(self) -> ParkingLotStatistics:
        """Return a :class:`~tether.lowlevel.ParkingLotStatistics` whose
        ``tasks_waiting`` counts the tasks blocked in :meth:`acquire`."""
        return self._lot.statistics()

    __aenter__ = acquire


# -- Lock and StrictFIFOLock --------------------------------------------------------------


@attrs.frozen
class LockStatistics:
    """Debugging information about a :class:`Lock` or :class:`StrictFIFOLock`.

    Attributes:
        locked: whether the lock is held.
        owner: the :class:`~tether.lowlevel.Task` holding it, or None.
        tasks_waiting: how many tasks are blocked in ``acquire``.
    """

    locked: bool
    owner: Task | None
    tasks_waiting: int


class _LockImpl(_ReleaseOnExit):
    __slots__ = ("_lot", "_owner")

    def __init__(self) -> None:
        self._lot = ParkingLot()
        self._owner: Task | None = None

    def __repr__(self) -> str:
        if self._owner is not None:
            state, extra = "locked", f" by {self._owner!r} with {len(self._lot)} waiters"
        else:
            state, extra = "unlocked", ""
        return f"<{state} tether.{type(self).__name__} object at {id(self):#x}{extra}>"

    def locked(self) -> bool:
        """Return whether some task holds the lock."""
        return self._owner is not None

    @enable_ki_protection
    def acquire_nowait(self) -> None:
        """Take the lock if it is free, without blocking.

        Raises:
            tether.WouldBlock: if it is held (or others are queued for it).
            RuntimeError: if the current task already holds it.
        """
        task = current_task()
        if self._owner is None and not self._lot:
            self._owner = task
            add_parking_lot_breaker(task, self._lot)
        elif self._owner is task:
            raise RuntimeError("attempt to re-acquire an already held Lock")
        else:
            raise WouldBlock

    @enable_ki_protection
    async def acquire(self) -> None:
        """Take the lock, waiting in line if it is held.

        Raises:
            RuntimeError: if the current task already holds it.
            tether.BrokenResourceError: if the holder exited without releasing it.
            tether.Cancelled: if cancelled first (the lock is then not taken).
        """
        task = cancel_point_task()
        if self._owner is None and not self._lot._parked:  # (not self._lot)
            self._owner = task
            add_parking_lot_breaker(task, self._lot)
            await fast_path_schedule_point(task)
            return
        if self._owner is task:
            raise RuntimeError("attempt to re-acquire an already held Lock")
        try:
            # The waiting path is nothing but park(): release() hands the
            # lock to the task it wakes, and Condition.wait() relies on that.
            await self._lot.park()
        except BrokenResourceError:
            raise BrokenResourceError(
                f"Owner of this lock exited without releasing: {self._owner}"
            ) from None

    @enable_ki_protection
    def release(self) -> None:
        """Release the lock; the longest waiter (if any) gets it next.

        Raises:
            RuntimeError: if the current task does not hold it.
        """
        task = current_task()
        if task is not self._owner:
            raise RuntimeError("can't release a Lock you don't own")
        lot = self._lot
        remove_parking_lot_breaker(task, lot)
        # (The longest waiter, if any: lot.unpark(count=1) without its list.)
        self._owner = owner = lot._unpark_first()
        if owner is not None:
            add_parking_lot_breaker(owner, lot)

    def statistics(self) -> LockStatistics:
        """Return a :class:`LockStatistics` for this lock."""
        return LockStatistics(
            locked=self._owner is not None, owner=self._owner, tasks_waiting=len(self._lot)
        )

    __aenter__ = acquire


@final
class Lock(_LockImpl):
    """A classic mutex, owned by the task that acquired it.

    Use ``async with lock:`` (it blocks on entry, not on exit). Only the
    owner may release it; it is fair (waiters get it in arrival order) and
    not re-entrant. If the owner exits without releasing it, waiters (and
    later acquirers) get :exc:`~tether.BrokenResourceError`.
    """

    __slots__ = ()


@final
class StrictFIFOLock(_LockImpl):
    """A lock that guarantees strict first-come first-served order.

    :class:`Lock` behaves the same way today; use this one when your code
    *relies* on the order (for example, tasks that prepare data in order
    and then take turns to write it to a stream), so that stays true
    whatever happens to :class:`Lock`.
    """

    __slots__ = ()


# -- Condition --------------------------------------------------------------------------


@attrs.frozen
class ConditionStatistics:
    """Debugging information about a :class:`Condition`.

    Attributes:
        tasks_waiting: how many tasks are blocked in :meth:`Condition.wait`
            (not counting woken ones that wait to re-acquire the lock).
        lock_statistics: the underlying lock's :class:`LockStatistics`.
    """

    tasks_waiting: int
    lock_statistics: LockStatistics


@final
class Condition:
    """A condition variable, like :class:`threading.Condition`.

    Tasks holding the lock call :meth:`wait` to sleep until another task,
    also holding the lock, calls :meth:`notify` or :meth:`notify_all`.
    ``async with condition:`` acquires the lock on entry and releases it on
    exit.

    Args:
        lock: the :class:`Lock` to use; a new one if None.

    Raises:
        TypeError: if ``lock`` is not a :class:`Lock` (a :class:`StrictFIFOLock`
            is refused too).
    """

    __slots__ = ("_lock", "_lot")

    def __init__(self, lock: Lock | None = None) -> None:
        if lock is None:
            lock = Lock()
        if type(lock) is not Lock:
            raise TypeError("lock must be a tether.Lock")
        self._lock = lock
        self._lot = ParkingLot()

    def __repr__(self) -> str:
        return f"<tether.Condition at {id(self):#x} using {self._lock!r}>"

    def locked(self) -> bool:
        """Return whether the underlying lock is held."""
        return self._lock._owner is not None

    def acquire_nowait(self) -> None:
        """Take the underlying lock if it is free, without blocking.

        Raises:
            tether.WouldBlock: if it is held.
            RuntimeError: if the current task already holds it.
        """
        self._lock.acquire_nowait()

    async def acquire(self) -> None:
        """Take the underlying lock, waiting in line if it is held.

        Raises:
            RuntimeError: if the current task already holds it.
            tether.BrokenResourceError: if its holder exited without releasing it.
        """
        await self._lock.acquire()

    def release(self) -> None:
        """Release the underlying lock.

        Raises:
            RuntimeError: if the current task does not hold it.
        """
        self._lock.release()

    @enable_ki_protection
    async def wait(self) -> None:
        """Release the lock, sleep until notified, and take the lock back.

        The caller must hold the lock. When cancelled, ``wait`` still takes
        the lock back (waiting for it, shielded) before raising
        :exc:`~tether.Cancelled`, so ``async with condition: await
        condition.wait()`` always releases a lock it holds; the price is
        that cancellation may be less prompt.

        Raises:
            RuntimeError: if the current task does not hold the lock.
            tether.BrokenResourceError: if, while re-acquiring, the lock's
                holder exits without releasing it.
        """
        if current_task() is not self._lock._owner:
            raise RuntimeError("must hold the lock to wait")
        self._lock.release()
        # notify() moves us from self._lot to the lock's lot; being woken
        # there means we own the lock (see _LockImpl.acquire).
        try:
            await self._lot.park()
        except BaseException:
            with CancelScope(shield=True):
                await self._lock.acquire()
            raise

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` tasks blocked in :meth:`wait`, longest waiting first.

        They queue for the lock, which they get after the current holder
        releases it.

        Args:
            n: how many tasks to wake.

        Raises:
            RuntimeError: if the current task does not hold the lock.
        """
        if current_task() is not self._lock._owner:
            raise RuntimeError("must hold the lock to notify")
        self._lot.repark(self._lock._lot, count=n)

    def notify_all(self) -> None:
        """Wake every task blocked in :meth:`wait` (see :meth:`notify`).

        Raises:
            RuntimeError: if the current task does not hold the lock.
        """
        if current_task() is not self._lock._owner:
            raise RuntimeError("must hold the lock to notify")
        self._lot.repark_all(self._lock._lot)

    def statistics(self) -> ConditionStatistics:
        """Return a :class:`ConditionStatistics` for this condition."""
        return ConditionStatistics(
            tasks_waiting=len(self._lot), lock_statistics=self._lock.statistics()
        )

    async def __aenter__(self) -> None:
        await self._lock.acquire()

    @enable_ki_protection
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()
