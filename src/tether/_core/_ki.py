"""KeyboardInterrupt (Ctrl-C) handling.

Theory of operation
-------------------
A SIGINT can arrive between any two bytecodes. Raising KeyboardInterrupt at
an arbitrary point is fine in user code (that is what Python always does) but
fatal inside the scheduler, which would be left with corrupt state. So each
piece of code is either *protected* or *unprotected*:

* The run loop, the nursery and cancel-scope machinery, and anything
  decorated with :func:`enable_ki_protection` are protected.
* User tasks are unprotected; system tasks are protected.

Protection is a property of *code objects*, recorded in a weak mapping, so
it costs nothing at run time: only the signal handler pays for the lookup,
by walking the interrupted frame's ``f_back`` chain until it finds a code
object with a recorded status, or reaches the root frame of the current task
(whose status then decides), or runs off the stack (protected: we are in the
run loop itself).

When the handler fires in unprotected code it raises KeyboardInterrupt right
there, exactly as plain Python would. In protected code it sets the run's
``ki_pending`` flag and wakes the loop; the loop then delivers
KeyboardInterrupt to the main task at its next checkpoint (or at once, if it
is blocked), even inside a shielded scope. If the main task has already
finished, :func:`tether.run` raises KeyboardInterrupt when it returns.

Two rejected alternatives: marking protection in frame locals (Trio's old
way) costs a dict write for every spawned task and does not work for code
objects shared by many functions; blocking the signal with
``pthread_sigmask`` around protected regions costs two syscalls per task step.
"""

from __future__ import annotations

import signal
import sys
import weakref
from typing import TYPE_CHECKING, Protocol, TypeVar

from .._util import is_main_thread
from ._context import GLOBAL_RUN_CONTEXT

if TYPE_CHECKING:
    import types
    from collections.abc import Callable

_CODE_KI_PROTECTION: weakref.WeakKeyDictionary[types.CodeType, bool] = (
    weakref.WeakKeyDictionary()
)


class _SupportsCode(Protocol):
    __code__: types.CodeType


F = TypeVar("F", bound=_SupportsCode)


def enable_ki_protection(fn: F, /) -> F:
    """Decorator: protect ``fn`` (and what it calls, unless they opt out) from
    KeyboardInterrupt.

    Works on plain functions, async functions, generators and async
    generators. A KeyboardInterrupt that arrives while protected code runs is
    delivered later, at the main task's next checkpoint.
    """
    _CODE_KI_PROTECTION[_code_of(fn)] = True
    return fn


def disable_ki_protection(fn: F, /) -> F:
    """Decorator: make ``fn`` interruptible by KeyboardInterrupt again, even
    when called from protected code."""
    _CODE_KI_PROTECTION[_code_of(fn)] = False
    return fn


def _code_of(fn: _SupportsCode) -> types.CodeType:
    try:
        return fn.__code__
    except AttributeError:
        raise TypeError(
            f"KI protection can only be set on Python functions, not {fn!r}"
        ) from None


def ki_protection_enabled(frame: types.FrameType | None) -> bool:
    """Whether code running in ``frame`` is protected (see the module docs)."""
    try:
        task = GLOBAL_RUN_CONTEXT.task
    except AttributeError:
        task_frame = None
        task_protected = False
    else:
        task_frame = getattr(task.coro, "cr_frame", None)
        task_protected = task._system
    while frame is not None:
        status = _CODE_KI_PROTECTION.get(frame.f_code)
        if status is not None:
            return status
        if frame.f_code.co_name == "__del__":
            return True
        if frame is task_frame:
            return task_protected
        frame = frame.f_back
    return True


def currently_ki_protected() -> bool:
    """Whether the calling code is protected from KeyboardInterrupt.

    Useful in assertions and tests; see :func:`enable_ki_protection`.
    """
    return ki_protection_enabled(sys._getframe(1))


class KIManager:
    """Installs tether's SIGINT handler for the duration of a run, and puts
    back the previous one afterwards."""

    __slots__ = ("_handler", "_previous")

    def __init__(self) -> None:
        self._handler: Callable[[int, types.FrameType | None], None] | None = None
        self._previous: object = None

    def install(
        self,
        deliver_cb: Callable[[], None],
        restrict_keyboard_interrupt_to_checkpoints: bool,
    ) -> None:
        # Only the main thread gets signals, and we only take over SIGINT
        # if nobody else has customised it.
        if not is_main_thread():
            return
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return

        def handler(signum: int, frame: types.FrameType | None) -> None:
            if not restrict_keyboard_interrupt_to_checkpoints and not ki_protection_enabled(
                frame
            ):
                raise KeyboardInterrupt
            deliver_cb()

        self._previous = signal.signal(signal.SIGINT, handler)
        self._handler = handler

    def close(self) -> None:
        if self._handler is not None:
            if signal.getsignal(signal.SIGINT) is self._handler:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            self._handler = None
