"""The I/O functions of :mod:`tether.lowlevel`, bound to the platform's I/O
manager (epoll on Linux; see ``_io_epoll``)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ._context import GLOBAL_RUN_CONTEXT, NOT_IN_RUN_MESSAGE

if TYPE_CHECKING:
    from ._io_epoll import EpollIOManager, FileDescriptorLike

if not sys.platform.startswith("linux") and not hasattr(__import__("select"), "epoll"):
    raise ImportError(  # pragma: no cover
        f"tether does not support this platform yet ({sys.platform}): it needs epoll"
    )


def _io_manager() -> EpollIOManager:
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


def notify_closing(fd: FileDescriptorLike) -> None:
    """Tell tether that ``fd`` is about to be closed.

    Tasks waiting on it wake up with :exc:`~tether.ClosedResourceError`.
    Call this *before* closing the fd.
    """
    _io_manager().notify_closing(fd)
