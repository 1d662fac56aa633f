"""Plain callbacks in the run queue: the hook behind asyncio's ``call_soon`` and ``call_at``.

A :class:`CallbackHandle` sits in the same FIFO run queue as task steps, so
callbacks and tasks interleave in exactly the order they were scheduled. A
timed callback waits in the run's timer heap until due, then joins the
queue after that iteration's I/O wake-ups, as asyncio's timers do.
"""

from __future__ import annotations

from heapq import heappush
from math import inf, isnan
from typing import TYPE_CHECKING

from .._util import name_of
from ._context import GLOBAL_RUN_CONTEXT, NOT_IN_RUN_MESSAGE, current_runner

if TYPE_CHECKING:
    import contextvars
    from collections.abc import Callable

    from ._run import Runner


def _dropped(*args: object) -> None:
    """A cancelled handle's callback (it never runs)."""


class CallbackHandle:
    """A callback waiting in the run queue (see :func:`schedule_callback`).

    Attributes:
        callback: the function (once the handle is cancelled, a function
            that does nothing: see :meth:`cancel`).
        args: its positional arguments (``()`` once cancelled).
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
        if self._cancelled:
            return "<CallbackHandle cancelled>"
        return f"<CallbackHandle {name_of(self.callback)}>"

    def cancel(self) -> None:
        """Don't run the callback (if it has not run yet). Idempotent.

        As asyncio's ``Handle.cancel()``, this lets go of the callback and
        its arguments (a cancelled timer may wait in the run's timer heap
        until its deadline, and should keep nothing alive meanwhile).
        """
        if not self._cancelled:
            self._cancelled = True
            self.callback = _dropped
            self.args = ()
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


_new_handle = object.__new__


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
    try:  # (current_runner(), inlined)
        runner = GLOBAL_RUN_CONTEXT.runner
    except AttributeError:
        raise RuntimeError(NOT_IN_RUN_MESSAGE) from None
    # (CallbackHandle(runner, callback, args, context) without the __init__
    # call: asyncio's call_soon and every done callback come through here.)
    handle = _new_handle(CallbackHandle)
    handle._runner = runner
    handle.callback = callback
    handle.args = args
    handle.context = context
    handle._cancelled = False
    handle._when = inf
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
    # (A float that is not NaN passes without a call; isnan() refuses
    # anything but a real number with a TypeError.)
    if (type(when) is not float or when != when) and isnan(when):
        raise ValueError("when must not be NaN")
    try:  # (current_runner(), inlined)
        runner = GLOBAL_RUN_CONTEXT.runner
    except AttributeError:
        raise RuntimeError(NOT_IN_RUN_MESSAGE) from None
    # (CallbackHandle(...) without the __init__ call, then Deadlines.add()
    # and Runner.deadline_changed(), inlined: every asyncio-style timer
    # comes through here.)
    handle = _new_handle(CallbackHandle)
    handle._runner = runner
    handle.callback = callback
    handle.args = args
    handle.context = context
    handle._cancelled = False
    handle._when = when
    deadlines = runner.deadlines
    deadlines._seq += 1
    heappush(deadlines._heap, (when, deadlines._seq, handle))
    deadlines._active += 1
    if runner.is_guest:
        runner.force_guest_tick_asap()
    return handle


def set_callback_error_handler(
    handler: Callable[[BaseException, CallbackHandle], object] | None,
) -> None:
    """Decide what happens when a :func:`schedule_callback` callback raises:
    ``handler(exc, handle)`` is called (``None`` restores the default, which
    crashes the run with :exc:`~tether.TetherInternalError`)."""
    current_runner().callback_error_handler = handler
