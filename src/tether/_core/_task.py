"""The :class:`Task` object: one coroutine driven by the run loop."""

from __future__ import annotations

import functools
import gc
import inspect
from typing import TYPE_CHECKING, Any, NoReturn

from .._util import NoPublicConstructor, final, name_of
from ._ki import enable_ki_protection
from ._traps import Abort, capture_error

if TYPE_CHECKING:
    import contextvars
    import types
    from collections.abc import Callable, Coroutine, Iterator

    import outcome

    from ._cancel import CancelStatus
    from ._nursery import Nursery
    from ._run import Runner
    from ._traps import RaiseCancelT

def _name_from(obj: object) -> str:
    # Computed on first use rather than at spawn: most names are never read.
    if isinstance(obj, functools.partial):
        obj = obj.func
    if isinstance(obj, str):
        return obj
    if inspect.iscoroutine(obj):
        return getattr(obj, "__qualname__", None) or repr(obj)
    return name_of(obj)


class _RareTaskState:
    __slots__ = ("eventual_parent_nursery", "system")

    def __init__(self, system: bool) -> None:
        self.system = system
        self.eventual_parent_nursery: Nursery | None = None


# A pending interrupt: a factory for the exception, and whether shields
# hold it back.
PendingInterrupt = tuple["Callable[[], BaseException]", bool]


@final
class Task(metaclass=NoPublicConstructor):
    """A running task. Tether creates these; you get them from
    :func:`tether.lowlevel.current_task`, :attr:`Nursery.child_tasks` and
    friends.

    Attributes:
        coro: the coroutine object this task drives.
        name: a human-readable name (a string).
        context: the :class:`contextvars.Context` the task runs in: a copy
            of the spawner's context taken at spawn time.
        custom_sleep_data: free for the code that put the task to sleep
            (via :func:`wait_task_rescheduled`) to store anything in; tether
            resets it to ``None`` whenever the task is rescheduled.
        companion: free for a compatibility layer (``tether_asyncio``
            keeps its ``asyncio.Task``-like object here); tether never reads
            it.
    """

    __slots__ = (
        "__weakref__",
        "_abort_func",
        "_cancel_points",
        "_cancel_status",
        "_child_nurseries",
        "_name",
        "_next_send",
        "_on_exit",
        "_outcome",
        "_parent_nursery",
        "_pending_interrupts",
        "_rare",
        "_runner",
        "_schedule_points",
        "companion",
        "context",
        "coro",
        "custom_sleep_data",
    )

    def __init__(
        self,
        coro: Coroutine[Any, Any, Any],
        runner: Runner,
        name: object,
        context: contextvars.Context,
        parent_nursery: Nursery | None,
        system: bool,
    ) -> None:
        self.coro = coro
        self._runner = runner
        self._name = name
        self.context = context
        self._parent_nursery = parent_nursery
        self._child_nurseries: list[Nursery] | tuple[()] = ()
        self._cancel_status: CancelStatus = None  # type: ignore[assignment]
        self._abort_func: Callable[[RaiseCancelT], Abort] | None = None
        self._next_send: Any = None
        self._pending_interrupts: list[PendingInterrupt] | None = None
        self._schedule_points = 0
        self._cancel_points = 0
        # State that few tasks have (system tasks, tasks inside
        # Nursery.start()) lives in one optional object, which keeps every
        # task 8 bytes smaller (idle tasks are counted in the 100,000s).
        self._rare: _RareTaskState | None = _RareTaskState(system=True) if system else None
        # An owned task's exit hook (spawn_owned). An ordinary slot, not rare
        # state: every asyncio task is an owned task, and the rare-state
        # object would cost each of them 56 bytes and a call more.
        self._on_exit: Callable[[Task, outcome.Outcome[Any]], object] | None = None
        self._outcome: outcome.Outcome[Any] | None = None
        self.custom_sleep_data: Any = None
        self.companion: Any = None

    def __repr__(self) -> str:
        return f"<Task {self.name!r} at {id(self):#x}>"

    def _rare_state(self) -> _RareTaskState:
        rare = self._rare
        if rare is None:
            rare = self._rare = _RareTaskState(system=False)
        return rare

    @property
    def _system(self) -> bool:
        rare = self._rare
        return rare is not None and rare.system

    @property
    def _eventual_parent_nursery(self) -> Nursery | None:
        rare = self._rare
        return None if rare is None else rare.eventual_parent_nursery

    @_eventual_parent_nursery.setter
    def _eventual_parent_nursery(self, value: Nursery | None) -> None:
        self._rare_state().eventual_parent_nursery = value

    @property
    def name(self) -> str:
        """The task's name (a string), settable.

        It is the ``name=`` given at spawn, else the function's dotted name
        (``module.qualname``)."""
        name = self._name
        if type(name) is not str:
            name = self._name = _name_from(name)
        return name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)

    @property
    def parent_nursery(self) -> Nursery | None:
        """The nursery this task is inside (``None`` for the root task).

        During :meth:`Nursery.start`, this is the temporary nursery inside
        ``start()`` until the task calls ``task_status.started()``.
        """
        return self._parent_nursery

    @property
    def eventual_parent_nursery(self) -> Nursery | None:
        """The nursery this task will move into when it calls
        ``task_status.started()`` (``None`` when not inside ``start()``)."""
        return self._eventual_parent_nursery

    @property
    def child_nurseries(self) -> list[Nursery]:
        """The nurseries this task has open, outermost first."""
        return list(self._child_nurseries)

    def iter_await_frames(self) -> Iterator[tuple[types.FrameType, int]]:
        """Walk down what this task awaits, yielding ``(frame, lineno)`` pairs,
        outermost (the task's own coroutine) first.

        Handy for stack dumps::

            traceback.StackSummary.extract(task.iter_await_frames())
        """
        coro: Any = self.coro
        while coro is not None:
            if hasattr(coro, "cr_frame"):
                frame = coro.cr_frame
                if frame is not None:
                    yield frame, frame.f_lineno
                coro = coro.cr_await
            elif hasattr(coro, "gi_frame"):
                frame = coro.gi_frame
                if frame is not None:
                    yield frame, frame.f_lineno
                coro = coro.gi_yieldfrom
            elif coro.__class__.__name__ in ("async_generator_athrow", "async_generator_asend"):
                # These wrappers hide their generator; the gc still knows it.
                for referent in gc.get_referents(coro):
                    if hasattr(referent, "ag_frame"):
                        if referent.ag_frame is not None:
                            yield referent.ag_frame, referent.ag_frame.f_lineno
                        coro = referent.ag_await
                        break
                else:
                    return
            else:
                return

    # -- cancellation plumbing (called by the cancel-status tree) -----------

    def _activate_cancel_status(self, status: CancelStatus | None) -> None:
        if self._cancel_status is not None:
            self._cancel_status._tasks.pop(self, None)
        self._cancel_status = status  # type: ignore[assignment]
        if status is not None:
            status._tasks[self] = None
            if status.effectively_cancelled:
                self._attempt_delivery_of_any_pending_cancel()

    def _attempt_abort(self, raise_cancel: RaiseCancelT) -> None:
        abort_func = self._abort_func
        assert abort_func is not None
        # Only the first abort attempt of one wait gets to run.
        self._abort_func = None
        success = abort_func(raise_cancel)
        if type(success) is not Abort:
            raise TypeError(f"abort function must return Abort enum, not {success!r}")
        if success is Abort.SUCCEEDED:
            self._runner.reschedule(self, capture_error(raise_cancel))
        else:
            # The waker is now responsible; keep the task un-abortable.
            pass

    def _raise_cancel(self) -> NoReturn:
        raise self._cancel_status.make_cancelled()

    @enable_ki_protection
    def _attempt_delivery_of_any_pending_cancel(self) -> None:
        if self._abort_func is None:
            return
        if self._cancel_status.effectively_cancelled:
            self._attempt_abort(self._raise_cancel)
            return
        factory = self._take_deliverable_interrupt(peek=True)
        if factory is not None:
            self._attempt_abort(self._raise_interrupt)

    def _shielded_now(self) -> bool:
        status: CancelStatus | None = self._cancel_status
        while status is not None:
            if status._scope._shield:
                return True
            status = status._parent
        return False

    def _take_deliverable_interrupt(
        self, *, peek: bool = False
    ) -> Callable[[], BaseException] | None:
        pending = self._pending_interrupts
        if not pending:
            return None
        shielded: bool | None = None
        for i, (factory, shieldable) in enumerate(pending):
            if shieldable:
                if shielded is None:
                    shielded = self._shielded_now()
                if shielded:
                    continue
            if not peek:
                del pending[i]
                if not pending:
                    self._pending_interrupts = None
            return factory
        return None

    def _raise_interrupt(self) -> NoReturn:
        factory = self._take_deliverable_interrupt()
        if factory is None:  # pragma: no cover - withdrawn in between
            raise self._cancel_status.make_cancelled()
        raise factory()

    def _raise_pending(self) -> None:
        """Called at a checkpoint: raise Cancelled or a deliverable interrupt."""
        if self._cancel_status.effectively_cancelled:
            raise self._cancel_status.make_cancelled()
        factory = self._take_deliverable_interrupt()
        if factory is not None:
            raise factory()
