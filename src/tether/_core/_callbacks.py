"""Plain callbacks in the run queue: the hook behind asyncio's ``call_soon`` and ``call_at``.

A :class:`CallbackHandle` sits in the same FIFO run queue as task steps, so
callbacks and tasks interleave in exactly the order they were scheduled. A
timed callback waits in the run's timer heap until due, then joins the
queue after that iteration's I/O wake-ups, as asyncio's timers do.
"""

from __future__ import annotations

from math import inf, isnan
from typing import TYPE_CHECKING

from .._util import name_of
from ._context import current_runner

if TYPE_CHECKING:
    import contextvars
    from collections.abc import Callable

    from ._run import Runner


class CallbackHandle:
    """A callback waiting in the run queue (see :func:`schedule_callback`).

    Attributes:
        callback: the function.
        args: its positional arguments.
        context: the :class:`contextvars.Context` it runs in.
    """

    __slots__ = ("_cancelled", "_runner", "_when", "args", "callback", "context")

    def __init__(
        self,
        runner: Runner,
        callback: Callable[..., object],
        args: tuple[object, ...],
        context: contextvars.Context | None,
    ) -> None:
        self._runner = runner
        self.callback = callback
        self.args = args
        self.context = context
        self._cancelled = False
        self._when = inf

    def __repr__(self) -> str:
        state = " cancelled" if self._cancelled else ""
        return f"<CallbackHandle {name_of(self.callback)}{state}>"

    def cancel(self) -> None:
        """Don't run the callback (if it has not run yet). Idempotent."""
        if not self._cancelled:
            self._cancelled = True
            if self._when != inf:
                self._runner.deadlines.remove(self._when, self)

    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    def when(self) -> float:
        """The time the callback is due (``inf`` for an immediate one)."""
        return self._when

    def _run(self) -> None:
        if self._cancelled:
            return
        try:
            if self.context is None:
                self.callback(*self.args)
            else:
                self.context.run(self.callback, *self.args)
        except BaseException as exc:
            self._runner.callback_failed(exc, self)

    # Timer protocol, for schedule_callback_at
    def _timer_live(self, deadline: float) -> bool:
        return not self._cancelled and self._when == deadline

    def _timer_fire(self, deadline: float) -> None:
        self._when = inf
        self._runner.runq.append(self)



def schedule_callback(
    callback: Callable[..., object],
    *args: object,
    context: contextvars.Context | None = None,
) -> CallbackHandle:
    """Run ``callback(*args)`` from the run queue, in FIFO order with task steps.

    The callback runs in the next scheduler batch, after everything already
    queued (tasks and callbacks alike), like asyncio's ``call_soon``. It
    runs outside any task. If it raises, the error goes to the handler set
    with :func:`set_callback_error_handler`, or else crashes the run.

    Args:
        context: run the callback in this :class:`contextvars.Context`.

    Returns:
        A :class:`CallbackHandle` whose ``cancel()`` un-schedules it.
    """
    runner = current_runner()
    handle = CallbackHandle(runner, callback, args, context)
    if runner.is_guest and not runner.runq:
        runner.force_guest_tick_asap()
    runner.runq.append(handle)
    return handle


def schedule_callback_at(
    when: float,
    callback: Callable[..., object],
    *args: object,
    context: contextvars.Context | None = None,
) -> CallbackHandle:
    """Like :func:`schedule_callback`, but not before the run's clock reaches
    ``when``. Due callbacks enter the run queue in deadline order (ties in
    the order they were scheduled), after the I/O events of that iteration.
    """
    if isnan(when):
        raise ValueError("when must not be NaN")
    runner = current_runner()
    handle = CallbackHandle(runner, callback, args, context)
    handle._when = when
    runner.deadlines.add(when, handle)
    runner.deadline_changed()
    return handle


def set_callback_error_handler(
    handler: Callable[[BaseException, CallbackHandle], object] | None,
) -> None:
    """Decide what happens when a :func:`schedule_callback` callback raises:
    ``handler(exc, handle)`` is called (``None`` restores the default, which
    crashes the run with :exc:`~tether.TetherInternalError`)."""
    current_runner().callback_error_handler = handler
