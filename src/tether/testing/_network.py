"""Connecting to a listener under test."""

from __future__ import annotations

import socket as stdlib_socket
from typing import TYPE_CHECKING

from .._highlevel_open_tcp_stream import open_tcp_stream
from .._highlevel_open_unix_stream import open_unix_socket

if TYPE_CHECKING:
    from .._highlevel_socket import SocketListener, SocketStream


async def open_stream_to_socket_listener(socket_listener: SocketListener) -> SocketStream:
    """Connect to ``socket_listener`` and return the client's stream.

    Handy in tests: open a listener on port 0, then connect to whatever
    address it got. A listener bound to a wildcard address (``0.0.0.0`` or
    ``::``) is reached through the matching loopback address.

    Raises:
        ValueError: if the listener's socket family is not IPv4, IPv6 or Unix.
    """
    family = socket_listener.socket.family
    sockaddr = socket_listener.socket.getsockname()
    if family in (stdlib_socket.AF_INET, stdlib_socket.AF_INET6):
        host, port = sockaddr[:2]
        if host == "0.0.0.0":
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return await open_tcp_stream(host, port)
    if hasattr(stdlib_socket, "AF_UNIX") and family == stdlib_socket.AF_UNIX:
        return await open_unix_socket(sockaddr)
    raise ValueError(f"unknown socket family: {family!r}")
