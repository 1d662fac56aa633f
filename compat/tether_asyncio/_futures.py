"""``asyncio.Future`` on tether.

A future holds its state and its ``(callback, context)`` entries (stored
as the C Future stores them: the first one inline, the others in a list
made when needed; ``_callbacks`` shows them as the C Future does). When it
becomes done, each entry is scheduled in registration order as the loop's
``call_soon`` would schedule it (as the C Future does; see
``_call_soon``), except the entries that stand for a *task waiting on the
future* (:class:`_Waiter`): those wake the tether task with
:func:`tether.lowlevel.reschedule` at that same position in the queue, so
the task's next step happens exactly one loop iteration later, as with
asyncio's ``Task.__wakeup`` → ``__step``.

``await fut`` does not suspend if the future is already done (asyncio
doesn't either). Otherwise the current tether task parks, yielding a
:class:`tether.lowlevel.WaitTaskRescheduled` from ``__await__`` itself (no
generator per wait), with its :class:`_Waiter` (one per facade Task,
reused) as the wait's abort function; when woken it raises a pending
asyncio cancellation (the one ``Task.cancel()`` requested while the future
was finishing), else returns the future's result.

If the waiting task's *scope* is cancelled (a tether cancel scope around
asyncio-style code), the abort function withdraws the waiter and cancels
the future, as ``Task.cancel()`` cancels the future a task awaits; shields
are tether's, so ``asyncio.shield`` is still needed to protect the inner
work.

**Error reporting** is stock asyncio's: a future whose exception nobody
retrieved reports "Future exception was never retrieved" (``Task`` for
tasks, the class name for subclasses) through the loop's
``call_exception_handler`` from ``__del__``, i.e. when it is freed, by
reference counting as a rule. In debug mode a future records where it was
created (``_source_traceback``, the whole stack as the C Future records it),
shown in its repr and in those reports. ``repr()`` uses the stdlib's own
formatting helpers, so it reads exactly as the running Python's.

**Tracebacks.** ``await fut`` re-raises the future's exception from this
module's frames (``__await__``, ``result``), which the C Future does not
have. Where an exception is *stored* (``set_exception``, a task ending with
an error or cancelled), those frames are taken out of its traceback again
(:func:`hide_internal_frames`), so what is later logged or re-raised reads
as under stock asyncio. (An exception caught right at the ``await`` still
shows them.)
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import itertools
import os
import runpy
import sys
import threading
import traceback
from asyncio import base_futures, format_helpers
from typing import TYPE_CHECKING, Any

import outcome

import tether
import tether.lowlevel

from ._exceptions import CancelledError, InvalidStateError

if TYPE_CHECKING:
    import types
    from collections.abc import Callable, Generator

    from ._loop import TetherLoop
    from ._tasks import Task

_current_task = tether.lowlevel.current_task
_WaitTaskRescheduled = tether.lowlevel.WaitTaskRescheduled
_Error = outcome.Error
_checkpoint_if_cancelled = tether.lowlevel.checkpoint_if_cancelled

_PENDING = "PENDING"
_CANCELLED = "CANCELLED"
_FINISHED = "FINISHED"


class _Waiter:
    """A task parked on a future: an entry of the future's callback list,
    and the abort function of the task's wait.

    ``task`` is the facade Task when there is one (so the future keeps the
    Task alive, as the C Task's wake-up callback does), else the tether task
    (a native tether task awaiting a facade future). In a future's repr it
    reads as the C Task's wake-up callback, ``Task.task_wakeup()``.

    Calling it is the wait's abort function (one object per wait, rather
    than a waiter, an abort object and its bound method): see
    :meth:`__call__`.
    """

    __slots__ = ("fut", "task")

    def __init__(self, task: Task | tether.lowlevel.Task, fut: Future | None) -> None:
        self.task = task
        self.fut = fut

    def __getattr__(self, name: str) -> str:
        # The stdlib's callback formatting looks for __qualname__.
        if name == "__qualname__":
            return "Task.task_wakeup"
        raise AttributeError(name)

    def tether_task(self) -> tether.lowlevel.Task | None:
        """The tether task to wake (``None``: the facade Task has no tether
        task any more, its loop being closed)."""
        task = self.task
        if type(task) is tether.lowlevel.Task:  # (a final class)
            return task
        return task._ttask  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"<wakeup {self.task!r}>"

    def __call__(self, raise_cancel: tether.lowlevel.RaiseCancelT) -> tether.lowlevel.Abort:
        """The abort function of the task's wait on ``fut``."""
        fut = self.fut
        if fut is None or not fut._has_waiter(self):  # pragma: no cover - woken already
            return tether.lowlevel.Abort.FAILED
        # (What raise_cancel raises has this frame in its traceback: the
        # locals referring to the error, or to the task, are deleted before
        # returning, so that no reference cycle keeps them.)
        try:
            raise_cancel()
        except BaseException as caught:
            error = caught
        facade = self.task
        if (
            type(facade) is not tether.lowlevel.Task
            and isinstance(error, CancelledError)
            and not isinstance(error, tether.Cancelled)
        ):
            # Task.cancel()'s interrupt (consumed by raise_cancel): asyncio
            # cancels the awaited future instead of throwing the error in,
            # and the task wakes at its callback position, raising the
            # future's CancelledError.
            del error
            msg = facade._cancel_message  # type: ignore[union-attr]
            del facade
            fut.cancel(msg=msg)
            return tether.lowlevel.Abort.FAILED
        # A scope's cancellation (or KeyboardInterrupt): withdraw the waiter,
        # cancel the future, and wake the task with the error (whose
        # traceback, as outcome.capture() would leave it, starts below this
        # frame).
        del facade
        tb = error.__traceback__
        error.with_traceback(tb.tb_next if tb is not None else None)
        del tb
        fut._withdraw_waiter(self)
        fut.cancel()
        ttask = self.tether_task()
        assert ttask is not None  # (it is parked in this wait)
        tether.lowlevel.reschedule(ttask, outcome.Error(error))
        del error, fut, self, ttask
        return tether.lowlevel.Abort.FAILED


def _get_loop(loop: TetherLoop | None) -> TetherLoop:
    if loop is not None:
        return loop
    from ._loop import get_event_loop

    return get_event_loop()


def init_future_state(future: Future) -> None:
    """Set every slot of a new Future but ``_loop``: a pending future with no
    callbacks (``Future.__init__``, and what makes futures and tasks
    without it, call this)."""
    future._state = _PENDING
    future._result = None
    future._exception = None
    future._log_tb = False
    future._callback0 = None
    future._context0 = None
    future._callback_list = None
    future._cancel_message = None
    future._cancelled_exc = None
    future._source_traceback = None


class Future:
    """asyncio's Future: a result that will be available later."""

    # asyncio.isfuture() (stock or facade) recognises futures by this attribute.
    _asyncio_future_blocking = False

    # The state lives in slots (see "attribute storage" below), each set when
    # the future is made, by init_future_state() (Future.__init__, and the
    # two paths that make futures without calling it: TetherLoop.create_future
    # and Task.__init__). The registered callbacks are stored
    # as the C Future stores them: the first one in ``_callback0``/
    # ``_context0``, any later ones as ``(callback, context)`` entries in
    # ``_callback_list`` (``None`` until needed). Most futures get at most one
    # (the waiting task), so most never allocate a list or a tuple.
    # ``_callbacks`` shows them as the C Future does (see the property).
    __slots__ = (
        # As on the C Future, a program may add attributes of its own.
        "__dict__",
        "__weakref__",
        "_callback0",
        "_callback_list",
        "_cancel_message",
        "_cancelled_exc",
        "_context0",
        "_exception",
        "_log_tb",
        "_loop",
        "_result",
        "_source_traceback",
        "_state",
    )
    _loop: TetherLoop
    _state: str
    _result: Any
    _exception: BaseException | None
    _log_tb: bool
    _callback0: Any
    _context0: contextvars.Context | None
    _callback_list: list[tuple[Any, contextvars.Context | None]] | None
    _cancel_message: Any
    _cancelled_exc: BaseException | None
    _source_traceback: traceback.StackSummary | None

    def __init__(self, *, loop: TetherLoop | None = None) -> None:
        self._loop = loop if loop is not None else _get_loop(None)
        init_future_state(self)
        if self._loop.get_debug():
            # As the C Future: the whole stack, down to the code creating it.
            self._source_traceback = creation_stack(sys._getframe(1))

    # -- state -------------------------------------------------------------------

    def get_loop(self) -> TetherLoop:
        """The loop the future is bound to."""
        return self._loop

    def done(self) -> bool:
        """Whether the future has a result, an exception, or was cancelled."""
        return self._state != _PENDING

    def cancelled(self) -> bool:
        """Whether the future was cancelled."""
        return self._state == _CANCELLED

    @property
    def _log_traceback(self) -> bool:
        return self._log_tb

    @_log_traceback.setter
    def _log_traceback(self, value: bool) -> None:
        if value:
            raise ValueError("_log_traceback can only be set to False")
        self._log_tb = False

    def _make_cancelled_error(self) -> CancelledError:
        exc = self._cancelled_exc
        if isinstance(exc, CancelledError):
            self._cancelled_exc = None
            return exc
        msg = self._cancel_message
        made = CancelledError() if msg is None else CancelledError(msg)
        self._cancelled_exc = None
        return made

    def result(self) -> Any:
        """The result; raises the exception, CancelledError, or InvalidStateError."""
        if self._state == _CANCELLED:
            raise self._make_cancelled_error()
        if self._state != _FINISHED:
            raise InvalidStateError("Result is not set.")
        self._log_tb = False
        if self._exception is not None:
            raise self._exception.with_traceback(self._exception.__traceback__)
        return self._result

    def exception(self) -> BaseException | None:
        """The exception (``None`` if the future has a result)."""
        if self._state == _CANCELLED:
            raise self._make_cancelled_error()
        if self._state != _FINISHED:
            raise InvalidStateError("Exception is not set.")
        self._log_tb = False
        return self._exception

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the future; False if it is already done."""
        self._log_tb = False
        if self._state != _PENDING:
            return False
        self._state = _CANCELLED
        self._cancel_message = msg
        self._schedule_callbacks()
        return True

    def set_result(self, result: Any) -> None:
        """Mark the future done with ``result``."""
        if self._state != _PENDING:
            raise InvalidStateError(f"{self._state}: {self!r}")
        self._result = result
        self._state = _FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        """Mark the future done with ``exception``."""
        if self._state != _PENDING:
            raise InvalidStateError(f"{self._state}: {self!r}")
        if isinstance(exception, type):
            exception = exception()
        exception = _check_stop_iteration(exception)
        hide_internal_frames(exception)
        self._exception = exception
        self._state = _FINISHED
        self._log_tb = True
        self._schedule_callbacks()

    # -- callbacks ---------------------------------------------------------------

    def add_done_callback(
        self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None
    ) -> None:
        """Call ``fn(future)`` (through the loop) once the future is done."""
        if context is None:
            context = _copy_context()
        if self._state != _PENDING:
            self._loop.call_soon(fn, self, context=context)
        elif self._callback0 is None and self._callback_list is None and fn is not None:
            # (_add_callback()'s first case, inline: most futures get one.)
            self._callback0 = fn
            self._context0 = context
        else:
            self._add_callback(fn, context)

    def _add_callback(self, fn: Any, context: contextvars.Context | None) -> None:
        if self._callback_list is not None:
            self._callback_list.append((fn, context))
        elif self._callback0 is None and fn is not None:
            self._callback0 = fn
            self._context0 = context
        else:
            self._callback_list = [(fn, context)]

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Remove every registration of ``fn``; return how many there were."""
        removed = 0
        if self._callback0 is not None and self._callback0 == fn:
            self._callback0 = None
            self._context0 = None
            removed = 1
        callbacks = self._callback_list
        if callbacks is None:
            return removed
        kept = [entry for entry in callbacks if not entry[0] == fn]  # noqa: SIM201 - (as C: ==)
        removed += len(callbacks) - len(kept)
        if not kept:
            self._callback_list = None
        elif len(kept) != len(callbacks):
            callbacks[:] = kept
        return removed

    @property
    def _callbacks(self) -> list[tuple[Any, contextvars.Context | None]] | None:
        # As the C Future's (read-only) attribute: None when there are none;
        # the list itself when there is no first callback; else a new list.
        first = self._callback0
        rest = self._callback_list
        if first is None:
            return rest
        if rest is None:
            return [(first, self._context0)]
        return [(first, self._context0), *rest]

    def _has_waiter(self, waiter: _Waiter) -> bool:
        if self._callback0 is waiter:
            return True
        return any(entry[0] is waiter for entry in self._callback_list or ())

    def _withdraw_waiter(self, waiter: _Waiter) -> None:
        if self._callback0 is waiter:
            self._callback0 = None
            self._context0 = None
            return
        callbacks = self._callback_list
        assert callbacks is not None
        for index, entry in enumerate(callbacks):
            if entry[0] is waiter:
                del callbacks[index]
                break
        if not callbacks:
            self._callback_list = None

    def _schedule_callbacks(self) -> None:
        loop = self._loop
        fn = self._callback0
        if fn is not None:
            context = self._context0
            self._callback0 = None
            self._context0 = None
            if type(fn) is _Waiter:
                loop._wake(fn)
            else:
                _call_soon(loop, fn, self, context)
        callbacks = self._callback_list
        if callbacks is None:
            return
        self._callback_list = None
        for fn, context in callbacks:
            if type(fn) is _Waiter:
                loop._wake(fn)
            else:
                _call_soon(loop, fn, self, context)

    # -- awaiting ----------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state == _PENDING:
            # Park the current tether task until the future is done (see the
            # module docstring). (Written out here rather than in a helper
            # generator: one frame less per blocking await.)
            # (As few locals as possible: they live in this generator's
            # frame for as long as the task is parked.)
            facade = _current_task().companion
            if facade is None:
                # A native tether task awaiting a facade future.
                waiter = _Waiter(_current_task(), self)
                self._add_callback(waiter, None)
            else:
                # A facade Task reuses one waiter for all its waits (it is
                # parked on one future at a time; _task_exited lets it go).
                waiter = facade._waiter
                if waiter is None:
                    waiter = facade._waiter = _Waiter(facade, self)
                else:
                    waiter.fut = self
                # (With the task's context, as the C Task registers its wake-up.)
                if self._callback0 is None and self._callback_list is None:
                    self._callback0 = waiter
                    self._context0 = facade._context
                else:
                    self._add_callback(waiter, facade._context)
                facade._fut_waiter = self
            # The wait's trap message is yielded from this frame (rather
            # than through ``wait_task_rescheduled()``, a generator more for
            # as long as the task is parked); what comes back is the outcome
            # given to ``reschedule()``: the wake-up's ``Value(None)``, or an
            # abort function's error.
            try:
                result: Any = yield _WaitTaskRescheduled(waiter)
            except GeneratorExit:
                # Closed with the task pending: asyncio's Task keeps _fut_waiter.
                waiter.fut = None
                raise
            except BaseException:  # (thrown in by a foreign driver)
                if facade is not None:
                    facade._fut_waiter = None
                raise
            if facade is not None:
                facade._fut_waiter = None
            del waiter, facade
            if type(result) is _Error:
                try:
                    raise result.error
                finally:
                    # (No local may keep the error: its traceback holds this frame.)
                    del result
            del result
            # Raise a pending cancellation (as ``await _cancellation.raise_pending()``:
            # the call does the check, and the awaitable it returns is already
            # done, so there is nothing to await).
            _checkpoint_if_cancelled()
            if self._state == _PENDING:
                raise RuntimeError("await wasn't used with future")
        if self._state == _FINISHED:
            if self._exception is None:
                # (result()'s path for a result, inline: with no exception,
                # there is no traceback to stop logging.)
                return self._result
        elif self._state == _CANCELLED:
            # (result()'s path for a cancelled future, inline: one frame
            # fewer in the traceback of every cancellation, which a task
            # that ends with it keeps.)
            raise self._make_cancelled_error()
        return self.result()

    __iter__ = __await__

    # -- introspection and reporting ---------------------------------------------

    # The stdlib's own formatting (what the C Future calls too).

    def _repr_info(self) -> list[str]:
        info: list[str] = base_futures._future_repr_info(self)  # type: ignore[arg-type]
        return info

    def __repr__(self) -> str:
        text: str = base_futures._future_repr(self)  # type: ignore[attr-defined]
        return text

    def __del__(self) -> None:
        try:
            if not self._log_tb:
                return
        except AttributeError:  # (made without __init__: nothing to report)
            return
        self._log_tb = False
        context: dict[str, Any] = {
            "message": f"{self.__class__.__name__} exception was never retrieved",
            "exception": self._exception,
            "future": self,
        }
        if self._source_traceback:
            context["source_traceback"] = self._source_traceback
        self._loop.call_exception_handler(context)


# -- done callbacks without asyncio handles ------------------------------------------
#
# A done callback runs through the loop's ``call_soon`` (as the C Future's
# do), which wraps it in an asyncio Handle inside a tether callback. For a
# plain TetherLoop, inside its run and outside debug mode, the facade
# schedules it straight into the run queue instead, at the same position,
# and makes a Handle only when one would be observed: when the callback
# raises, the error is reported exactly as ``Handle._run`` reports it (with
# a Handle that stands for the one ``call_soon`` would have made); if debug
# mode was switched on meanwhile, the loop's own handle path runs it.


def _call_soon(loop: TetherLoop, fn: Any, fut: Future, context: contextvars.Context | None) -> None:
    cls = _plain_loop_class
    if cls is None:
        cls = _bind_plain_loop_class()
    if (
        type(loop) is cls
        and context is not None
        and not loop._debug
        and loop._stepping  # (loop._in_run, inlined)
        and _get_ident() == loop._thread_id
    ):
        _schedule_callback(_run_done_callback, loop, fn, fut, context)
    else:
        loop.call_soon(fn, fut, context=context)


def _run_done_callback(
    loop: TetherLoop, fn: Callable[[Any], object], fut: Future, context: contextvars.Context
) -> None:
    if loop._debug:  # (switched on since it was scheduled)
        _run_handle_of_loop(asyncio.Handle(fn, (fut,), loop, context))  # type: ignore[arg-type]
        return
    try:
        context.run(fn, fut)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        _report_callback_error(loop, fn, fut, context, exc)


def _report_callback_error(
    loop: TetherLoop,
    fn: Callable[[Any], object],
    fut: Future,
    context: contextvars.Context,
    exc: BaseException,
) -> None:
    # What Handle._run() reports (the handle made as call_soon() would have).
    handle = asyncio.Handle(fn, (fut,), loop, context)  # type: ignore[arg-type]
    handle._source_traceback = None  # type: ignore[attr-defined]
    if _FORMAT_TAKES_DEBUG:
        where = format_helpers._format_callback_source(  # type: ignore[call-arg]
            fn, (fut,), debug=loop.get_debug()
        )
    else:
        where = format_helpers._format_callback_source(fn, (fut,))
    loop.call_exception_handler(
        {"message": f"Exception in callback {where}", "exception": exc, "handle": handle}
    )


def _run_handle_of_loop(handle: asyncio.Handle) -> None:
    from ._loop import _run_handle

    _run_handle(handle)


_schedule_callback = tether.lowlevel.schedule_callback
_get_ident = threading.get_ident
_copy_context = contextvars.copy_context
_FORMAT_TAKES_DEBUG = (
    "debug" in inspect.signature(format_helpers._format_callback_source).parameters
)


_LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__main__.py")
_RUNPY = frozenset({runpy.__file__, "<frozen runpy>"})


def creation_stack(frame: types.FrameType) -> traceback.StackSummary:
    """The whole stack down to ``frame``, as a debug-mode future records it,
    without the outer frames of ``python -m tether_asyncio`` (which
    ``python prog.py`` does not have)."""
    stack = traceback.extract_stack(frame)
    launcher = 0
    for i, entry in enumerate(stack):
        if entry.filename == _LAUNCHER:
            launcher = i + 1
        elif entry.filename not in _RUNPY:
            break
    if launcher:
        while launcher < len(stack) and stack[launcher].filename in _RUNPY:
            launcher += 1
        del stack[:launcher]
    return stack


def _check_stop_iteration(exception: BaseException) -> BaseException:
    from ._pyversion import PY313

    if PY313 and isinstance(exception, StopIteration):
        new_exc = RuntimeError(
            "StopIteration interacts badly with generators and cannot be raised into a Future"
        )
        new_exc.__cause__ = exception
        new_exc.__context__ = exception
        return new_exc
    if not PY313 and type(exception) is StopIteration:
        raise TypeError(
            "StopIteration interacts badly with generators and cannot be raised into a Future"
        )
    return exception


# Code that re-raises a future's exception on the way to the awaiting
# coroutine; the C Future has no frames there.
_INTERNAL_CODES = frozenset({Future.__await__.__code__, Future.result.__code__})


def hide_internal_frames(exc: BaseException) -> None:
    """Take this module's re-raising frames out of ``exc``'s traceback (see
    the module docstring), in place."""
    tb = exc.__traceback__
    if tb is None:
        return
    kept: list[types.TracebackType] = []
    dropped = False
    while tb is not None:
        if tb.tb_frame.f_code in _INTERNAL_CODES:
            dropped = True
        else:
            kept.append(tb)
        tb = tb.tb_next
    if not dropped:
        return
    for entry, following in itertools.pairwise(kept):
        entry.tb_next = following
    if kept:
        kept[-1].tb_next = None
        exc.__traceback__ = kept[0]
    else:
        exc.__traceback__ = None


# -- timers without asyncio handles -------------------------------------------------
#
# ``asyncio.sleep(d)``, ``asyncio.timeout`` and 3.11's ``wait_for`` arm a
# timer per call. Through ``loop.call_at`` that is an asyncio TimerHandle (a
# copied context, the loop's bookkeeping) on top of the tether timer; for a
# plain TetherLoop outside debug mode (where no handle can be observed:
# handles only show in debug reports and in errors these callbacks cannot
# raise) the timer goes straight into tether's timer heap instead, at the
# same deadline, so it fires at the same point of the same iteration.
#
# The heap entry holds its target as asyncio's handle holds its callback's
# arguments: a cancelled tether handle lets go of its callback and arguments
# (as ``Handle.cancel()`` does; the entry itself may stay in the heap until
# its deadline), and a run's heap is emptied when the run ends, as
# ``loop.close()`` drops asyncio's timers, so a finished task (or a task cut
# loose from a closed loop) is never kept alive by a timer that no longer
# matters.

_schedule_callback_at = tether.lowlevel.schedule_callback_at
_plain_loop_class: type | None = None


def timer_at(
    loop: TetherLoop, when: float, callback: Callable[[Any], object], target: object
) -> tether.lowlevel.CallbackHandle | None:
    """Arm ``callback(target)`` at loop time ``when`` directly in tether's
    timer heap; ``None`` if ``loop`` needs real asyncio handles
    (debug mode, or not a plain TetherLoop: use ``loop.call_at`` then)."""
    cls = _plain_loop_class
    if cls is None:
        cls = _bind_plain_loop_class()
    if type(loop) is not cls or loop._debug:  # (a plain loop's get_debug())
        return None
    return _schedule_callback_at(when, callback, target)


def timer_after(
    loop: TetherLoop, delay: float, callback: Callable[[Any], object], target: object
) -> tether.lowlevel.CallbackHandle | None:
    """:func:`timer_at` ``loop.time() + delay``."""
    cls = _plain_loop_class
    if cls is None:
        cls = _bind_plain_loop_class()
    if type(loop) is not cls or loop._debug:
        return None
    # (A plain loop's time() is its clock's current_time.)
    return _schedule_callback_at(loop._now() + delay, callback, target)


def _bind_plain_loop_class() -> type:
    global _plain_loop_class
    from ._loop import TetherLoop

    _plain_loop_class = TetherLoop
    return TetherLoop


# -- attribute storage ------------------------------------------------------------
#
# A Future's and a Task's own state lives in slots, not in the instance's
# table of attribute values: the object is smaller (a sleeping task, which
# holds one of each, takes 24-72 bytes less) and its hot attributes sit in
# the object itself. Both keep a ``__dict__``, as the C objects do, for
# what a program or a subclass adds.
#
# CPython (3.11-3.13) keeps the attributes in a ``__dict__`` in an array laid
# out by the class's shared key table, which stops growing once many
# instances exist: an attribute name the class first sees after that point
# makes every instance that sets it allocate a full dictionary (some 460
# bytes more per task). Attributes that are set late in the life of many
# instances but stay out of the slots (a class-level default a subclass may
# override, such as ``Task._log_destroy_pending``) are therefore entered in
# the table up front.


def prime_attribute_names(cls: type, names: tuple[str, ...]) -> None:
    """Enter ``names`` in ``cls``'s shared key table (see above), through
    one throwaway instance made without ``__init__``."""
    instance: object = object.__new__(cls)
    for name in names:
        object.__setattr__(instance, name, None)
    # (Its __del__, if any, finds nothing to report: no state was set.)
    del instance


def isfuture(obj: object) -> bool:
    """Whether ``obj`` is a Future (stock asyncio's test: the class attribute
    ``_asyncio_future_blocking``)."""
    return getattr(obj.__class__, "_asyncio_future_blocking", None) is not None
