"""``open_tcp_stream``: connect to a host with "happy eyeballs" (RFC 8305).

The resolved addresses are reordered so the first two have different
families (RFC 6555 section 5.4: if IPv6 is broken, the second attempt is
already IPv4). Attempts start one after another; the next one starts as soon
as the previous attempt fails, or after ``happy_eyeballs_delay`` seconds if
it is still pending. The first connection to succeed wins, and the other
attempts are cancelled (a cancelled connect closes its socket). Every socket
that is not returned is closed.
"""

from __future__ import annotations

import socket as _stdlib_socket
from typing import TYPE_CHECKING, Any

from ._core import open_nursery
from ._highlevel_socket import SocketStream
from ._socket import getaddrinfo, socket
from ._sync import Event
from ._timeouts import move_on_after

if TYPE_CHECKING:
    from collections.abc import MutableSequence

    from ._socket import GetAddrInfoEntry, SocketType

DEFAULT_DELAY = 0.250


def reorder_for_rfc_6555_section_5_4(targets: MutableSequence[GetAddrInfoEntry]) -> None:
    """Move the first address of a family other than the first one's into
    second place (in place)."""
    for i in range(1, len(targets)):
        if targets[i][0] != targets[0][0]:
            if i != 1:
                targets.insert(1, targets.pop(i))
            break


def format_host_port(host: str | bytes, port: int | str) -> str:
    """``host:port``, with IPv6 literals in brackets."""
    text = host.decode("ascii") if isinstance(host, bytes) else host
    return f"[{text}]:{port}" if ":" in text else f"{text}:{port}"


def _close_all(sockets: set[SocketType]) -> None:
    errors: list[BaseException] = []
    for sock in sockets:
        try:
            sock.close()
        except BaseException as exc:  # pragma: no cover - close rarely fails
            errors.append(exc)
    if len(errors) == 1:  # pragma: no cover
        raise errors[0]
    if errors:  # pragma: no cover
        raise BaseExceptionGroup("errors while closing sockets", errors)


async def open_tcp_stream(
    host: str | bytes,
    port: int,
    *,
    happy_eyeballs_delay: float | None = DEFAULT_DELAY,
    local_address: str | None = None,
) -> SocketStream:
    """Connect to ``host`` on TCP ``port``, trying its addresses in a staggered race.

    ``host`` is resolved with :func:`tether.socket.getaddrinfo`. If it has
    several addresses, this works through them one at a time, but gets
    impatient: when an attempt has neither succeeded nor failed after
    ``happy_eyeballs_delay`` seconds, the next one starts in parallel
    ("happy eyeballs", RFC 8305/6555). The first connection made wins; the
    other attempts are cancelled and their sockets closed.

    Args:
        host: a host name, or an IPv4 or IPv6 address.
        port: the port to connect to.
        happy_eyeballs_delay: seconds before starting the next attempt while
            one is pending. ``None`` means the default (0.25).
        local_address: the local IP address to connect from (the OS picks
            one if ``None``). An IPv4 local address cannot reach IPv6 hosts,
            and vice versa.

    Returns:
        A :class:`tether.SocketStream` connected to the host.

    Raises:
        OSError: if every attempt failed (the individual errors are in an
            :exc:`ExceptionGroup` as ``__cause__``), or the name resolved to
            nothing.
        socket.gaierror: if the name cannot be resolved.
        TypeError: if ``port`` is not an int.
        ValueError: if ``host`` is not a str or bytes.
    """
    if not isinstance(host, str | bytes):
        raise ValueError(f"host must be str or bytes, not {host!r}")
    if not isinstance(port, int):
        raise TypeError(f"port must be int, not {port!r}")
    if happy_eyeballs_delay is None:
        happy_eyeballs_delay = DEFAULT_DELAY

    targets = await getaddrinfo(host, port, type=_stdlib_socket.SOCK_STREAM)
    if not targets:
        raise OSError(f"no results found for hostname lookup: {format_host_port(host, port)}")
    reorder_for_rfc_6555_section_5_4(targets)

    oserrors: list[OSError] = []
    open_sockets: set[SocketType] = set()
    winner: list[SocketType] = []

    async def attempt(
        family: int, type_: int, proto: int, sockaddr: Any, failed: Event
    ) -> None:
        try:
            sock = socket(family, type_, proto)
            open_sockets.add(sock)
            if local_address is not None:
                # Let connect() pick the port, so many outgoing connections
                # can share one local address (Linux).
                no_port = getattr(_stdlib_socket, "IP_BIND_ADDRESS_NO_PORT", 24)
                try:
                    sock.setsockopt(_stdlib_socket.IPPROTO_IP, no_port, 1)
                except (OSError, AttributeError):
                    pass
                try:
                    await sock.bind((local_address, 0))
                except OSError:
                    raise OSError(
                        f"local_address={local_address!r} is incompatible "
                        f"with remote address {sockaddr!r}"
                    ) from None
            await sock.connect(sockaddr)
            winner.append(sock)
            nursery.cancel_scope.cancel(reason="successfully found a socket")
        except OSError as exc:
            oserrors.append(exc)
            failed.set()

    try:
        async with open_nursery() as nursery:
            for family, type_, proto, _, sockaddr in targets:
                failed = Event()
                nursery.start_soon(attempt, family, type_, proto, sockaddr, failed)
                with move_on_after(happy_eyeballs_delay):
                    await failed.wait()
        if not winner:
            message = f"all attempts to connect to {format_host_port(host, port)} failed"
            raise OSError(message) from ExceptionGroup(message, oserrors)
        sock = winner[0]
        stream = SocketStream(sock)
        open_sockets.discard(sock)
        return stream
    finally:
        _close_all(open_sockets)
