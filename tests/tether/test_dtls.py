"""DTLS: tether.DTLSEndpoint / DTLSChannel (src/tether/_dtls.py).

Most tests run over real loopback UDP. The ones about loss, duplication,
reordering, MTU limits and timing run over ``FakeNetwork`` (below): an
in-memory UDP network whose routing each test chooses, in virtual time
(``autojump_clock``), so retransmissions happen at exact, checkable times.
Two tests at the end run the same scenarios against Trio's DTLS, and talk to
it over the wire.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import itertools
import math
import queue
import random
import socket as stdlib_socket
import subprocess
import sys
import textwrap
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

import attrs
import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st
from OpenSSL import SSL

import tether
import tether.socket as tsocket
from tether import DTLSChannel, DTLSEndpoint
from tether._dtls import (
    _CookieJar,
    _HandshakeMessage,
    _pack_flight,
    _parse_client_hello,
    _parse_flight,
    _parse_records,
    _PlainRecord,
    _SealedRecord,
)
from tether.lowlevel import ParkingLot, cancel_shielded_checkpoint, checkpoint
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

CA = trustme.CA()
SERVER_CERT = CA.issue_cert("dtls.example")


def server_context(cert: trustme.LeafCert = SERVER_CERT) -> SSL.Context:
    ctx = SSL.Context(SSL.DTLS_METHOD)
    cert.configure_cert(ctx)
    return ctx


def client_context(authority: trustme.CA = CA) -> SSL.Context:
    ctx = SSL.Context(SSL.DTLS_METHOD)
    authority.configure_trust(ctx)
    ctx.set_verify(SSL.VERIFY_PEER)
    return ctx


def udp_endpoint(*, ipv6: bool = False, **kwargs: Any) -> DTLSEndpoint:
    family = tsocket.AF_INET6 if ipv6 else tsocket.AF_INET
    return DTLSEndpoint(tsocket.socket(family, tsocket.SOCK_DGRAM), **kwargs)


async def strict_echo_handler(channel: DTLSChannel) -> None:
    async for message in channel:
        await channel.send(message)


async def echo_handler(channel: DTLSChannel) -> None:
    """Echo until the client replaces the connection or the server closes."""
    with contextlib.suppress(tether.BrokenResourceError, tether.ClosedResourceError):
        await strict_echo_handler(channel)


# --------------------------------------------------------------------------- fake network


@attrs.frozen
class Datagram:
    source: tuple[str, int]
    destination: tuple[str, int]
    payload: bytes


class FakeNetwork:
    """In-memory UDP between ``FakeUDPSocket`` objects.

    Every datagram sent is logged, then handed to ``route``, which by
    default delivers it at once; a test replaces ``route`` to drop, copy,
    delay or inspect datagrams (calling ``deliver`` for those that get
    through).
    """

    def __init__(self) -> None:
        self._sockets: dict[tuple[str, int], FakeUDPSocket] = {}
        self._ports = itertools.count(20000)
        self.log: list[Datagram] = []
        self._endpoints: list[DTLSEndpoint] = []
        self.route: Callable[[Datagram], None] = self.deliver

    def socket(self) -> FakeUDPSocket:
        return FakeUDPSocket(self)

    def endpoint(self, **kwargs: Any) -> DTLSEndpoint:
        endpoint = DTLSEndpoint(self.socket(), **kwargs)
        self._endpoints.append(endpoint)
        return endpoint

    def close_all(self) -> None:
        for endpoint in self._endpoints:
            endpoint.close()

    def deliver(self, datagram: Datagram) -> None:
        target = self._sockets.get(datagram.destination)
        if target is not None:
            target._arrive(datagram)

    def _bind(self, sock: FakeUDPSocket, port: int) -> tuple[str, int]:
        address = ("127.0.0.1", port or next(self._ports))
        if address in self._sockets:
            raise OSError(errno.EADDRINUSE, "address in use")
        self._sockets[address] = sock
        return address

    def _unbind(self, address: tuple[str, int]) -> None:
        self._sockets.pop(address, None)


class FakeUDPSocket(tsocket.SocketType):
    def __init__(self, network: FakeNetwork) -> None:
        super().__init__()
        self._network = network
        self._address: tuple[str, int] | None = None
        self._arrived: deque[Datagram] = deque()
        self._lot = ParkingLot()
        self._closed = False

    @property
    def family(self) -> stdlib_socket.AddressFamily:
        return tsocket.AF_INET

    @property
    def type(self) -> stdlib_socket.SocketKind:
        return tsocket.SOCK_DGRAM

    def getsockname(self) -> tuple[str, int]:
        return self._address or ("0.0.0.0", 0)

    async def bind(self, address: Any) -> None:
        await checkpoint()
        self._address = self._network._bind(self, address[1])

    async def sendto(self, *args: Any) -> int:
        data, address = args[0], args[-1]
        await checkpoint()
        if self._closed:
            raise OSError(errno.EBADF, "closed")
        if self._address is None:
            self._address = self._network._bind(self, 0)
        datagram = Datagram(self._address, address, bytes(data))
        self._network.log.append(datagram)
        self._network.route(datagram)
        return len(data)

    async def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, Any]:
        if self._closed:
            raise OSError(errno.EBADF, "closed")
        await checkpoint()
        while not self._arrived:
            await self._lot.park()
            if self._closed:
                raise tether.ClosedResourceError("socket closed while receiving")
        datagram = self._arrived.popleft()
        await cancel_shielded_checkpoint()
        return datagram.payload, datagram.source

    def _arrive(self, datagram: Datagram) -> None:
        self._arrived.append(datagram)
        self._lot.unpark_all()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._address is not None:
                self._network._unbind(self._address)
            self._lot.unpark_all()


def has_epoch_one_record(payload: bytes) -> bool:
    return any(record.epoch != 0 for record in _parse_records(payload) or [])


# --------------------------------------------------------------------------- servers


async def start_echo_server(
    nursery: tether.Nursery, endpoint: DTLSEndpoint, *, bind: Any = ("127.0.0.1", 0)
) -> Any:
    await endpoint.socket.bind(bind)
    await nursery.start(endpoint.serve, server_context(), echo_handler)
    return endpoint.socket.getsockname()


async def echo_once(channel: DTLSChannel, message: bytes) -> bytes:
    await channel.send(message)
    return await channel.receive()


# --------------------------------------------------------------------------- over loopback


@pytest.mark.parametrize("ipv6", [False, True], ids=["ipv4", "ipv6"])
async def test_handshake_and_echo_over_loopback(ipv6: bool, nursery: tether.Nursery) -> None:
    host = "::1" if ipv6 else "127.0.0.1"
    with udp_endpoint(ipv6=ipv6) as server, udp_endpoint(ipv6=ipv6) as client:
        address = await start_echo_server(nursery, server, bind=(host, 0))
        # A (host, port) pair is enough, for IPv6 too.
        channel = client.connect((host, address[1]), client_context())
        assert channel.endpoint is client
        assert channel.peer_address == address
        with pytest.raises(tether.NeedHandshakeError):
            channel.get_cleartext_mtu()

        await channel.do_handshake()
        await channel.do_handshake()  # a no-op now
        for message in (b"hello", b"x" * 1000, bytes(range(256))):
            assert await echo_once(channel, message) == message
        await channel.send(bytearray(b"bytes-like"))  # type: ignore[arg-type]
        assert await channel.receive() == b"bytes-like"
        assert channel.statistics().incoming_packets_dropped_in_tether == 0

        default_mtu = channel.get_cleartext_mtu()
        assert 1300 < default_mtu < (1452 if ipv6 else 1472)
        channel.set_ciphertext_mtu(1234)
        mtu_1234 = channel.get_cleartext_mtu()
        assert mtu_1234 < 1234
        channel.set_ciphertext_mtu(4321)
        assert channel.get_cleartext_mtu() > mtu_1234
        channel.set_ciphertext_mtu(1234)
        assert channel.get_cleartext_mtu() == mtu_1234


async def test_bad_messages_are_rejected_and_do_not_break_the_channel(
    nursery: tether.Nursery,
) -> None:
    with udp_endpoint() as server, udp_endpoint() as client:
        channel = client.connect(await start_echo_server(nursery, server), client_context())
        with pytest.raises(ValueError, match="empty"):
            await channel.send(b"")
        with pytest.raises(ValueError, match="at most 16384 bytes"):
            await channel.send(b"x" * 16385)
        with pytest.raises(TypeError):
            await channel.send(42)  # type: ignore[arg-type]
        assert await echo_once(channel, b"y" * 16384) == b"y" * 16384
        with pytest.raises(ValueError, match="at least 256"):
            channel.set_ciphertext_mtu(255)
        with pytest.raises(TypeError, match="int"):
            channel.set_ciphertext_mtu(1000.0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="positive"):
            await channel.do_handshake(initial_retransmit_timeout=0)
        with pytest.raises(ValueError, match="positive"):
            await channel.do_handshake(initial_retransmit_timeout=math.inf)


async def test_endpoint_checks_its_arguments() -> None:
    with tsocket.socket() as stream_socket, pytest.raises(ValueError, match="SOCK_DGRAM"):
        DTLSEndpoint(stream_socket)
    with (
        stdlib_socket.socket(type=stdlib_socket.SOCK_DGRAM) as plain,
        pytest.raises(TypeError, match="tether socket"),
    ):
        DTLSEndpoint(plain)  # type: ignore[arg-type]
    for bad, error in ((-1, ValueError), (1.5, TypeError), (None, TypeError), (True, TypeError)):
        with (
            tsocket.socket(type=tsocket.SOCK_DGRAM) as sock,
            pytest.raises(error, match="incoming_packets_buffer"),
        ):
            DTLSEndpoint(sock, incoming_packets_buffer=bad)  # type: ignore[arg-type]
    with udp_endpoint(incoming_packets_buffer=3) as endpoint:
        assert endpoint.incoming_packets_buffer == 3
        assert endpoint.socket.type == tsocket.SOCK_DGRAM
        with pytest.raises(ValueError, match="numeric IP address"):
            endpoint.connect(("localhost", 4433), client_context())
        with pytest.raises(ValueError, match=r"\(host, port\)"):
            endpoint.connect("127.0.0.1:4433", client_context())  # type: ignore[arg-type]
        # Spellings of one address are one peer.
        ctx = client_context()
        assert endpoint.connect(("127.000.000.001", 4433), ctx).peer_address == ("127.0.0.1", 4433)
    with udp_endpoint(ipv6=True) as endpoint:
        ctx = client_context()
        assert endpoint.connect(("0:0::1", 9), ctx).peer_address == ("::1", 9, 0, 0)
        # An IPv4 address on an IPv6 socket arrives IPv4-mapped.
        assert endpoint.connect(("127.0.0.1", 9), ctx).peer_address == (
            "::ffff:127.0.0.1",
            9,
            0,
            0,
        )
    with pytest.raises(TypeError, match="no public constructor"):
        DTLSChannel()  # type: ignore[call-arg]


def test_endpoint_needs_a_run() -> None:
    async def make_socket() -> tsocket.SocketType:
        return tsocket.socket(type=tsocket.SOCK_DGRAM)

    with tether.run(make_socket) as sock, pytest.raises(RuntimeError, match=r"tether\.run"):
        DTLSEndpoint(sock)


async def test_implicit_handshake_and_full_duplex(nursery: tether.Nursery) -> None:
    # send and receive both start the handshake, from two tasks at once, on
    # both sides; only one handshake happens.
    with udp_endpoint() as server, udp_endpoint() as client:
        await server.socket.bind(("127.0.0.1", 0))
        received: dict[str, bytes] = {}
        server_received = tether.Event()

        async def handler(channel: DTLSChannel) -> None:
            async with tether.open_nursery() as inner:
                inner.start_soon(channel.send, b"from server")

                async def receive() -> None:
                    received["server"] = await channel.receive()
                    server_received.set()

                inner.start_soon(receive)

        await nursery.start(server.serve, server_context(), handler)
        channel = client.connect(server.socket.getsockname(), client_context())

        async def receive() -> None:
            received["client"] = await channel.receive()

        async with tether.open_nursery() as inner:
            inner.start_soon(channel.send, b"from client")
            inner.start_soon(receive)
            inner.start_soon(channel.do_handshake)
        with tether.fail_after(10):
            await server_received.wait()
        assert received == {"server": b"from client", "client": b"from server"}


async def test_many_clients_at_once(nursery: tether.Nursery) -> None:
    shared_context = client_context()  # contexts can be shared by connections
    with udp_endpoint() as server:
        address = await start_echo_server(nursery, server)
        results: dict[int, list[bytes]] = {}

        async def client(n: int) -> None:
            with udp_endpoint() as endpoint:
                channel = endpoint.connect(address, shared_context)
                results[n] = [await echo_once(channel, f"{n}-{i}".encode()) for i in range(3)]

        async with tether.open_nursery() as clients:
            for n in range(25):
                clients.start_soon(client, n)
        assert results == {n: [f"{n}-{i}".encode() for i in range(3)] for n in range(25)}


async def test_one_endpoint_talks_to_several_servers(nursery: tether.Nursery) -> None:
    with udp_endpoint() as server1, udp_endpoint() as server2, udp_endpoint() as client:
        address1 = await start_echo_server(nursery, server1)
        address2 = await start_echo_server(nursery, server2)
        channel1 = client.connect(address1, client_context())
        channel2 = client.connect(address2, client_context())
        await channel1.send(b"one")
        await channel2.send(b"two")
        assert await channel2.receive() == b"two"
        assert await channel1.receive() == b"one"


async def test_an_endpoint_can_be_client_and_server(nursery: tether.Nursery) -> None:
    # a and b both serve; b connects to a, then a connects to b. Each
    # endpoint has one association per peer address, so the second
    # connection replaces the first on both sides.
    with udp_endpoint() as a, udp_endpoint() as b:
        await a.socket.bind(("127.0.0.1", 0))
        await b.socket.bind(("127.0.0.1", 0))
        replaced_on_a = tether.Event()

        async def handler_on_a(channel: DTLSChannel) -> None:
            try:
                await strict_echo_handler(channel)
            except tether.BrokenResourceError:
                replaced_on_a.set()

        await nursery.start(a.serve, server_context(), handler_on_a)
        await nursery.start(b.serve, server_context(), echo_handler)

        b_to_a = b.connect(a.socket.getsockname(), client_context())
        assert await echo_once(b_to_a, b"b is the client") == b"b is the client"
        a_to_b = a.connect(b.socket.getsockname(), client_context())
        await a_to_b.do_handshake()
        await replaced_on_a.wait()
        with pytest.raises(tether.BrokenResourceError, match="replaced"):
            await b_to_a.send(b"the association is gone")
        assert await echo_once(a_to_b, b"a is the client") == b"a is the client"


async def test_handler_exceptions_propagate_out_of_serve() -> None:
    class HandlerCrashed(Exception):
        pass

    async def crashing_handler(channel: DTLSChannel, tag: str) -> None:
        assert tag == "extra argument"
        assert await channel.receive() == b"boom"
        raise HandlerCrashed

    with udp_endpoint() as server, udp_endpoint() as client:
        await server.socket.bind(("127.0.0.1", 0))
        with pytest.RaisesGroup(HandlerCrashed, flatten_subgroups=True):
            async with tether.open_nursery() as nursery:
                await nursery.start(
                    server.serve, server_context(), crashing_handler, "extra argument"
                )
                channel = client.connect(server.socket.getsockname(), client_context())
                await channel.send(b"boom")
        # serve has returned, and may be started again on the same endpoint.
        async with tether.open_nursery() as nursery:
            await nursery.start(server.serve, server_context(), echo_handler)
            channel = client.connect(server.socket.getsockname(), client_context())
            assert await echo_once(channel, b"again") == b"again"
            nursery.cancel_scope.cancel()


async def test_failed_verification_breaks_both_sides(nursery: tether.Nursery) -> None:
    # (Trio's DTLS ignores handshake errors and retransmits until cancelled;
    # tether reports them, as its TLS streams do.)
    server_saw: list[BaseException] = []
    server_failed = tether.Event()

    async def handler(channel: DTLSChannel) -> None:
        try:
            await channel.do_handshake()
        except tether.BrokenResourceError as exc:
            server_saw.append(exc)
            server_failed.set()

    with udp_endpoint() as server, udp_endpoint() as client:
        await server.socket.bind(("127.0.0.1", 0))
        await nursery.start(server.serve, server_context(), handler)
        stranger = client.connect(server.socket.getsockname(), client_context(trustme.CA()))
        with pytest.raises(tether.BrokenResourceError) as caught:
            await stranger.do_handshake()
        assert isinstance(caught.value.__cause__, SSL.Error)
        assert "certificate verify failed" in str(caught.value.__cause__)
        # The channel stays broken.
        with pytest.raises(tether.BrokenResourceError):
            await stranger.send(b"x")
        with pytest.raises(tether.BrokenResourceError):
            await stranger.receive()
        # The server got our alert.
        with tether.fail_after(10):
            await server_failed.wait()
        assert isinstance(server_saw[0].__cause__, SSL.Error)


async def test_close_notify_from_the_peer_ends_the_channel(nursery: tether.Nursery) -> None:
    # tether never sends close_notify (over UDP it can be lost anyway), but a
    # peer that does ends our receive() with EndOfChannel, after the data
    # sent before it.
    async def handler(channel: DTLSChannel) -> None:
        await channel.send(await channel.receive())
        channel._ssl.shutdown()  # OpenSSL writes a close_notify alert
        await channel.endpoint._send(channel._take_output(), channel.peer_address)

    with udp_endpoint() as server, udp_endpoint() as client:
        await server.socket.bind(("127.0.0.1", 0))
        await nursery.start(server.serve, server_context(), handler)
        channel = client.connect(server.socket.getsockname(), client_context())
        await channel.send(b"last words")
        assert [message async for message in channel] == [b"last words"]
        with pytest.raises(tether.EndOfChannel):
            await channel.receive()


# --------------------------------------------------------------------------- closing


async def test_closing_a_channel(nursery: tether.Nursery) -> None:
    with udp_endpoint() as server, udp_endpoint() as client:
        address = await start_echo_server(nursery, server)
        channel = client.connect(address, client_context())
        await channel.do_handshake()
        channel.close()
        with pytest.raises(tether.ClosedResourceError):
            await channel.send(b"abc")
        with pytest.raises(tether.ClosedResourceError):
            await channel.receive()
        with pytest.raises(tether.ClosedResourceError):
            await channel.do_handshake()
        channel.close()  # idempotent
        await channel.aclose()

        # A receive blocked when the channel is closed is woken.
        other = client.connect(address, client_context())
        await other.do_handshake()

        async def close_soon() -> None:
            await wait_all_tasks_blocked()
            await other.aclose()

        nursery.start_soon(close_soon)
        with pytest.raises(tether.ClosedResourceError):
            await other.receive()

        # The context managers close too.
        with client.connect(address, client_context()) as third:
            assert await echo_once(third, b"3") == b"3"
        with pytest.raises(tether.ClosedResourceError):
            await third.send(b"x")
        async with client.connect(address, client_context()) as fourth:
            assert await echo_once(fourth, b"4") == b"4"
        with pytest.raises(tether.ClosedResourceError):
            await fourth.receive()


async def test_closing_the_endpoint_closes_everything() -> None:
    async def null_handler(channel: DTLSChannel) -> None:
        raise AssertionError("no connection expected")  # pragma: no cover

    with udp_endpoint() as server1, udp_endpoint() as server2, udp_endpoint() as client:
        async with tether.open_nursery() as nursery:
            address1 = await start_echo_server(nursery, server1)
            address2 = await start_echo_server(nursery, server2)
            channel1 = client.connect(address1, client_context())
            channel2 = client.connect(address2, client_context())
            assert await echo_once(channel1, b"1") == b"1"
            await channel2.do_handshake()

            client.close()
            client.close()  # idempotent
            with pytest.raises(tether.ClosedResourceError):
                await channel1.send(b"x")
            with pytest.raises(tether.ClosedResourceError):
                await channel2.receive()
            with pytest.raises(tether.ClosedResourceError):
                client.connect(address1, client_context())
            with pytest.raises(tether.ClosedResourceError):
                await nursery.start(client.serve, server_context(), null_handler)
            nursery.cancel_scope.cancel()


async def test_serve_returns_when_the_endpoint_closes() -> None:
    with udp_endpoint() as server:
        async with tether.open_nursery() as nursery:
            await start_echo_server(nursery, server)
            server.close()
        # serve returned on its own: the nursery was not cancelled.
        assert not nursery.cancel_scope.cancel_called


async def test_closing_the_endpoint_stops_handlers_blocked_in_receive() -> None:
    with udp_endpoint() as server, udp_endpoint() as client:
        await server.socket.bind(("127.0.0.1", 0))
        with pytest.RaisesGroup(tether.ClosedResourceError, flatten_subgroups=True):
            async with tether.open_nursery() as nursery:
                await nursery.start(server.serve, server_context(), strict_echo_handler)
                address = server.socket.getsockname()
                channel = client.connect(address, client_context())
                assert await echo_once(channel, b"hi") == b"hi"
                await wait_all_tasks_blocked()
                # The echo handler is in receive(); it gets ClosedResourceError,
                # which propagates out of serve.
                server.close()


async def test_double_serve_is_busy(nursery: tether.Nursery) -> None:
    with udp_endpoint() as server:
        await server.socket.bind(("127.0.0.1", 0))
        ctx = server_context()
        async with tether.open_nursery() as inner:
            await inner.start(server.serve, ctx, echo_handler)
            with pytest.raises(tether.BusyResourceError):
                await inner.start(server.serve, ctx, echo_handler)
            inner.cancel_scope.cancel()
        # Serving again afterwards, with the same context, is fine.
        await nursery.start(server.serve, ctx, echo_handler)
        with udp_endpoint() as client:
            channel = client.connect(server.socket.getsockname(), client_context())
            assert await echo_once(channel, b"ok") == b"ok"


async def test_serve_needs_a_context_it_can_configure() -> None:
    ctx = server_context()
    SSL.Connection(ctx)  # pyOpenSSL forbids changes to a context once used
    with udp_endpoint() as server:
        await server.socket.bind(("127.0.0.1", 0))
        with pytest.raises(ValueError, match="context of its own"):
            await server.serve(ctx, echo_handler)


async def test_concurrent_receives_share_the_messages(nursery: tether.Nursery) -> None:
    # As in Trio, receive() may be called from several tasks at once
    # (each message goes to one of them); nothing is busy.
    with udp_endpoint() as server, udp_endpoint() as client:
        address = await start_echo_server(nursery, server)
        channel = client.connect(address, client_context())
        await channel.do_handshake()
        got: list[bytes] = []

        async def receive() -> None:
            got.append(await channel.receive())

        async with tether.open_nursery() as inner:
            inner.start_soon(receive)
            inner.start_soon(receive)
            await wait_all_tasks_blocked()
            await channel.send(b"a")
            await channel.send(b"b")
        assert sorted(got) == [b"a", b"b"]


async def test_unclosed_endpoint_warns_and_its_task_ends() -> None:
    before = tether.lowlevel.current_statistics().tasks_living

    async def make_and_forget() -> int:
        endpoint = udp_endpoint()
        await endpoint.socket.bind(("127.0.0.1", 0))
        endpoint._start_receiving()
        await wait_all_tasks_blocked()
        return tether.lowlevel.current_statistics().tasks_living

    with pytest.warns(ResourceWarning, match="unclosed DTLS endpoint"):  # noqa: PT031
        during = await make_and_forget()
        gc.collect()
    await wait_all_tasks_blocked()
    assert during == before + 1
    assert tether.lowlevel.current_statistics().tasks_living == before


def test_unclosed_endpoint_after_the_run_warns() -> None:
    async def main() -> DTLSEndpoint:
        return udp_endpoint()

    endpoint = tether.run(main)
    with pytest.warns(ResourceWarning, match="unclosed DTLS endpoint"):  # noqa: PT031
        del endpoint
        gc.collect()


async def test_socket_closed_before_the_receive_task_starts() -> None:
    with udp_endpoint() as endpoint:
        endpoint.socket.close()
        endpoint._start_receiving()
        await wait_all_tasks_blocked()


# --------------------------------------------------------------------------- cookies


class RawClient:
    """A pyOpenSSL client driven by hand, to send ClientHellos ourselves."""

    def __init__(self) -> None:
        self.ssl = SSL.Connection(client_context(), None)
        self.ssl.set_connect_state()

    def next_datagram(self, incoming: bytes | None = None) -> bytes:
        if incoming is not None:
            self.ssl.bio_write(incoming)
        with contextlib.suppress(SSL.WantReadError):
            self.ssl.do_handshake()
        return self.ssl.bio_read(65536)


async def test_cookie_exchange_keeps_no_state_until_the_cookie_comes_back(
    nursery: tether.Nursery,
) -> None:
    handled: list[Any] = []

    async def handler(channel: DTLSChannel) -> None:
        handled.append(channel.peer_address)
        with contextlib.suppress(tether.ClosedResourceError):
            await channel.do_handshake()  # never finishes: the client is us

    with (
        udp_endpoint() as server,
        tsocket.socket(type=tsocket.SOCK_DGRAM) as raw,
        tsocket.socket(type=tsocket.SOCK_DGRAM) as other,
    ):
        await server.socket.bind(("127.0.0.1", 0))
        await nursery.start(server.serve, server_context(), handler)
        address = server.socket.getsockname()
        await raw.bind(("127.0.0.1", 0))
        await other.bind(("127.0.0.1", 0))

        client = RawClient()
        hello = client.next_datagram()
        first = _parse_client_hello(hello)
        assert first is not None
        assert (first.record_sequence, first.cookie) == (0, b"")
        # A client that never answers the challenge costs the server nothing.
        for _ in range(3):
            await raw.sendto(hello, address)
            challenge, source = await raw.recvfrom(65536)
            assert source == address
            assert challenge[0] == 22  # handshake record
            assert challenge[13] == 3  # HelloVerifyRequest
            await wait_all_tasks_blocked()
            assert handled == []
            assert len(server._channels) == 0
        cookie = challenge[-32:]

        answer = client.next_datagram(challenge)
        parsed = _parse_client_hello(answer)
        assert parsed is not None
        assert parsed.cookie == cookie

        # The cookie is bound to the address it was sent to.
        await other.sendto(answer, address)
        rechallenge, _ = await other.recvfrom(65536)
        assert rechallenge[13] == 3
        assert rechallenge[-32:] != cookie
        await wait_all_tasks_blocked()
        assert handled == []

        # And to the hello: a modified hello with the cookie is challenged.
        tampered = bytearray(answer)
        tampered[-1] ^= 1
        await raw.sendto(bytes(tampered), address)
        await raw.recvfrom(65536)
        await wait_all_tasks_blocked()
        assert handled == []

        # Echoed from the right address, it creates the connection.
        await raw.sendto(answer, address)
        server_flight, _ = await raw.recvfrom(65536)
        assert server_flight[13] == 2  # ServerHello
        assert handled == [raw.getsockname()]
        # A retransmitted hello does not start a second connection.
        await raw.sendto(answer, address)
        await wait_all_tasks_blocked()
        assert handled == [raw.getsockname()]


async def test_cookies_expire(autojump_clock: MockClock) -> None:
    jar = _CookieJar()
    address = ("127.0.0.1", 5555)
    cookie = jar.issue(address, b"hello")
    assert len(cookie) == 32
    assert jar.issue(address, b"hello") == cookie
    assert jar.accepts(cookie, address, b"hello")
    assert not jar.accepts(cookie, address, b"other hello")
    assert not jar.accepts(cookie, ("127.0.0.1", 5556), b"hello")
    assert not jar.accepts(cookie[:-1], address, b"hello")
    await tether.sleep(29)
    assert jar.accepts(cookie, address, b"hello")
    await tether.sleep(2)  # the secret has been replaced; the old one still counts
    assert jar.issue(address, b"hello") != cookie
    assert jar.accepts(cookie, address, b"hello")
    await tether.sleep(30)
    assert not jar.accepts(cookie, address, b"hello")
    # After a long quiet spell, no old secret survives either.
    fresh = jar.issue(address, b"hello")
    await tether.sleep(1000)
    assert not jar.accepts(fresh, address, b"hello")


async def test_server_survives_garbage(nursery: tether.Nursery) -> None:
    hello = RawClient().next_datagram()
    record_length = int.from_bytes(hello[11:13], "big")
    garbage = [
        b"",
        b"xyz",
        bytes(100),
        hello[:14],  # cut in the handshake header
        hello[:-1],  # short record
        hello[:11] + b"\xff\xff" + hello[13:],  # record length too big
        hello[:13] + hello[13:14] + b"\xff\xff\xff" + hello[17:],  # message length wrong
        hello[:13] + hello[13:19] + b"\x00\x00\x01" + hello[22:],  # fragment offset 1
        hello[:11] + (record_length + 1).to_bytes(2, "big") + hello[13:] + b"\x00",
        hello[:3] + b"\x00\x01" + hello[5:],  # epoch 1
        hello[:13 + 12 + 34] + b"\xff",  # cut in the session id
        bytes([22]) + hello[1:13] + bytes([1]) + bytes(11),  # a ClientHello header only
    ]
    with udp_endpoint() as server, udp_endpoint() as client:
        address = await start_echo_server(nursery, server)
        with tsocket.socket(type=tsocket.SOCK_DGRAM) as raw:
            for datagram in garbage:
                await raw.sendto(datagram, address)
            await wait_all_tasks_blocked()
            assert len(server._channels) == 0
        channel = client.connect(address, client_context())
        assert await echo_once(channel, b"still alive") == b"still alive"
        # Garbage from the peer's address, to an established channel, is
        # skipped too (sent with the server endpoint's own socket).
        for junk in (b"junk", hello[:3] + b"\x00\x01" + hello[5:], bytes(40)):
            await server.socket.sendto(junk, client.socket.getsockname())
        assert await echo_once(channel, b"still alive") == b"still alive"


RAW_HELLO = RawClient().next_datagram()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_parsers_never_raise_on_untrusted_input(data: bytes) -> None:
    _parse_client_hello(data)
    _parse_records(data)
    for cut in {len(data) % len(RAW_HELLO), 13, 25, 60}:
        _parse_client_hello(RAW_HELLO[:cut] + data)


@settings(max_examples=200, deadline=None)
@given(
    bodies=st.lists(st.binary(max_size=3000), min_size=1, max_size=4),
    mtu=st.integers(min_value=256, max_value=1500),
    sealed=st.binary(min_size=1, max_size=64),
)
def test_packed_flights_reassemble(bodies: list[bytes], mtu: int, sealed: bytes) -> None:
    parts: list[Any] = [
        _HandshakeMessage(b"\xfe\xfd", 11 + i, i, bytearray(body)) for i, body in enumerate(bodies)
    ]
    parts.append(_PlainRecord(b"\xfe\xfd", 20, b"\x01"))
    record = b"\x16\xfe\xfd\x00\x01" + bytes(6) + len(sealed).to_bytes(2, "big") + sealed
    parts.append(_SealedRecord(record))
    datagrams, next_number = _pack_flight(parts, mtu, 7)
    assert all(len(d) <= mtu for d in datagrams)
    assert _parse_flight(b"".join(datagrams)) == parts
    # Every unencrypted record got its own, increasing number.
    sequence = [r.sequence for d in datagrams for r in _parse_records(d) or [] if r.epoch == 0]
    assert sequence == list(range(7, next_number))


# --------------------------------------------------------------------------- fake network


@pytest.fixture
async def network() -> AsyncIterator[FakeNetwork]:
    net = FakeNetwork()
    yield net
    net.close_all()


async def fake_echo_server(
    nursery: tether.Nursery, network: FakeNetwork, *, mtu: int | None = None, **kwargs: Any
) -> tuple[DTLSEndpoint, Any]:
    server = network.endpoint()
    await server.socket.bind(("127.0.0.1", 0))

    async def handler(channel: DTLSChannel) -> None:
        if mtu is not None:
            channel.set_ciphertext_mtu(mtu)
        await echo_handler(channel)

    await nursery.start(server.serve, kwargs.get("context") or server_context(), handler)
    return server, server.socket.getsockname()


async def test_handshake_over_a_terrible_network(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    rng = random.Random(1234)
    fates: dict[str, int] = {}

    def route(datagram: Datagram) -> None:
        fate = rng.choices(["deliver", "drop", "duplicate", "delay"], [6, 2, 1, 1])[0]
        fates[fate] = fates.get(fate, 0) + 1
        if fate == "drop":
            return
        if fate == "delay":  # and so reorder

            async def later() -> None:
                await tether.sleep(rng.random() * 3)
                network.deliver(datagram)

            nursery.start_soon(later)
            return
        network.deliver(datagram)
        if fate == "duplicate":
            network.deliver(datagram)

    network.route = route
    server, address = await fake_echo_server(nursery, network)
    with server:
        for n in range(30):
            with network.endpoint() as endpoint:
                channel = endpoint.connect(address, client_context())
                with tether.fail_after(600):
                    await channel.do_handshake()
                message = str(n).encode()
                while True:  # the data may be lost too
                    with tether.move_on_after(10):
                        assert await echo_once(channel, message) == message
                        break
    assert min(fates.values()) > 20, fates


@pytest.mark.parametrize("initial", [1, 2.5, 4])
async def test_retransmission_after_the_initial_timeout(
    initial: float, autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    lost_one = False

    def route(datagram: Datagram) -> None:
        nonlocal lost_one
        if not lost_one:
            lost_one = True  # the first ClientHello
            return
        network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        start = tether.current_time()
        await channel.do_handshake(initial_retransmit_timeout=initial)
        assert tether.current_time() - start == initial


async def test_retransmissions_back_off_up_to_a_minute(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    sent_at: list[float] = []
    black_hole = True

    def route(datagram: Datagram) -> None:
        if datagram.destination == address:
            sent_at.append(tether.current_time())
        if not black_hole:
            network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        with tether.move_on_after(200):
            await channel.do_handshake()
        assert sent_at == [0, 1, 3, 7, 15, 31, 63, 123, 183]
        # Cancelled mid-handshake; carrying on later re-sends at once.
        black_hole = False
        await channel.do_handshake()
        assert tether.current_time() == 200
        assert await echo_once(channel, b"done") == b"done"


def is_client_hello(datagram: Datagram, *, with_cookie: bool) -> bool:
    hello = _parse_client_hello(datagram.payload)
    return hello is not None and bool(hello.cookie) == with_cookie


async def test_client_starts_over_when_its_cookie_expires(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    # Every copy of the hello that carries the cookie is lost until the
    # cookie has expired; the server then challenges it again, and the
    # client, whose OpenSSL would re-send the stale cookie forever,
    # starts over with a new hello.
    _, address = await fake_echo_server(nursery, network)

    def route(datagram: Datagram) -> None:
        if tether.current_time() < 60 and is_client_hello(datagram, with_cookie=True):
            return
        network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        await channel.do_handshake()
        # Retransmissions at 1, 3, 7, 15, 31 and 63 seconds.
        assert tether.current_time() == 63
        assert await echo_once(channel, b"second try") == b"second try"
    first_hellos = [d for d in network.log if is_client_hello(d, with_cookie=False)]
    assert len(first_hellos) == 2


async def test_late_copy_of_the_challenge_is_ignored(
    network: FakeNetwork, nursery: tether.Nursery
) -> None:
    # A duplicate HelloVerifyRequest that arrives after the client answered
    # the first one is not a new challenge: the handshake just goes on.
    _, address = await fake_echo_server(nursery, network)
    challenges: list[Datagram] = []

    def route(datagram: Datagram) -> None:
        if datagram.source == address and datagram.payload[13] == 3:
            challenges.append(datagram)
        if is_client_hello(datagram, with_cookie=True):
            network.deliver(challenges[0])  # the late copy, first
        network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        assert await echo_once(channel, b"once") == b"once"
    assert len([d for d in network.log if is_client_hello(d, with_cookie=False)]) == 1
    assert len(challenges) == 1


async def test_late_duplicate_hellos_start_and_replace_nothing(
    network: FakeNetwork, nursery: tether.Nursery
) -> None:
    # A copy of a cookie-carrying hello that arrives after its connection
    # ended (or was replaced) is still within its cookie's lifetime, but
    # must not start a handler, nor replace the newer connection.
    started: list[DTLSChannel] = []

    async def handler(channel: DTLSChannel) -> None:
        started.append(channel)
        if len(started) == 1:
            await channel.send(await channel.receive())  # then return (and close)
        else:
            await echo_handler(channel)

    server = network.endpoint()
    await server.socket.bind(("127.0.0.1", 0))
    await nursery.start(server.serve, server_context(), handler)
    address = server.socket.getsockname()
    hellos: list[Datagram] = []

    def route(datagram: Datagram) -> None:
        if is_client_hello(datagram, with_cookie=True):
            hellos.append(datagram)
        network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        first = client.connect(address, client_context())
        assert await echo_once(first, b"1") == b"1"
        await wait_all_tasks_blocked()  # the first handler has returned
        network.deliver(hellos[0])
        await wait_all_tasks_blocked()
        assert len(started) == 1

        second = client.connect(address, client_context())
        assert await echo_once(second, b"2") == b"2"
        third = client.connect(address, client_context())  # replaces the second
        assert await echo_once(third, b"3") == b"3"
        network.deliver(hellos[1])  # the second's hello, late
        await wait_all_tasks_blocked()
        assert len(started) == 3
        assert await echo_once(third, b"still 3") == b"still 3"


async def test_serve_needs_a_bound_socket(network: FakeNetwork) -> None:
    class UnboundSocket(FakeUDPSocket):
        def getsockname(self) -> tuple[str, int]:
            raise OSError(errno.EINVAL, "not bound")

    with (
        DTLSEndpoint(UnboundSocket(network)) as server,
        pytest.raises(RuntimeError, match="bind"),
    ):
        await server.serve(server_context(), echo_handler)


async def test_lost_final_flight_is_resent(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    # The server's last flight (ChangeCipherSpec + Finished) is lost: the
    # server thinks it is done, the client retransmits, and the server's
    # endpoint answers with the last flight again.
    _, address = await fake_echo_server(nursery, network)
    dropped: list[Datagram] = []

    def route(datagram: Datagram) -> None:
        if datagram.source == address and has_epoch_one_record(datagram.payload) and not dropped:
            dropped.append(datagram)
            return
        network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        await channel.do_handshake()
        assert dropped
        assert tether.current_time() == 1
        assert await echo_once(channel, b"hi") == b"hi"


async def test_connecting_to_a_non_server_times_out(
    autojump_clock: MockClock, network: FakeNetwork
) -> None:
    with network.endpoint() as quiet, network.endpoint() as client:
        await quiet.socket.bind(("127.0.0.1", 0))
        quiet._start_receiving()  # reads its socket but does not serve
        channel = client.connect(quiet.socket.getsockname(), client_context())
        with tether.move_on_after(100) as scope:
            await channel.do_handshake()
        assert scope.cancelled_caught


async def test_small_explicit_mtu_fragments_a_big_handshake(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    # An RSA certificate chain with two intermediate CAs makes the server's
    # first flight about three kilobytes long.
    rsa_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    intermediate = rsa_ca.create_child_ca().create_child_ca()
    context = server_context(intermediate.issue_cert("dtls.example"))
    mtu = 300
    _, address = await fake_echo_server(nursery, network, mtu=mtu, context=context)
    with network.endpoint() as client:
        channel = client.connect(address, client_context(rsa_ca))
        channel.set_ciphertext_mtu(mtu)
        assert await echo_once(channel, b"small packets") == b"small packets"
    from_server = [d for d in network.log if d.source == address]
    assert sum(len(d.payload) for d in from_server) > 2500
    assert len(from_server) > 10
    assert all(len(d.payload) <= mtu for d in network.log)
    assert tether.current_time() == 0  # nothing was lost, nothing retransmitted


async def test_handshake_finds_the_minimum_mtu(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    # The path drops datagrams over 548 bytes (IPv4's guaranteed minimum);
    # after two timeouts the handshake falls back to that size.
    rsa_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    context = server_context(rsa_ca.create_child_ca().issue_cert("dtls.example"))
    _, address = await fake_echo_server(nursery, network, context=context)
    too_big: list[int] = []

    def route(datagram: Datagram) -> None:
        if len(datagram.payload) > 548:
            too_big.append(len(datagram.payload))
        else:
            network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context(rsa_ca))
        channel.set_ciphertext_mtu(9000)
        assert await echo_once(channel, b"through") == b"through"
        # The user's MTU still governs the data.
        assert channel.get_cleartext_mtu() > 8000
    assert too_big
    assert 0 < tether.current_time() < 60


@pytest.mark.parametrize("buffer_size", [1, 10, 20])
async def test_incoming_queue_overflow_is_counted(
    buffer_size: int, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    with network.endpoint(incoming_packets_buffer=buffer_size) as client:
        channel = client.connect(address, client_context())
        await channel.do_handshake()
        for i in range(buffer_size + 15):
            await channel.send(str(i).encode())
            await wait_all_tasks_blocked()  # the echo has arrived
        statistics = channel.statistics()
        assert statistics.incoming_packets_dropped_in_tether == 15
        assert statistics.incoming_packets_dropped_in_trio == 15
        for i in range(buffer_size):
            assert await channel.receive() == str(i).encode()
        assert await echo_once(channel, b"room again") == b"room again"
        assert channel.statistics().incoming_packets_dropped_in_tether == 15


async def test_a_zero_sized_buffer_only_passes_datagrams_to_a_waiting_receiver(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    with network.endpoint(incoming_packets_buffer=0) as client:
        channel = client.connect(address, client_context())
        await channel.do_handshake()  # receives while it waits, so it works
        dropped = channel.statistics().incoming_packets_dropped_in_tether
        await channel.send(b"nobody waiting")
        await wait_all_tasks_blocked()
        assert channel.statistics().incoming_packets_dropped_in_tether == dropped + 1
        got: list[bytes] = []

        async def receive() -> None:
            got.append(await channel.receive())

        async with tether.open_nursery() as inner:
            inner.start_soon(receive)
            await wait_all_tasks_blocked()
            await channel.send(b"somebody waiting")
        assert got == [b"somebody waiting"]


# --------------------------------------------------------------------------- cancellation


async def test_cancelled_receive_loses_nothing(
    network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        await channel.do_handshake()
        with tether.move_on_after(5) as scope:
            scope.cancel()
            await channel.receive()
        async with tether.open_nursery() as inner:
            inner.start_soon(channel.receive)
            await wait_all_tasks_blocked()
            inner.cancel_scope.cancel()
        await channel.send(b"kept")
        assert await channel.receive() == b"kept"


async def test_cancelled_handshake_can_be_resumed(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    # Deliver the server's first flight only after the client gave up once.
    held: list[Datagram] = []
    holding = True

    def route(datagram: Datagram) -> None:
        if holding and datagram.source == address and datagram.payload[13] == 2:  # ServerHello
            held.append(datagram)
        else:
            network.deliver(datagram)

    network.route = route
    with network.endpoint() as client:
        channel = client.connect(address, client_context())
        with tether.move_on_after(0.5):
            await channel.do_handshake()
        assert held
        holding = False
        with pytest.raises(tether.NeedHandshakeError):
            channel.get_cleartext_mtu()
        # What arrives meanwhile waits in the channel's queue; resuming
        # re-sends the current flight (the server ignores that copy of its
        # ClientHello) and carries on with the queued answer.
        for datagram in held:
            network.deliver(datagram)
        await channel.do_handshake()
        assert tether.current_time() == 0.5
        assert await echo_once(channel, b"resumed") == b"resumed"


async def test_client_gives_up_and_reconnects(
    autojump_clock: MockClock, network: FakeNetwork
) -> None:
    # The client abandons a handshake after the server's handler started,
    # then connects again from the same address: the first server channel
    # is replaced (BrokenResourceError) and a second handler serves.
    outcomes: list[str] = []
    with network.endpoint() as server, network.endpoint() as client:
        await server.socket.bind(("127.0.0.1", 0))
        address = server.socket.getsockname()
        give_up = tether.CancelScope()

        async def handler(channel: DTLSChannel) -> None:
            if not outcomes:
                outcomes.append("first")
                give_up.cancel()
                await tether.sleep(0.5)
                try:
                    await channel.do_handshake()
                except tether.BrokenResourceError as exc:
                    outcomes.append(f"first broken: {exc}")
            else:
                outcomes.append("second")
                await channel.send(b"hello")

        async with tether.open_nursery() as nursery:
            await nursery.start(server.serve, server_context(), handler)
            with give_up:
                await client.connect(address, client_context()).do_handshake()
            channel = client.connect(address, client_context())
            assert await channel.receive() == b"hello"
            await tether.sleep(10)
            nursery.cancel_scope.cancel()
    assert outcomes == [
        "first",
        "second",
        "first broken: the peer started a new DTLS connection, which replaced this one",
    ] or outcomes == [
        "first",
        "first broken: the peer started a new DTLS connection, which replaced this one",
        "second",
    ]


async def test_reconnecting_replaces_the_old_channel(
    autojump_clock: MockClock, network: FakeNetwork, nursery: tether.Nursery
) -> None:
    _, address = await fake_echo_server(nursery, network)
    with network.endpoint() as client:
        # Replaced before the handshake: no datagram is sent for it.
        first = client.connect(address, client_context())
        second = client.connect(address, client_context())
        with pytest.raises(tether.BrokenResourceError, match="replaced"):
            await first.do_handshake()
        assert network.log == []
        # Replaced during the handshake.
        network.route = lambda datagram: None
        doomed: list[BaseException] = []

        async def handshake() -> None:
            try:
                await second.do_handshake()
            except tether.BrokenResourceError as exc:
                doomed.append(exc)

        async with tether.open_nursery() as inner:
            inner.start_soon(handshake)
            await tether.sleep(10)
            network.route = network.deliver
            third = client.connect(address, client_context())
        assert len(doomed) == 1
        assert await echo_once(third, b"third") == b"third"
        # Replaced after the handshake: queued data can still be read.
        await third.send(b"queued")
        await wait_all_tasks_blocked()
        fourth = client.connect(address, client_context())
        assert await third.receive() == b"queued"
        with pytest.raises(tether.BrokenResourceError):
            await third.receive()
        with pytest.raises(tether.BrokenResourceError):
            await third.send(b"x")
        assert await echo_once(fourth, b"fourth") == b"fourth"


# --------------------------------------------------------------------------- without pyOpenSSL


def test_import_works_without_pyopenssl_and_endpoint_says_what_to_install() -> None:
    program = textwrap.dedent(
        """
        import sys

        class HideOpenSSL:
            def find_spec(self, name, path=None, target=None):
                if name == "OpenSSL" or name.startswith("OpenSSL."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
                return None

        sys.meta_path.insert(0, HideOpenSSL())
        import tether
        import tether.socket

        assert "OpenSSL" not in sys.modules
        assert tether.DTLSEndpoint and tether.DTLSChannel and tether.DTLSChannelStatistics

        async def main():
            with tether.socket.socket(type=tether.socket.SOCK_DGRAM) as sock:
                try:
                    tether.DTLSEndpoint(sock)
                except ImportError as exc:
                    print(exc)

        tether.run(main)
        """
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", program],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert 'pip install "tether[dtls]"' in result.stdout


# --------------------------------------------------------------------------- against Trio


async def scenario(lib: Any) -> list[object]:
    """Observable behaviour of a DTLS library, over loopback (run with
    tether and with Trio, which must agree)."""
    seen: list[object] = []

    def outcome(fn: Callable[[], object]) -> object:
        try:
            return fn()
        except Exception as exc:
            return type(exc).__name__

    async def async_outcome(fn: Callable[[], Awaitable[object]]) -> object:
        try:
            return await fn()
        except Exception as exc:
            return type(exc).__name__

    def endpoint(**kwargs: Any) -> Any:
        return lib.DTLSEndpoint(lib.socket.socket(type=lib.socket.SOCK_DGRAM), **kwargs)

    async def handler(channel: Any) -> None:
        with contextlib.suppress(lib.BrokenResourceError, lib.ClosedResourceError):
            await strict_echo_handler(channel)

    with lib.socket.socket() as stream_socket:
        seen.append(outcome(lambda: lib.DTLSEndpoint(stream_socket)))
    with endpoint() as server, endpoint(incoming_packets_buffer=7) as client:
        seen.append(client.incoming_packets_buffer)
        await server.socket.bind(("127.0.0.1", 0))
        address = server.socket.getsockname()
        async with lib.open_nursery() as nursery:
            await nursery.start(server.serve, server_context(), handler)
            seen.append(
                await async_outcome(lambda: nursery.start(server.serve, server_context(), handler))
            )
            channel = client.connect(address, client_context())
            seen.append(outcome(channel.get_cleartext_mtu))
            async with lib.open_nursery() as inner:
                inner.start_soon(channel.do_handshake)
                inner.start_soon(channel.do_handshake)
            seen.append(await echo_once(channel, b"ping"))
            seen.append(await async_outcome(lambda: channel.send(b"")))
            channel.set_ciphertext_mtu(1234)
            seen.append(channel.get_cleartext_mtu())
            seen.append(channel.statistics().incoming_packets_dropped_in_trio)
            seen.append(channel.peer_address == address)
            replacement = client.connect(address, client_context())
            seen.append(await async_outcome(lambda: channel.send(b"x")))
            seen.append(await echo_once(replacement, b"pong"))
            replacement.close()
            seen.append(await async_outcome(lambda: replacement.send(b"x")))
            seen.append(await async_outcome(replacement.receive))
            client.close()
            seen.append(outcome(lambda: client.connect(address, client_context())))
            server.close()
    return seen


def test_same_observable_behaviour_as_trio() -> None:
    import trio

    on_tether = tether.run(scenario, tether)
    on_trio = trio.run(scenario, trio)
    assert on_tether == on_trio
    assert on_tether[0] == "ValueError"
    assert on_tether[2] == "BusyResourceError"


def _trio_echo_server(ready: queue.Queue[Any]) -> None:
    import trio

    async def main() -> None:
        with trio.CancelScope() as scope:
            sock = trio.socket.socket(type=trio.socket.SOCK_DGRAM)
            with trio.DTLSEndpoint(sock) as server:
                await sock.bind(("127.0.0.1", 0))
                async with trio.open_nursery() as nursery:
                    await nursery.start(server.serve, server_context(), echo_handler)
                    ready.put((sock.getsockname(), trio.lowlevel.current_trio_token(), scope))
                    await trio.sleep_forever()

    trio.run(main)


def _trio_echo_client(address: Any, messages: list[bytes]) -> list[bytes]:
    import trio

    async def main() -> list[bytes]:
        with trio.fail_after(30), trio.DTLSEndpoint(
            trio.socket.socket(type=trio.socket.SOCK_DGRAM)
        ) as client:
            channel = client.connect(address, client_context())
            return [await echo_once(channel, message) for message in messages]  # type: ignore[arg-type]

    return trio.run(main)


async def test_tether_client_with_trio_server() -> None:
    ready: queue.Queue[Any] = queue.Queue()
    thread = threading.Thread(target=_trio_echo_server, args=(ready,))
    thread.start()
    address, token, scope = await tether.to_thread.run_sync(ready.get, True, 30)
    try:
        with udp_endpoint() as client:
            channel = client.connect(address, client_context())
            with tether.fail_after(30):
                for message in (b"to trio", b"z" * 5000):
                    assert await echo_once(channel, message) == message
    finally:
        token.run_sync_soon(scope.cancel)
        await tether.to_thread.run_sync(thread.join, 30)
    assert not thread.is_alive()


async def test_trio_client_with_tether_server(nursery: tether.Nursery) -> None:
    with udp_endpoint() as server:
        address = await start_echo_server(nursery, server)
        messages = [b"from trio", b"w" * 5000]
        assert await tether.to_thread.run_sync(_trio_echo_client, address, messages) == messages

