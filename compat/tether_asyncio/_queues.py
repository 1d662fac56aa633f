"""asyncio's queues (``Queue``, ``PriorityQueue``, ``LifoQueue``) on the
facade's Future.

As in stock asyncio: ``get`` with an item and ``put`` with room do not
suspend; blocked getters and putters wait on facade futures, and a waiter
cancelled after being woken passes its turn on. ``shutdown()`` and
``QueueShutDown`` exist on 3.13 only (``_pyversion.QUEUE_HAS_SHUTDOWN``).
The exception classes are stock asyncio's own.

**Fast paths.** For an instance of ``Queue`` itself (not a subclass, not
``PriorityQueue``/``LifoQueue``) with an ``int`` maxsize, ``put``/``get``
and their ``_nowait`` forms do the work of ``full()``, ``empty()``,
``qsize()``, ``_put()``, ``_get()``, ``_wakeup_next()`` and
``Event.clear()`` inline instead of calling them: the same reads and
writes, in the same order, without the Python calls (stock's are Python
calls too; they are about half of a non-blocking ``put``/``get``). Nothing
that can raise is inlined, so an error comes out of the same frames as in
stock (``put()`` on a shut-down queue raises from ``put_nowait()``; an odd
maxsize's comparison error from ``full()``). A subclass may override any of
those methods, so its instances run stock's exact sequence of calls.
"""

from __future__ import annotations

import asyncio
import collections
import heapq
from types import GenericAlias
from typing import TYPE_CHECKING, Any

from . import _locks, _pyversion
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
        plain = type(self) is Queue and type(self._maxsize) is int
        while True:
            if plain:
                # (self.full(), inline)
                maxsize = self._maxsize
                if maxsize <= 0 or not len(self._queue) >= maxsize:
                    break
            elif not self.full():
                break
            if self._is_shutdown:
                raise QueueShutDown
            # (self._get_loop(), inline while the queue is bound to the running loop)
            loop = _locks._get_running_loop()
            if loop is not self._loop or loop is None:
                loop = self._get_loop()
            putter = loop.create_future()
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
        if not plain or self._is_shutdown:
            # (An error is raised from put_nowait(), as stock raises it.)
            return self.put_nowait(item)
        # (put_nowait(), inline; full() was just false and nothing ran since.)
        self._queue.append(item)
        self._unfinished_tasks += 1
        self._finished._value = False  # (Event.clear())
        getters = self._getters
        while getters:  # (_wakeup_next(), inline)
            getter = getters.popleft()
            if not getter.done():
                getter.set_result(None)
                break
        return None

    def put_nowait(self, item: Any) -> None:
        """Like asyncio.Queue.put_nowait."""
        if self._is_shutdown:
            raise QueueShutDown
        maxsize = self._maxsize
        if type(self) is not Queue or type(maxsize) is not int:
            if self.full():
                raise QueueFull
            self._put(item)
            self._unfinished_tasks += 1
            self._finished.clear()
            self._wakeup_next(self._getters)
            return
        # (The same, with full(), _put(), clear() and _wakeup_next() inline.)
        queue = self._queue
        if not maxsize <= 0 and len(queue) >= maxsize:
            raise QueueFull
        queue.append(item)
        self._unfinished_tasks += 1
        self._finished._value = False
        getters = self._getters
        while getters:
            getter = getters.popleft()
            if not getter.done():
                getter.set_result(None)
                break

    async def get(self) -> Any:
        """Like asyncio.Queue.get."""
        plain = type(self) is Queue
        while not self._queue if plain else self.empty():
            if self._is_shutdown and self.empty():
                raise QueueShutDown
            # (self._get_loop(), inline while the queue is bound to the running loop)
            loop = _locks._get_running_loop()
            if loop is not self._loop or loop is None:
                loop = self._get_loop()
            getter = loop.create_future()
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
        if not plain:
            return self.get_nowait()
        # (get_nowait(), inline; the queue was just found non-empty.)
        item = self._queue.popleft()
        putters = self._putters
        while putters:  # (_wakeup_next(), inline)
            putter = putters.popleft()
            if not putter.done():
                putter.set_result(None)
                break
        return item

    def get_nowait(self) -> Any:
        """Like asyncio.Queue.get_nowait."""
        if type(self) is not Queue:
            if self.empty():
                if self._is_shutdown:
                    raise QueueShutDown
                raise QueueEmpty
            item = self._get()
            self._wakeup_next(self._putters)
            return item
        # (The same, with empty(), _get() and _wakeup_next() inline.)
        queue = self._queue
        if not queue:
            if self._is_shutdown:
                raise QueueShutDown
            raise QueueEmpty
        item = queue.popleft()
        putters = self._putters
        while putters:
            putter = putters.popleft()
            if not putter.done():
                putter.set_result(None)
                break
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
