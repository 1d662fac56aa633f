"""The one piece of global state: which run and which task are current.

There is no loop object to pass around. Each thread has at most one active
run; the run loop stores itself in ``GLOBAL_RUN_CONTEXT.runner`` and the task
it is stepping in ``GLOBAL_RUN_CONTEXT.task``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._run import Runner
    from ._task import Task


class _RunContext(threading.local):
    runner: Runner
    task: Task


GLOBAL_RUN_CONTEXT = _RunContext()

NOT_IN_RUN_MESSAGE = "must be called from async context (inside tether.run())"


def current_runner() -> Runner:
    """The active run of this thread, or RuntimeError."""
    try:
        return GLOBAL_RUN_CONTEXT.runner
    except AttributeError:
        raise RuntimeError(NOT_IN_RUN_MESSAGE) from None


def current_task() -> Task:
    """Return the :class:`Task` object that is currently running.

    Raises:
        RuntimeError: if called outside a task of :func:`tether.run`.
    """
    try:
        return GLOBAL_RUN_CONTEXT.task
    except AttributeError:
        raise RuntimeError(NOT_IN_RUN_MESSAGE) from None


def in_tether_run() -> bool:
    """Whether the calling thread is inside :func:`tether.run` (in a task or not).

    Trio's name, ``in_trio_run``, is an alias.
    """
    return hasattr(GLOBAL_RUN_CONTEXT, "runner")


def in_tether_task() -> bool:
    """Whether the caller is running inside a tether task.

    Trio's name, ``in_trio_task``, is an alias.
    """
    return hasattr(GLOBAL_RUN_CONTEXT, "task")
