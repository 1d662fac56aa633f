"""``gather``, ``shield`` and ``wait_for``, with asyncio's (not tether's) shapes.

These are callback-based, as in asyncio: ``gather`` propagates the first
error bare while the siblings keep running (no nursery, no exception
group), and ``shield`` leaves the inner work running unsupervised while
the caller sees ``CancelledError`` at once. ``wait_for`` follows the running
version: 3.11's callback-and-waiter version, 3.12+'s version on top of
``asyncio.timeout``.
"""

from __future__ import annotations

import functools
from typing import Any

from . import _pyversion
from ._exceptions import CancelledError
from ._futures import (
    _CANCELLED,
    _PENDING,
    Future,
    timer_after,
)
from ._loop import TetherLoop, get_event_loop, get_running_loop
from ._tasks import Task, ensure_future
from ._timeouts import timeout as timeout_cm


class _GatheringFuture(Future):
    """gather()'s outer future: cancelling it cancels the children."""

    __slots__ = ("_cancel_requested", "_children")

    def __init__(self, children: list[Future], *, loop: TetherLoop) -> None:
        super().__init__(loop=loop)
        self._children = children
        self._cancel_requested = False

    def cancel(self, msg: Any = None) -> bool:
        if self.done():
            return False
        ret = False
        for child in self._children:
            if child.cancel(msg=msg):
                ret = True
        if ret:
            self._cancel_requested = True
        return ret


# The facade's own future classes, whose state methods no subclass has
# overridden: gather's done callback reads their state directly.
_PLAIN_FUTURES = frozenset({Future, Task, _GatheringFuture})


def gather(*coros_or_futures: Any, return_exceptions: bool = False) -> Future:
    """Run the awaitables concurrently; a future for the list of their results."""
    if not coros_or_futures:
        empty = get_event_loop().create_future()
        empty.set_result([])
        return empty

    children: list[Future] = []
    nfuts = 0
    nfinished = 0
    outer: _GatheringFuture | None = None

    def _done_callback(fut: Future) -> None:
        nonlocal nfinished
        nfinished += 1
        if type(fut) in _PLAIN_FUTURES:
            # (For these classes done(), cancelled() and exception() of a
            # done future are attribute reads, inlined here; ``outer`` is a
            # _GatheringFuture.)
            if outer is None or outer._state != _PENDING:
                if fut._state != _CANCELLED:
                    fut._log_tb = False  # mark it retrieved
                return
            if not return_exceptions:
                if fut._state == _CANCELLED:
                    outer.set_exception(fut._make_cancelled_error())
                    return
                fut._log_tb = False
                exc = fut._exception
                if exc is not None:
                    outer.set_exception(exc)
                    return
        else:
            # (Any other future is asked, in stock asyncio's order.)
            if outer is None or outer.done():
                if not fut.cancelled():
                    fut.exception()  # mark it retrieved
                return
            if not return_exceptions:
                if fut.cancelled():
                    outer.set_exception(fut._make_cancelled_error())
                    return
                exc = fut.exception()
                if exc is not None:
                    outer.set_exception(exc)
                    return
        if nfinished == nfuts:
            results: list[Any] = []
            for child in children:
                if type(child) in _PLAIN_FUTURES:
                    if child._state == _CANCELLED:
                        msg = child._cancel_message
                        results.append(CancelledError("" if msg is None else msg))
                    else:
                        child._log_tb = False
                        res = child._exception
                        results.append(child._result if res is None else res)
                elif child.cancelled():
                    msg = child._cancel_message
                    results.append(CancelledError("" if msg is None else msg))
                else:
                    res = child.exception()
                    results.append(child.result() if res is None else res)
            if outer._cancel_requested:
                outer.set_exception(fut._make_cancelled_error())
            else:
                outer.set_result(results)

    arg_to_fut: dict[Any, Future] = {}
    done_futs: list[Future] = []
    loop: TetherLoop | None = None
    fut: Future
    for arg in coros_or_futures:
        if arg not in arg_to_fut:
            if type(arg) in _PLAIN_FUTURES and loop is not None:
                # (ensure_future(arg, loop=loop) for the facade's own
                # futures, inlined: the future itself, on the same loop.)
                fut = arg
                if fut._loop is not loop:
                    raise ValueError(
                        "The future belongs to a different loop than the one specified "
                        "as the loop argument"
                    )
            else:
                fut = ensure_future(arg, loop=loop)
            if loop is None:
                loop = fut.get_loop()
            if fut is not arg:
                fut._log_destroy_pending = False  # type: ignore[attr-defined]
            nfuts += 1
            arg_to_fut[arg] = fut
            if _pyversion.GATHER_HANDLES_DONE_CHILDREN_EAGERLY and (
                fut._state != _PENDING if type(fut) in _PLAIN_FUTURES else fut.done()
            ):
                done_futs.append(fut)
            else:
                fut.add_done_callback(_done_callback)
        else:
            fut = arg_to_fut[arg]
        children.append(fut)
    assert loop is not None
    outer = _GatheringFuture(children, loop=loop)
    for fut in done_futs:
        _done_callback(fut)
    return outer


def shield(arg: Any) -> Future:
    """Protect the awaitable from the caller's cancellation."""
    inner = ensure_future(arg)
    if inner.done():
        return inner
    outer = inner.get_loop().create_future()

    def _inner_done_callback(inner: Future) -> None:
        if outer.cancelled():
            if not inner.cancelled():
                inner.exception()
            return
        if inner.cancelled():
            outer.cancel()
        else:
            exc = inner.exception()
            if exc is not None:
                outer.set_exception(exc)
            else:
                outer.set_result(inner.result())

    def _outer_done_callback(outer: Future) -> None:
        if not inner.done():
            inner.remove_done_callback(_inner_done_callback)

    inner.add_done_callback(_inner_done_callback)
    outer.add_done_callback(_outer_done_callback)
    return outer


def _release_waiter(waiter: Future, *args: Any) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _cancel_and_wait(fut: Future) -> None:
    waiter = get_running_loop().create_future()
    cb = functools.partial(_release_waiter, waiter)
    fut.add_done_callback(cb)
    try:
        fut.cancel()
        await waiter
    finally:
        fut.remove_done_callback(cb)


async def wait_for(fut: Any, timeout: float | None) -> Any:
    """Wait for the awaitable, cancelling it after ``timeout`` seconds."""
    if _pyversion.WAIT_FOR_USES_TIMEOUT:
        return await _wait_for_312(fut, timeout)
    return await _wait_for_311(fut, timeout)


async def _wait_for_312(fut: Any, timeout: float | None) -> Any:
    if timeout is not None and timeout <= 0:
        fut = ensure_future(fut)
        if fut.done():
            return fut.result()
        await _cancel_and_wait(fut)
        try:
            return fut.result()
        except CancelledError as exc:
            raise TimeoutError from exc
    async with timeout_cm(timeout):
        return await fut


async def _wait_for_311(fut: Any, timeout: float | None) -> Any:
    loop = get_running_loop()
    if timeout is None:
        return await fut
    if timeout <= 0:
        fut = ensure_future(fut, loop=loop)
        if fut.done():
            return fut.result()
        await _cancel_and_wait(fut)
        try:
            return fut.result()
        except CancelledError as exc:
            raise TimeoutError() from exc
    waiter = loop.create_future()
    # (Straight into tether's timer heap where no asyncio handle can be
    # observed; see _futures.timer_at.)
    timeout_handle: Any = timer_after(loop, timeout, _release_waiter, waiter)
    if timeout_handle is None:
        timeout_handle = loop.call_later(timeout, _release_waiter, waiter)
    cb = functools.partial(_release_waiter, waiter)
    fut = ensure_future(fut, loop=loop)
    fut.add_done_callback(cb)
    try:
        try:
            await waiter
        except CancelledError:
            if fut.done():
                return fut.result()
            fut.remove_done_callback(cb)
            await _cancel_and_wait(fut)
            raise
        if fut.done():
            return fut.result()
        fut.remove_done_callback(cb)
        await _cancel_and_wait(fut)
        try:
            return fut.result()
        except CancelledError as exc:
            raise TimeoutError() from exc
    finally:
        timeout_handle.cancel()
