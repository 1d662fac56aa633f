"""Exceptions raised by the core runtime."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Literal, TypeAlias

from .._util import NoPublicConstructor, final

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

CancelReasonLiteral: TypeAlias = Literal[
    "KeyboardInterrupt",
    "deadline",
    "explicit",
    "nursery",
    "shutdown",
    "unknown",
]


class TetherInternalError(Exception):
    """Raised by :func:`tether.run` if tether itself hits a bug, or a low-level
    API was misused badly enough that the run cannot go on.

    Trio's name for this class, ``TrioInternalError``, is an alias.
    """


TrioInternalError = TetherInternalError


class RunFinishedError(RuntimeError):
    """Raised by :meth:`TetherToken.run_sync_soon` and friends when the run
    that the token belongs to has already finished."""


class WouldBlock(Exception):
    """Raised by ``X_nowait`` functions if ``X()`` would block."""


@final
class Cancelled(BaseException, metaclass=NoPublicConstructor):
    """Raised by blocking calls when the surrounding cancel scope is cancelled.

    Let it propagate: the cancel scope that caused it catches it. Like
    :exc:`KeyboardInterrupt` it derives from :exc:`BaseException`, so
    ``except Exception:`` does not swallow it.

    You cannot raise it yourself (there is no public constructor); call
    :meth:`CancelScope.cancel` instead.

    Attributes:
        source: Why the cancellation happened: ``"explicit"`` (a call to
            :meth:`CancelScope.cancel`), ``"deadline"``, ``"nursery"`` (a
            sibling task raised), ``"KeyboardInterrupt"``, ``"shutdown"`` or
            ``"unknown"``.
        reason: The string passed to :meth:`CancelScope.cancel`, or a
            description supplied by tether.
        source_task: ``repr()`` of the task that requested the cancellation,
            if known.
    """

    source: CancelReasonLiteral = "unknown"
    source_task: str | None = None
    reason: str | None = None

    def __init__(
        self,
        *,
        source: CancelReasonLiteral = "unknown",
        source_task: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.source_task = source_task
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"cancelled due to {self.source}"
            + ("" if self.reason is None else f" with reason {self.reason!r}")
            + ("" if self.source_task is None else f" from task {self.source_task}")
        )

    def __reduce__(self) -> tuple[Callable[[], Cancelled], tuple[()]]:
        return (
            partial(
                _create_cancelled,
                source=self.source,
                source_task=self.source_task,
                reason=self.reason,
            ),
            (),
        )

    if TYPE_CHECKING:

        @classmethod
        def _create(
            cls,
            *,
            source: CancelReasonLiteral = "unknown",
            source_task: str | None = None,
            reason: str | None = None,
        ) -> Self: ...


def _create_cancelled(
    *,
    source: CancelReasonLiteral = "unknown",
    source_task: str | None = None,
    reason: str | None = None,
) -> Cancelled:
    return Cancelled._create(source=source, source_task=source_task, reason=reason)


class BusyResourceError(Exception):
    """Raised when a task tries to use a resource that another task is
    already using, where that is not allowed (two tasks waiting to read the
    same socket, say)."""


class ClosedResourceError(Exception):
    """Raised when trying to use a resource that has been closed, or that is
    closed while you wait on it."""


class BrokenResourceError(Exception):
    """Raised when a resource breaks in a way that makes it unusable (a
    peer reset a connection, a channel's other end is gone). The
    underlying exception, if any, is the ``__cause__``."""


class EndOfChannel(Exception):
    """Raised by ``receive()`` on a channel whose sending side was closed
    cleanly: there is nothing more to receive."""
