"""The only functions that ever yield control back to the run loop.

Every blocking operation in tether ends in one of these traps. A trap
yields a typed message; the run loop dispatches on the message's identity or
type, and later resumes the task by ``send()``-ing a value in:

* :data:`YIELD` — a bare schedule point: put me at the back of the run queue.
  The loop sends the :class:`Task` itself back, which saves the trap a
  thread-local lookup when it then checks for cancellation.
* :class:`WaitTaskRescheduled` — park until someone calls :func:`reschedule`.
  The loop sends an :class:`outcome.Outcome`, which the trap unwraps *inside
  the task's frame*. The loop never ``throw()``s into a coroutine, so
  exception context and tracebacks are exactly what the user's code made.
* :class:`PermanentlyDetachCoroutineObject` — the task is over as far as
  tether is concerned; someone else now owns the coroutine.
"""

from __future__ import annotations

import enum
import types
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

import attr
import outcome

from ._context import GLOBAL_RUN_CONTEXT, current_task

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Generator

    from ._task import Task


class Abort(enum.Enum):
    """What an abort function returns to say whether it could cancel the wait.

    Attributes:
        SUCCEEDED: The wait was undone; tether reschedules the task with
            the cancellation exception.
        FAILED: The wait cannot be undone now; whoever wakes the task later
            is responsible for it.
    """

    SUCCEEDED = 1
    FAILED = 2


RaiseCancelT: TypeAlias = "Callable[[], NoReturn]"
"""The type of the ``raise_cancel`` argument passed to an abort function."""


class _ReusableValue(outcome.Value[None]):  # type: ignore[misc]
    """A ``Value`` that may be unwrapped any number of times.

    ``outcome.Value`` refuses a second ``unwrap()``, so each wake-up would
    need a fresh one (about 0.4 µs). Waking a task with "no value" is by far
    the commonest case, so it shares this one immutable instance.
    """

    __slots__ = ()

    def unwrap(self) -> None:
        return None


VALUE_NONE: outcome.Value[None] = _ReusableValue(None)

def _make_error_outcome() -> Callable[[BaseException], outcome.Error]:
    # ``outcome.Error(exc)`` runs attrs' generated __init__ and its
    # instance-of validator: about 0.45 µs, a sixth of what a task cancelled
    # before its first step costs tether. Where the argument is known to be
    # an exception (one just caught), the same object is made with two slot
    # writes. Made only if that gives exactly what the constructor gives for
    # the installed outcome (its fields are checked here, at import), else
    # the constructor itself is used.
    error_cls = outcome.Error
    new = object.__new__
    set_slot = object.__setattr__
    try:
        fields = {field.name for field in attr.fields(error_cls)}
    except Exception:  # pragma: no cover - not an attrs class any more
        return error_cls
    if fields != {"_unwrapped", "error"}:  # pragma: no cover - a new outcome release
        return error_cls

    def error_outcome(exc: BaseException) -> outcome.Error:
        error = new(error_cls)
        set_slot(error, "error", exc)
        set_slot(error, "_unwrapped", False)
        return error

    probe = ValueError("probe")
    made, reference = error_outcome(probe), error_cls(probe)
    if made != reference or made._unwrapped is not False:  # pragma: no cover
        return error_cls
    return error_outcome


error_outcome = _make_error_outcome()
"""``outcome.Error(exc)``, faster, for an ``exc`` known to be an exception."""


def capture_error(raise_fn: Callable[[], NoReturn]) -> outcome.Error:
    """``outcome.capture(raise_fn)`` for a function that always raises (an
    abort function's ``raise_cancel``): the error, without this frame in its
    traceback."""
    try:
        raise_fn()
    except BaseException as exc:
        tb = exc.__traceback__
        exc.with_traceback(tb.tb_next if tb is not None else None)
        del tb  # (this frame's traceback entry would keep the frame in a cycle)
        return error_outcome(exc)
    raise AssertionError(f"{raise_fn!r} returned instead of raising")  # pragma: no cover


# A task interrupted before its first step is "resumed" with this; the
# coroutine refuses it without running, and the loop throws the interrupt
# in instead (see Runner.start_interrupted_task).
START_INTERRUPTED: outcome.Value[str] = outcome.Value("start interrupted")


class _YieldMessage:
    __slots__ = ()

    def __repr__(self) -> str:
        return "tether.YIELD"


YIELD = _YieldMessage()


class WaitTaskRescheduled:
    """The trap message behind :func:`wait_task_rescheduled`, for awaitables
    written as generators that want to park without its generator frame.

    A generator driven by a task's ``await`` (an ``__await__`` method
    written as a generator, or a :func:`types.coroutine`) may yield a
    ``WaitTaskRescheduled`` itself::

        class Gate:
            def __await__(self):
                self.task = tether.lowlevel.current_task()
                result = yield tether.lowlevel.WaitTaskRescheduled(self.abort)
                return result.unwrap()

            def abort(self, raise_cancel):
                self.task = None
                return tether.lowlevel.Abort.SUCCEEDED

            def open(self):
                if self.task is not None:
                    tether.lowlevel.reschedule(self.task)
                    self.task = None

    The task parks exactly as in ``await wait_task_rescheduled(abort_func)``
    (a cancel point; the same abort protocol), but the ``yield`` evaluates
    to the :class:`outcome.Outcome` given to :func:`reschedule` *as is*:
    unwrap it yourself (``result.unwrap()``), in your own frame. That saves
    the generator :func:`wait_task_rescheduled` makes for every wait (about
    200 bytes for as long as the task is parked, and its resumption).

    A message holds nothing but its abort function and the run loop keeps
    no reference to it, so one message may be made once and yielded for any
    number of waits.

    Args:
        abort_func: the wait's abort function (see
            :func:`wait_task_rescheduled`).
    """

    __slots__ = ("abort_func",)

    def __init__(self, abort_func: Callable[[RaiseCancelT], Abort]) -> None:
        self.abort_func = abort_func

    def __repr__(self) -> str:
        return f"<tether.lowlevel.WaitTaskRescheduled abort_func={self.abort_func!r}>"


class PermanentlyDetachCoroutineObject:
    """Trap message: the task ends with ``final_outcome``; the coroutine
    lives on under someone else's control."""

    __slots__ = ("final_outcome",)

    def __init__(self, final_outcome: outcome.Outcome[object]) -> None:
        self.final_outcome = final_outcome


@types.coroutine
def _yield_msg(msg: object) -> Generator[object, Any, Any]:
    return (yield msg)


@types.coroutine
def cancel_shielded_checkpoint() -> Generator[object, Any, None]:
    """A schedule point that is not a cancel point.

    Lets other tasks run, then returns; never raises
    :exc:`~tether.Cancelled`. Equivalent to (but much cheaper than)::

        with tether.CancelScope(shield=True):
            await tether.lowlevel.checkpoint()
    """
    yield YIELD


@types.coroutine
def checkpoint() -> Generator[object, Any, None]:
    """A pure checkpoint: a schedule point and a cancel point.

    Lets other tasks run, then raises :exc:`~tether.Cancelled` if the
    current task is inside a cancelled scope. ``await tether.sleep(0)``
    does the same.
    """
    task: Task = yield YIELD
    task._cancel_points += 1
    if task._cancel_status.effectively_cancelled or task._pending_interrupts is not None:
        task._raise_pending()


class _Ready:
    """An awaitable that completes at once, without suspending."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, Any, None]:
        return _EXHAUSTED  # type: ignore[return-value]


# An exhausted iterator stays exhausted, so every ``await`` of _READY can
# share it: awaiting it costs one method call and no allocation.
_EXHAUSTED = iter(())
_READY = _Ready()


def checkpoint_if_cancelled() -> Awaitable[None]:
    """A cancel point that is not a schedule point.

    ``await checkpoint_if_cancelled()`` raises :exc:`~tether.Cancelled` if
    the task is cancelled, and otherwise returns at once without letting
    other tasks run.

    (It is a plain function returning an awaitable that is already done:
    the check costs no coroutine object, which matters on the fast paths of
    locks and channels.)
    """
    # (cancel_point_task(), inlined: this is on the fast path of every lock
    # and channel operation.)
    try:
        task = GLOBAL_RUN_CONTEXT.task
    except AttributeError:
        task = current_task()  # raises the friendly RuntimeError
    task._cancel_points += 1
    if task._cancel_status.effectively_cancelled or task._pending_interrupts is not None:
        # Raises, unless all that is pending is an interrupt held back by a shield.
        task._raise_pending()
    return _READY


# A schedule point that follows an operation that completed at once (a
# channel send with room, a receive with an item waiting) yields to the
# scheduler only when the task's schedule-point count reaches a multiple of
# this power of two; the others are counted but return at once. Which task
# runs when is unspecified in Trio and in tether (Trio shuffles its batches),
# so this changes no guarantee: cancellation is still checked at every
# operation, and a task that keeps succeeding still lets others run at
# least once every FAST_PATH_YIELD_INTERVAL operations. Deterministic: it
# depends only on the task's own history. (Trio discusses the same idea,
# time-based, as "skip schedule points if we've done one recently".)
FAST_PATH_YIELD_INTERVAL = 64
_FAST_PATH_MASK = FAST_PATH_YIELD_INTERVAL - 1


def cancel_point_task() -> Task:
    """``checkpoint_if_cancelled()`` for tether's own fast paths: raise
    :exc:`~tether.Cancelled` if the current task is cancelled, else return
    the task (no awaitable to await)."""
    try:
        task = GLOBAL_RUN_CONTEXT.task
    except AttributeError:
        task = current_task()  # raises the friendly RuntimeError
    task._cancel_points += 1
    if task._cancel_status.effectively_cancelled or task._pending_interrupts is not None:
        # Raises, unless all that is pending is an interrupt held back by a shield.
        task._raise_pending()
    return task


def fast_path_schedule_point(task: Task) -> Awaitable[None]:
    """The schedule point after an operation that completed without waiting.

    Counts a schedule point for ``task`` (the current task) and really
    yields to the scheduler once every :data:`FAST_PATH_YIELD_INTERVAL`
    points; otherwise returns an awaitable that is already done. Never a
    cancel point (the operation has happened).
    """
    points = task._schedule_points + 1
    if points & _FAST_PATH_MASK:
        task._schedule_points = points
        return _READY
    # The run loop counts this one when it resumes the task.
    return cancel_shielded_checkpoint()


@types.coroutine
def wait_task_rescheduled(
    abort_func: Callable[[RaiseCancelT], Abort],
) -> Generator[object, Any, Any]:
    """Put the current task to sleep, with cancellation support.

    The task sleeps until some other code calls :func:`reschedule` on it,
    and this function then returns the value (or raises the error) of the
    :class:`outcome.Outcome` passed there.

    If the task is cancelled while asleep (or already is, when it calls
    this), tether calls ``abort_func(raise_cancel)``. The abort function
    must either undo whatever would have woken the task and return
    :data:`Abort.SUCCEEDED` (tether then wakes the task with the exception
    ``raise_cancel`` raises), or return :data:`Abort.FAILED`, in which case
    the task stays asleep until someone reschedules it. An abort function
    may also call ``raise_cancel()`` itself to capture the exception.

    Abort functions run in the scheduler's context, with KeyboardInterrupt
    protection, and must not raise.
    """
    return (yield WaitTaskRescheduled(abort_func)).unwrap()


async def permanently_detach_coroutine_object(
    final_outcome: outcome.Outcome[object],
) -> Any:
    """Make the current task exit (with ``final_outcome``) while its
    coroutine goes on under someone else's control.

    The caller must not be inside any cancel scope or nursery of its own:
    everything it still has open would be left dangling.

    Raises:
        RuntimeError: if the task still has open nurseries.
    """
    task = current_task()
    if task._child_nurseries:
        raise RuntimeError("can't permanently detach a coroutine object with open nurseries")
    return await _yield_msg(PermanentlyDetachCoroutineObject(final_outcome))


async def temporarily_detach_coroutine_object(
    abort_func: Callable[[RaiseCancelT], Abort],
) -> Any:
    """Hand the current coroutine to another event loop for a while.

    The coroutine's next ``yield`` goes to whoever calls ``send()`` on it
    next; tether treats the task as parked in :func:`wait_task_rescheduled`
    (with ``abort_func``) until :func:`reattach_detached_coroutine_object`
    is called. Returns whatever the foreign driver first sends in.
    """
    return await _yield_msg(WaitTaskRescheduled(abort_func))


async def reattach_detached_coroutine_object(task: Task, yield_value: object) -> None:
    """Give a coroutine detached with :func:`temporarily_detach_coroutine_object`
    back to tether.

    Must be called from inside that coroutine while the foreign loop drives
    it. ``yield_value`` is yielded to the foreign driver once, after which
    tether resumes the coroutine as ``task``.

    Raises:
        RuntimeError: if ``task`` does not own this coroutine.
    """
    if task.coro.cr_frame is None or not task.coro.cr_running:  # type: ignore[attr-defined]
        raise RuntimeError("given task does not match calling coroutine")
    task._runner.reschedule(task, outcome.Value("reattaching"))
    value = await _yield_msg(yield_value)
    assert value == outcome.Value("reattaching")
