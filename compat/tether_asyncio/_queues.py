"""asyncio's queues (``Queue``, ``PriorityQueue``, ``LifoQueue``) on the
facade's Future.

As in stock asyncio: ``get`` with an item and ``put`` with room do not
suspend; blocked getters and putters wait on facade futures, and a waiter
cancelled after being woken passes its turn on. ``shutdown()`` and
``QueueShutDown`` exist on 3.13 only (``_pyversion.QUEUE_HAS_SHUTDOWN``).
The exception classes are stock asyncio's own.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
from types import GenericAlias
from typing import TYPE_CHECKING, Any

from . import _pyversion
from ._exceptions import QueueEmpty, QueueFull
from ._locks import Event, _LoopBound

if TYPE_CHECKING:
    from ._futures import Future

# Only raised on 3.13, where stock asyncio defines it.
QueueShutDown: type[Exception] = getattr(asyncio, "QueueShutDown", Exception)


class Queue(_LoopBound):
    """Like asyncio.Queue."""

    _stock_module = "asyncio.queues"

    def __init__(self, maxsize: int = 0) -> None:
        self._maxsize = maxsize
        self._getters: collections.deque[Future] = collections.deque()
        self._putters: collections.deque[Future] = collections.deque()
        self._unfinished_tasks = 0
        self._finished = Event()
        self._finished.set()
        self._init(maxsize)
        self._is_shutdown = False

    def _init(self, maxsize: int) -> None:
        self._queue: Any = collections.deque()

    def _get(self) -> Any:
        return self._queue.popleft()

    def _put(self, item: Any) -> None:
        self._queue.append(item)

    def _wakeup_next(self, waiters: collections.deque[Future]) -> None:
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {self._format()}>"

    def __str__(self) -> str:
        return f"<{type(self).__name__} {self._format()}>"

    def __class_getitem__(cls, item: Any) -> GenericAlias:
        return GenericAlias(cls, item)

    def _format(self) -> str:
        result = f"maxsize={self._maxsize!r}"
        if getattr(self, "_queue", None):
            result += f" _queue={list(self._queue)!r}"
        if self._getters:
            result += f" _getters[{len(self._getters)}]"
        if self._putters:
            result += f" _putters[{len(self._putters)}]"
        if self._unfinished_tasks:
            result += f" tasks={self._unfinished_tasks}"
        if self._is_shutdown:
            result += " shutdown"
        return result

    def qsize(self) -> int:
        """Like asyncio.Queue.qsize."""
        return len(self._queue)

    @property
    def maxsize(self) -> int:
        """Like asyncio.Queue.maxsize."""
        return self._maxsize

    def empty(self) -> bool:
        """Like asyncio.Queue.empty."""
        return not self._queue

    def full(self) -> bool:
        """Like asyncio.Queue.full."""
        if self._maxsize <= 0:
            return False
        return self.qsize() >= self._maxsize

    async def put(self, item: Any) -> None:
        """Like asyncio.Queue.put."""
        while self.full():
            if self._is_shutdown:
                raise QueueShutDown
            putter = self._create_future()
            self._putters.append(putter)
            try:
                await putter
            except BaseException:
                putter.cancel()
                try:
                    self._putters.remove(putter)
                except ValueError:
                    pass
                if not self.full() and not putter.cancelled():
                    self._wakeup_next(self._putters)
                raise
        return self.put_nowait(item)

    def put_nowait(self, item: Any) -> None:
        """Like asyncio.Queue.put_nowait."""
        if self._is_shutdown:
            raise QueueShutDown
        if self.full():
            raise QueueFull
        self._put(item)
        self._unfinished_tasks += 1
        self._finished.clear()
        self._wakeup_next(self._getters)

    async def get(self) -> Any:
        """Like asyncio.Queue.get."""
        while self.empty():
            if self._is_shutdown and self.empty():
                raise QueueShutDown
            getter = self._create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
                if not self.empty() and not getter.cancelled():
                    self._wakeup_next(self._getters)
                raise
        return self.get_nowait()

    def get_nowait(self) -> Any:
        """Like asyncio.Queue.get_nowait."""
        if self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            raise QueueEmpty
        item = self._get()
        self._wakeup_next(self._putters)
        return item

    def task_done(self) -> None:
        """Like asyncio.Queue.task_done."""
        if self._unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished_tasks -= 1
        if self._unfinished_tasks == 0:
            self._finished.set()

    async def join(self) -> None:
        """Like asyncio.Queue.join."""
        if self._unfinished_tasks > 0:
            await self._finished.wait()

    def _shutdown(self, immediate: bool = False) -> None:
        self._is_shutdown = True
        if immediate:
            while not self.empty():
                self._get()
                if self._unfinished_tasks > 0:
                    self._unfinished_tasks -= 1
            if self._unfinished_tasks == 0:
                self._finished.set()
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)
        while self._putters:
            putter = self._putters.popleft()
            if not putter.done():
                putter.set_result(None)

    if _pyversion.QUEUE_HAS_SHUTDOWN:

        def shutdown(self, immediate: bool = False) -> None:
            """Like asyncio.Queue.shutdown (3.13+)."""
            self._shutdown(immediate)


class PriorityQueue(Queue):
    """Like asyncio.PriorityQueue."""

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: Any) -> None:
        heapq.heappush(self._queue, item)

    def _get(self) -> Any:
        return heapq.heappop(self._queue)


class LifoQueue(Queue):
    """Like asyncio.LifoQueue."""

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: Any) -> None:
        self._queue.append(item)

    def _get(self) -> Any:
        return self._queue.pop()
