"""The abstract classes the core needs: :class:`Clock` and :class:`Instrument`.

They live in the core (rather than with the stream and channel ABCs) so that
the core imports nothing above itself. :mod:`tether.abc` re-exports them.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._task import Task


class Clock(metaclass=ABCMeta):
    """The interface for custom run clocks (see :class:`tether.testing.MockClock`)."""

    __slots__ = ()

    @abstractmethod
    def start_clock(self) -> None:
        """Do any setup this clock needs; called once, at the start of the run."""

    @abstractmethod
    def current_time(self) -> float:
        """Return the current time, per this clock. Used by :func:`tether.current_time`."""

    @abstractmethod
    def deadline_to_sleep_time(self, deadline: float) -> float:
        """How long the run loop should block (in real seconds) to reach ``deadline``.

        A negative or zero result means "don't block". A return of
        ``math.inf`` means "block until something else wakes you up".
        """


class Instrument(metaclass=ABCMeta):  # noqa: B024 - every hook is optional
    """The interface for run-loop instruments (debuggers, profilers, loggers).

    Define any subset of the hooks below; the run loop calls only those that
    a subclass overrides. An instrument whose hook raises is logged and
    removed, and the run goes on.
    """

    __slots__ = ()

    def before_run(self) -> None:  # noqa: B027
        """Called at the beginning of :func:`tether.run`."""

    def after_run(self) -> None:  # noqa: B027
        """Called just before :func:`tether.run` returns."""

    def task_spawned(self, task: Task) -> None:  # noqa: B027
        """Called when the given task is created."""

    def task_scheduled(self, task: Task) -> None:  # noqa: B027
        """Called when the given task becomes runnable."""

    def before_task_step(self, task: Task) -> None:  # noqa: B027
        """Called immediately before we resume running the given task."""

    def after_task_step(self, task: Task) -> None:  # noqa: B027
        """Called when we return to the run loop after a task has yielded."""

    def task_exited(self, task: Task) -> None:  # noqa: B027
        """Called when the given task exits."""

    def before_io_wait(self, timeout: float) -> None:  # noqa: B027
        """Called before the run loop blocks waiting for I/O or a timeout."""

    def after_io_wait(self, timeout: float) -> None:  # noqa: B027
        """Called after the run loop wakes up from waiting for I/O."""
