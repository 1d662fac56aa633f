"""``asyncio.Future`` on tether.

A future holds its state and a list of ``(callback, context)`` entries.
When it becomes done, each entry is scheduled in registration order with
:func:`tether.lowlevel.schedule_callback` (asyncio's ``call_soon``), except
the entries that stand for a *task waiting on the future*
(:class:`_Waiter`): those wake the tether task with
:func:`tether.lowlevel.reschedule` at that same position in the queue, so the
task's next step happens exactly one loop iteration later, as with
asyncio's ``Task.__wakeup`` → ``__step``.

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
"""

from __future__ import annotations

import contextvars
import reprlib
from typing import TYPE_CHECKING, Any

import outcome

import tether
import tether.lowlevel

from ._cancellation import raise_pending
from ._exceptions import CancelledError, InvalidStateError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

    from ._loop import TetherLoop

_PENDING = "PENDING"
_CANCELLED = "CANCELLED"
_FINISHED = "FINISHED"


class _Waiter:
    """A task parked on a future: an entry of the future's callback list."""

    __slots__ = ("task",)

    def __init__(self, task: tether.lowlevel.Task) -> None:
        self.task = task

    def __repr__(self) -> str:
        companion = self.task.companion
        return f"<wakeup {companion!r}>" if companion is not None else f"<wakeup {self.task!r}>"


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
    _log_traceback = False

    def __init__(self, *, loop: TetherLoop | None = None) -> None:
        self._loop = _get_loop(loop)
        self._callbacks: list[tuple[Any, contextvars.Context | None]] = []

    # -- state -------------------------------------------------------------------

    def get_loop(self) -> TetherLoop:
        return self._loop

    def done(self) -> bool:
        return self._state != _PENDING

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

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
        if self._state == _CANCELLED:
            raise self._make_cancelled_error()
        if self._state != _FINISHED:
            raise InvalidStateError("Result is not set.")
        self._log_traceback = False
        if self._exception is not None:
            raise self._exception.with_traceback(self._exception.__traceback__)
        return self._result

    def exception(self) -> BaseException | None:
        if self._state == _CANCELLED:
            raise self._make_cancelled_error()
        if self._state != _FINISHED:
            raise InvalidStateError("Exception is not set.")
        self._log_traceback = False
        return self._exception

    def cancel(self, msg: Any = None) -> bool:
        self._log_traceback = False
        if self._state != _PENDING:
            return False
        self._state = _CANCELLED
        self._cancel_message = msg
        self._schedule_callbacks()
        return True

    def set_result(self, result: Any) -> None:
        if self._state != _PENDING:
            raise InvalidStateError(f"{self._state}: {self!r}")
        self._result = result
        self._state = _FINISHED
        self._schedule_callbacks()

    def set_exception(self, exception: BaseException | type[BaseException]) -> None:
        if self._state != _PENDING:
            raise InvalidStateError(f"{self._state}: {self!r}")
        if isinstance(exception, type):
            exception = exception()
        exception = _check_stop_iteration(exception)
        self._exception = exception
        self._state = _FINISHED
        self._schedule_callbacks()
        self._log_traceback = True

    # -- callbacks ---------------------------------------------------------------

    def add_done_callback(
        self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None
    ) -> None:
        if context is None:
            context = contextvars.copy_context()
        if self._state != _PENDING:
            self._loop._soon(fn, self, context)
        else:
            self._callbacks.append((fn, context))

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
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
                loop._wake(fn.task)
            else:
                loop._soon(fn, self, context)

    # -- awaiting ----------------------------------------------------------------

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state == _PENDING:
            yield from _park_on(self)
        if self._state == _PENDING:
            raise RuntimeError("await wasn't used with future")
        return self.result()

    __iter__ = __await__

    # -- introspection -----------------------------------------------------------

    def _repr_info(self) -> list[str]:
        info = [self._state.lower()]
        if self._state == _FINISHED:
            if self._exception is not None:
                info.append(f"exception={self._exception!r}")
            else:
                info.append(f"result={reprlib.repr(self._result)}")
        if self._callbacks:
            info.append(_format_callbacks(self._callbacks))
        return info

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {' '.join(self._repr_info())}>"

    def __del__(self) -> None:
        if not self._log_traceback:
            return
        exc = self._exception
        kind = "Task" if hasattr(self, "get_coro") else "Future"
        context = {
            "message": f"{kind} exception was never retrieved",
            "exception": exc,
            "future": self,
        }
        try:
            self._loop.call_exception_handler(context)
        except Exception:
            pass


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


def _format_callbacks(callbacks: list[tuple[Any, Any]]) -> str:
    names = [getattr(fn, "__qualname__", None) or repr(fn) for fn, _ in callbacks]
    if len(names) > 2:
        names = [names[0], f"<{len(names) - 2} more>", names[-1]]
    return f"cb=[{', '.join(names)}]"


def _park_on(fut: Future) -> Generator[Any, None, None]:
    """Park the current tether task until ``fut`` is done (see the module docstring)."""
    ttask = tether.lowlevel.current_task()
    waiter = _Waiter(ttask)
    fut._callbacks.append((waiter, None))
    facade = ttask.companion
    if facade is not None:
        facade._fut_waiter = fut

    def abort(raise_cancel: tether.lowlevel.RaiseCancelT) -> tether.lowlevel.Abort:
        entry = (waiter, None)
        if entry not in fut._callbacks:  # pragma: no cover - woken already
            return tether.lowlevel.Abort.FAILED
        error = outcome.capture(raise_cancel)
        exc = error.error
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
        tether.lowlevel.reschedule(ttask, error)
        return tether.lowlevel.Abort.FAILED

    try:
        yield from tether.lowlevel.wait_task_rescheduled(abort)
    finally:
        if facade is not None:
            facade._fut_waiter = None
    yield from raise_pending().__await__()


def isfuture(obj: object) -> bool:
    """Whether ``obj`` is a Future (stock asyncio's test: the class attribute
    ``_asyncio_future_blocking``)."""
    return getattr(obj.__class__, "_asyncio_future_blocking", None) is not None
