"""``asyncio.Task`` on tether: one facade Task per tether task.

A Task's coroutine runs as a tether task created with
:func:`tether.lowlevel.spawn_owned` (owned by the run: its result or error
comes back to :meth:`Task._on_exit`, never crashing the run), and the
tether task's ``companion`` points back to the Task. The coroutine is
driven directly, with no wrapper frame, in the Task's context.

Cancellation (see ``_cancellation``): ``cancel()`` cancels the awaited
facade future if there is one, else hands tether a one-shot interrupt.
A task cancelled before its first step never runs its body, as in asyncio:
tether throws the interrupt in at that first step (and ``uncancel()`` back
to zero on 3.13 withdraws it, so the task then runs normally).

:func:`current_task` returns the companion of the running tether task, so
inside a *native* tether child task (one started from a nursery inside a
facade task) it returns ``None``: that child is not an asyncio task, and
asyncio-style helpers that need one (``asyncio.timeout``) refuse to run
there rather than cancel the wrong task.
"""

from __future__ import annotations

import contextvars
import inspect
import itertools
import weakref
from collections.abc import Awaitable, Coroutine, Generator
from typing import TYPE_CHECKING, Any

import outcome

import tether.lowlevel

from . import _pyversion
from ._cancellation import schedule_point
from ._exceptions import CancelledError
from ._futures import Future, isfuture

if TYPE_CHECKING:
    from ._loop import TetherLoop

_task_name_counter = itertools.count(1).__next__
_all_tasks: weakref.WeakSet[Task] = weakref.WeakSet()


def iscoroutine(obj: object) -> bool:
    """Whether ``obj`` is a coroutine object (asyncio's test)."""
    return inspect.iscoroutine(obj) or isinstance(obj, Coroutine | Generator)


class Task(Future):
    """A coroutine running as a tether task, with asyncio's Task API."""

    _log_destroy_pending = True

    def __init__(
        self,
        coro: Any,
        *,
        loop: TetherLoop | None = None,
        name: object = None,
        context: contextvars.Context | None = None,
    ) -> None:
        super().__init__(loop=loop)
        if not iscoroutine(coro):
            self._log_destroy_pending = False
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        if name is None:
            self._name = f"Task-{_task_name_counter()}"
        else:
            if _pyversion.NAMED_TASKS_USE_COUNTER:
                _task_name_counter()
            self._name = str(name)
        self._coro = coro
        self._context = contextvars.copy_context() if context is None else context
        self._must_cancel = False
        self._num_cancels_requested = 0
        self._fut_waiter: Future | None = None
        self._ttask: tether.lowlevel.Task | None = None
        self._loop._defer_or_call(self._start)
        _all_tasks.add(self)

    # -- life cycle --------------------------------------------------------------

    def _start(self) -> None:
        self._ttask = tether.lowlevel.spawn_owned(
            self._coro, name=self._name, context=self._context, on_exit=self._on_exit
        )
        self._ttask.companion = self
        if self._must_cancel:
            # Cancelled before it started: thrown in at its first step.
            tether.lowlevel.deliver_interrupt(self._ttask, self._make_interrupt)

    def _on_exit(self, ttask: tether.lowlevel.Task, result: outcome.Outcome[Any]) -> None:
        _all_tasks.discard(self)
        if self.done():  # pragma: no cover - defensive
            return
        if isinstance(result, outcome.Value):
            if self._must_cancel:
                self._must_cancel = False
                Future.cancel(self, msg=self._cancel_message)
            else:
                Future.set_result(self, result.value)
            return
        assert isinstance(result, outcome.Error)
        exc = result.error
        if isinstance(exc, CancelledError) or _only_cancellations(exc):
            # (A tether nursery inside the task wraps the interrupt in a
            # group; a group of nothing but cancellations is a cancellation.)
            self._cancelled_exc = exc
            Future.cancel(self)
        else:
            Future.set_exception(self, exc)
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                self._loop._raise_from_run(exc)

    # -- cancellation ------------------------------------------------------------

    def cancel(self, msg: Any = None) -> bool:
        self._log_traceback = False
        if self.done():
            return False
        self._num_cancels_requested += 1
        # Always an interrupt, so tether shields hold it back; a task parked
        # on a future gets it through the wait's abort function, which
        # cancels that future as asyncio does (see ``_futures._park_on``).
        self._cancel_message = msg
        if not self._must_cancel:
            self._must_cancel = True
            ttask = self._ttask
            if ttask is not None:
                tether.lowlevel.deliver_interrupt(ttask, self._make_interrupt)
        return True

    def _make_interrupt(self) -> BaseException:
        self._must_cancel = False
        return self._make_cancelled_error()

    def _withdraw_pending_cancel(self) -> None:
        self._must_cancel = False
        if self._ttask is not None:
            tether.lowlevel.discard_interrupts(self._ttask)

    def cancelling(self) -> int:
        return self._num_cancels_requested

    def uncancel(self) -> int:
        if self._num_cancels_requested > 0:
            self._num_cancels_requested -= 1
            if (
                _pyversion.UNCANCEL_CLEARS_PENDING
                and self._num_cancels_requested == 0
                and self._must_cancel
            ):
                self._withdraw_pending_cancel()
        return self._num_cancels_requested

    # -- Future API that tasks refuse ------------------------------------------

    def set_result(self, result: Any) -> None:
        raise RuntimeError("Task does not support set_result operation")

    def set_exception(self, exception: Any) -> None:
        raise RuntimeError("Task does not support set_exception operation")

    # -- introspection -----------------------------------------------------------

    def get_coro(self) -> Any:
        return self._coro

    def get_context(self) -> contextvars.Context:
        return self._context

    def get_name(self) -> str:
        return self._name

    def set_name(self, value: object) -> None:
        self._name = str(value)
        if self._ttask is not None:
            self._ttask.name = self._name

    def get_stack(self, *, limit: int | None = None) -> list[Any]:
        if self._ttask is None or self.done():
            return []
        frames = [frame for frame, _ in self._ttask.iter_await_frames()]
        return frames[-limit:] if limit else frames

    def _repr_info(self) -> list[str]:
        info = super()._repr_info()
        if self._num_cancels_requested and not self.done():
            info[0] = "cancelling"
        info.insert(1, f"name={self._name!r}")
        coro = f"coro=<{_format_coroutine(self._coro)}>"
        if _pyversion.PY312:
            if self._fut_waiter is not None:
                info.insert(2, f"wait_for={self._fut_waiter!r}")
            info.insert(2, coro)
        else:
            info.insert(2, coro)
            if self._fut_waiter is not None:
                info.insert(3, f"wait_for={self._fut_waiter!r}")
        return info

    def __del__(self) -> None:
        if self._state == "PENDING" and self._log_destroy_pending and self._ttask is None:
            # Never started (its loop was closed first).
            self._coro.close()
        super().__del__()


def _only_cancellations(exc: BaseException) -> bool:
    if not isinstance(exc, BaseExceptionGroup):
        return False
    return exc.split(CancelledError)[1] is None


def _format_coroutine(coro: Any) -> str:
    name = getattr(coro, "__qualname__", None) or getattr(coro, "__name__", None) or "?"
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    if code is None:
        return f"{name}()"
    frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
    if frame is not None:
        return f"{name}() running at {code.co_filename}:{frame.f_lineno}"
    return f"{name}() done, defined at {code.co_filename}:{code.co_firstlineno}"


# -- module functions ------------------------------------------------------------


def current_task(loop: TetherLoop | None = None) -> Task | None:
    """The running facade Task (``None`` in a callback or a native tether child task)."""
    if loop is None:
        from ._loop import get_running_loop

        get_running_loop()
    if not tether.lowlevel.in_tether_task():
        return None
    companion = tether.lowlevel.current_task().companion
    return companion if isinstance(companion, Task) else None


def all_tasks(loop: TetherLoop | None = None) -> set[Task]:
    """The loop's tasks that are not done yet."""
    if loop is None:
        from ._loop import get_running_loop

        loop = get_running_loop()
    return {t for t in list(_all_tasks) if t._loop is loop and not t.done()}


def create_task(
    coro: Any, *, name: object = None, context: contextvars.Context | None = None
) -> Task:
    """Schedule ``coro`` as a Task of the running loop."""
    from ._loop import get_running_loop

    loop = get_running_loop()
    task: Task
    if context is None:
        task = loop.create_task(coro, name=name)
    else:
        task = loop.create_task(coro, name=name, context=context)
    return task


async def _wrap_awaitable(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def ensure_future(obj: Any, *, loop: TetherLoop | None = None) -> Future:
    """Return ``obj`` if it is a future, else wrap a coroutine or awaitable in a Task."""
    if isfuture(obj):
        if loop is not None and loop is not obj.get_loop():
            raise ValueError(
                "The future belongs to a different loop than the one specified as the loop argument"
            )
        return obj  # type: ignore[no-any-return]
    called_wrap = False
    if not iscoroutine(obj):
        if inspect.isawaitable(obj):
            obj = _wrap_awaitable(obj)
            called_wrap = True
        else:
            raise TypeError("An asyncio.Future, a coroutine or an awaitable is required")
    if loop is None:
        from ._loop import get_event_loop

        loop = get_event_loop()
    try:
        task: Future = loop.create_task(obj)
        return task
    except RuntimeError:
        if called_wrap:
            obj.close()
        raise


def _set_result_unless_cancelled(fut: Future, result: Any) -> None:
    if not fut.cancelled():
        fut.set_result(result)


async def sleep(delay: float, result: Any = None) -> Any:
    """Sleep ``delay`` seconds (``0``: one bare schedule point)."""
    if delay <= 0:
        await schedule_point()
        return result
    from ._loop import get_running_loop

    loop = get_running_loop()
    future = loop.create_future()
    handle = loop.call_later(delay, _set_result_unless_cancelled, future, result)
    try:
        return await future
    finally:
        handle.cancel()
