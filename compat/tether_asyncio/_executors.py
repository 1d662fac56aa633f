"""Threads: executors, ``to_thread``, ``run_coroutine_threadsafe``, ``wrap_future``.

:class:`ExecutorMixin` gives :class:`~tether_asyncio._loop.TetherLoop`
asyncio's executor API. ``run_in_executor(None, ...)`` uses a default
``concurrent.futures.ThreadPoolExecutor`` (thread names ``asyncio_N``),
created on first use as stock asyncio does; the concurrent future is
wrapped in a facade :class:`~tether_asyncio._futures.Future`.

How results cross threads: a worker thread finishing a concurrent future
calls ``loop.call_soon_threadsafe``, which queues the callback with the
loop's deferred work and wakes the loop from its I/O wait through the
tether run's token; the callback runs in the iteration that wake-up ends,
as in asyncio (so ``to_thread`` costs asyncio's two loop iterations).
Cancelling the facade future
cancels the concurrent one (which only succeeds if it has not started);
cancelling the concurrent future returned by ``run_coroutine_threadsafe``
cancels the task through the same token. ``shutdown_default_executor``
joins the pool from a tether cache thread
(:func:`tether.lowlevel.start_thread_soon`), with each Python version's
timeout behaviour (see ``_pyversion``). The timeout is measured in real
time, as it bounds waiting for OS threads: with the default clock that is
the loop's time, and with a :class:`tether.testing.MockClock` autojumping
over an idle loop it still gives the threads their seconds.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
import threading
import warnings
from typing import TYPE_CHECKING, Any

import tether.lowlevel

from . import _pyversion
from ._exceptions import CancelledError, InvalidStateError
from ._futures import Future, isfuture
from ._tasks import ensure_future, iscoroutine

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._loop import TetherLoop

# Runner.close() gives the default executor this long to join (3.12+).
THREAD_JOIN_TIMEOUT = 300


class ExecutorMixin:
    """The executor part of the loop API (mixed into ``TetherLoop``)."""

    _default_executor: concurrent.futures.ThreadPoolExecutor | None = None
    _executor_shutdown_called = False

    if TYPE_CHECKING:
        _debug: bool

        def _check_closed(self) -> None: ...
        def _check_callback(self, callback: object, method: str) -> None: ...
        def create_future(self) -> Future: ...
        def is_closed(self) -> bool: ...
        def call_soon_threadsafe(
            self,
            callback: Callable[..., object],
            *args: Any,
            context: contextvars.Context | None = None,
        ) -> Any: ...

    def run_in_executor(
        self, executor: concurrent.futures.Executor | None, func: Callable[..., Any], *args: Any
    ) -> Future:
        """Run ``func(*args)`` in ``executor`` (None: the loop's default
        thread pool) and return a Future for its result."""
        self._check_closed()
        if self._debug:
            self._check_callback(func, "run_in_executor")
        if executor is None:
            executor = self._default_executor
            if self._executor_shutdown_called:
                raise RuntimeError("Executor shutdown has been called")
            if executor is None:
                executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
                self._default_executor = executor
        return wrap_future(executor.submit(func, *args), loop=self)  # type: ignore[arg-type]

    def set_default_executor(self, executor: concurrent.futures.ThreadPoolExecutor) -> None:
        """Use ``executor`` for ``run_in_executor(None, ...)`` and ``to_thread``."""
        if not isinstance(executor, concurrent.futures.ThreadPoolExecutor):
            raise TypeError("executor must be ThreadPoolExecutor instance")
        self._default_executor = executor

    async def _shutdown_default_executor(self, timeout: float | None) -> None:
        self._executor_shutdown_called = True
        if self._default_executor is None:
            return
        future = self.create_future()
        joined = threading.Event()
        tether.lowlevel.start_thread_soon(
            functools.partial(self._do_shutdown, future),
            lambda _result: joined.set(),
            name="tether_asyncio shutdown",
        )
        if _pyversion.SHUTDOWN_EXECUTOR_TIMEOUT_BOUNDS_WAIT:
            # The timeout bounds the wait. It is measured in real time (it is
            # about OS threads), which is the loop's time unless the loop
            # runs on a mock clock, whose autojump must not cut it short.
            # (The helper threads' names do not start with "asyncio", which
            # programs use to find the executor's own workers.)
            if timeout is not None:
                tether.lowlevel.start_thread_soon(
                    functools.partial(self._expire_shutdown, future, joined, timeout),
                    _ignore,
                    name="tether_asyncio shutdown timeout",
                )
            if await future is _TIMED_OUT:
                warnings.warn(
                    f"The executor did not finishing joining its threads within {timeout} seconds.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self._default_executor.shutdown(wait=False)
            else:
                joined.wait()
            return
        try:
            await future
        finally:
            joined.wait(timeout)
        if not joined.is_set():
            warnings.warn(
                f"The executor did not finishing joining its threads within {timeout} seconds.",
                RuntimeWarning,
                stacklevel=3,
            )
            self._default_executor.shutdown(wait=False)

    def _expire_shutdown(self, future: Future, joined: threading.Event, timeout: float) -> None:
        # In a worker thread: give up waiting after ``timeout`` seconds.
        if not joined.wait(timeout) and not self.is_closed():
            self.call_soon_threadsafe(_set_result_unless_done, future, _TIMED_OUT)

    if _pyversion.SHUTDOWN_EXECUTOR_HAS_TIMEOUT:

        async def shutdown_default_executor(self, timeout: float | None = None) -> None:
            """Shut the default executor down, waiting for its threads (at most
            ``timeout`` seconds, then a RuntimeWarning); afterwards
            ``run_in_executor(None, ...)`` raises RuntimeError."""
            await self._shutdown_default_executor(timeout)

    else:

        async def shutdown_default_executor(self) -> None:  # type: ignore[misc]
            """Shut the default executor down and wait for its threads;
            afterwards ``run_in_executor(None, ...)`` raises RuntimeError."""
            await self._shutdown_default_executor(None)

    def _do_shutdown(self, future: Future) -> None:
        # In a worker thread.
        try:
            self._default_executor.shutdown(wait=True)  # type: ignore[union-attr]
            if not self.is_closed():
                if _pyversion.SHUTDOWN_EXECUTOR_TIMEOUT_BOUNDS_WAIT:
                    self.call_soon_threadsafe(_set_result_unless_done, future, None)
                else:
                    self.call_soon_threadsafe(future.set_result, None)
        except Exception as exc:
            if self.is_closed():
                return
            if _pyversion.SHUTDOWN_EXECUTOR_TIMEOUT_BOUNDS_WAIT:
                self.call_soon_threadsafe(_set_exception_unless_done, future, exc)
            else:
                self.call_soon_threadsafe(future.set_exception, exc)

    def _close_default_executor(self) -> None:
        """``loop.close()``: shut the default executor down without waiting."""
        self._executor_shutdown_called = True
        executor = self._default_executor
        if executor is not None:
            self._default_executor = None
            executor.shutdown(wait=False)


_TIMED_OUT = object()


def _ignore(result: object) -> None:
    pass


def _set_result_unless_done(fut: Future, result: Any) -> None:
    if not fut.done():
        fut.set_result(result)


def _set_exception_unless_done(fut: Future, exc: BaseException) -> None:
    if not fut.done():
        fut.set_exception(exc)


# -- chaining futures across threads --------------------------------------------------


def _convert_exc(exc: BaseException) -> BaseException:
    """A concurrent.futures exception as the asyncio one a Future should hold."""
    cls = type(exc)
    new: BaseException
    if cls is concurrent.futures.CancelledError:
        new = CancelledError(*exc.args)
    elif cls is concurrent.futures.InvalidStateError:
        new = InvalidStateError(*exc.args)
    elif cls is TimeoutError and not _pyversion.CHAIN_FUTURE_KEEPS_EXCEPTIONS:
        return TimeoutError(*exc.args)
    else:
        return exc
    if _pyversion.CHAIN_FUTURE_KEEPS_EXCEPTIONS:
        new = new.with_traceback(exc.__traceback__)
    return new


def _to_concurrent(dest: concurrent.futures.Future[Any], source: Any) -> None:
    if source.cancelled():
        dest.cancel()
    if not dest.set_running_or_notify_cancel():
        return
    exc = source.exception()
    if exc is not None:
        dest.set_exception(_convert_exc(exc))
    else:
        dest.set_result(source.result())


def _to_asyncio(dest: Any, source: Any) -> None:
    if dest.cancelled():
        return
    if source.cancelled():
        dest.cancel()
        return
    exc = source.exception()
    if exc is not None:
        dest.set_exception(_convert_exc(exc))
    else:
        dest.set_result(source.result())


def _future_loop(fut: Any) -> Any:
    get_loop = getattr(fut, "get_loop", None)
    return get_loop() if get_loop is not None else fut._loop


def _chain(source: Any, destination: Any) -> None:
    """When ``source`` finishes, copy its outcome into ``destination``; when
    ``destination`` is cancelled, cancel ``source``. Either may be an
    asyncio-style future (on its loop's thread) or a concurrent one."""
    if not isfuture(source) and not isinstance(source, concurrent.futures.Future):
        raise TypeError("A future is required for source argument")
    if not isfuture(destination) and not isinstance(destination, concurrent.futures.Future):
        raise TypeError("A future is required for destination argument")
    source_loop = _future_loop(source) if isfuture(source) else None
    dest_loop = _future_loop(destination) if isfuture(destination) else None

    def set_state(future: Any, other: Any) -> None:
        if isfuture(future):
            _to_asyncio(future, other)
        else:
            _to_concurrent(future, other)

    def on_destination_done(dest: Any) -> None:
        if dest.cancelled():
            if source_loop is None or source_loop is dest_loop:
                source.cancel()
            else:
                source_loop.call_soon_threadsafe(source.cancel)

    def on_source_done(src: Any) -> None:
        if destination.cancelled() and dest_loop is not None and dest_loop.is_closed():
            return
        if dest_loop is None or dest_loop is source_loop:
            set_state(destination, src)
        else:
            if dest_loop.is_closed():
                return
            dest_loop.call_soon_threadsafe(set_state, destination, src)

    destination.add_done_callback(on_destination_done)
    source.add_done_callback(on_source_done)


def wrap_future(future: Any, *, loop: TetherLoop | None = None) -> Future:
    """Wrap a ``concurrent.futures.Future`` in a Future of ``loop`` (default:
    the current loop). An asyncio-style future is returned as it is."""
    if isfuture(future):
        return future  # type: ignore[no-any-return]
    if not isinstance(future, concurrent.futures.Future):
        raise AssertionError(f"concurrent.futures.Future is expected, got {future!r}")
    if loop is None:
        from ._loop import get_event_loop

        loop = get_event_loop()
    new_future = loop.create_future()
    _chain(future, new_future)
    return new_future


def run_coroutine_threadsafe(coro: Any, loop: TetherLoop) -> concurrent.futures.Future[Any]:
    """Submit the coroutine ``coro`` to ``loop`` from another thread.

    Returns a ``concurrent.futures.Future`` for its result; cancelling it
    cancels the task.
    """
    if not iscoroutine(coro):
        raise TypeError("A coroutine object is required")
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def start() -> None:
        try:
            _chain(ensure_future(coro, loop=loop), future)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)
            raise

    loop.call_soon_threadsafe(start)
    return future


async def to_thread(func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Run ``func(*args, **kwargs)`` in the running loop's default executor,
    in a copy of the current context, and return its result."""
    from ._loop import get_running_loop

    loop = get_running_loop()
    ctx = contextvars.copy_context()
    call = functools.partial(ctx.run, func, *args, **kwargs)
    return await loop.run_in_executor(None, call)
