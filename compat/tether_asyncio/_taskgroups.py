"""``asyncio.TaskGroup`` with stock semantics, on facade Tasks.

Structured like stock asyncio's (not like a tether nursery): children are
facade Tasks with a done callback; the first failing child cancels the
others and the parent task once (``_parent_cancel_requested``, undone with
``uncancel()`` on exit); errors leave as ``BaseExceptionGroup('unhandled
errors in a TaskGroup', [...])``, ``KeyboardInterrupt``/``SystemExit``
bare. The order of the exit steps follows the running version
(``_pyversion.TASKGROUP_313``). A tether scope's cancellation
(:class:`TetherCancelled`) counts as a cancellation, never as an error.

In a *native* tether task (mixing: no asyncio parent task to cancel) the
group works the same way over a tether cancel scope around its body: the
first failing child cancels the other children and, through the scope, the
body; the exit waits for the children outside the scope and raises the
same group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import tether
import tether.lowlevel

from . import _pyversion
from ._cancellation import TetherCancelled
from ._exceptions import CancelledError
from ._loop import get_running_loop
from ._tasks import create_named_task, current_task

if TYPE_CHECKING:
    import contextvars
    from types import TracebackType

    from ._futures import Future
    from ._loop import TetherLoop
    from ._tasks import Task


def _is_cancellation(et: type[BaseException] | None) -> bool:
    if et is None:
        return False
    if issubclass(et, TetherCancelled):
        return True
    if _pyversion.TASKGROUP_313:
        return issubclass(et, CancelledError)
    return et is CancelledError


class TaskGroup:
    """Like asyncio.TaskGroup."""

    def __init__(self) -> None:
        self._entered = False
        self._exiting = False
        self._aborting = False
        self._loop: TetherLoop | None = None
        self._parent_task: Task | None = None
        self._parent_cancel_requested = False
        self._tasks: set[Task] = set()
        self._errors: list[BaseException] | None = []
        self._base_error: BaseException | None = None
        self._on_completed_fut: Future | None = None
        self._scope: tether.CancelScope | None = None  # in a native tether task

    def __repr__(self) -> str:
        info = [""]
        if self._tasks:
            info.append(f"tasks={len(self._tasks)}")
        if self._errors:
            info.append(f"errors={len(self._errors)}")
        if self._aborting:
            info.append("cancelling")
        elif self._entered:
            info.append("entered")
        return f"<TaskGroup{' '.join(info)}>"

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError(f"TaskGroup {self!r} has already been entered")
        if self._loop is None:
            self._loop = get_running_loop()
        self._parent_task = current_task(self._loop)
        if self._parent_task is None:
            if not tether.lowlevel.in_tether_task():
                raise RuntimeError(f"TaskGroup {self!r} cannot determine the parent task")
            self._scope = tether.CancelScope()
            self._scope.__enter__()
        self._entered = True
        return self

    async def __aexit__(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        if self._scope is not None:
            return await self._aexit_native(et, exc, tb)
        parent = self._parent_task
        loop = self._loop
        assert parent is not None
        assert loop is not None
        self._exiting = True
        if exc is not None and self._is_base_error(exc) and self._base_error is None:
            self._base_error = exc

        propagate: BaseException | None = exc if _is_cancellation(et) else None
        if (
            not _pyversion.TASKGROUP_313
            and self._parent_cancel_requested
            and parent.uncancel() == 0
        ):
            propagate = None

        if et is not None and not self._aborting:
            self._abort()

        while self._tasks:
            if self._on_completed_fut is None:
                self._on_completed_fut = loop.create_future()
            try:
                await self._on_completed_fut
            except CancelledError as ex:
                if not self._aborting:
                    propagate = ex
                    self._abort()
            self._on_completed_fut = None

        assert not self._tasks

        if self._base_error is not None:
            raise self._base_error

        if _pyversion.TASKGROUP_313 and self._parent_cancel_requested and parent.uncancel() == 0:
            propagate = None

        if propagate is not None and not self._errors:
            raise propagate

        if et is not None and not _is_cancellation(et):
            assert exc is not None
            assert self._errors is not None
            self._errors.append(exc)

        if self._errors:
            if _pyversion.TASKGROUP_313 and parent.cancelling():
                parent.uncancel()
                parent.cancel()
            try:
                me = BaseExceptionGroup("unhandled errors in a TaskGroup", self._errors)
                raise me from None
            finally:
                self._errors = None
        return None

    async def _aexit_native(
        self,
        et: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        scope = self._scope
        loop = self._loop
        assert scope is not None
        assert loop is not None
        self._exiting = True
        if exc is not None and self._is_base_error(exc) and self._base_error is None:
            self._base_error = exc
        if et is not None and not self._aborting:
            self._abort()
        # Leave the scope first: it catches its own Cancelled (a failing child
        # cancelled the body), and waiting inside a cancelled scope would
        # wake at once, again and again.
        swallowed = bool(scope.__exit__(et, exc, tb))
        propagate: BaseException | None = None
        if not swallowed and _is_cancellation(et):
            propagate = exc  # an outer cancellation: re-raised below
        while self._tasks:
            if self._on_completed_fut is None:
                self._on_completed_fut = loop.create_future()
            try:
                await self._on_completed_fut
            except (CancelledError, tether.Cancelled) as ex:
                if not self._aborting:
                    self._abort()
                propagate = ex
            self._on_completed_fut = None
        if self._base_error is not None:
            raise self._base_error
        if propagate is not None and not self._errors:
            raise propagate
        if et is not None and not swallowed and not _is_cancellation(et):
            assert exc is not None
            assert self._errors is not None
            self._errors.append(exc)
        if self._errors:
            try:
                raise BaseExceptionGroup("unhandled errors in a TaskGroup", self._errors) from None
            finally:
                self._errors = None
        return swallowed

    def create_task(
        self, coro: Any, *, name: object = None, context: contextvars.Context | None = None
    ) -> Task:
        """Like asyncio.TaskGroup.create_task."""
        close = _pyversion.TASKGROUP_313
        if not self._entered:
            if close:
                coro.close()
            raise RuntimeError(f"TaskGroup {self!r} has not been entered")
        if self._exiting and not self._tasks:
            if close:
                coro.close()
            raise RuntimeError(f"TaskGroup {self!r} is finished")
        if self._aborting:
            if close:
                coro.close()
            raise RuntimeError(f"TaskGroup {self!r} is shutting down")
        loop = self._loop
        assert loop is not None
        task: Task = create_named_task(loop, coro, name, context)
        if task.done():
            self._on_task_done(task)
        else:
            self._tasks.add(task)
            task.add_done_callback(self._on_task_done)
        return task

    @staticmethod
    def _is_base_error(exc: BaseException) -> bool:
        return isinstance(exc, SystemExit | KeyboardInterrupt)

    def _abort(self) -> None:
        self._aborting = True
        for t in self._tasks:
            if not t.done():
                t.cancel()

    def _on_task_done(self, task: Task) -> None:
        self._tasks.discard(task)
        fut = self._on_completed_fut
        if fut is not None and not self._tasks and not fut.done():
            fut.set_result(True)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        assert self._errors is not None
        self._errors.append(exc)
        if self._is_base_error(exc) and self._base_error is None:
            self._base_error = exc
        parent = self._parent_task
        assert self._loop is not None
        if parent is None:  # a native tether task: cancel the body's scope
            if not self._aborting and not self._parent_cancel_requested:
                self._abort()
                self._parent_cancel_requested = True
                assert self._scope is not None
                self._scope.cancel()
            return
        if parent.done():
            self._loop.call_exception_handler(
                {
                    "message": f"Task {task!r} has errored out but its parent "
                    f"task {parent} is already completed",
                    "exception": exc,
                    "task": task,
                }
            )
            return
        if not self._aborting and not self._parent_cancel_requested:
            self._abort()
            self._parent_cancel_requested = True
            parent.cancel()
