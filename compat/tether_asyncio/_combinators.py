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
from typing import TYPE_CHECKING, Any

from . import _pyversion
from ._exceptions import CancelledError
from ._futures import FUTURE_ATTRIBUTES, Future, prime_attribute_names, timer_at
from ._loop import TetherLoop, get_event_loop, get_running_loop
from ._tasks import ensure_future
from ._timeouts import timeout as timeout_cm

if TYPE_CHECKING:
    import weakref


class _GatheringFuture(Future):
    """gather()'s outer future: cancelling it cancels the children."""

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


prime_attribute_names(_GatheringFuture, (*FUTURE_ATTRIBUTES, "_children", "_cancel_requested"))


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
                if child.cancelled():
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
    for arg in coros_or_futures:
        if arg not in arg_to_fut:
            fut = ensure_future(arg, loop=loop)
            if loop is None:
                loop = fut.get_loop()
            if fut is not arg:
                fut._log_destroy_pending = False  # type: ignore[attr-defined]
            nfuts += 1
            arg_to_fut[arg] = fut
            if _pyversion.GATHER_HANDLES_DONE_CHILDREN_EAGERLY and fut.done():
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


def _release_weak_waiter(ref: weakref.ref[Future]) -> None:
    waiter = ref()
    if waiter is not None and not waiter.done():
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
    timeout_handle: Any = timer_at(loop, loop.time() + timeout, _release_weak_waiter, waiter)
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
