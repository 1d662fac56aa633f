"""``wait`` and ``as_completed``, callback-based as in stock asyncio.

``wait`` registers one done callback per future and parks on a facade
future (released by the callbacks or a ``call_later`` timeout).
``as_completed`` feeds completed futures into a facade :class:`Queue`;
on 3.11/3.12 it is a generator of coroutines, on 3.13 an iterator that is
also an async iterator (``_pyversion.AS_COMPLETED_ASYNC_ITER``).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any

from . import _pyversion
from ._exceptions import TimeoutError
from ._futures import isfuture
from ._loop import get_event_loop, get_running_loop
from ._queues import Queue
from ._tasks import ensure_future, iscoroutine

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterable, Iterator

    from ._futures import Future
    from ._loop import TetherLoop

FIRST_COMPLETED = asyncio.FIRST_COMPLETED
FIRST_EXCEPTION = asyncio.FIRST_EXCEPTION
ALL_COMPLETED = asyncio.ALL_COMPLETED


async def wait(
    fs: Iterable[Any], *, timeout: float | None = None, return_when: str = ALL_COMPLETED
) -> tuple[set[Any], set[Any]]:
    """Like asyncio.wait."""
    if isfuture(fs) or iscoroutine(fs):
        raise TypeError(f"expect a list of futures, not {type(fs).__name__}")
    if not fs:
        raise ValueError("Set of Tasks/Futures is empty.")
    if return_when not in (FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED):
        raise ValueError(f"Invalid return_when value: {return_when}")
    fs = set(fs)
    if any(iscoroutine(f) for f in fs):
        raise TypeError("Passing coroutines is forbidden, use tasks explicitly.")
    loop = get_running_loop()
    return await _wait(fs, timeout, return_when, loop)


def _release_waiter(waiter: Future, *args: Any) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _wait(
    fs: set[Any], timeout: float | None, return_when: str, loop: TetherLoop
) -> tuple[set[Any], set[Any]]:
    waiter = loop.create_future()
    timeout_handle = None
    if timeout is not None:
        timeout_handle = loop.call_later(timeout, _release_waiter, waiter)
    counter = len(fs)

    def _on_completion(f: Any) -> None:
        nonlocal counter
        counter -= 1
        if (
            counter <= 0
            or return_when == FIRST_COMPLETED
            or (return_when == FIRST_EXCEPTION and not f.cancelled() and f.exception() is not None)
        ):
            if timeout_handle is not None:
                timeout_handle.cancel()
            if not waiter.done():
                waiter.set_result(None)

    for f in fs:
        f.add_done_callback(_on_completion)
    try:
        await waiter
    finally:
        if timeout_handle is not None:
            timeout_handle.cancel()
        for f in fs:
            f.remove_done_callback(_on_completion)
    done: set[Any] = set()
    pending: set[Any] = set()
    for f in fs:
        if f.done():
            done.add(f)
        else:
            pending.add(f)
    return done, pending


class _AsCompletedIterator:
    """as_completed()'s result on 3.13: an iterator and an async iterator."""

    def __init__(self, aws: Iterable[Any], timeout: float | None) -> None:
        self._done: Queue = Queue()
        self._timeout_handle: asyncio.TimerHandle | None = None
        loop = get_event_loop()
        todo = {ensure_future(aw, loop=loop) for aw in set(aws)}
        for f in todo:
            f.add_done_callback(self._handle_completion)
        if todo and timeout is not None:
            self._timeout_handle = loop.call_later(timeout, self._handle_timeout)
        self._todo = todo
        self._todo_left = len(todo)

    def __aiter__(self) -> _AsCompletedIterator:
        return self

    def __iter__(self) -> _AsCompletedIterator:
        return self

    async def __anext__(self) -> Any:
        if not self._todo_left:
            raise StopAsyncIteration
        self._todo_left -= 1
        return await self._wait_for_one()

    def __next__(self) -> Coroutine[Any, Any, Any]:
        if not self._todo_left:
            raise StopIteration
        self._todo_left -= 1
        return self._wait_for_one(resolve=True)

    def _handle_timeout(self) -> None:
        for f in self._todo:
            f.remove_done_callback(self._handle_completion)
            self._done.put_nowait(None)
        self._todo.clear()

    def _handle_completion(self, f: Future) -> None:
        if not self._todo:
            return
        self._todo.remove(f)
        self._done.put_nowait(f)
        if not self._todo and self._timeout_handle is not None:
            self._timeout_handle.cancel()

    async def _wait_for_one(self, resolve: bool = False) -> Any:
        f = await self._done.get()
        if f is None:
            raise TimeoutError
        return f.result() if resolve else f


def _as_completed_gen(
    fs: Iterable[Any], timeout: float | None
) -> Iterator[Coroutine[Any, Any, Any]]:
    if isfuture(fs) or iscoroutine(fs):
        raise TypeError(f"expect an iterable of futures, not {type(fs).__name__}")
    done: Queue = Queue()
    loop = get_event_loop()
    todo = {ensure_future(f, loop=loop) for f in set(fs)}
    timeout_handle: asyncio.TimerHandle | None = None

    def _on_timeout() -> None:
        for f in todo:
            f.remove_done_callback(_on_completion)
            done.put_nowait(None)
        todo.clear()

    def _on_completion(f: Future) -> None:
        if not todo:
            return
        todo.remove(f)
        done.put_nowait(f)
        if not todo and timeout_handle is not None:
            timeout_handle.cancel()

    async def _wait_for_one() -> Any:
        f = await done.get()
        if f is None:
            raise TimeoutError
        return f.result()

    for f in todo:
        f.add_done_callback(_on_completion)
    if todo and timeout is not None:
        timeout_handle = loop.call_later(timeout, _on_timeout)
    for _ in range(len(todo)):
        yield _wait_for_one()


def as_completed(fs: Iterable[Any], *, timeout: float | None = None) -> Any:
    """Like asyncio.as_completed."""
    if _pyversion.AS_COMPLETED_ASYNC_ITER:
        if inspect.isawaitable(fs):
            raise TypeError(f"expects an iterable of awaitables, not {type(fs).__name__}")
        return _AsCompletedIterator(fs, timeout)
    return _as_completed_gen(fs, timeout)
