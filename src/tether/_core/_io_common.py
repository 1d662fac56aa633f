"""What every platform's I/O manager provides to the run loop."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Protocol

import outcome

if TYPE_CHECKING:
    from ._task import Task


class IOManager(Protocol):
    """The run loop's view of an I/O backend (epoll, kqueue).

    Besides these methods the run loop reads one attribute: ``_registered``,
    the backend's table of everything registered with the kernel other
    than its own wake-up socket (empty when nothing else is). A stepped run
    skips a zero-timeout poll while it is empty and no wake-up is pending,
    since that poll could only come back empty; a backend must therefore
    keep an entry there for as long as the kernel may report an fd.
    """

    def get_events(self, timeout: float) -> object:
        """Block for at most ``timeout`` seconds; return what happened."""

    def process_events(self, events: object) -> None:
        """Wake the tasks that ``events`` concern."""

    def force_wakeup(self) -> None:
        """Make a concurrent or later ``get_events`` return at once (thread-safe)."""

    def close(self) -> None:
        """Release the backend's resources."""


def wake_all(waiters: dict[str, Task | None], exc: BaseException) -> None:
    """Wake every task in ``waiters`` with its own copy of ``exc``, so no
    two tasks share one exception object (and its traceback)."""
    for attr, task in list(waiters.items()):
        if task is not None:
            waiters[attr] = None
            task._runner.reschedule(task, outcome.Error(copy.copy(exc)))
