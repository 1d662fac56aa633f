"""Hooks for compatibility layers: owned tasks and the cancellation class.

See also ``_callbacks`` (the run-queue callbacks) and ``_interrupts``
(one-shot exceptions), the other two halves of what ``tether_asyncio`` is
built on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._context import current_runner
from ._exceptions import Cancelled

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
    if not hasattr(coro, "send") or not hasattr(coro, "throw"):
        raise TypeError(f"spawn_owned() needs a coroutine object, not {coro!r}")
    runner = current_runner()
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
