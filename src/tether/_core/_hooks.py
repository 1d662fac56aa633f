"""Hooks for compatibility layers: owned tasks and the cancellation class.

See also ``_callbacks`` (the run-queue callbacks) and ``_interrupts``
(one-shot exceptions), the other two halves of what ``tether_asyncio`` is
built on.
"""

from __future__ import annotations

from types import CoroutineType
from typing import TYPE_CHECKING, Any

from outcome import Value

from ._context import GLOBAL_RUN_CONTEXT, current_runner
from ._exceptions import Cancelled
from ._traps import START_INTERRUPTED, error_outcome

if TYPE_CHECKING:
    import contextvars
    from collections.abc import Callable, Coroutine

    from outcome import Outcome

    from ._task import Task


def spawn_owned(
    coro: Coroutine[Any, Any, Any],
    *,
    name: object = None,
    context: contextvars.Context | None = None,
    on_exit: Callable[[Task, Outcome[Any]], object],
) -> Task:
    """Start a task that drives an existing coroutine object, owned by the run.

    This is the hook for compatibility layers whose tasks are not
    structured (an ``asyncio.create_task``, say): the task lives in the
    run-wide system nursery, so it can never outlive the run, and is
    cancelled when the main task exits; unlike a system task, it runs
    unprotected user code, and its result or error goes to
    ``on_exit(task, outcome)`` instead of crashing anything. If
    ``on_exit`` itself raises, the run crashes.

    Args:
        coro: a coroutine object (it is driven directly: no wrapper frame).
        name: the task name (default: the coroutine's qualified name).
        context: the :class:`contextvars.Context` to run in (default: a
            copy of the caller's).
        on_exit: called, inside the run, when the task has finished.

    Raises:
        TypeError: if ``coro`` is not a coroutine object.
        RuntimeError: outside a run, or after the run began shutting down.
    """
    # (Exact type first: two hasattr() calls cost more than the rest of the check.)
    if type(coro) is not CoroutineType and (
        not hasattr(coro, "send") or not hasattr(coro, "throw")
    ):
        raise TypeError(f"spawn_owned() needs a coroutine object, not {coro!r}")
    try:
        runner = GLOBAL_RUN_CONTEXT.runner
    except AttributeError:
        runner = current_runner()  # raises the friendly RuntimeError
    if runner.system_nursery is None:
        raise RuntimeError("the run is not ready for owned tasks yet")
    task = runner.spawn_impl(
        None, (), runner.system_nursery, name, context=context, coro=coro
    )
    task._on_exit = on_exit
    return task


def set_cancelled_class(cls: type[Cancelled]) -> None:
    """Make this run raise instances of ``cls`` wherever it would raise
    :exc:`~tether.Cancelled`.

    ``cls`` must be a subclass of Cancelled, so cancel scopes still
    recognise it. This is how ``tether_asyncio`` makes a scope's
    cancellation also an ``asyncio.CancelledError`` (a class deriving from
    both), without the core ever importing asyncio: asyncio-style code's
    ``except CancelledError`` then sees it, and the scope still catches it
    when it propagates.

    Raises:
        TypeError: if ``cls`` is not a subclass of Cancelled.
    """
    if not (isinstance(cls, type) and issubclass(cls, Cancelled)):
        raise TypeError("set_cancelled_class() needs a subclass of tether.Cancelled")
    current_runner().cancelled_class = cls


def step_owned_now(task: Task) -> None:
    """Run the first step of ``task``, just started with :func:`spawn_owned`,
    right now, inside the caller, instead of from the run queue.

    This is the hook behind asyncio's *eager tasks*
    (``asyncio.eager_task_factory``): the coroutine runs synchronously until
    it first suspends (a blocking wait, a checkpoint that yields, a
    schedule point), then the caller carries on. During that step ``task``
    is the current task (:func:`current_task`), it runs in its own context,
    and tether code inside it (cancel scopes, nurseries, sleeps) works as in
    any step; afterwards the caller's task, if any, is current again.

    * If the coroutine finishes in that step, ``on_exit`` is called before
      this returns, and the task never enters the run queue.
    * If it yields a schedule point, it goes to the back of the run queue,
      as it would after any step; if it blocks, it waits as usual.
    * An interrupt delivered before this call is thrown in at the start, as
      it would be at a first step from the queue.

    Raises:
        RuntimeError: outside the run, if ``task`` is not an owned task of
            this run waiting in the run queue for its first step, or if it
            is the task running now.
    """
    runner = current_runner()
    runq = runner.runq
    if (
        task._runner is not runner
        or task._on_exit is None
        or task._outcome is not None
        or task._schedule_points
    ):
        raise RuntimeError(f"{task!r} is not an owned task waiting for its first step")
    # It was queued last by spawn_owned, normally: search from the end.
    for i in range(len(runq) - 1, -1, -1):
        if runq[i] is task:
            del runq[i]
            break
    else:
        raise RuntimeError(f"{task!r} is not in the run queue")
    ctx = GLOBAL_RUN_CONTEXT
    outer = ctx.__dict__.get("task")
    instruments = runner.instruments
    if "before_task_step" in instruments:
        instruments.call("before_task_step", task)
    next_send = task._next_send
    task._next_send = None
    task._schedule_points += 1
    method: Callable[[Any], Any] = task.coro.send
    arg: Any = None
    if next_send is START_INTERRUPTED:
        factory = task._take_deliverable_interrupt()
        if factory is not None:  # (else it was withdrawn: start normally)
            method, arg = task.coro.throw, factory()
        del factory
    result: Outcome[Any] | None
    ctx.task = task
    try:
        msg = task.context.run(method, arg)
    except StopIteration as stop:
        result = Value(stop.value)
    except BaseException as task_exc:
        # The traceback starts at the coroutine (this frame is left out, and
        # not kept: no cycle through it keeps the caller's frames alive).
        tb = task_exc.__traceback__
        result = error_outcome(task_exc.with_traceback(tb.tb_next if tb is not None else None))
        del tb
    else:
        result = runner.handle_msg(task, msg)
    finally:
        if outer is None:
            del ctx.task
        else:
            ctx.task = outer
    del method, arg
    if result is not None:
        runner.task_exited(task, result)
    if "after_task_step" in instruments:
        instruments.call("after_task_step", task)
    # A coroutine that failed in this step keeps this frame (its frame's
    # f_back) through its traceback: hold nothing that leads back to it.
    del result, task, outer


async def _abandoned() -> None:
    pass  # pragma: no cover - never run


# What an abandoned owned task holds instead of its coroutine: a coroutine
# closed before it ever ran (closing it again does nothing).
_ABANDONED_CORO = _abandoned()
_ABANDONED_CORO.close()


def abandon_owned(task: Task) -> Coroutine[Any, Any, Any]:
    """Let go of an owned task (:func:`spawn_owned`) whose run is about to be
    abandoned, and hand its coroutine back to the caller.

    :meth:`SteppedRun.close` closes the coroutine of every task that is
    still alive, at once. An asyncio event loop does not: ``loop.close()``
    leaves pending tasks alone, and their coroutines are closed only when
    they are garbage-collected (which is when asyncio reports "Task was
    destroyed but it is pending!"). Call this on each owned task right
    before closing the run to get that behaviour: the task forgets its
    coroutine, its ``on_exit`` callback, and what it was waiting with (its
    abort function, ``custom_sleep_data``, pending interrupts), so closing
    the run neither closes the coroutine nor keeps any of it alive, and the
    returned coroutine is the caller's alone.

    The run must never step the task again, so use this only on a run you
    are about to close.

    Raises:
        RuntimeError: if ``task`` is not an owned task, has exited, or is
            the task running now.
    """
    if task._on_exit is None or task._outcome is not None:
        raise RuntimeError(f"{task!r} is not a live owned task")
    if GLOBAL_RUN_CONTEXT.__dict__.get("task") is task:
        raise RuntimeError(f"{task!r} cannot abandon itself")
    coro = task.coro
    task.name = task.name  # (a default name is worked out from the coroutine)
    task.coro = _ABANDONED_CORO
    task._on_exit = None
    # Nor may what the task was waiting with stay reachable from the run.
    task._abort_func = None
    task.custom_sleep_data = None
    task._pending_interrupts = None
    task._next_send = None
    return coro
