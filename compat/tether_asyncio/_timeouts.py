"""``asyncio.timeout`` / ``timeout_at`` and the ``Timeout`` class.

Built the asyncio way (a timer that calls ``Task.cancel()``, and cancel
counting with ``uncancel()`` on the way out), not on a tether cancel scope:
a tether deadline is level-triggered and would also cancel the cleanup
code that asyncio-style code runs after catching the cancellation. The
deadline is fixed when ``timeout(delay)`` is *called*, as in asyncio.
"""

from __future__ import annotations

import enum
from math import inf
from typing import TYPE_CHECKING, Any, Self

import tether
import tether.lowlevel

from . import _pyversion
from ._exceptions import CancelledError
from ._futures import timer_at
from ._loop import get_running_loop
from ._tasks import Task, current_task

if TYPE_CHECKING:
    from types import TracebackType


class _State(enum.Enum):
    CREATED = "created"
    ENTERED = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    EXITED = "finished"


# The members as module constants: reading an Enum member through its class
# costs a descriptor call (~75 ns on 3.11), and a timeout checks its state
# half a dozen times.
_CREATED = _State.CREATED
_ENTERED = _State.ENTERED
_EXPIRING = _State.EXPIRING
_EXPIRED = _State.EXPIRED
_EXITED = _State.EXITED


class Timeout:
    """An async context manager that cancels its task at a loop time.

    In a native tether task (mixing: there is no asyncio task to cancel) it
    works as a tether cancel scope with that deadline, raising TimeoutError
    when the deadline cancelled the block, with the same ``when``,
    ``reschedule`` and ``expired``.
    """

    def __init__(self, when: float | None) -> None:
        self._state = _CREATED
        self._timeout_handler: Any = None
        self._task: Task | None = None
        self._when = when
        self._cancelling = 0
        self._scope: tether.CancelScope | None = None  # native tether tasks

    def when(self) -> float | None:
        """The loop time the timeout expires at (``None``: never)."""
        return self._when

    def reschedule(self, when: float | None) -> None:
        """Move the deadline to loop time ``when`` (``None``: never); only
        while the block is active."""
        if self._state is not _ENTERED:
            if self._state is _CREATED:
                raise RuntimeError("Timeout has not been entered")
            raise RuntimeError(f"Cannot change state of {self._state.value} Timeout")
        self._when = when
        if self._scope is not None:
            self._scope.deadline = inf if when is None else when
            return
        if self._timeout_handler is not None:
            self._timeout_handler.cancel()
        if when is None:
            self._timeout_handler = None
        else:
            self._arm(when)

    def _arm(self, when: float) -> None:
        # Call _on_timeout() at loop time ``when`` (soon if that has passed).
        loop = get_running_loop()
        if when <= loop.time():
            self._timeout_handler = loop.call_soon(self._on_timeout)
        else:
            # (Straight into tether's timer heap where no asyncio handle
            # can be observed; see _futures.timer_at.)
            handler: Any = timer_at(loop, when, _timeout_due, self)
            if handler is None:
                handler = loop.call_at(when, self._on_timeout)
            self._timeout_handler = handler

    def expired(self) -> bool:
        """Whether the deadline passed and the timeout cancelled its task."""
        if self._scope is not None and self._state is _ENTERED:
            return self._scope.cancel_called
        return self._state in (_EXPIRING, _EXPIRED)

    def __repr__(self) -> str:
        info = [""]
        if self._state is _ENTERED:
            when = round(self._when, 3) if self._when is not None else None
            info.append(f"when={when}")
        return f"<Timeout [{self._state.value}]{' '.join(info)}>"

    async def __aenter__(self) -> Self:
        if self._state is not _CREATED:
            raise RuntimeError("Timeout has already been entered")
        task = current_task()
        if task is None:
            if tether.lowlevel.in_tether_task():
                # A native tether task (mixing): a cancel scope does the job.
                self._scope = tether.CancelScope(deadline=inf if self._when is None else self._when)
                self._scope.__enter__()
                self._state = _ENTERED
                return self
            raise RuntimeError("Timeout should be used inside a task")
        self._state = _ENTERED
        self._task = task
        self._cancelling = task.cancelling()
        if type(self) is not Timeout:
            self.reschedule(self._when)  # (as asyncio: a subclass may override it)
        elif self._when is not None:
            # (reschedule()'s work, whose checks cannot fail here: no timer
            # is armed yet.)
            self._arm(self._when)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        assert self._state in (_ENTERED, _EXPIRING)
        scope = self._scope
        if scope is not None:
            swallowed = scope.__exit__(exc_type, exc_val, exc_tb)
            self._state = _EXPIRED if scope.cancel_called else _EXITED
            if scope.cancelled_caught:
                raise TimeoutError from exc_val
            return swallowed
        if self._timeout_handler is not None:
            self._timeout_handler.cancel()
            self._timeout_handler = None
        if self._state is _EXPIRING:
            self._state = _EXPIRED
            assert self._task is not None
            if _pyversion.TIMEOUT_EXIT_INSERTS_TIMEOUT_ERROR:
                if self._task.uncancel() <= self._cancelling and exc_type is not None:
                    if issubclass(exc_type, CancelledError):
                        raise TimeoutError from exc_val
                    if exc_val is not None:
                        _insert_timeout_error(exc_val)
                        if isinstance(exc_val, BaseExceptionGroup):
                            for exc in exc_val.exceptions:
                                _insert_timeout_error(exc)
            elif self._task.uncancel() <= self._cancelling and exc_type is CancelledError:
                raise TimeoutError from exc_val
        elif self._state is _ENTERED:
            self._state = _EXITED
        return None

    def _on_timeout(self) -> None:
        assert self._state is _ENTERED
        assert self._task is not None
        self._task.cancel()
        self._state = _EXPIRING
        self._timeout_handler = None


def _timeout_due(timeout: Timeout) -> None:
    # (``Timeout._on_timeout`` for a timer from timer_at().)
    timeout._on_timeout()


def _insert_timeout_error(exc_val: BaseException) -> None:
    while exc_val.__context__ is not None:
        if isinstance(exc_val.__context__, CancelledError):
            te = TimeoutError()
            te.__context__ = te.__cause__ = exc_val.__context__
            exc_val.__context__ = te
            break
        exc_val = exc_val.__context__


def timeout(delay: float | None) -> Timeout:
    """A :class:`Timeout` ``delay`` seconds from now (``None``: never)."""
    loop = get_running_loop()
    return Timeout(loop.time() + delay if delay is not None else None)


def timeout_at(when: float | None) -> Timeout:
    """A :class:`Timeout` at loop time ``when`` (``None``: never)."""
    return Timeout(when)
