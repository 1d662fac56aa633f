"""The I/O functions of :mod:`tether.lowlevel`, bound to the platform's I/O
manager (epoll on Linux; see ``_io_epoll``)."""

from __future__ import annotations

import select
import sys
from typing import TYPE_CHECKING

from ._context import GLOBAL_RUN_CONTEXT, NOT_IN_RUN_MESSAGE

if TYPE_CHECKING:
    import contextvars
    from collections.abc import Callable

    from ._io_epoll import FileDescriptorLike, ReadinessWatch

# The platform's I/O manager, bound once: epoll on Linux, kqueue on macOS
# and the BSDs; anything else gets a plain error at import.
if hasattr(select, "epoll"):
    from ._io_epoll import EpollIOManager as TheIOManager
elif hasattr(select, "kqueue"):  # pragma: no cover - not on the machines tested
    from ._io_kqueue import (  # type: ignore[attr-defined, no-redef]
        KqueueIOManager as TheIOManager,
    )
else:  # pragma: no cover
    raise ImportError(
        f"tether does not support this platform ({sys.platform}): it needs epoll "
        "(Linux) or kqueue (macOS, BSD)"
    )


__all__ = ["TheIOManager", "notify_closing", "wait_readable", "wait_writable"]


def _io_manager() -> TheIOManager:
    try:
        return GLOBAL_RUN_CONTEXT.runner.io_manager
    except AttributeError:
        raise RuntimeError(NOT_IN_RUN_MESSAGE) from None


async def wait_readable(fd: FileDescriptorLike) -> None:
    """Block until the given file descriptor (or socket) is readable.

    Only one task at a time may wait to read any given fd.

    Raises:
        tether.BusyResourceError: if another task is already waiting to read it.
        tether.ClosedResourceError: if :func:`notify_closing` is called on
            it while we wait.
    """
    await _io_manager().wait_readable(fd)


async def wait_writable(fd: FileDescriptorLike) -> None:
    """Block until the given file descriptor (or socket) is writable.

    Raises:
        tether.BusyResourceError: if another task is already waiting to write it.
        tether.ClosedResourceError: if :func:`notify_closing` is called on
            it while we wait.
    """
    await _io_manager().wait_writable(fd)


def watch_readable(
    fd: FileDescriptorLike,
    callback: Callable[..., object],
    *args: object,
    context: contextvars.Context | None = None,
) -> ReadinessWatch:
    """Call ``callback(*args)`` whenever ``fd`` is readable, until cancelled.

    A *persistent*, level-triggered watch: the fd stays registered with the
    kernel between events, so there is no system call per event (unlike
    :func:`wait_readable`, which arms the fd for a single wake-up). In each
    loop iteration in which the fd is readable, the callback joins the run
    queue, in FIFO order with tasks and with
    :func:`schedule_callback` callbacks. This is what an event-loop facade's
    ``add_reader`` needs.

    Args:
        context: the :class:`contextvars.Context` to run the callback in.

    Returns:
        A :class:`ReadinessWatch`; call its ``cancel()`` to stop.

    Raises:
        tether.BusyResourceError: if the fd already has a watch or a task
            waiting for it to be readable.
        OSError: if the fd cannot be watched (a regular file, a closed fd).
    """
    return _io_manager().watch(fd, True, callback, args, context)


def watch_writable(
    fd: FileDescriptorLike,
    callback: Callable[..., object],
    *args: object,
    context: contextvars.Context | None = None,
) -> ReadinessWatch:
    """Like :func:`watch_readable`, for writability (an ``add_writer``)."""
    return _io_manager().watch(fd, False, callback, args, context)


def notify_closing(fd: FileDescriptorLike) -> None:
    """Tell tether that ``fd`` is about to be closed.

    Tasks waiting on it wake up with :exc:`~tether.ClosedResourceError`,
    and its persistent watches end.
    Call this *before* closing the fd.
    """
    _io_manager().notify_closing(fd)
