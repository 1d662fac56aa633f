"""Nurseries: where every task lives, and where its errors go."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from outcome import Error, Outcome

from .._util import NoPublicConstructor, final, raise_saving_context
from ._cancel import CancelReason, CancelScope, collapse_exception_group
from ._context import GLOBAL_RUN_CONTEXT, current_runner, current_task
from ._exceptions import Cancelled, TetherInternalError
from ._ki import enable_ki_protection
from ._traps import Abort, cancel_shielded_checkpoint, wait_task_rescheduled

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from ._cancel import CancelStatus
    from ._task import Task
    from ._traps import RaiseCancelT

StatusT = TypeVar("StatusT")
StatusT_contra = TypeVar("StatusT_contra", contravariant=True)


class _NoStatusType:
    __slots__ = ()


_NO_STATUS = _NoStatusType()


class TaskStatus(Protocol[StatusT_contra]):
    """The type of the ``task_status`` argument that :meth:`Nursery.start`
    passes to the function it starts."""

    def started(self, value: StatusT_contra | None = None) -> None:
        """Tell the caller of :meth:`Nursery.start` that the task is ready,
        and move the task into the nursery ``start()`` was called on.

        Args:
            value: returned by ``start()``.

        Raises:
            RuntimeError: if called twice.
        """


@final
class _TaskStatus(Generic[StatusT]):
    __slots__ = ("_called_started", "_new_nursery", "_old_nursery", "_value")

    def __init__(self, old_nursery: Nursery, new_nursery: Nursery) -> None:
        self._old_nursery = old_nursery
        self._new_nursery = new_nursery
        self._called_started = False
        self._value: StatusT | _NoStatusType = _NO_STATUS

    def __repr__(self) -> str:
        return f"<Task status object at {id(self):#x}>"

    def started(self, value: StatusT | None = None) -> None:
        if self._called_started:
            raise RuntimeError("called 'started' twice on the same task status")
        self._called_started = True
        self._value = value  # type: ignore[assignment]

        # If the old nursery is cancelled, the child stays where it is and
        # start() will see the cancellation.
        if self._old_nursery._cancel_status.effectively_cancelled:
            return
        old = self._old_nursery
        new = self._new_nursery
        # Move every child (and the statuses hanging off the old nursery)
        # under the new nursery. Break everything off the old one first: an
        # abort function run while re-parenting must not see a half-moved tree.
        old_status = old._cancel_status
        status_children = list(old_status._children)
        status_tasks = [t for t in old_status._tasks if t is not old._parent_task]
        for status in status_children:
            status.parent = None
        for task in status_tasks:
            task._activate_cancel_status(None)
        for task in list(old._children):
            del old._children[task]
            new._children[task] = None
            task._parent_nursery = new
            task._eventual_parent_nursery = None
        for status in status_children:
            status.parent = new._cancel_status
        for task in status_tasks:
            task._activate_cancel_status(new._cancel_status)
        old._check_nursery_closed()


class _TaskStatusIgnored:
    __slots__ = ()

    def __repr__(self) -> str:
        return "TASK_STATUS_IGNORED"

    def started(self, value: object = None) -> None:
        pass


TASK_STATUS_IGNORED: TaskStatus[Any] = _TaskStatusIgnored()
"""The default for ``task_status=`` in functions meant for :meth:`Nursery.start`:
its ``started()`` does nothing, so the function can also be called directly."""


@final
class NurseryManager:
    """What :func:`open_nursery` returns: an async context manager that
    yields a :class:`Nursery`. (Written by hand rather than with
    ``asynccontextmanager``, which adds frames to every traceback.)"""

    __slots__ = ("_nursery", "_scope", "_strict_exception_groups")

    def __init__(self, strict_exception_groups: bool | None) -> None:
        if strict_exception_groups is None:
            strict_exception_groups = current_runner().strict_exception_groups
        elif not strict_exception_groups:
            from .._deprecate import warn_deprecated

            warn_deprecated(
                "open_nursery(strict_exception_groups=False)",
                version="0.1",
                issue=None,
                instead="the default value of True and rewrite exception handlers to "
                "handle ExceptionGroups",
                stacklevel=3,
            )
        self._strict_exception_groups = strict_exception_groups

    @enable_ki_protection
    async def __aenter__(self) -> Nursery:
        self._scope = CancelScope()
        self._scope.__enter__()
        self._nursery = Nursery._create(
            current_task(), self._scope, self._strict_exception_groups
        )
        return self._nursery

    @enable_ki_protection
    async def __aexit__(
        self,
        etype: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if etype is GeneratorExit and not hasattr(GLOBAL_RUN_CONTEXT, "task"):
            # Closed outside its run (an abandoned SteppedRun): just unwind.
            return False
        new_exc = await self._nursery._nested_child_finished(exc)
        combined = self._scope._close(new_exc)
        if combined is None:
            return True
        if combined is exc:
            return False
        raise_saving_context(combined)

    def __enter__(self) -> None:
        raise RuntimeError("use 'async with open_nursery(...)', not 'with open_nursery(...)'")

    def __exit__(self, *args: object) -> None:  # pragma: no cover
        raise AssertionError("never called")


def open_nursery(strict_exception_groups: bool | None = None) -> NurseryManager:
    """Open a nursery: a place where tasks can be started.

    Use it with ``async with``::

        async with tether.open_nursery() as nursery:
            nursery.start_soon(worker, 1)
            nursery.start_soon(worker, 2)
        # both workers are done here

    The block does not exit until every task in the nursery has finished.
    If a task raises, the nursery cancels everything else in it, waits for
    it to unwind, and raises all the errors together in an
    :exc:`ExceptionGroup`.

    Args:
        strict_exception_groups: if true (the default is the run's setting,
            itself true by default), errors always come out wrapped in an
            :exc:`ExceptionGroup`, even a single one. False is deprecated.
    """
    return NurseryManager(strict_exception_groups)


@final
class Nursery(metaclass=NoPublicConstructor):
    """A place where tasks run; get one from :func:`open_nursery`.

    Attributes:
        cancel_scope: the :class:`CancelScope` around the nursery's body and
            all its tasks. ``nursery.cancel_scope.cancel()`` cancels them all.
    """

    __slots__ = (
        "__weakref__",
        "_cancel_status",
        "_children",
        "_closed",
        "_nested_child_running",
        "_parent_task",
        "_parent_waiting_in_aexit",
        "_pending_excs",
        "_pending_starts",
        "_strict_exception_groups",
        "cancel_scope",
    )

    def __init__(
        self, parent_task: Task, cancel_scope: CancelScope, strict_exception_groups: bool
    ) -> None:
        self._parent_task = parent_task
        self._strict_exception_groups = strict_exception_groups
        if parent_task._child_nurseries:
            parent_task._child_nurseries.append(self)
        else:
            # Most tasks never open a nursery: they share one empty tuple.
            parent_task._child_nurseries = [self]
        self.cancel_scope = cancel_scope
        assert cancel_scope._cancel_status is not None
        self._cancel_status: CancelStatus = cancel_scope._cancel_status
        self._nested_child_running = True
        self._parent_waiting_in_aexit = False
        self._pending_starts = 0
        self._children: dict[Task, None] = {}  # an ordered set, but smaller
        self._pending_excs: list[BaseException] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"<tether.Nursery at {id(self):#x}, {len(self._children)} children>"

    @property
    def child_tasks(self) -> frozenset[Task]:
        """The tasks currently running in this nursery (a frozenset)."""
        return frozenset(self._children)

    @property
    def parent_task(self) -> Task:
        """The task that opened this nursery."""
        return self._parent_task

    def _add_exc(self, exc: BaseException, reason: CancelReason | None) -> None:
        self._pending_excs.append(exc)
        if reason is not None:
            self.cancel_scope._cancel(reason)

    def _check_nursery_closed(self) -> None:
        if not (self._nested_child_running or self._children or self._pending_starts):
            self._closed = True
            if self._parent_waiting_in_aexit:
                self._parent_waiting_in_aexit = False
                GLOBAL_RUN_CONTEXT.runner.reschedule(self._parent_task)

    def _child_finished(self, task: Task, result: Outcome[object]) -> None:
        del self._children[task]
        if type(result) is Error:
            self._add_exc(
                result.error,
                CancelReason(
                    "nursery",
                    repr(task),
                    f"child task raised exception {result.error!r}",
                ),
            )
        # (_check_nursery_closed()'s test, inlined: a nursery whose body is
        # still running, the system nursery's as a rule, stays open.)
        if not self._nested_child_running:
            self._check_nursery_closed()

    async def _nested_child_finished(
        self, nested_child_exc: BaseException | None
    ) -> BaseException | None:
        if nested_child_exc is not None:
            self._add_exc(
                nested_child_exc,
                CancelReason(
                    "nursery",
                    repr(self._parent_task),
                    "Code block inside nursery contextmanager raised exception "
                    f"{nested_child_exc!r}",
                ),
            )
        self._nested_child_running = False
        self._check_nursery_closed()

        if not self._closed:
            parent = self._parent_task

            def aborted(raise_cancel: RaiseCancelT) -> Abort:
                # Cancelled is not recorded (the scope deals with it);
                # anything else (KeyboardInterrupt, an asyncio-style
                # interrupt) is an error of the nursery's body.
                try:
                    raise_cancel()
                except Cancelled:
                    pass
                except BaseException as exn:
                    self._add_exc(
                        exn, CancelReason("KeyboardInterrupt", repr(parent))
                        if isinstance(exn, KeyboardInterrupt)
                        else CancelReason("explicit", repr(parent), repr(exn)),
                    )
                    del exn
                return Abort.FAILED

            self._parent_waiting_in_aexit = True
            await wait_task_rescheduled(aborted)
        else:
            # Nothing to wait for: still a schedule point, not a cancel point.
            try:
                await cancel_shielded_checkpoint()
            except BaseException as exc:
                self._add_exc(exc, None)

        popped = self._parent_task._child_nurseries.pop()  # type: ignore[union-attr]
        assert popped is self
        if self._pending_excs:
            try:
                group = BaseExceptionGroup("Exceptions from Tether nursery", self._pending_excs)
                if not self._strict_exception_groups:
                    group._tether_collapsible = True  # type: ignore[attr-defined]
                    return collapse_exception_group(group)
                return group
            finally:
                del self._pending_excs
        return None

    def start_soon(
        self,
        async_fn: Callable[..., Awaitable[object]],
        *args: object,
        name: object = None,
    ) -> None:
        """Start ``async_fn(*args)`` as a new task in this nursery, and return at once.

        The task starts running at the next scheduling batch, after the
        caller's next checkpoint at the latest.

        Args:
            async_fn: an async function (not a coroutine object).
            args: positional arguments for ``async_fn``; use
                :func:`functools.partial` for keyword arguments.
            name: the task's name, for debugging (default: the function's
                dotted name). Not necessarily a string; it is converted.

        Raises:
            RuntimeError: if the nursery has already closed (its block
                exited and all its tasks finished).
            TypeError: if ``async_fn`` is not an async function.
        """
        GLOBAL_RUN_CONTEXT.runner.spawn_impl(async_fn, args, self, name)

    async def start(
        self,
        async_fn: Callable[..., Awaitable[object]],
        *args: object,
        name: object = None,
    ) -> Any:
        """Start a task and wait until it says it is ready.

        ``async_fn`` must accept a ``task_status`` keyword argument and call
        ``task_status.started(value)`` once it is initialised; ``start()``
        then returns ``value`` and the task goes on running in this
        nursery. Until then it runs "inside" ``start()``: its errors come
        out of ``start()``, and cancelling ``start()`` cancels it.

        Raises:
            RuntimeError: if the nursery is closed, or the task returned
                without calling ``started()``.
        """
        if self._closed:
            raise RuntimeError("Nursery is closed to new arrivals")
        self._pending_starts += 1
        try:
            try:
                async with open_nursery(strict_exception_groups=True) as old_nursery:
                    task_status: _TaskStatus[Any] = _TaskStatus(old_nursery, self)
                    thunk = functools.partial(async_fn, task_status=task_status)
                    task = GLOBAL_RUN_CONTEXT.runner.spawn_impl(thunk, args, old_nursery, name)
                    task._eventual_parent_nursery = self
            except BaseExceptionGroup as exc:
                if len(exc.exceptions) == 1:
                    raise_saving_context(exc.exceptions[0])
                raise TetherInternalError(
                    "Internal nursery should not have multiple tasks. This can be "
                    'caused by the user managing to access the "old" nursery in '
                    "`task_status` and spawning tasks in it."
                ) from exc
            if task_status._value is _NO_STATUS:
                raise RuntimeError("child exited without calling task_status.started()")
            return task_status._value
        finally:
            self._pending_starts -= 1
            self._check_nursery_closed()
