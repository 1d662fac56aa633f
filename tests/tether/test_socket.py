"""tether.socket: the socket objects, resolution and the namespace."""

from __future__ import annotations

import errno
import os
import socket as stdlib_socket
from typing import TYPE_CHECKING, Any

import pytest

import tether
import tether.socket as tsocket
from tether.abc import HostnameResolver, SocketFactory
from tether.testing import assert_checkpoints, wait_all_tasks_blocked

if TYPE_CHECKING:
    from pathlib import Path


def _has_ipv6() -> bool:
    try:
        with stdlib_socket.socket(stdlib_socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


HAS_IPV6 = _has_ipv6()


# -- the namespace ---------------------------------------------------------------------


def test_namespace_matches_trio_socket() -> None:
    trio_socket = pytest.importorskip("trio.socket")

    def names(mod: Any) -> set[str]:
        return {
            n for n in dir(mod) if n[0] not in "_@" and n != "annotations"
        }

    assert names(tsocket) == names(trio_socket)
    for name in names(tsocket):
        if name.isupper():
            assert getattr(tsocket, name) == getattr(trio_socket, name), name
    assert tsocket.gaierror is stdlib_socket.gaierror
    assert tsocket.inet_pton is stdlib_socket.inet_pton


def test_socket_type_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        tsocket.SocketType()
    assert tsocket.SocketType.__module__ == "tether.socket"


def test_from_stdlib_socket_rejects_subclasses() -> None:
    class Sub(stdlib_socket.socket):
        pass

    with Sub() as sock, pytest.raises(TypeError):
        tsocket.from_stdlib_socket(sock)


async def test_socket_close_outside_blocking_and_repr() -> None:
    sock = tsocket.socket()
    assert "tether.socket.socket" in repr(sock)
    assert sock.family == tsocket.AF_INET
    assert sock.type == tsocket.SOCK_STREAM
    with sock:
        assert sock.fileno() >= 0
    assert sock.fileno() == -1
    sock.close()  # idempotent


# -- resolution ------------------------------------------------------------------------


class RecordingResolver(HostnameResolver):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def getaddrinfo(
        self,
        host: bytes | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, Any, int, str, tuple[str, int] | tuple[str, int, int, int]]]:
        self.calls.append((host, port, family, type, proto, flags))
        return [(tsocket.AF_INET, tsocket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]

    async def getnameinfo(
        self, sockaddr: tuple[str, int] | tuple[str, int, int, int], flags: int
    ) -> tuple[str, str]:
        self.calls.append(("nameinfo", sockaddr, flags))
        return ("example", "http")


async def test_getaddrinfo_numeric_is_inline_and_names_use_the_resolver() -> None:
    resolver = RecordingResolver()
    assert tsocket.set_custom_hostname_resolver(resolver) is None
    try:
        with assert_checkpoints():
            result = await tsocket.getaddrinfo("127.0.0.1", 80, type=tsocket.SOCK_STREAM)
        assert result[0][-1] == ("127.0.0.1", 80)
        assert resolver.calls == []  # numeric: no resolver, no thread
        await tsocket.getaddrinfo("::1", "80", family=tsocket.AF_INET6)
        assert resolver.calls == []
        await tsocket.getaddrinfo("straße.de", 80)
        await tsocket.getaddrinfo("ÉXAMPLE.com", 80)
        await tsocket.getaddrinfo("example.com", 80)
        hosts = [call[0] for call in resolver.calls]
        # IDNA 2008 (ß kept, not mapped to "ss"); names arrive as bytes.
        assert hosts == [b"xn--strae-oqa.de", b"xn--xample-9ua.com", b"example.com"]
        assert await tsocket.getnameinfo(("127.0.0.1", 80), 0) == ("example", "http")
    finally:
        assert tsocket.set_custom_hostname_resolver(None) is resolver


async def test_getaddrinfo_errors_and_threads() -> None:
    with pytest.raises(tsocket.gaierror):
        await tsocket.getaddrinfo("127.0.0.1", "no-such-service-xyz", flags=tsocket.AI_NUMERICSERV)
    result = await tsocket.getaddrinfo("localhost", 80, family=tsocket.AF_INET)
    assert ("127.0.0.1", 80) in [entry[-1] for entry in result]
    assert await tsocket.getprotobyname("tcp") == 6
    host, port = await tsocket.getnameinfo(
        ("127.0.0.1", 80), tsocket.NI_NUMERICHOST | tsocket.NI_NUMERICSERV
    )
    assert (host, port) == ("127.0.0.1", "80")


async def test_getaddrinfo_cancelled_while_resolving() -> None:
    with tether.move_on_after(10) as scope:
        scope.cancel()
        await tsocket.getaddrinfo("localhost", 80)
    assert scope.cancelled_caught


# -- socket factory --------------------------------------------------------------------


async def test_custom_socket_factory() -> None:
    made: list[tuple[int | None, int | None, int | None]] = []

    class Factory(SocketFactory):
        def socket(
            self, family: int | None = None, type: int | None = None, proto: int | None = None
        ) -> tsocket.SocketType:
            made.append((family, type, proto))
            return tsocket.from_stdlib_socket(stdlib_socket.socket())

    factory = Factory()
    assert tsocket.set_custom_socket_factory(factory) is None
    try:
        with tsocket.socket(tsocket.AF_INET, tsocket.SOCK_DGRAM) as sock:
            assert sock.type == tsocket.SOCK_STREAM  # the factory's choice
        assert made == [(tsocket.AF_INET, tsocket.SOCK_DGRAM, 0)]
    finally:
        assert tsocket.set_custom_socket_factory(None) is factory


# -- stream sockets --------------------------------------------------------------------


async def test_socketpair_send_recv_are_checkpoints() -> None:
    a, b = tsocket.socketpair()
    with a, b:
        with assert_checkpoints():
            assert await a.send(b"xyz") == 3
        with assert_checkpoints():
            assert await b.recv(10) == b"xyz"
        buf = bytearray(4)
        await a.send(b"abcd")
        assert await b.recv_into(buf) == 4
        assert buf == b"abcd"
        await a.sendmsg([b"12", b"34"])
        data, ancdata, _flags, _addr = await b.recvmsg(10)
        assert (data, ancdata) == (b"1234", [])
        assert not b.is_readable()
        await a.send(b"!")
        assert b.is_readable()
        a.shutdown(tsocket.SHUT_WR)
        assert a.did_shutdown_SHUT_WR
        assert await b.recv(10) == b"!"
        assert await b.recv(10) == b""


async def test_recv_blocks_then_wakes() -> None:
    a, b = tsocket.socketpair()
    with a, b:
        got: list[bytes] = []
        async with tether.open_nursery() as nursery:

            async def reader() -> None:
                got.append(await b.recv(10))

            nursery.start_soon(reader)
            await wait_all_tasks_blocked()
            assert got == []
            await a.send(b"late")
        assert got == [b"late"]


async def test_recv_cancelled() -> None:
    a, b = tsocket.socketpair()
    with a, b:
        async with tether.open_nursery() as nursery:

            async def reader() -> None:
                await b.recv(10)

            nursery.start_soon(reader)
            await wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()
        assert nursery.cancel_scope.cancelled_caught
        # The socket still works afterwards.
        await a.send(b"ok")
        assert await b.recv(10) == b"ok"


async def test_close_under_a_waiter() -> None:
    a, b = tsocket.socketpair()
    with a:
        async with tether.open_nursery() as nursery:

            async def reader() -> None:
                with pytest.raises(tether.ClosedResourceError):
                    await b.recv(10)

            nursery.start_soon(reader)
            await wait_all_tasks_blocked()
            b.close()


async def test_two_readers_busy() -> None:
    a, b = tsocket.socketpair()
    with a, b:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(b.recv, 10)
            await wait_all_tasks_blocked()
            with pytest.raises(tether.BusyResourceError):
                await b.recv(10)
            nursery.cancel_scope.cancel()


async def test_accept_before_listen_fails_at_once() -> None:
    with tsocket.socket() as sock:
        await sock.bind(("127.0.0.1", 0))
        with pytest.raises(OSError, match="Invalid argument"):
            await sock.accept()


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
async def test_tcp_connect_accept(family: str) -> None:
    if family == "ipv6" and not HAS_IPV6:
        pytest.skip("this machine has no IPv6 loopback")
    fam, host = (
        (tsocket.AF_INET, "127.0.0.1") if family == "ipv4" else (tsocket.AF_INET6, "::1")
    )
    with tsocket.socket(fam) as listener, tsocket.socket(fam) as client:
        await listener.bind((host, 0))
        listener.listen(10)
        port = listener.getsockname()[1]
        await client.connect((host, port))
        server, address = await listener.accept()
        with server:
            assert address[:2] == client.getsockname()[:2]
            assert server.getpeername()[:2] == client.getsockname()[:2]
            await client.send(b"hi")
            assert await server.recv(2) == b"hi"


async def test_bind_resolves_names() -> None:
    with tsocket.socket() as sock:
        await sock.bind(("localhost", 0))
        assert sock.getsockname()[0] == "127.0.0.1"
    with tsocket.socket() as sock:
        await sock.bind(("", 0))
        assert sock.getsockname()[0] == "0.0.0.0"
    with tsocket.socket() as sock, pytest.raises(ValueError, match="tuple"):
        await sock.bind("127.0.0.1")


async def test_connect_refused() -> None:
    with tsocket.socket() as probe:
        await probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        # Bound but not listening: connections are refused.
        with tsocket.socket() as client, pytest.raises(ConnectionRefusedError) as info:
            await client.connect(("127.0.0.1", port))
        assert info.value.errno == errno.ECONNREFUSED


async def test_cancelled_connect_closes_the_socket() -> None:
    with tsocket.socket() as listener:
        await listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = tsocket.socket()
        with tether.CancelScope() as scope:
            scope.cancel()
            await client.connect(listener.getsockname())
        assert scope.cancelled_caught
        assert client.fileno() == -1


async def test_udp_sendto_recvfrom() -> None:
    with (
        tsocket.socket(type=tsocket.SOCK_DGRAM) as server,
        tsocket.socket(type=tsocket.SOCK_DGRAM) as client,
    ):
        await server.bind(("127.0.0.1", 0))
        await client.bind(("127.0.0.1", 0))
        address = server.getsockname()
        assert await client.sendto(b"ping", address) == 4
        data, sender = await server.recvfrom(100)
        assert (data, sender) == (b"ping", client.getsockname())
        await server.sendto(b"pong", 0, ("localhost", client.getsockname()[1]))
        buf = bytearray(10)
        nbytes, sender = await client.recvfrom_into(buf)
        assert (bytes(buf[:nbytes]), sender) == (b"pong", address)
        await client.sendmsg([b"m"], [], 0, address)
        assert (await server.recv(10)) == b"m"
        with pytest.raises(TypeError):
            await client.sendto(b"x")  # type: ignore[call-overload]


async def test_udp_ipv6() -> None:
    if not HAS_IPV6:
        pytest.skip("this machine has no IPv6 loopback")
    with tsocket.socket(tsocket.AF_INET6, tsocket.SOCK_DGRAM) as sock:
        await sock.bind(("::1", 0))
        await sock.sendto(b"self", sock.getsockname())
        data, sender = await sock.recvfrom(10)
        assert data == b"self"
        assert sender[:2] == sock.getsockname()[:2]


async def test_unix_bind_and_fromfd(tmp_path: Path) -> None:
    path = str(tmp_path / "sock")
    with tsocket.socket(tsocket.AF_UNIX) as listener:
        await listener.bind(path)
        listener.listen(1)
        assert listener.getsockname() == path
        dup = tsocket.fromfd(listener.fileno(), tsocket.AF_INET, tsocket.SOCK_DGRAM)
        with dup:
            assert dup.family == tsocket.AF_UNIX
            assert dup.type == tsocket.SOCK_STREAM
        raw = os.dup(listener.fileno())
        with tsocket.socket(fileno=raw) as wrapped:
            assert wrapped.family == tsocket.AF_UNIX
        with listener.dup() as other:
            assert other.fileno() != listener.fileno()


async def test_sockopts_and_inheritable() -> None:
    with tsocket.socket() as sock:
        sock.setsockopt(tsocket.SOL_SOCKET, tsocket.SO_REUSEADDR, 1)
        assert sock.getsockopt(tsocket.SOL_SOCKET, tsocket.SO_REUSEADDR) == 1
        assert len(sock.getsockopt(tsocket.SOL_SOCKET, tsocket.SO_LINGER, 8)) == 8
        with pytest.raises(TypeError):
            sock.setsockopt(tsocket.SOL_SOCKET, tsocket.SO_REUSEADDR, 1, 4)  # type: ignore[call-overload]
        assert not sock.get_inheritable()
        sock.set_inheritable(True)
        assert sock.get_inheritable()
        assert sock.proto == 0


async def test_wait_writable() -> None:
    a, b = tsocket.socketpair()
    with a, b:
        await a.wait_writable()
        b.close()
        with pytest.raises(BrokenPipeError):
            await a.send(b"x" * 10)
