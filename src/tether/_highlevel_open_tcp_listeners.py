"""``open_tcp_listeners`` and ``serve_tcp``."""

from __future__ import annotations

import errno
import socket as _stdlib_socket
from typing import TYPE_CHECKING

from ._core import TASK_STATUS_IGNORED
from ._highlevel_serve_listeners import serve_listeners
from ._highlevel_socket import SocketListener
from ._socket import getaddrinfo, socket

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._core import Nursery, TaskStatus
    from ._highlevel_socket import SocketStream


def _compute_backlog(backlog: int | None) -> int:
    if backlog is not None and not isinstance(backlog, int):
        raise TypeError(f"backlog must be an int or None, not {backlog!r}")
    # The kernel caps the value at its own maximum (somaxconn).
    return 0xFFFF if backlog is None else min(backlog, 0xFFFF)


async def open_tcp_listeners(
    port: int, *, host: str | bytes | None = None, backlog: int | None = None
) -> list[SocketListener]:
    """Open listening TCP sockets on ``port``, one per address of ``host``.

    Args:
        port: the port to listen on; 0 lets the kernel pick a free one
            (separately for each address, so with ``host=None`` the IPv4 and
            IPv6 listeners usually get different ports).
        host: the local address or name to bind to. ``None`` (the default)
            binds the wildcard addresses of IPv4 (``0.0.0.0``) and IPv6
            (``::``); pass ``"0.0.0.0"`` or ``"::"`` for one family only.
        backlog: the listen backlog; ``None`` means as large as the system
            allows.

    Returns:
        A list of :class:`tether.SocketListener`. IPv6 sockets are
        ``IPV6_V6ONLY``, and every socket has ``SO_REUSEADDR``.

    Raises:
        TypeError: if ``port`` or ``backlog`` has the wrong type.
        OSError: if binding fails, or no address family of ``host`` is
            supported here (``EAFNOSUPPORT``).
    """
    if not isinstance(port, int):
        raise TypeError(f"port must be an int not {port!r}")
    computed_backlog = _compute_backlog(backlog)
    addresses = await getaddrinfo(
        host, port, type=_stdlib_socket.SOCK_STREAM, flags=_stdlib_socket.AI_PASSIVE
    )
    listeners: list[SocketListener] = []
    unsupported: list[OSError] = []
    try:
        for family, type_, proto, _, sockaddr in addresses:
            try:
                sock = socket(family, type_, proto)
            except OSError as exc:
                if exc.errno == errno.EAFNOSUPPORT:
                    unsupported.append(exc)
                    continue
                raise
            try:
                sock.setsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_REUSEADDR, 1)
                if family == _stdlib_socket.AF_INET6:
                    sock.setsockopt(_stdlib_socket.IPPROTO_IPV6, _stdlib_socket.IPV6_V6ONLY, 1)
                await sock.bind(sockaddr)
                sock.listen(computed_backlog)
                listeners.append(SocketListener(sock))
            except BaseException:
                sock.close()
                raise
    except BaseException:
        for listener in listeners:
            listener.socket.close()
        raise
    if unsupported and not listeners:
        message = "this system supports none of the socket families that address could use"
        raise OSError(errno.EAFNOSUPPORT, message) from ExceptionGroup(message, unsupported)
    return listeners


async def serve_tcp(
    handler: Callable[[SocketStream], Awaitable[object]],
    port: int,
    *,
    host: str | bytes | None = None,
    backlog: int | None = None,
    handler_nursery: Nursery | None = None,
    task_status: TaskStatus[list[SocketListener]] = TASK_STATUS_IGNORED,
) -> None:
    """Listen for TCP connections and run ``handler(stream)`` in a new task
    for each one: :func:`open_tcp_listeners` plus :func:`serve_listeners`.

    Use it with :meth:`Nursery.start <tether.Nursery.start>` to get the
    listeners once they accept connections (to learn the port when it was
    0)::

        listeners = await nursery.start(tether.serve_tcp, handler, 0)
        port = listeners[0].socket.getsockname()[1]

    An exception escaping ``handler`` crashes the server, unless
    ``handler_nursery`` deals with it.

    Args:
        handler: an async function called with each :class:`tether.SocketStream`;
            the stream is closed when it returns.
        port: the port (0 for any free one).
        host: the address to bind to (``None``: all, IPv4 and IPv6).
        backlog: the listen backlog (``None``: the system's maximum).
        handler_nursery: where to run the handlers (default: an internal
            nursery).
        task_status: for :meth:`Nursery.start <tether.Nursery.start>`,
            which returns the list of :class:`tether.SocketListener`.

    Returns:
        Never, unless cancelled.
    """
    listeners = await open_tcp_listeners(port, host=host, backlog=backlog)
    await serve_listeners(
        handler, listeners, handler_nursery=handler_nursery, task_status=task_status
    )
