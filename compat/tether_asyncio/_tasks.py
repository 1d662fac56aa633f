"""``asyncio.Task`` on tether: one facade Task per tether task.

A Task's coroutine runs as a tether task created with
:func:`tether.lowlevel.spawn_owned` (owned by the run: its result or error
comes back to ``_task_exited``, never crashing the run), and the
tether task's ``companion`` points back to the Task. The coroutine is
driven directly, with no wrapper frame, in the Task's context.

Cancellation (see ``_cancellation``): ``cancel()`` cancels the awaited
facade future if there is one, else hands tether a one-shot interrupt.
A task cancelled before its first step never runs its body, as in asyncio:
tether throws the interrupt in at that first step (and ``uncancel()`` back
to zero on 3.13 withdraws it, so the task then runs normally).

:func:`current_task` returns the companion of the running tether task, so
inside a *native* tether child task (one started from a nursery inside a
facade task) it returns ``None``: that child is not an asyncio task
(``asyncio.timeout`` there uses a tether cancel scope instead of
cancelling a task; see ``_timeouts``).

**Eager tasks** (3.12+: ``Task(..., eager_start=True)``,
``eager_task_factory``): when the loop is running, the tether task is
spawned at once and its first step is run inside ``Task()`` with
:func:`tether.lowlevel.step_owned_now`: the coroutine runs synchronously,
as the current task, until it first suspends. A task that finishes in that
step is done before ``Task()`` returns and never enters the run queue; as
in the C Task, it then lets go of its coroutine (``get_coro()`` is
``None``).

**Lifetime, as stock.** Nothing but the program and the futures a task
awaits may keep a finished Task alive: when the tether task exits, the
Task and the tether task forget each other, so a finished task whose
exception was never retrieved is freed by reference counting and reports it
from ``__del__`` at once, as with stock asyncio. While the loop is open,
the run keeps its pending tasks alive (stock asyncio would let the garbage
collector take a task awaiting a future nobody references). When the loop
is closed, its pending tasks are cut loose from the run
(:func:`tether.lowlevel.abandon_owned`): their coroutines are not closed,
and a pending task that is then dropped reports "Task was destroyed but it
is pending!" when it is freed, before its coroutine is closed, as stock.
"""

from __future__ import annotations

import collections.abc
import contextvars
import inspect
import itertools
import sys
import threading
import types
import weakref
from asyncio import base_tasks, format_helpers
from typing import TYPE_CHECKING, Any, TextIO

import outcome

import tether.lowlevel

from . import _futures, _pyversion
from ._cancellation import schedule_point
from ._exceptions import CancelledError
from ._futures import (
    _FINISHED,
    _PENDING,
    Future,
    _Waiter,
    creation_stack,
    hide_internal_frames,
    init_future_state,
    isfuture,
    prime_attribute_names,
    timer_after,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._loop import TetherLoop

_task_name_counter = itertools.count(1).__next__

# The registry all_tasks() reads. A facade Task is in ``_pending_tasks``
# (a plain dict used as an ordered set: no weak reference per task) from its
# creation until it exits: it is alive all that time anyway (its tether task,
# or the loop's deferred work, holds it), so a strong reference keeps
# nothing alive that stock asyncio's weak set would let go. A task cut loose
# from a closed loop (``Task._abandon``) moves to ``_weak_tasks``, where the
# tasks of third-party implementations (``_register_task``) are too: those
# are held weakly, as in asyncio.
_pending_tasks: dict[Task, None] = {}
_weak_tasks: weakref.WeakSet[Any] = weakref.WeakSet()


class _AllTasks:
    """Every registered task, pending facade Tasks first (a snapshot)."""

    __slots__ = ()

    def __iter__(self) -> collections.abc.Iterator[Any]:
        return iter([*_pending_tasks, *_weak_tasks])

    def add(self, task: Any) -> None:
        _weak_tasks.add(task)

    def discard(self, task: Any) -> None:
        _pending_tasks.pop(task, None)
        _weak_tasks.discard(task)


_all_tasks = _AllTasks()

# What asyncio.iscoroutine() accepts (3.11 still takes generators).
_COROUTINE_TYPES: tuple[type, ...] = (
    (types.CoroutineType, collections.abc.Coroutine)
    if not _pyversion.TASKS_ACCEPT_GENERATORS
    else (types.CoroutineType, types.GeneratorType, collections.abc.Coroutine)
)

_NOT_GIVEN: Any = object()

_CoroutineType = types.CoroutineType
_NAMED_TASKS_USE_COUNTER = _pyversion.NAMED_TASKS_USE_COUNTER
_get_ident = threading.get_ident
_copy_context = contextvars.copy_context
_spawn_owned = tether.lowlevel.spawn_owned
# Whether each outcome class seen by _task_exited is a Value.
_OUTCOME_IS_VALUE: dict[type, bool] = {outcome.Value: True, outcome.Error: False}


def _get_event_loop() -> TetherLoop:
    from ._loop import get_event_loop

    return get_event_loop()


def _bind_running_loop() -> TetherLoop:
    # ``_loop`` imports this module, so ``get_running_loop`` is bound on
    # first use rather than imported on every call of the functions below.
    global _running_loop
    from ._loop import get_running_loop

    _running_loop = get_running_loop
    return get_running_loop()


_running_loop: Callable[[], TetherLoop] = _bind_running_loop


class _StepOrigin:
    """Debug mode: where a task's next step was scheduled from.

    asyncio runs each step from a handle, which records that; while the
    step runs it is the loop's ``_current_handle``, and the default
    exception handler shows it as ``handle_traceback``. This stands in for
    it (see ``_SlowSteps`` in ``_loop``).
    """

    __slots__ = ("_source_traceback",)

    def __init__(self, frame: types.FrameType) -> None:
        self._source_traceback = format_helpers.extract_stack(frame)


def iscoroutine(obj: object) -> bool:
    """Whether ``obj`` is a coroutine object (asyncio's test)."""
    return isinstance(obj, _COROUTINE_TYPES)


class Task(Future):
    """A coroutine running as a tether task, with asyncio's Task API.

    On 3.12+, ``eager_start=True`` runs the coroutine's first step at once
    if the loop is running (see the module docstring).
    """

    # A class-level default, not a slot: as with the C Task, a subclass may
    # silence its tasks by overriding it at class level.
    _log_destroy_pending = True
    # (Slots, as Future's, all set by __init__.)
    __slots__ = (
        "_context",
        "_coro",
        "_fut_waiter",
        "_must_cancel",
        "_name",
        "_num_cancels_requested",
        "_step_origin",
        "_ttask",
        "_waiter",
    )
    _name: str
    _coro: Any
    _context: contextvars.Context
    _ttask: tether.lowlevel.Task | None
    # The entry this task puts in the callbacks of the future it waits on
    # (see Future.__await__), made at its first wait.
    _waiter: _Waiter | None
    _fut_waiter: Future | None
    _must_cancel: bool
    _num_cancels_requested: int
    _step_origin: _StepOrigin | None

    def __init__(
        self,
        coro: Any,
        *,
        loop: TetherLoop | None = None,
        name: object = None,
        context: contextvars.Context | None = None,
        eager_start: Any = _NOT_GIVEN,
    ) -> None:
        # (Future.__init__'s state; its loop and debug handling follow below.
        # Every slot is set before anything can fail, so that __del__ and
        # repr() of a half-made task find them.)
        init_future_state(self)
        self._coro = None
        self._ttask = None
        self._waiter = None
        self._fut_waiter = None
        self._must_cancel = False
        self._num_cancels_requested = 0
        self._step_origin = None
        if eager_start is not _NOT_GIVEN and not _pyversion.HAS_EAGER_TASKS:
            self._log_destroy_pending = False
            raise TypeError("'eager_start' is an invalid keyword argument for Task()")
        the_loop = self._loop = loop if loop is not None else _get_event_loop()
        # (A plain TetherLoop's get_debug() and is_closed() read these
        # attributes; a subclass may override them, so it is asked.)
        plain = type(the_loop) is (_futures._plain_loop_class or _futures._bind_plain_loop_class())
        if the_loop._debug if plain else the_loop.get_debug():
            # As the C Task: the whole stack, down to the code creating it.
            self._source_traceback = creation_stack(sys._getframe(1))
        if type(coro) is not _CoroutineType and not iscoroutine(coro):
            self._log_destroy_pending = False
            raise TypeError(f"a coroutine was expected, got {coro!r}")
        if name is None:
            self._name = f"Task-{_task_name_counter()}"
        else:
            self._name = str(name)
        self._coro = coro
        self._context = _copy_context() if context is None else context
        # (Failing from here on, the half-made task reports being destroyed
        # pending when it is freed, as the C Task does.)
        if eager_start is not _NOT_GIVEN and eager_start:
            if loop is None:
                # The C Task (every 3.12/3.13 release) asks the ``loop``
                # argument itself whether it is running. (That error holds
                # no frame: the task is freed before the caller sees it.)
                del self, coro
                raise AttributeError("'NoneType' object has no attribute 'is_running'")
            if self._loop.is_running() and self._loop._in_run:
                _pending_tasks[self] = None
                self._eager_start()
                # (A coroutine that failed eagerly keeps this frame through
                # its traceback: don't let this frame keep the task.)
                del self, coro
                return
        if the_loop._closed if plain else the_loop.is_closed():
            # (As call_soon's error does, this one keeps the task alive.)
            raise RuntimeError("Event loop is closed")
        if self._source_traceback is not None:
            self._step_origin = _StepOrigin(sys._getframe(1))
        if the_loop._stepping and _get_ident() == the_loop._thread_id:
            self._start()  # (the_loop._defer_or_call(self._start), inlined)
        else:
            the_loop._defer_or_call(self._start)
        _pending_tasks[self] = None

    # -- life cycle --------------------------------------------------------------

    def _spawn(self) -> tether.lowlevel.Task:
        ttask = _spawn_owned(
            self._coro, name=self._name, context=self._context, on_exit=_task_exited
        )
        ttask.companion = self
        self._ttask = ttask
        return ttask

    def _start(self) -> None:
        # (_spawn(), written out: a call less per task.)
        ttask = _spawn_owned(
            self._coro, name=self._name, context=self._context, on_exit=_task_exited
        )
        ttask.companion = self
        self._ttask = ttask
        if self._must_cancel:
            # Cancelled before it started: thrown in at its first step.
            tether.lowlevel.deliver_interrupt(ttask, self._make_interrupt)

    def _eager_start(self) -> None:
        ttask = self._spawn()
        tether.lowlevel.step_owned_now(ttask)
        del ttask
        if self._state != "PENDING":
            # As the C Task: a task done eagerly lets go of its coroutine.
            self._coro = None
            if isinstance(self._exception, KeyboardInterrupt | SystemExit):
                raise self._exception
        # A coroutine that failed eagerly keeps this frame (through its
        # traceback and its frame's f_back): it must not keep the task.
        del self

    def _abandon(self) -> None:
        """The loop is closing with this task pending: cut it loose from the run."""
        if _pending_tasks.pop(self, _NOT_GIVEN) is not _NOT_GIVEN:
            # From now on nothing of the run holds it: held weakly, as stock.
            _weak_tasks.add(self)
        self._waiter = None  # (a future it waits on keeps its own reference)
        ttask = self._ttask
        if ttask is None:
            return
        _ = tether.lowlevel.abandon_owned(ttask)  # (the Task keeps the coroutine)
        ttask.companion = None
        self._ttask = None

    # -- cancellation ------------------------------------------------------------

    def cancel(self, msg: Any = None) -> bool:
        """Request that the task be cancelled (see the module docstring)."""
        self._log_tb = False
        if self.done():
            return False
        self._num_cancels_requested += 1
        # Always an interrupt, so tether shields hold it back; a task parked
        # on a future gets it through the wait's abort function, which
        # cancels that future as asyncio does (see ``_futures._Waiter``).
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
        """How many cancellation requests are pending."""
        return self._num_cancels_requested

    def uncancel(self) -> int:
        """Withdraw one cancellation request; return how many are left."""
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
        """Tasks refuse it (RuntimeError)."""
        raise RuntimeError("Task does not support set_result operation")

    def set_exception(self, exception: Any) -> None:
        """Tasks refuse it (RuntimeError)."""
        raise RuntimeError("Task does not support set_exception operation")

    # -- introspection -----------------------------------------------------------

    def get_coro(self) -> Any:
        """The coroutine (``None`` once a task done eagerly let go of it)."""
        return self._coro

    def get_context(self) -> contextvars.Context:
        """The context the task runs in."""
        return self._context

    def get_name(self) -> str:
        """The task's name."""
        return self._name

    def set_name(self, value: object) -> None:
        """Rename the task."""
        self._name = str(value)
        if self._ttask is not None:
            self._ttask.name = self._name

    def get_stack(self, *, limit: int | None = None) -> list[Any]:
        """The frames of the suspended coroutine, or of the traceback of the
        exception it ended with (asyncio's rules)."""
        frames: list[Any] = base_tasks._task_get_stack(self, limit)  # type: ignore[arg-type]
        return frames

    def print_stack(self, *, limit: int | None = None, file: TextIO | None = None) -> None:
        """Print :meth:`get_stack`'s frames, as asyncio does."""
        base_tasks._task_print_stack(self, limit, file)  # type: ignore[arg-type]

    def _repr_info(self) -> list[str]:
        info: list[str] = base_tasks._task_repr_info(self)  # type: ignore[arg-type]
        return info

    def __repr__(self) -> str:
        text: str = base_tasks._task_repr(self)  # type: ignore[arg-type]
        return text

    def __del__(self) -> None:
        try:
            state = self._state
        except AttributeError:  # (made without __init__: nothing to report)
            return
        if state == _PENDING:
            if self._log_destroy_pending:
                context: dict[str, Any] = {
                    "message": "Task was destroyed but it is pending!",
                    "task": self,
                }
                if self._source_traceback:
                    context["source_traceback"] = self._source_traceback
                self._loop.call_exception_handler(context)
        elif self._log_tb:
            Future.__del__(self)


if not _pyversion.TASK_HAS_GET_CONTEXT:
    del Task.get_context

# (Set on the tasks gather() and run_until_complete() make from coroutines.)
prime_attribute_names(Task, ("_log_destroy_pending",))


def _task_exited(ttask: tether.lowlevel.Task, result: outcome.Outcome[Any]) -> None:
    # The on_exit callback of every Task's tether task (one shared function
    # rather than a bound method per task): the Task is its companion.
    task = ttask.companion
    if task is None:
        return
    _pending_tasks.pop(task, None)
    # Forget each other: nothing of the run may keep a finished Task alive.
    ttask.companion = None
    task._ttask = None
    task._waiter = None  # (it refers to the task)
    if task._state != _PENDING:  # pragma: no cover - defensive
        return
    cls = type(result)
    is_value = _OUTCOME_IS_VALUE.get(cls)
    if is_value is None:
        # (Outcome classes check isinstance() through their ABC: once per class.)
        is_value = _OUTCOME_IS_VALUE[cls] = isinstance(result, outcome.Value)
    if is_value:
        if task._must_cancel:
            task._must_cancel = False
            Future.cancel(task, msg=task._cancel_message)
        else:
            # (Future.set_result(), written out: the state is known.)
            task._result = result.value  # type: ignore[attr-defined]
            task._state = _FINISHED
            if task._callback0 is not None or task._callback_list is not None:
                task._schedule_callbacks()
        return
    assert isinstance(result, outcome.Error)
    exc = result.error
    del result
    if isinstance(exc, CancelledError) or _only_cancellations(exc):
        # (A tether nursery inside the task wraps the interrupt in a
        # group; a group of nothing but cancellations is a cancellation.)
        # (Kept by the task and re-raised by result(): without this module's
        # re-raising frames, as stock asyncio's reads, and as set_exception()
        # stores an error.)
        hide_internal_frames(exc)
        task._cancelled_exc = exc
        Future.cancel(task)
    else:
        Future.set_exception(task, exc)
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            task._loop._raise_from_run(exc)


def _only_cancellations(exc: BaseException) -> bool:
    if not isinstance(exc, BaseExceptionGroup):
        return False
    return exc.split(CancelledError)[1] is None


# -- eager tasks (3.12+) -----------------------------------------------------------


def create_eager_task_factory(custom_task_constructor: Any) -> Any:
    """A task factory (for ``loop.set_task_factory``) that creates tasks with
    ``custom_task_constructor(coro, loop=, name=, context=, eager_start=True)``.
    """

    def factory(
        loop: TetherLoop, coro: Any, *, name: object = None, context: Any = None
    ) -> Any:
        return custom_task_constructor(
            coro, loop=loop, name=name, context=context, eager_start=True
        )

    return factory


eager_task_factory = create_eager_task_factory(Task)


# -- module functions ------------------------------------------------------------


def current_task(loop: TetherLoop | None = None) -> Task | None:
    """The running facade Task (``None`` in a callback or a native tether child task)."""
    if loop is None:
        loop = _running_loop()
    if not tether.lowlevel.in_tether_task():
        return _entered.get(loop) if _entered else None
    companion = tether.lowlevel.current_task().companion
    return companion if isinstance(companion, Task) else None


def all_tasks(loop: TetherLoop | None = None) -> set[Task]:
    """The loop's tasks that are not done yet."""
    if loop is None:
        from ._loop import get_running_loop

        loop = get_running_loop()
    return {t for t in _all_tasks if _loop_of(t) is loop and not t.done()}


def _loop_of(task: Any) -> Any:
    loop = getattr(task, "_loop", None)
    return loop if loop is not None else task.get_loop()


# -- the hooks asyncio offers third-party task implementations ---------------------
#
# A library that drives its own Task-like objects registers them, so that
# all_tasks() sees them, and marks the one it is stepping (from a callback,
# never inside a facade task) so that current_task() returns it.

_entered: dict[Any, Any] = {}


def _register_task(task: Any) -> None:
    """Make ``task`` (any Future-like object with ``get_loop()``) known to
    ``all_tasks()``."""
    _weak_tasks.add(task)


def _unregister_task(task: Any) -> None:
    """Forget a task registered with :func:`_register_task`."""
    _all_tasks.discard(task)


def _enter_task(loop: Any, task: Any) -> None:
    """Mark ``task`` as the loop's current task while its owner steps it."""
    current = current_task(loop)
    if current is not None:
        raise RuntimeError(
            f"Cannot enter into task {task!r} while another task {current!r} is being executed."
        )
    _entered[loop] = task


def _leave_task(loop: Any, task: Any) -> None:
    """Undo :func:`_enter_task`."""
    current = _entered.get(loop)
    if current is not task:
        raise RuntimeError(
            f"Leaving task {task!r} does not match the current task {current!r}."
        )
    del _entered[loop]


def create_task(
    coro: Any, *, name: object = None, context: contextvars.Context | None = None
) -> Task:
    """Schedule ``coro`` as a Task of the running loop."""
    if name is None and context is None:
        # (create_named_task()'s call for this case, without its frame: the
        # debug-mode creation stack ends at this function either way.)
        if _NAMED_TASKS_USE_COUNTER:
            task: Task = _running_loop().create_task(coro)
        else:
            task = _running_loop().create_task(coro, name=None)
    else:
        task = create_named_task(_running_loop(), coro, name, context)
    try:
        return task
    finally:
        del task  # (see create_named_task)


def create_named_task(
    loop: TetherLoop, coro: Any, name: object, context: contextvars.Context | None
) -> Any:
    """``loop.create_task()`` as asyncio.create_task() and
    TaskGroup.create_task() call it: on 3.11/3.12 they create the task
    without its name (it draws a Task-N number) and set the name after."""
    task: Any
    if _pyversion.NAMED_TASKS_USE_COUNTER:
        if context is None:
            task = loop.create_task(coro)
        else:
            task = loop.create_task(coro, context=context)
        if name is not None:
            task.set_name(name)
    elif context is None:
        task = loop.create_task(coro, name=name)
    else:
        task = loop.create_task(coro, name=name, context=context)
    stack = getattr(task, "_source_traceback", None)
    if stack and stack[-1].name == "create_named_task":
        del stack[-1]  # (debug mode: created by our caller, as in asyncio)
    del stack
    try:
        return task
    finally:
        # An eager task that failed keeps this frame through its traceback
        # (its coroutine's frame links back here): keep no task in it.
        del task


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


def _sleep_done(fut: Future) -> None:
    # (``_set_result_unless_cancelled(fut, None)`` for a timer from
    # timer_after(): ``fut`` is a plain loop's own Future, so set_result()'s
    # work is done here, without the call, unless debug mode was switched on
    # meanwhile: the wake-up then records where it came from, a caller of
    # set_result().)
    if fut._state == _PENDING:
        if fut._loop._debug:
            fut.set_result(None)
            return
        fut._state = _FINISHED
        fut._schedule_callbacks()


async def sleep(delay: float, result: Any = None) -> Any:
    """Sleep ``delay`` seconds (``0``: one bare schedule point)."""
    if delay <= 0:
        await schedule_point()
        return result
    loop = _running_loop()
    future = loop.create_future()
    handle: Any = None
    if result is None:
        # (Straight into tether's timer heap: see _futures.timer_at.)
        handle = timer_after(loop, delay, _sleep_done, future)
    if handle is None:
        handle = loop.call_later(delay, _set_result_unless_cancelled, future, result)
    try:
        return await future
    finally:
        handle.cancel()
