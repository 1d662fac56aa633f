"""Sleeping.

A sleeping task is one entry in the run's timer heap, which wakes it with a
plain reschedule: no cancel scope is created and no exception is raised and
caught, which makes a sleep several times cheaper than the
``with move_on_at(deadline): await sleep_forever()`` it is equivalent to.
"""

from __future__ import annotations

import math
import types
from typing import TYPE_CHECKING, Any, NoReturn

from ._context import GLOBAL_RUN_CONTEXT, current_task
from ._ki import enable_ki_protection
from ._run import _SleepTimer
from ._traps import Abort, WaitTaskRescheduled, checkpoint, wait_task_rescheduled

if TYPE_CHECKING:
    from collections.abc import Generator

    from ._traps import RaiseCancelT


def _always_abort(_: RaiseCancelT) -> Abort:
    return Abort.SUCCEEDED


# Immutable, so every sleeper can yield the same message.
_SLEEP_FOREVER = WaitTaskRescheduled(_always_abort)


@types.coroutine
def _sleep_forever_trap() -> Generator[Any, Any, None]:
    (yield _SLEEP_FOREVER).unwrap()


@enable_ki_protection
async def sleep_forever() -> NoReturn:
    """Sleep until cancelled.

    Equivalent to ``await sleep(math.inf)``, only clearer.

    Raises:
        tether.Cancelled: when cancelled (the only way out).
        RuntimeError: if something reschedules the task by hand.
    """
    # No allocation per sleeper beyond the frames: an idle task costs as
    # little memory as we can make it.
    await _sleep_forever_trap()
    raise RuntimeError("Should never have been rescheduled!")


@enable_ki_protection
async def sleep_until(deadline: float) -> None:
    """Sleep until the run's clock reaches ``deadline``.

    A deadline in the past makes this a plain checkpoint.

    Raises:
        ValueError: if ``deadline`` is NaN.
    """
    if math.isnan(deadline):
        raise ValueError("deadline must not be NaN")
    try:
        task = GLOBAL_RUN_CONTEXT.task
    except AttributeError:
        task = current_task()  # raises the friendly RuntimeError
    runner = task._runner
    if deadline <= runner.clock.current_time():
        await checkpoint()
        return
    if deadline == math.inf:
        await sleep_forever()
        return
    timer = _SleepTimer(task, deadline)
    runner.deadlines.add(deadline, timer)
    if runner.is_guest:
        runner.deadline_changed()
    await wait_task_rescheduled(timer)


async def sleep(seconds: float) -> None:
    """Pause the current task for ``seconds`` seconds (per the run's clock).

    ``await tether.sleep(0)`` is the idiomatic pure checkpoint: it lets other
    tasks run and raises :exc:`~tether.Cancelled` if cancelled.

    Raises:
        ValueError: if ``seconds`` is negative or NaN.
    """
    if seconds < 0:
        raise ValueError("`seconds` must be non-negative")
    if seconds == 0:
        await checkpoint()
    else:
        # (NaN goes through: sleep_until rejects it.)
        try:
            now = GLOBAL_RUN_CONTEXT.runner.clock.current_time()
        except AttributeError:
            current_task()  # raises the friendly RuntimeError
            raise
        await sleep_until(now + seconds)
