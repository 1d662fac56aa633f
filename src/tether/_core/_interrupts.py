"""One-shot exceptions delivered to a task: the hook behind asyncio's ``Task.cancel()``.

Tether's own cancellation is level-triggered (a cancelled scope makes
*every* checkpoint inside it raise). asyncio's is edge-triggered: one
exception, once. An *interrupt* is that: it is raised once, at the task's
next cancel point outside any shield (or at once, through the task's abort
function, if it is blocked), and then it is gone. KeyboardInterrupt is
delivered to the main task the same way, except that shields do not stop it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._traps import START_INTERRUPTED

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._task import Task


def deliver_interrupt(
    task: Task,
    exc_factory: Callable[[], BaseException],
    *,
    shieldable: bool = True,
) -> None:
    """Make ``task`` raise ``exc_factory()`` once, at its next cancel point.

    This is one-shot (edge-triggered) delivery, as asyncio's
    ``Task.cancel()`` needs, next to tether's level-triggered scopes:

    * If the task is blocked now (and, for a ``shieldable`` interrupt, not
      inside a shielded cancel scope), its abort function is called at
      once and the task wakes up raising the exception.
    * Otherwise the interrupt stays *pending* and is raised at the task's
      next checkpoint or blocking call that is outside any shield.
    * Interrupts queue up in order; each is delivered once.
    * A task that has not run yet gets the exception thrown in at its first
      step, so none of its body runs (asyncio's cancel-before-start).

    The factory is called once, at delivery: at the task's checkpoint, or,
    for a blocked task, when its abort function runs (right away).
    Unshieldable interrupts overtake shieldable ones that a shield holds back.

    Raises:
        RuntimeError: if the task has already exited.
    """
    if task._outcome is not None:
        raise RuntimeError(f"{task!r} has already exited")
    entry = (exc_factory, shieldable)
    if task._pending_interrupts is None:
        task._pending_interrupts = [entry]
    else:
        task._pending_interrupts.append(entry)
    if task._schedule_points == 0 and task._next_send is None:
        # Never ran yet (it waits in the run queue for its first step): the
        # interrupt is thrown in at the start, so none of its body runs.
        task._next_send = START_INTERRUPTED
        return
    task._attempt_delivery_of_any_pending_cancel()


def pending_interrupts(task: Task) -> int:
    """How many interrupts (see :func:`deliver_interrupt`) wait to be raised in ``task``."""
    return len(task._pending_interrupts or ())


def discard_interrupts(task: Task) -> int:
    """Withdraw every pending interrupt of ``task``; return how many there were."""
    count = len(task._pending_interrupts or ())
    task._pending_interrupts = None
    return count
