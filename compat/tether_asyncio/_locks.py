"""asyncio's synchronization primitives (``Lock``, ``Event``, ``Condition``,
``Semaphore``, ``BoundedSemaphore``, ``Barrier``) on the facade's Future.

They are built exactly as stock asyncio builds them: an uncontended
operation never suspends; a blocked task waits on a facade :class:`Future`
kept in a deque, whose completion wakes it one loop iteration later; a
waiter that is woken but cancelled before it runs hands its turn to the
next one. Each primitive binds to the running loop on first blocking use
(``RuntimeError: ... is bound to a different event loop`` otherwise).

Version switches (``_pyversion``): ``CONDITION_WAIT_RENOTIFIES`` and
``SEMAPHORE_FIFO`` (both 3.13).
"""

from __future__ import annotations

import collections
import enum
import threading
from typing import TYPE_CHECKING, TypeVar

from . import _pyversion
from ._exceptions import BrokenBarrierError, CancelledError

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from ._futures import Future
    from ._loop import TetherLoop

_T = TypeVar("_T")
_global_lock = threading.Lock()


def _bind_get_running_loop() -> TetherLoop | None:
    # Bound on first use (``_loop`` may not be importable yet when this
    # module is), not imported on every _get_loop() call.
    global _get_running_loop
    from ._loop import _get_running_loop as get

    _get_running_loop = get
    return get()


_get_running_loop: Callable[[], TetherLoop | None] = _bind_get_running_loop


def _stock_repr(obj: object) -> str:
    """``object.__repr__`` with the facade's classes named as stock asyncio's."""
    cls = type(obj)
    module = cls.__module__
    if module.startswith("tether_asyncio"):
        module = getattr(cls, "_stock_module", module)
    return f"<{module}.{cls.__qualname__} object at {id(obj):#x}"


class _LoopBound:
    """Binds to the running loop on first use (asyncio's ``_LoopBoundMixin``)."""

    _loop: TetherLoop | None = None
    _stock_module = "asyncio.locks"

    def _get_loop(self) -> TetherLoop:
        loop = _get_running_loop()
        if self._loop is None:
            with _global_lock:
                if self._loop is None:
                    self._loop = loop
        if loop is not self._loop:
            raise RuntimeError(f"{self!r} is bound to a different event loop")
        assert loop is not None
        return loop

    def _create_future(self) -> Future:
        return self._get_loop().create_future()


def _all_cancelled(waiters: collections.deque[Future]) -> bool:
    # (``all(w.cancelled() for w in waiters)`` without a generator object.)
    for waiter in waiters:  # noqa: SIM110 - (no generator object, on a hot path)
        if not waiter.cancelled():
            return False
    return True


class _ContextManagerMixin:
    async def acquire(self) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def release(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def __aenter__(self) -> None:
        await self.acquire()
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class Lock(_ContextManagerMixin, _LoopBound):
    """Like asyncio.Lock."""

    def __init__(self) -> None:
        self._waiters: collections.deque[Future] | None = None
        self._locked = False

    def __repr__(self) -> str:
        extra = "locked" if self._locked else "unlocked"
        if self._waiters:
            extra = f"{extra}, waiters:{len(self._waiters)}"
        return f"{_stock_repr(self)} [{extra}]>"

    def locked(self) -> bool:
        """Like asyncio.Lock.locked."""
        return self._locked

    async def acquire(self) -> bool:
        """Like asyncio.Lock.acquire."""
        if not self._locked and (not self._waiters or _all_cancelled(self._waiters)):
            self._locked = True
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._create_future()
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
        except CancelledError:
            if not self._locked:
                self._wake_up_first()
            raise
        self._locked = True
        return True

    def release(self) -> None:
        """Like asyncio.Lock.release."""
        if self._locked:
            self._locked = False
            self._wake_up_first()
        else:
            raise RuntimeError("Lock is not acquired.")

    def _wake_up_first(self) -> None:
        if not self._waiters:
            return
        fut = self._waiters[0]
        if not fut.done():
            fut.set_result(True)


class Event(_LoopBound):
    """Like asyncio.Event."""

    def __init__(self) -> None:
        self._waiters: collections.deque[Future] = collections.deque()
        self._value = False

    def __repr__(self) -> str:
        extra = "set" if self._value else "unset"
        if self._waiters:
            extra = f"{extra}, waiters:{len(self._waiters)}"
        return f"{_stock_repr(self)} [{extra}]>"

    def is_set(self) -> bool:
        """Like asyncio.Event.is_set."""
        return self._value

    def set(self) -> None:
        """Like asyncio.Event.set."""
        if not self._value:
            self._value = True
            for fut in self._waiters:
                if not fut.done():
                    fut.set_result(True)

    def clear(self) -> None:
        """Like asyncio.Event.clear."""
        self._value = False

    async def wait(self) -> bool:
        """Like asyncio.Event.wait."""
        if self._value:
            return True
        fut = self._create_future()
        self._waiters.append(fut)
        try:
            await fut
            return True
        finally:
            self._waiters.remove(fut)


class Condition(_ContextManagerMixin, _LoopBound):
    """Like asyncio.Condition."""

    def __init__(self, lock: Lock | None = None) -> None:
        if lock is None:
            lock = Lock()
        self._lock = lock
        self.locked = lock.locked
        self.acquire = lock.acquire  # type: ignore[method-assign]
        self.release = lock.release  # type: ignore[method-assign]
        self._waiters: collections.deque[Future] = collections.deque()

    def __repr__(self) -> str:
        extra = "locked" if self.locked() else "unlocked"
        if self._waiters:
            extra = f"{extra}, waiters:{len(self._waiters)}"
        return f"{_stock_repr(self)} [{extra}]>"

    async def wait(self) -> bool:
        """Like asyncio.Condition.wait."""
        if not self.locked():
            raise RuntimeError("cannot wait on un-acquired lock")
        if _pyversion.CONDITION_WAIT_RENOTIFIES:
            return await self._wait_313()
        self.release()
        try:
            fut = self._create_future()
            self._waiters.append(fut)
            try:
                await fut
                return True
            finally:
                self._waiters.remove(fut)
        finally:
            cancelled = False
            while True:
                try:
                    await self.acquire()
                    break
                except CancelledError:
                    cancelled = True
            if cancelled:
                raise CancelledError

    async def _wait_313(self) -> bool:
        fut = self._create_future()
        self.release()
        try:
            try:
                self._waiters.append(fut)
                try:
                    await fut
                    return True
                finally:
                    self._waiters.remove(fut)
            finally:
                err: BaseException | None = None
                while True:
                    try:
                        await self.acquire()
                        break
                    except CancelledError as e:
                        err = e
                if err is not None:
                    try:
                        raise err
                    finally:
                        err = None
        except BaseException:
            self._notify(1)
            raise

    async def wait_for(self, predicate: Callable[[], _T]) -> _T:
        """Like asyncio.Condition.wait_for."""
        result = predicate()
        while not result:
            await self.wait()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Like asyncio.Condition.notify."""
        if not self.locked():
            raise RuntimeError("cannot notify on un-acquired lock")
        self._notify(n)

    def _notify(self, n: int) -> None:
        idx = 0
        for fut in self._waiters:
            if idx >= n:
                break
            if not fut.done():
                idx += 1
                fut.set_result(False)

    def notify_all(self) -> None:
        """Like asyncio.Condition.notify_all."""
        self.notify(len(self._waiters))


class Semaphore(_ContextManagerMixin, _LoopBound):
    """Like asyncio.Semaphore."""

    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("Semaphore initial value must be >= 0")
        self._waiters: collections.deque[Future] | None = None
        self._value = value

    def __repr__(self) -> str:
        extra = "locked" if self.locked() else f"unlocked, value:{self._value}"
        if self._waiters:
            extra = f"{extra}, waiters:{len(self._waiters)}"
        return f"{_stock_repr(self)} [{extra}]>"

    def locked(self) -> bool:
        """Like asyncio.Semaphore.locked."""
        return self._value == 0 or any(not w.cancelled() for w in (self._waiters or ()))

    async def acquire(self) -> bool:
        """Like asyncio.Semaphore.acquire."""
        if not self.locked():
            self._value -= 1
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._create_future()
        self._waiters.append(fut)
        if _pyversion.SEMAPHORE_FIFO:
            try:
                try:
                    await fut
                finally:
                    self._waiters.remove(fut)
            except CancelledError:
                if fut.done() and not fut.cancelled():
                    self._value += 1
                raise
            finally:
                while self._value > 0:
                    if not self._wake_up_next():
                        break
            return True
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
        except CancelledError:
            if not fut.cancelled():
                self._value += 1
                self._wake_up_next()
            raise
        if self._value > 0:
            self._wake_up_next()
        return True

    def release(self) -> None:
        """Like asyncio.Semaphore.release."""
        self._value += 1
        self._wake_up_next()

    def _wake_up_next(self) -> bool:
        if not self._waiters:
            return False
        for fut in self._waiters:
            if not fut.done():
                self._value -= 1
                fut.set_result(True)
                return True
        return False


class BoundedSemaphore(Semaphore):
    """Like asyncio.BoundedSemaphore."""

    def __init__(self, value: int = 1) -> None:
        self._bound_value = value
        super().__init__(value)

    def release(self) -> None:
        """Like asyncio.BoundedSemaphore.release."""
        if self._value >= self._bound_value:
            raise ValueError("BoundedSemaphore released too many times")
        super().release()


class _BarrierState(enum.Enum):
    FILLING = "filling"
    DRAINING = "draining"
    RESETTING = "resetting"
    BROKEN = "broken"


class Barrier(_LoopBound):
    """Like asyncio.Barrier."""

    def __init__(self, parties: int) -> None:
        if parties < 1:
            raise ValueError("parties must be > 0")
        self._cond = Condition()
        self._parties = parties
        self._state = _BarrierState.FILLING
        self._count = 0

    def __repr__(self) -> str:
        extra = f"{self._state.value}"
        if not self.broken:
            extra += f", waiters:{self.n_waiting}/{self.parties}"
        return f"{_stock_repr(self)} [{extra}]>"

    async def __aenter__(self) -> int:
        return await self.wait()

    async def __aexit__(self, *args: object) -> None:
        pass

    async def wait(self) -> int:
        """Like asyncio.Barrier.wait."""
        async with self._cond:
            await self._block()
            try:
                index = self._count
                self._count += 1
                if index + 1 == self._parties:
                    await self._release()
                else:
                    await self._wait()
                return index
            finally:
                self._count -= 1
                self._exit()

    async def _block(self) -> None:
        await self._cond.wait_for(
            lambda: self._state not in (_BarrierState.DRAINING, _BarrierState.RESETTING)
        )
        if self._state is _BarrierState.BROKEN:
            raise BrokenBarrierError("Barrier aborted")

    async def _release(self) -> None:
        self._state = _BarrierState.DRAINING
        self._cond.notify_all()

    async def _wait(self) -> None:
        await self._cond.wait_for(lambda: self._state is not _BarrierState.FILLING)
        if self._state in (_BarrierState.BROKEN, _BarrierState.RESETTING):
            raise BrokenBarrierError("Abort or reset of barrier")

    def _exit(self) -> None:
        if self._count == 0:
            if self._state in (_BarrierState.RESETTING, _BarrierState.DRAINING):
                self._state = _BarrierState.FILLING
            self._cond.notify_all()

    async def reset(self) -> None:
        """Like asyncio.Barrier.reset."""
        async with self._cond:
            if self._count > 0:
                if self._state is not _BarrierState.RESETTING:
                    self._state = _BarrierState.RESETTING
            else:
                self._state = _BarrierState.FILLING
            self._cond.notify_all()

    async def abort(self) -> None:
        """Like asyncio.Barrier.abort."""
        async with self._cond:
            self._state = _BarrierState.BROKEN
            self._cond.notify_all()

    @property
    def parties(self) -> int:
        """Like asyncio.Barrier.parties."""
        return self._parties

    @property
    def n_waiting(self) -> int:
        """Like asyncio.Barrier.n_waiting."""
        if self._state is _BarrierState.FILLING:
            return self._count
        return 0

    @property
    def broken(self) -> bool:
        """Like asyncio.Barrier.broken."""
        return self._state is _BarrierState.BROKEN
