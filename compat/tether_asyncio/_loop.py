"""The event loop: an ``asyncio.AbstractEventLoop`` that drives a tether run.

:class:`TetherLoop` owns a :class:`tether.lowlevel.SteppedRun`. Running the
loop means calling ``step()``: each step is one scheduler iteration (I/O,
due timers, one batch of the run queue), the same unit as one asyncio
``_run_once``, so ``stop()`` finishes the current iteration as asyncio's
does. The run's main task (:meth:`TetherLoop._main`) installs the
facade's hooks (the cancellation class, the callback error handler) and
then sleeps until the loop is closed; facade tasks are owned tasks of the run.

**Between steps the thread is outside the run** (``SteppedRun`` leaves the
run context), so ``schedule_callback``, ``spawn_owned`` and ``reschedule``
cannot be called there. Loop operations made between steps (creating the
main task in ``run_until_complete``, ``call_soon`` before ``run_forever``,
finishing a future between two ``Runner.run()`` calls) are therefore
*deferred*: queued in order and performed at the start of the next step,
from an instrument's ``after_io_wait`` hook, which runs inside the run
after the I/O wait and before due timers join the run queue. That is
exactly where asyncio's ready queue would already hold them, so deferred
work keeps asyncio's order (ahead of timers that fall due in that
iteration). Inside a step every operation calls tether directly.

The clock: ``time()`` reads the run's clock object, which the loop keeps
(by default a monotonic clock, so ``loop.time()`` equals
``time.monotonic()`` as in asyncio; pass ``clock=MockClock(...)`` for
virtual time), so it also works between steps.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
import warnings
from math import inf
from typing import TYPE_CHECKING, Any

import tether
import tether.abc
import tether.lowlevel

from . import _pyversion
from ._cancellation import install_in_current_run
from ._futures import Future, isfuture
from ._tasks import Task, iscoroutine

logger = logging.getLogger("asyncio")


class _MonotonicClock(tether.abc.Clock):
    """``time.monotonic()``, as asyncio's ``loop.time()``."""

    def start_clock(self) -> None:
        pass

    def current_time(self) -> float:
        return time.monotonic()

    def deadline_to_sleep_time(self, deadline: float) -> float:
        return deadline - time.monotonic()


class _DeferredWork(tether.abc.Instrument):
    """Performs the loop's deferred operations at the start of each step."""

    def __init__(self, loop: TetherLoop) -> None:
        self.loop = loop

    def after_io_wait(self, timeout: float) -> None:
        if self.loop._deferred and self.loop._ready:
            self.loop._drain_deferred()


def _run_handle(handle: asyncio.Handle) -> None:
    if not handle.cancelled():
        handle._run()


def _run_until_complete_cb(fut: Future) -> None:
    if not fut.cancelled():
        exc = fut.exception()
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            return
    fut.get_loop().stop()


def _format_callback(callback: object, args: tuple[object, ...]) -> str:
    name = getattr(callback, "__qualname__", None) or repr(callback)
    return f"{name}({', '.join(repr(a) for a in args)})"


if TYPE_CHECKING:
    # typeshed declares most of AbstractEventLoop abstract and generic; the
    # facade implements the part it needs, with its own Future type.
    import contextvars
    from collections.abc import Callable

    _LoopBase = object
else:
    _LoopBase = asyncio.AbstractEventLoop


class TetherLoop(_LoopBase):
    """asyncio's event loop API over one tether run (see the module docstring)."""

    def __init__(self, *, clock: tether.abc.Clock | None = None) -> None:
        self._clock = _MonotonicClock() if clock is None else clock
        self._run = tether.lowlevel.open_stepped_run(
            self._main, clock=self._clock, instruments=[_DeferredWork(self)]
        )
        self._ready = False
        self._in_run = False
        self._deferred: list[tuple[Callable[..., object], tuple[Any, ...]]] = []
        self._stopping = False
        self._running = False
        self._closed = False
        self._thread_id: int | None = None
        self._debug = sys.flags.dev_mode or bool(os.environ.get("PYTHONASYNCIODEBUG"))
        self._exception_handler: Callable[[Any, dict[str, Any]], object] | None = None
        self._task_factory: Callable[..., Any] | None = None
        self._raise_after_step: BaseException | None = None
        self._timers: dict[int, tether.lowlevel.CallbackHandle] = {}

    def __repr__(self) -> str:
        return (
            f"<{self.__class__.__name__} running={self.is_running()} "
            f"closed={self.is_closed()} debug={self.get_debug()}>"
        )

    # -- the run ----------------------------------------------------------------

    async def _main(self) -> None:
        install_in_current_run()
        tether.lowlevel.set_callback_error_handler(self._callback_failed)
        self._ready = True
        await tether.sleep_forever()

    def _step(self) -> None:
        block = 0.0 if (self._deferred or not self._ready) else inf
        self._in_run = True
        try:
            alive = self._run.step(block)
        finally:
            self._in_run = False
        if not alive:  # pragma: no cover - the main task never returns
            raise RuntimeError("the tether run behind this event loop has ended")
        exc = self._raise_after_step
        if exc is not None:
            self._raise_after_step = None
            raise exc

    def _raise_from_run(self, exc: BaseException) -> None:
        """SystemExit/KeyboardInterrupt in a task or callback: propagate out of
        ``run_forever()`` once the current iteration is over."""
        if self._raise_after_step is None:
            self._raise_after_step = exc

    def _drain_deferred(self) -> None:
        work = self._deferred
        self._deferred = []
        for fn, args in work:
            try:
                fn(*args)
            except BaseException as exc:
                self._callback_failed(exc, None)

    def _defer_or_call(self, fn: Callable[..., object], *args: Any) -> None:
        if self._in_run:
            fn(*args)
        else:
            self._deferred.append((fn, args))

    def _soon(
        self, fn: Callable[..., object], arg: Any, context: contextvars.Context | None
    ) -> None:
        """Schedule ``fn(arg)`` at the back of the run queue (for futures)."""
        if self._in_run:
            tether.lowlevel.schedule_callback(fn, arg, context=context)
        else:
            self._deferred.append((self._soon_now, (fn, arg, context)))

    @staticmethod
    def _soon_now(fn: Callable[..., object], arg: Any, context: contextvars.Context | None) -> None:
        tether.lowlevel.schedule_callback(fn, arg, context=context)

    def _wake(self, ttask: tether.lowlevel.Task) -> None:
        if self._in_run:
            tether.lowlevel.reschedule(ttask)
        else:
            self._deferred.append((tether.lowlevel.reschedule, (ttask,)))

    def _callback_failed(self, exc: BaseException, handle: object) -> None:
        if not isinstance(exc, Exception):
            self._raise_from_run(exc)
            self.stop()
            return
        if isinstance(handle, tether.lowlevel.CallbackHandle):
            what = _format_callback(handle.callback, handle.args)
        else:
            what = repr(handle)
        self.call_exception_handler(
            {"message": f"Exception in callback {what}", "exception": exc, "handle": handle}
        )

    # -- running and stopping ---------------------------------------------------

    def _check_closed(self) -> None:
        if self._closed:
            raise RuntimeError("Event loop is closed")

    def _check_running(self) -> None:
        if self.is_running():
            raise RuntimeError("This event loop is already running")
        if _get_running_loop() is not None:
            raise RuntimeError("Cannot run the event loop while another loop is running")

    def run_forever(self) -> None:
        self._check_closed()
        self._check_running()
        self._thread_id = threading.get_ident()
        _set_running_loop(self)
        self._running = True
        try:
            while not self._ready:
                self._step()
            while True:
                self._step()
                if self._stopping:
                    break
        finally:
            self._stopping = False
            self._running = False
            self._thread_id = None
            _set_running_loop(None)

    def run_until_complete(self, future: Any) -> Any:
        self._check_closed()
        self._check_running()
        new_task = not isfuture(future)
        future = ensure_future(future, loop=self)
        if new_task:
            future._log_destroy_pending = False
        future.add_done_callback(_run_until_complete_cb)
        try:
            self.run_forever()
        except BaseException:
            if new_task and future.done() and not future.cancelled():
                future.exception()
            raise
        finally:
            future.remove_done_callback(_run_until_complete_cb)
        if not future.done():
            raise RuntimeError("Event loop stopped before Future completed.")
        return future.result()

    def stop(self) -> None:
        self._stopping = True

    def is_running(self) -> bool:
        return self._running

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        if self._closed:
            return
        self._closed = True
        self._deferred.clear()
        self._run.close()

    def __del__(self) -> None:
        if not self._closed and not self._running:
            self._closed = True
            self._run.close()

    async def shutdown_asyncgens(self) -> None:
        """Async generators are finalized by the tether run itself."""

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        """There is no default executor yet."""

    # -- time and callbacks -----------------------------------------------------

    def time(self) -> float:
        return self._clock.current_time()

    def _check_callback(self, callback: object, method: str) -> None:
        if iscoroutine(callback) or asyncio.iscoroutinefunction(callback):
            raise TypeError(f"coroutines cannot be used with {method}()")
        if not callable(callback):
            raise TypeError(f"a callable object was expected by {method}(), got {callback!r}")

    def call_soon(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        self._check_closed()
        self._check_callback(callback, "call_soon")
        handle = asyncio.Handle(callback, args, self, context)  # type: ignore[arg-type]
        self._soon(_run_handle, handle, None)
        return handle

    def call_soon_threadsafe(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        self._check_closed()
        self._check_callback(callback, "call_soon_threadsafe")
        handle = asyncio.Handle(callback, args, self, context)  # type: ignore[arg-type]
        if self._in_run and threading.get_ident() == self._thread_id:
            tether.lowlevel.schedule_callback(_run_handle, handle)
        else:
            # From another thread: through the run's token, which wakes the
            # I/O wait; the callback joins the queue at the next iteration.
            self._run.token.run_sync_soon(tether.lowlevel.schedule_callback, _run_handle, handle)
        return handle

    def call_later(
        self,
        delay: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        if delay is None:
            raise TypeError("delay must not be None")
        return self.call_at(self.time() + delay, callback, *args, context=context)

    def call_at(
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        self._check_closed()
        self._check_callback(callback, "call_at")
        timer = asyncio.TimerHandle(when, callback, args, self, context)  # type: ignore[arg-type]
        timer._scheduled = True  # type: ignore[attr-defined]
        self._defer_or_call(self._schedule_timer, timer)
        return timer

    def _schedule_timer(self, timer: asyncio.TimerHandle) -> None:
        if not timer.cancelled():
            self._timers[id(timer)] = tether.lowlevel.schedule_callback_at(
                timer.when(), self._fire_timer, timer
            )

    def _fire_timer(self, timer: asyncio.TimerHandle) -> None:
        self._timers.pop(id(timer), None)
        timer._scheduled = False  # type: ignore[attr-defined]
        if not timer.cancelled():
            timer._run()

    def _timer_handle_cancelled(self, timer: asyncio.TimerHandle) -> None:
        # Called by TimerHandle.cancel(): take the entry out of tether's timer
        # heap, so a MockClock never jumps to a cancelled deadline.
        handle = self._timers.pop(id(timer), None)
        if handle is not None:
            handle.cancel()

    # -- futures and tasks ------------------------------------------------------

    def create_future(self) -> Future:
        return Future(loop=self)

    def create_task(
        self, coro: Any, *, name: object = None, context: contextvars.Context | None = None
    ) -> Any:
        self._check_closed()
        if self._task_factory is None:
            task: Any = Task(coro, loop=self, name=name, context=context)
        else:
            if context is None:
                task = self._task_factory(self, coro)
            else:
                task = self._task_factory(self, coro, context=context)
            if name is not None:
                try:
                    set_name = task.set_name
                except AttributeError:
                    pass
                else:
                    set_name(name)
        return task

    def set_task_factory(self, factory: Callable[..., Any] | None) -> None:
        if factory is not None and not callable(factory):
            raise TypeError("task factory must be a callable or None")
        self._task_factory = factory

    def get_task_factory(self) -> Callable[..., Any] | None:
        return self._task_factory

    # -- errors and debugging ---------------------------------------------------

    def get_exception_handler(self) -> Callable[[Any, dict[str, Any]], object] | None:
        return self._exception_handler

    def set_exception_handler(
        self, handler: Callable[[Any, dict[str, Any]], object] | None
    ) -> None:
        if handler is not None and not callable(handler):
            raise TypeError(f"A callable object or None is expected, got {handler!r}")
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        exc_info: Any = False
        if exception is not None:
            exc_info = (type(exception), exception, exception.__traceback__)
        lines = [message]
        for key in sorted(context):
            if key in {"message", "exception"}:
                continue
            lines.append(f"{key}: {context[key]!r}")
        logger.error("\n".join(lines), exc_info=exc_info)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._exception_handler is None:
            try:
                self.default_exception_handler(context)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error("Exception in default exception handler", exc_info=True)
            return
        try:
            self._exception_handler(self, context)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            try:
                self.default_exception_handler(
                    {
                        "message": "Unhandled error in exception handler",
                        "exception": exc,
                        "context": context,
                    }
                )
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException:
                logger.error(
                    "Exception in default exception handler while handling an "
                    "unexpected error in custom exception handler",
                    exc_info=True,
                )

    def get_debug(self) -> bool:
        return self._debug

    def set_debug(self, enabled: bool) -> None:
        self._debug = enabled


# -- the running loop and the current loop ------------------------------------------


class _RunningLoop(threading.local):
    loop: TetherLoop | None = None
    current: TetherLoop | None = None


_state = _RunningLoop()


def _get_running_loop() -> TetherLoop | None:
    return _state.loop


def _set_running_loop(loop: TetherLoop | None) -> None:
    _state.loop = loop


def get_running_loop() -> TetherLoop:
    """The running loop of this thread; RuntimeError if there is none."""
    loop = _state.loop
    if loop is None:
        raise RuntimeError("no running event loop")
    return loop


def new_event_loop() -> TetherLoop:
    return TetherLoop()


def set_event_loop(loop: TetherLoop | None) -> None:
    _state.current = loop


def get_event_loop() -> TetherLoop:
    """The running loop, else the current one (created on first use, with
    asyncio's DeprecationWarning on 3.12+)."""
    loop = _state.loop
    if loop is not None:
        return loop
    if _state.current is None:
        if _pyversion.PY312:
            warnings.warn("There is no current event loop", DeprecationWarning, stacklevel=2)
        _state.current = new_event_loop()
    return _state.current


def ensure_future(obj: Any, *, loop: TetherLoop | None = None) -> Any:
    from ._tasks import ensure_future as _ensure_future

    return _ensure_future(obj, loop=loop)
