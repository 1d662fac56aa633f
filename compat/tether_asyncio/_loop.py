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
inside the run (``SteppedRun.entered()``) before its I/O wait, so they
join the run queue ahead of that iteration's I/O events and due timers.
That is exactly where asyncio's ready queue would already hold them, so
deferred work keeps asyncio's order. (Until the run's first step has
started the main task, the stepped run's ``after_io_wait`` hook does it.)
``call_soon_threadsafe`` from another thread (or a signal handler) while
the loop runs is deferred work too: queued, then the run's token wakes the
I/O wait and that same hook schedules the callback, so it runs in the
iteration the wake-up ends, where asyncio's would.
Inside a step every operation calls tether directly.

The clock: ``time()`` reads the run's clock object, which the loop keeps
(by default a monotonic clock, so ``loop.time()`` equals
``time.monotonic()`` as in asyncio; pass ``clock=MockClock(...)`` for
virtual time), so it also works between steps.

**Debug mode** (``set_debug``, ``asyncio.run(debug=True)``,
``PYTHONASYNCIODEBUG``, ``-X dev``) is asyncio's: handles, futures and tasks
record where they were created; ``call_soon``/``call_at`` refuse callbacks
that are coroutines or not callable and calls from another thread; while
the loop runs, coroutines record their origin
(``sys.set_coroutine_origin_tracking_depth``); callbacks and task steps
slower than ``slow_callback_duration`` are logged ("Executing ... took
... seconds", measured with ``self.time()``). Task steps are measured by an
instrument (``_SlowSteps``) present while debug mode is on; during a step,
``_current_handle`` stands for asyncio's step handle (where the step was
scheduled from), which the default exception handler shows as
``handle_traceback``.

**Errors** reach ``call_exception_handler`` with asyncio's context keys, and
``default_exception_handler`` logs them to the ``asyncio`` logger as asyncio
does (3.12+: a custom handler runs in the context of the task, future or
handle reported on). ``close()`` leaves pending tasks alone, as asyncio's
does: they are cut loose from the run (``Task._abandon``) and report being
destroyed pending when they are freed.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import sys
import threading
import time
import traceback
import warnings
import weakref
from asyncio import constants as asyncio_constants
from math import inf
from typing import TYPE_CHECKING, Any

import tether
import tether.abc
import tether.lowlevel

from . import _pyversion
from ._cancellation import install_in_current_run
from ._executors import ExecutorMixin
from ._futures import Future, _Waiter, init_future_state, isfuture
from ._loop_io import LoopIOMixin
from ._streams import StreamsLoopMixin
from ._tasks import Task, _pending_tasks, _StepOrigin, iscoroutine

logger = logging.getLogger("asyncio")

# Bound once: the per-operation paths below call them on every future,
# timer and wake-up.
_get_ident = threading.get_ident
_schedule_callback = tether.lowlevel.schedule_callback
_schedule_callback_at = tether.lowlevel.schedule_callback_at
_reschedule = tether.lowlevel.reschedule
_TetherTask = tether.lowlevel.Task
_new_object = object.__new__


class _MonotonicClock(tether.abc.Clock):
    """``time.monotonic()``, as asyncio's ``loop.time()``."""

    def start_clock(self) -> None:
        pass

    # time.monotonic itself (no Python frame: the run reads it every iteration).
    current_time = staticmethod(time.monotonic)

    def deadline_to_sleep_time(self, deadline: float) -> float:
        return deadline - time.monotonic()


class _SlowSteps(tether.abc.Instrument):
    """Debug mode: report the loop's task steps that take longer than
    ``loop.slow_callback_duration`` (asyncio measures each ``__step``).

    Installed while the loop is in debug mode (added at once when debug
    mode is switched on inside the run, taken out between iterations once
    it is off); whether a step is measured is decided as it starts, from
    ``loop._debug``, as asyncio decides per handle. A step nested in
    another one or in a callback being measured (an eager task's first
    step, run inside its creator) is part of that one, as in asyncio.
    """

    def __init__(self, loop: TetherLoop) -> None:
        self.loop = loop
        self.steps: list[tether.lowlevel.Task] = []  # the steps under way
        self.task: Task | None = None  # the one being measured
        self.t0 = 0.0

    def before_task_step(self, ttask: tether.lowlevel.Task) -> None:
        loop = self.loop
        self.steps.append(ttask)
        if len(self.steps) > 1 or loop._measure_depth or not loop._debug:
            return
        task = ttask.companion
        if isinstance(task, Task) and task._loop is loop:
            self.task = task
            # Where the step was scheduled from, as asyncio's step handle.
            loop._current_handle = task._step_origin  # type: ignore[assignment]
            task._step_origin = None
            self.t0 = loop.time()

    def after_task_step(self, ttask: tether.lowlevel.Task) -> None:
        steps = self.steps
        if not steps or steps[-1] is not ttask:
            return  # (installed in the middle of this step)
        steps.pop()
        loop = self.loop
        stepped = ttask.companion
        if (
            loop._debug
            and isinstance(stepped, Task)
            and stepped._step_origin is None
            and not stepped.done()
        ):
            # Nothing woke it during the step: it yielded, and the loop
            # schedules its next step (from the loop's own frames).
            stepped._step_origin = _StepOrigin(sys._getframe(1))
        task = self.task
        if steps or task is None:
            return
        self.task = None
        loop._current_handle = None
        dt = loop.time() - self.t0
        if dt >= loop.slow_callback_duration:
            logger.warning("Executing %s took %.3f seconds", repr(task), dt)


def _nothing() -> None:
    pass


def _run_handle(handle: asyncio.Handle) -> None:
    # (The loop makes its handles itself: plain asyncio.Handle, whose
    # cancelled() reads _cancelled.)
    if handle._cancelled:
        return
    loop: TetherLoop = handle._loop  # type: ignore[attr-defined]
    if loop._debug:
        loop._run_handle_debug(handle)
    else:
        handle._run()


def _fire_timer(loop: TetherLoop, key: int) -> None:
    # The tether callback of a call_at() timer (a function rather than a
    # bound method: one object less per timer).
    entry = loop._timers.pop(key, None)
    if entry is None:  # pragma: no cover - cancelled in the same iteration
        return
    timer = entry[1]
    timer._scheduled = False  # type: ignore[attr-defined]
    if timer._cancelled:  # (cancelled(), read directly)
        return
    if loop._debug:
        loop._run_handle_debug(timer)
    else:
        timer._run()


def _format_handle(handle: asyncio.Handle) -> str:
    # As asyncio's slow-callback report: a task's bound method shows the task.
    owner = getattr(handle._callback, "__self__", None)  # type: ignore[attr-defined]
    if isinstance(owner, Task):
        return repr(owner)
    return str(handle)


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


class TetherLoop(ExecutorMixin, LoopIOMixin, StreamsLoopMixin, _LoopBase):
    """asyncio's event loop API over one tether run (see the module docstring)."""

    # Whether the stepped run's after_io_wait hook (_after_io_wait) performs
    # the deferred operations (set by __init__; not for a loop made otherwise).
    _drains_deferred_after_io_wait = False

    def __init__(self, *, clock: tether.abc.Clock | None = None) -> None:
        self._clock = _MonotonicClock() if clock is None else clock
        self._run = tether.lowlevel.open_stepped_run(
            self._main,
            clock=self._clock,
            deliver_keyboard_interrupt=False,  # Ctrl-C behaves as in asyncio
            sniffio_name="asyncio",
            after_io_wait=self._after_io_wait,
        )
        self._init_state()
        self._drains_deferred_after_io_wait = True

    def _init_state(self) -> None:
        # loop.time() (for the default clock, time.monotonic itself).
        self._now: Callable[[], float] = self._clock.current_time
        self._ready = False
        self._stepping = False
        # A deque: call_soon_threadsafe() may append from other threads.
        self._deferred: collections.deque[tuple[Callable[..., object], tuple[Any, ...]]] = (
            collections.deque()
        )
        self._stopping = False
        self._running = False
        self._closed = False
        self._thread_id: int | None = None
        self._debug: bool = sys.flags.dev_mode or (
            not sys.flags.ignore_environment and bool(os.environ.get("PYTHONASYNCIODEBUG"))
        )
        # Debug mode (as asyncio's BaseEventLoop): the slow-callback threshold,
        # the handle being run, coroutine origin tracking while running.
        self.slow_callback_duration = 0.1
        self._current_handle: asyncio.Handle | None = None
        self._coroutine_origin_tracking_enabled = False
        self._coroutine_origin_tracking_saved_depth: int | None = None
        self._slow_steps = _SlowSteps(self)
        self._slow_steps_installed = False
        self._measure_depth = 0
        self._exception_handler: Callable[[Any, dict[str, Any]], object] | None = None
        self._task_factory: Callable[..., Any] | None = None
        self._raise_after_step: BaseException | None = None
        self._asyncgens: weakref.WeakSet[Any] = weakref.WeakSet()
        self._asyncgens_shutdown_called = False
        # Scheduled timers by id: tether's timer heap holds only the id, so
        # close() can drop them all (and what their callbacks refer to).
        self._timers: dict[int, tuple[tether.lowlevel.CallbackHandle, asyncio.TimerHandle]] = {}

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

    @property
    def _in_run(self) -> bool:
        """Whether the caller is inside the run: a step is under way, in the
        loop's own thread. (Another thread, as in asyncio, may make a
        non-thread-safe call while the loop runs: it is deferred.)"""
        return self._stepping and _get_ident() == self._thread_id

    def _keep_stepping(self) -> bool:
        # Whether one step of run_forever() goes on to its next iteration
        # without returning here: run_forever() would only check these and
        # step again. Work deferred meanwhile (call_soon_threadsafe from
        # another thread) ends the step, so that _step() queues it ahead of
        # the next iteration's I/O events, as asyncio's loop does.
        return not self._stopping and self._raise_after_step is None and not self._deferred

    def _step(self, keep_going: Callable[[], bool] | None = None) -> None:
        if self._deferred and self._ready:
            # Deferred operations join the run queue before this step's I/O
            # wait, so they run ahead of its I/O events, as in asyncio.
            with self._run.entered():
                self._drain_deferred()
        block = 0.0 if (self._deferred or not self._ready) else inf
        self._stepping = True
        try:
            alive = self._run.step(block, keep_going)
        finally:
            self._stepping = False
        if not alive:  # pragma: no cover - the main task never returns
            raise RuntimeError("the tether run behind this event loop has ended")
        exc = self._raise_after_step
        if exc is not None:
            self._raise_after_step = None
            raise exc

    def _after_io_wait(self) -> None:
        # The stepped run's hook, at the start of each step (inside the run,
        # after the I/O wait): perform what was deferred meanwhile (a
        # call_soon_threadsafe from another thread, or anything queued before
        # the main task had started), and keep the debug instrument in step.
        if self._deferred and self._ready:
            self._drain_deferred()
        if (
            self._debug is not self._slow_steps_installed  # (the cheap test first)
            and bool(self._debug) != self._slow_steps_installed
        ):
            self._sync_debug_instrument()

    def _raise_from_run(self, exc: BaseException) -> None:
        """SystemExit/KeyboardInterrupt in a task or callback: propagate out of
        ``run_forever()`` once the current iteration is over."""
        if self._raise_after_step is None:
            self._raise_after_step = exc

    def _drain_deferred(self) -> None:
        work = self._deferred
        while work:
            fn, args = work.popleft()
            try:
                fn(*args)
            except BaseException as exc:
                self._callback_failed(exc, None)

    def _defer_or_call(self, fn: Callable[..., object], *args: Any) -> None:
        if self._stepping and _get_ident() == self._thread_id:  # (_in_run, inlined)
            fn(*args)
        else:
            self._deferred.append((fn, args))

    def _soon(
        self, fn: Callable[..., object], arg: Any, context: contextvars.Context | None
    ) -> None:
        """Schedule ``fn(arg)`` at the back of the run queue (for futures)."""
        if self._stepping and _get_ident() == self._thread_id:  # (_in_run, inlined)
            _schedule_callback(fn, arg, context=context)
        else:
            self._deferred.append((self._soon_now, (fn, arg, context)))

    @staticmethod
    def _soon_now(fn: Callable[..., object], arg: Any, context: contextvars.Context | None) -> None:
        tether.lowlevel.schedule_callback(fn, arg, context=context)

    def _wake(self, waiter: _Waiter) -> None:
        # Where asyncio calls call_soon(task.__wakeup): the same checks.
        if self._closed:  # (_check_closed(), inlined)
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_thread()
        task = waiter.task
        # (_Waiter.tether_task(), inlined)
        # (The tether Task class is final: an exact type check, much cheaper
        # than isinstance() through its ABC metaclass.)
        ttask = task if type(task) is _TetherTask else task._ttask  # type: ignore[union-attr]
        if ttask is None:  # a task cut loose from a closed loop's run
            return
        if self._debug and isinstance(waiter.task, Task):
            # Scheduled by whoever finished the future (the caller of
            # set_result() & co., above _schedule_callbacks and this).
            waiter.task._step_origin = _StepOrigin(sys._getframe(3))
        if self._stepping and _get_ident() == self._thread_id:  # (_in_run, inlined)
            _reschedule(ttask)
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
        self._set_coroutine_origin_tracking(self._debug)
        self._thread_id = threading.get_ident()
        _set_running_loop(self)
        self._running = True
        old_agen_hooks = sys.get_asyncgen_hooks()
        try:
            # SIGINT handlers (Python's, Runner's) run where asyncio's would,
            # but never inside tether's own code.
            with self._run.sigint_guard():
                while not self._ready:
                    self._step()
                # asyncio's async generator hooks (set after the run's first
                # step, where tether installs its own; the hooks from before
                # are what comes back, so tether's never outlive the loop).
                sys.set_asyncgen_hooks(
                    firstiter=self._asyncgen_firstiter_hook,
                    finalizer=self._asyncgen_finalizer_hook,
                )
                # (Not inlined: debug mode's source tracebacks, cut at
                # asyncio's DEBUG_STACK_DEPTH frames, rely on this frame
                # depth to reach exactly the program's outermost frame.)
                keep_stepping = self._keep_stepping
                while True:
                    self._step(keep_stepping)
                    if self._stopping:
                        break
        finally:
            self._stopping = False
            self._running = False
            self._thread_id = None
            _set_running_loop(None)
            sys.set_asyncgen_hooks(*old_agen_hooks)
            self._set_coroutine_origin_tracking(False)

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
        if self._debug:
            logger.debug("Close %r", self)
        self._closed = True
        self._deferred.clear()
        self._timers.clear()  # as asyncio's close() drops its scheduled timers
        self._abandon_pending_tasks()
        self._close_default_executor()
        self._run.close()
        self._close_loop_io()

    def _abandon_pending_tasks(self) -> None:
        # As asyncio's close(), which leaves pending tasks alone: cut them
        # loose from the run (closing it would close their coroutines).
        # (Only the facade's own pending Tasks: a third-party task registered
        # with _register_task is its owner's business, as in stock asyncio.)
        for task in list(_pending_tasks):
            if task._loop is self:
                task._abandon()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        # As asyncio's: warn about a loop nobody closed, then close it
        # (leaving its pending tasks alone, as close() does).
        if getattr(self, "_closed", True):  # closed, or __init__ failed
            return
        _warn(f"unclosed event loop {self!r}", ResourceWarning, source=self)
        if not self._running:
            self.close()

    # -- async generators (asyncio's hooks while the loop runs) ---------------

    def _asyncgen_firstiter_hook(self, agen: Any) -> None:
        if self._asyncgens_shutdown_called:
            warnings.warn(
                f"asynchronous generator {agen!r} was scheduled after "
                "loop.shutdown_asyncgens() call",
                ResourceWarning,
                source=self,
                stacklevel=2,
            )
        self._asyncgens.add(agen)

    def _asyncgen_finalizer_hook(self, agen: Any) -> None:
        self._asyncgens.discard(agen)
        if not self.is_closed():
            self.call_soon_threadsafe(self.create_task, agen.aclose())

    async def shutdown_asyncgens(self) -> None:
        """Close every async generator the loop's tasks started and left
        unfinished (as asyncio: concurrently; errors to the exception handler)."""
        self._asyncgens_shutdown_called = True
        if not self._asyncgens:
            return
        closing = list(self._asyncgens)
        self._asyncgens.clear()
        from ._combinators import gather

        results = await gather(*[agen.aclose() for agen in closing], return_exceptions=True)
        for result, agen in zip(results, closing, strict=True):
            if isinstance(result, Exception):
                self.call_exception_handler(
                    {
                        "message": "an error occurred during closing of "
                        f"asynchronous generator {agen!r}",
                        "exception": result,
                        "asyncgen": agen,
                    }
                )

    # -- time and callbacks -----------------------------------------------------

    def time(self) -> float:
        return self._now()

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
        if self._closed:  # (_check_closed(), inlined)
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_soon")
        handle = asyncio.Handle(callback, args, self, context)  # type: ignore[arg-type]
        if handle._source_traceback:  # type: ignore[attr-defined]
            del handle._source_traceback[-1]  # type: ignore[attr-defined]
        if self._stepping and _get_ident() == self._thread_id:  # (_in_run, inlined)
            _schedule_callback(_run_handle, handle)
        else:
            self._deferred.append((self._soon_now, (_run_handle, handle, None)))
        return handle

    def call_soon_threadsafe(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        self._check_closed()
        if self._debug:
            self._check_callback(callback, "call_soon_threadsafe")
        handle = asyncio.Handle(callback, args, self, context)  # type: ignore[arg-type]
        if handle._source_traceback:  # type: ignore[attr-defined]
            del handle._source_traceback[-1]  # type: ignore[attr-defined]
        if (
            self._in_run
            and threading.get_ident() == self._thread_id
            and tether.lowlevel.in_tether_run()  # (not a signal handler in the I/O wait)
        ):
            tether.lowlevel.schedule_callback(_run_handle, handle)
        elif not self._running:
            # Between runs: in order with call_soon(), as in asyncio's single
            # ready queue; the token wakes a loop starting in another thread.
            self._deferred.append((self._soon_now, (_run_handle, handle, None)))
            self._run.token.run_sync_soon(_nothing, idempotent=True)
        elif self._drains_deferred_after_io_wait:
            # From another thread or a signal handler: queued with the
            # deferred work, which the loop performs right after its I/O wait
            # (``_after_io_wait``), so the callback runs in the iteration the
            # token's wake-up ends, as asyncio's ready queue has it.
            self._deferred.append((self._soon_now, (_run_handle, handle, None)))
            self._run.token.run_sync_soon(_nothing, idempotent=True)
        else:
            # (A loop without that hook: through the run's token; the
            # callback joins the queue at the next iteration.)
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
        timer = self.call_at(self.time() + delay, callback, *args, context=context)
        if timer._source_traceback:  # type: ignore[attr-defined]
            del timer._source_traceback[-1]  # type: ignore[attr-defined]
        return timer

    def call_at(
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        if when is None:
            raise TypeError("when cannot be None")
        if self._closed:  # (_check_closed(), inlined)
            raise RuntimeError("Event loop is closed")
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = asyncio.TimerHandle(when, callback, args, self, context)  # type: ignore[arg-type]
        if timer._source_traceback:  # type: ignore[attr-defined]
            del timer._source_traceback[-1]  # type: ignore[attr-defined]
        timer._scheduled = True  # type: ignore[attr-defined]
        if self._stepping and _get_ident() == self._thread_id:  # (_in_run, inlined)
            # (_schedule_timer(), inlined: a new timer is not cancelled.)
            key = id(timer)
            self._timers[key] = (_schedule_callback_at(when, _fire_timer, self, key), timer)
        else:
            self._deferred.append((self._schedule_timer, (timer,)))
        return timer

    def _schedule_timer(self, timer: asyncio.TimerHandle) -> None:
        if not timer.cancelled():
            key = id(timer)
            handle = _schedule_callback_at(timer._when, _fire_timer, self, key)  # type: ignore[attr-defined]
            self._timers[key] = (handle, timer)

    def _run_handle_debug(self, handle: asyncio.Handle) -> None:
        # As asyncio's _run_once in debug mode: the handle is current while
        # it runs, and a slow one is reported.
        self._current_handle = handle
        self._measure_depth += 1
        try:
            t0 = self.time()
            handle._run()
            dt = self.time() - t0
            if dt >= self.slow_callback_duration:
                logger.warning("Executing %s took %.3f seconds", _format_handle(handle), dt)
        finally:
            self._measure_depth -= 1
            self._current_handle = None

    def _timer_handle_cancelled(self, timer: asyncio.TimerHandle) -> None:
        # Called by TimerHandle.cancel(): take the entry out of tether's timer
        # heap, so a MockClock never jumps to a cancelled deadline.
        entry = self._timers.pop(id(timer), None)
        if entry is not None:
            entry[0].cancel()

    # -- futures and tasks ------------------------------------------------------

    def create_future(self) -> Future:
        if self._debug or type(self) is not TetherLoop:
            # (Through the constructor: it records the creation stack, and
            # asks a subclass's get_debug(), as the C Future does.)
            return Future(loop=self)
        # A plain loop outside debug mode: what the constructor does, without
        # its call and the debug check.
        future: Future = _new_object(Future)
        future._loop = self
        init_future_state(future)
        return future

    def create_task(
        self, coro: Any, *, name: object = None, context: contextvars.Context | None = None
    ) -> Any:
        if self._closed:  # (_check_closed(), inlined)
            raise RuntimeError("Event loop is closed")
        if self._task_factory is None:
            task: Any = Task(coro, loop=self, name=name, context=context)
            if task._source_traceback:
                del task._source_traceback[-1]
        else:
            if context is None:
                task = self._task_factory(self, coro)
            else:
                task = self._task_factory(self, coro, context=context)
            if _pyversion.FACTORY_TASKS_ALWAYS_RENAMED:
                task.set_name(name)
            elif name is not None:
                try:
                    set_name = task.set_name
                except AttributeError:
                    pass
                else:
                    set_name(name)
                    del set_name
        try:
            return task
        finally:
            # An eager task that failed keeps this frame through its
            # traceback (its coroutine's frame links back here): keep no
            # task in it (as asyncio does since gh-128552).
            del task

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
        """Log ``context`` to the ``asyncio`` logger, as asyncio does.

        The message, then every other key but ``exception`` in sorted order
        (``source_traceback`` and ``handle_traceback`` as stacks), then the
        exception's traceback. In debug mode, a report made while a callback
        runs also shows where that callback was scheduled (added to
        ``context`` as ``handle_traceback``).
        """
        message = context.get("message") or "Unhandled exception in event loop"
        exception = context.get("exception")
        exc_info: Any = False
        if exception is not None:
            exc_info = (type(exception), exception, exception.__traceback__)
        handle = self._current_handle
        if (
            "source_traceback" not in context
            and handle is not None
            and handle._source_traceback  # type: ignore[attr-defined]
        ):
            context["handle_traceback"] = handle._source_traceback  # type: ignore[attr-defined]
        lines = [message]
        for key in sorted(context):
            if key in {"message", "exception"}:
                continue
            value = context[key]
            if key == "source_traceback":
                text = "Object created at (most recent call last):\n"
                text += "".join(traceback.format_list(value)).rstrip()
            elif key == "handle_traceback":
                text = "Handle created at (most recent call last):\n"
                text += "".join(traceback.format_list(value)).rstrip()
            else:
                text = repr(value)
            lines.append(f"{key}: {text}")
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
            run_in: contextvars.Context | None = None
            if _pyversion.EXCEPTION_HANDLER_RUNS_IN_CONTEXT:
                # The context of the task, future or handle reported on.
                thing = context.get("task")
                if thing is None:
                    thing = context.get("future")
                if thing is None:
                    thing = context.get("handle")
                if thing is not None and hasattr(thing, "get_context"):
                    run_in = thing.get_context()
            if run_in is not None and hasattr(run_in, "run"):
                run_in.run(self._exception_handler, self, context)
            else:
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
        if self.is_running():
            self.call_soon_threadsafe(self._set_coroutine_origin_tracking, enabled)
            if self._in_run and threading.get_ident() == self._thread_id:
                self._sync_debug_instrument()

    def _check_thread(self) -> None:
        """Debug mode: refuse a non-thread-safe call from a thread other than
        the one running the loop, as asyncio does."""
        if self._thread_id is None:
            return
        if threading.get_ident() != self._thread_id:
            raise RuntimeError(
                "Non-thread-safe operation invoked on an event loop other than the current one"
            )

    def _set_coroutine_origin_tracking(self, enabled: bool) -> None:
        # As asyncio: while a debug loop runs, coroutines record where they
        # were created (shown by "coroutine ... was never awaited").
        if bool(enabled) == bool(self._coroutine_origin_tracking_enabled):
            return
        if enabled:
            self._coroutine_origin_tracking_saved_depth = sys.get_coroutine_origin_tracking_depth()
            sys.set_coroutine_origin_tracking_depth(asyncio_constants.DEBUG_STACK_DEPTH)
        else:
            saved = self._coroutine_origin_tracking_saved_depth
            sys.set_coroutine_origin_tracking_depth(0 if saved is None else saved)
        self._coroutine_origin_tracking_enabled = enabled

    def _sync_debug_instrument(self) -> None:
        # Inside the run: the step instrument is there while in debug mode
        # (it is only taken out between steps).
        if self._debug and not self._slow_steps_installed:
            tether.lowlevel.add_instrument(self._slow_steps)
            self._slow_steps_installed = True
        elif not self._debug and self._slow_steps_installed and not self._slow_steps.steps:
            tether.lowlevel.remove_instrument(self._slow_steps)
            self._slow_steps_installed = False


# -- the running loop and the current loop ------------------------------------------


class _RunningLoop(threading.local):
    loop: TetherLoop | None = None


_state = _RunningLoop()


def _get_running_loop() -> TetherLoop | None:
    loop = _state.loop
    if loop is None and tether.lowlevel.in_tether_run():
        from ._attached import attached_loop  # inside tether.run(): see _attached

        return attached_loop()
    return loop


def _set_running_loop(loop: TetherLoop | None) -> None:
    _state.loop = loop


def get_running_loop() -> TetherLoop:
    """The running loop of this thread; RuntimeError if there is none.

    Inside :func:`tether.run` (with no facade loop running) that is the
    run's attached loop (see ``_attached``)."""
    loop = _state.loop
    if loop is None:
        loop = _get_running_loop()
        if loop is None:
            raise RuntimeError("no running event loop")
    return loop


def new_event_loop() -> TetherLoop:
    """A new loop from the current policy (not made current)."""
    from ._policy import get_event_loop_policy

    return get_event_loop_policy().new_event_loop()  # type: ignore[return-value]


def set_event_loop(loop: TetherLoop | None) -> None:
    """Make ``loop`` the current loop of this thread (through the policy)."""
    from ._policy import get_event_loop_policy

    get_event_loop_policy().set_event_loop(loop)  # type: ignore[arg-type]


def get_event_loop() -> TetherLoop:
    """The running loop, else the policy's current one (in the main thread
    made on first use, with asyncio's DeprecationWarning on 3.12+)."""
    loop = _state.loop
    if loop is not None:
        return loop
    loop = _get_running_loop()  # inside tether.run(): the attached loop
    if loop is not None:
        return loop
    from ._policy import get_event_loop_policy

    return get_event_loop_policy().get_event_loop()  # type: ignore[return-value]


def ensure_future(obj: Any, *, loop: TetherLoop | None = None) -> Any:
    from ._tasks import ensure_future as _ensure_future

    return _ensure_future(obj, loop=loop)
