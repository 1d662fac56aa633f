"""Unix-domain stream sockets: ``open_unix_socket`` and (tether only)
``open_unix_listener``."""

from __future__ import annotations

import os
import socket as _stdlib_socket

from ._highlevel_socket import SocketListener, SocketStream
from ._socket import socket

StrOrBytesPath = str | bytes | os.PathLike[str] | os.PathLike[bytes]


async def open_unix_socket(filename: StrOrBytesPath) -> SocketStream:
    """Connect to the Unix-domain socket at ``filename``.

    You need read and write permission on the socket file.

    Returns:
        A :class:`tether.SocketStream` connected to it.

    Raises:
        OSError: if the connection fails (no such file, nobody listening,
            permission denied...).
        RuntimeError: if this platform has no Unix-domain sockets.
    """
    if not hasattr(_stdlib_socket, "AF_UNIX"):  # pragma: no cover
        raise RuntimeError("Unix sockets are not supported on this platform")
    sock = socket(_stdlib_socket.AF_UNIX, _stdlib_socket.SOCK_STREAM)
    try:
        await sock.connect(os.fspath(filename))
    except BaseException:
        sock.close()
        raise
    return SocketStream(sock)


async def open_unix_listener(path: StrOrBytesPath, *, backlog: int | None = None) -> SocketListener:
    """Listen on a Unix-domain stream socket at ``path`` (tether only; Trio
    has no such function).

    The socket file is created by ``bind``; it must not exist yet (a stale
    file gives :exc:`OSError` ``EADDRINUSE``: remove it first if you know it
    is stale). Closing the listener does not remove the file. A path
    starting with a NUL byte names a Linux abstract socket (no file).

    Args:
        path: where to create the socket.
        backlog: the listen backlog; ``None`` means as large as the system
            allows.

    Returns:
        A :class:`tether.SocketListener` whose :meth:`~tether.SocketListener.accept`
        returns :class:`tether.SocketStream` objects.

    Raises:
        OSError: if the socket cannot be created or bound.
    """
    if backlog is not None and not isinstance(backlog, int):
        raise TypeError(f"backlog must be an int or None, not {backlog!r}")
    sock = socket(_stdlib_socket.AF_UNIX, _stdlib_socket.SOCK_STREAM)
    try:
        await sock.bind(os.fspath(path))
        sock.listen(0xFFFF if backlog is None else min(backlog, 0xFFFF))
        return SocketListener(sock)
    except BaseException:
        sock.close()
        raise
