"""``asyncio.Future`` on tether.

A future holds its state and a list of ``(callback, context)`` entries.
When it becomes done, each entry is scheduled in registration order with
the loop's ``call_soon`` (as the C Future does), except the entries that
stand for a *task waiting on the future* (:class:`_Waiter`): those wake the
tether task with :func:`tether.lowlevel.reschedule` at that same position
in the queue, so the task's next step happens exactly one loop iteration
later, as with asyncio's ``Task.__wakeup`` → ``__step``.

``await fut`` does not suspend if the future is already done (asyncio
doesn't either). Otherwise the current tether task parks in
:func:`tether.lowlevel.wait_task_rescheduled`; when woken it raises a
pending asyncio cancellation (the one ``Task.cancel()`` requested while the
future was finishing), else returns the future's result.

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
an error), those frames are taken out of its traceback again
(:func:`hide_internal_frames`), so what is later logged or re-raised reads
as under stock asyncio. (An exception caught right at the ``await`` still
shows them.)
"""

from __future__ import annotations

import contextvars
import itertools
import os
import runpy
import sys
import traceback
from asyncio import base_futures
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
_wait_task_rescheduled = tether.lowlevel.wait_task_rescheduled
_checkpoint_if_cancelled = tether.lowlevel.checkpoint_if_cancelled

_PENDING = "PENDING"
_CANCELLED = "CANCELLED"
_FINISHED = "FINISHED"


class _Waiter:
    """A task parked on a future: an entry of the future's callback list.

    ``task`` is the facade Task when there is one (so the future keeps the
    Task alive, as the C Task's wake-up callback does), else the tether task
    (a native tether task awaiting a facade future). In a future's repr it
    reads as the C Task's wake-up callback, ``Task.task_wakeup()``.
    """

    __slots__ = ("task",)

    def __init__(self, task: Task | tether.lowlevel.Task) -> None:
        self.task = task

    def __getattr__(self, name: str) -> str:
        # The stdlib's callback formatting looks for __qualname__.
        if name == "__qualname__":
            return "Task.task_wakeup"
        raise AttributeError(name)

    def tether_task(self) -> tether.lowlevel.Task | None:
        """The tether task to wake (``None``: the facade Task has no tether
        task any more, its loop being closed)."""
        task = self.task
        if isinstance(task, tether.lowlevel.Task):
            return task
        return task._ttask

    def __repr__(self) -> str:
        return f"<wakeup {self.task!r}>"


def _get_loop(loop: TetherLoop | None) -> TetherLoop:
    if loop is not None:
        return loop
    from ._loop import get_event_loop

    return get_event_loop()


class Future:
    """asyncio's Future: a result that will be available later."""

    # asyncio.isfuture() (stock or facade) recognises futures by this attribute.
    _asyncio_future_blocking = False
    _state = _PENDING
    _result: Any = None
    _exception: BaseException | None = None
    _cancel_message: Any = None
    _cancelled_exc: BaseException | None = None
    _source_traceback: traceback.StackSummary | None = None
    _log_tb = False

    def __init__(self, *, loop: TetherLoop | None = None) -> None:
        self._loop = loop if loop is not None else _get_loop(None)
        self._callbacks: list[tuple[Any, contextvars.Context | None]] = []
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
            context = contextvars.copy_context()
        if self._state != _PENDING:
            self._loop.call_soon(fn, self, context=context)
        else:
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Remove every registration of ``fn``; return how many there were."""
        kept = [entry for entry in self._callbacks if entry[0] != fn]
        removed = len(self._callbacks) - len(kept)
        if removed:
            self._callbacks[:] = kept
        return removed

    def _schedule_callbacks(self) -> None:
        callbacks = self._callbacks
        if not callbacks:
            return
        self._callbacks = []
        loop = self._loop
        for fn, context in callbacks:
            if type(fn) is _Waiter:
                loop._wake(fn)
            else:
                loop.call_soon(fn, self, context=context)

    # -- awaiting ----------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state == _PENDING:
            yield from _park_on(self)
        if self._state == _PENDING:
            raise RuntimeError("await wasn't used with future")
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
        if not self._log_tb:
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


class _Parked:
    """A task parked on a future, as its wait's abort function sees it.

    (A slotted object whose bound ``abort`` is the abort function: fewer
    allocations than a closure, on a path every blocking ``await`` takes.)
    """

    __slots__ = ("entry", "facade", "fut", "ttask")

    def __init__(
        self,
        fut: Future,
        entry: tuple[_Waiter, None],
        facade: Task | None,
        ttask: tether.lowlevel.Task,
    ) -> None:
        self.fut = fut
        self.entry = entry
        self.facade = facade
        self.ttask = ttask

    def abort(self, raise_cancel: tether.lowlevel.RaiseCancelT) -> tether.lowlevel.Abort:
        fut = self.fut
        entry = self.entry
        if not any(e is entry for e in fut._callbacks):  # pragma: no cover - woken already
            return tether.lowlevel.Abort.FAILED
        error = outcome.capture(raise_cancel)
        exc = error.error
        facade = self.facade
        if (
            facade is not None
            and isinstance(exc, CancelledError)
            and not isinstance(exc, tether.Cancelled)
        ):
            # Task.cancel()'s interrupt (consumed by raise_cancel): asyncio
            # cancels the awaited future instead of throwing the error in,
            # and the task wakes at its callback position, raising the
            # future's CancelledError.
            fut.cancel(msg=facade._cancel_message)
            return tether.lowlevel.Abort.FAILED
        # A scope's cancellation (or KeyboardInterrupt): withdraw the waiter,
        # cancel the future, and wake the task with the error.
        fut._callbacks.remove(entry)
        fut.cancel()
        tether.lowlevel.reschedule(self.ttask, error)
        return tether.lowlevel.Abort.FAILED


def _park_on(fut: Future) -> Generator[Any, None, None]:
    """Park the current tether task until ``fut`` is done (see the module docstring)."""
    ttask = _current_task()
    facade = ttask.companion
    waiter = _Waiter(ttask if facade is None else facade)
    entry = (waiter, None)
    fut._callbacks.append(entry)
    if facade is not None:
        facade._fut_waiter = fut
    try:
        yield from _wait_task_rescheduled(_Parked(fut, entry, facade, ttask).abort)
    except GeneratorExit:
        raise  # closed with the task pending: asyncio's Task keeps _fut_waiter
    except BaseException:
        if facade is not None:
            facade._fut_waiter = None
        raise
    if facade is not None:
        facade._fut_waiter = None
    # Raise a pending cancellation (as ``await _cancellation.raise_pending()``:
    # the call does the check, and the awaitable it returns is already done,
    # so there is nothing to await).
    _checkpoint_if_cancelled()


def isfuture(obj: object) -> bool:
    """Whether ``obj`` is a Future (stock asyncio's test: the class attribute
    ``_asyncio_future_blocking``)."""
    return getattr(obj.__class__, "_asyncio_future_blocking", None) is not None
