"""TLS over TCP in one call: connect, listen and serve."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, NoReturn

from ._core import TASK_STATUS_IGNORED
from ._highlevel_open_tcp_listeners import open_tcp_listeners
from ._highlevel_open_tcp_stream import DEFAULT_DELAY, open_tcp_stream
from ._highlevel_serve_listeners import serve_listeners
from ._ssl import SSLListener, SSLStream

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ._core import Nursery, TaskStatus
    from ._highlevel_socket import SocketStream


async def open_ssl_over_tcp_stream(
    host: str | bytes,
    port: int,
    *,
    https_compatible: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    happy_eyeballs_delay: float | None = DEFAULT_DELAY,
) -> SSLStream[SocketStream]:
    """Open a TCP connection with :func:`open_tcp_stream` and wrap it in a
    client-side :class:`SSLStream`.

    The handshake is not done here: it happens on first use, or call
    :meth:`SSLStream.do_handshake`.

    Args:
        host: The server to connect to. Its certificate must be valid for
            this name (it is also sent with SNI).
        port: The TCP port.
        https_compatible: See :class:`SSLStream`.
        ssl_context: The context to use. None (the default) means
            :func:`ssl.create_default_context`, which verifies the server's
            certificate against the system's trusted CAs, and its hostname.
        happy_eyeballs_delay: See :func:`open_tcp_stream`.

    Returns:
        The (not yet handshaken) :class:`SSLStream`.
    """
    tcp_stream = await open_tcp_stream(host, port, happy_eyeballs_delay=happy_eyeballs_delay)
    if ssl_context is None:
        ssl_context = ssl.create_default_context()
        # A peer that drops the connection without close_notify must be
        # noticed (see SSLStream's https_compatible), whatever OpenSSL's
        # defaults say.
        if hasattr(ssl, "OP_IGNORE_UNEXPECTED_EOF"):
            ssl_context.options &= ~ssl.OP_IGNORE_UNEXPECTED_EOF
    return SSLStream(
        tcp_stream,
        ssl_context,
        server_hostname=host,
        https_compatible=https_compatible,
    )


async def open_ssl_over_tcp_listeners(
    port: int,
    ssl_context: ssl.SSLContext,
    *,
    host: str | bytes | None = None,
    https_compatible: bool = False,
    backlog: int | None = None,
) -> list[SSLListener[SocketStream]]:
    """Listen for TLS connections over TCP: :func:`open_tcp_listeners`, each
    wrapped in an :class:`SSLListener`.

    Args:
        port: The TCP port (0 lets the kernel choose one).
        ssl_context: The server's context, with its certificate chain loaded.
        host: The address to bind, or None for every local address.
        https_compatible: See :class:`SSLStream`.
        backlog: See :func:`open_tcp_listeners`.

    Returns:
        One :class:`SSLListener` per bound address.
    """
    tcp_listeners = await open_tcp_listeners(port, host=host, backlog=backlog)
    return [
        SSLListener(listener, ssl_context, https_compatible=https_compatible)
        for listener in tcp_listeners
    ]


async def serve_ssl_over_tcp(
    handler: Callable[[SSLStream[SocketStream]], Awaitable[object]],
    port: int,
    ssl_context: ssl.SSLContext,
    *,
    host: str | bytes | None = None,
    https_compatible: bool = False,
    backlog: int | None = None,
    handler_nursery: Nursery | None = None,
    task_status: TaskStatus[list[SSLListener[SocketStream]]] = TASK_STATUS_IGNORED,
) -> NoReturn:
    """Serve TLS over TCP: run ``handler(stream)`` in a new task for every
    connection, until cancelled.

    :func:`open_ssl_over_tcp_listeners` followed by
    :func:`serve_listeners`. With ``await nursery.start(serve_ssl_over_tcp,
    ...)`` you get the listeners back (to learn the port chosen for
    ``port=0``, say). An exception from ``handler`` is not caught: it
    propagates and stops the server, unless ``handler_nursery`` deals with
    it.

    Args:
        handler: Called with each accepted :class:`SSLStream` (not yet
            handshaken).
        port: The TCP port (0 lets the kernel choose one).
        ssl_context: The server's context, with its certificate chain loaded.
        host: The address to bind, or None for every local address.
        https_compatible: See :class:`SSLStream`.
        backlog: See :func:`open_tcp_listeners`.
        handler_nursery: Where to run the handlers; by default, a nursery of
            its own.
        task_status: For :meth:`Nursery.start`.

    Returns:
        Never: it runs until cancelled.
    """
    listeners = await open_ssl_over_tcp_listeners(
        port,
        ssl_context,
        host=host,
        https_compatible=https_compatible,
        backlog=backlog,
    )
    await serve_listeners(
        handler,
        listeners,
        handler_nursery=handler_nursery,
        task_status=task_status,
    )
