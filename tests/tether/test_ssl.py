from __future__ import annotations

import ssl
from functools import partial
from typing import TYPE_CHECKING

import pytest

import tether
from tether.testing import (
    assert_checkpoints,
    check_two_way_stream,
    lockstep_stream_pair,
    memory_stream_pair,
    wait_all_tasks_blocked,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from tether.abc import Stream

trustme = pytest.importorskip("trustme")

CA = trustme.CA()
SERVER_CERT = CA.issue_cert("tether-test.example.org")


def server_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    SERVER_CERT.configure_cert(ctx)
    return ctx


def client_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    CA.configure_trust(ctx)
    return ctx


def ssl_pair(
    make_pair: Callable[[], tuple[Stream, Stream]] = memory_stream_pair,
    *,
    hostname: str = "tether-test.example.org",
    client_ctx: ssl.SSLContext | None = None,
    server_ctx: ssl.SSLContext | None = None,
    https_compatible: bool = False,
) -> tuple[tether.SSLStream[Stream], tether.SSLStream[Stream]]:
    client_transport, server_transport = make_pair()
    client = tether.SSLStream(
        client_transport,
        client_ctx or client_context(),
        server_hostname=hostname,
        https_compatible=https_compatible,
    )
    server = tether.SSLStream(
        server_transport,
        server_ctx or server_context(),
        server_side=True,
        https_compatible=https_compatible,
    )
    return client, server


async def test_handshake_and_echo_over_memory_streams() -> None:
    client, server = ssl_pair()

    async def serve() -> None:
        data = await server.receive_some()
        await server.send_all(data.upper())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(serve)
        await client.send_all(b"hello")
        assert await client.receive_some() == b"HELLO"
    assert client.version() in ("TLSv1.2", "TLSv1.3")
    assert client.getpeercert() is not None
    assert client.server_hostname == "tether-test.example.org"
    assert not client.server_side
    assert server.server_side
    assert "cipher" in dir(client)
    await client.aclose()
    assert await server.receive_some() == b""
    await server.aclose()


async def test_receive_some_returns_every_record_already_received() -> None:
    # 40,000 bytes are three TLS records; once they have all arrived, one
    # receive_some() returns them together (up to max_bytes), as asyncio's
    # SSL transport hands them to its protocol in one data_received().
    client, server = ssl_pair()
    payload = bytes(range(256)) * 157 + b"end"  # 40,195 bytes
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        await server.do_handshake()
    await server.send_all(payload)
    await server.aclose()  # close_notify right behind the data
    assert await client.receive_some(100_000) == payload
    assert await client.receive_some(100_000) == b""

    client, server = ssl_pair()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        await server.do_handshake()
    await server.send_all(payload)
    # max_bytes still bounds it; the rest needs no new transport data.
    first = await client.receive_some(20_000)
    assert first == payload[:20_000]
    with tether.testing.assert_checkpoints():
        rest = await client.receive_some(100_000)
    assert first + rest == payload
    await server.aclose()
    await client.aclose()


@pytest.mark.parametrize("pair", [memory_stream_pair, lockstep_stream_pair])
async def test_explicit_handshake(pair: Callable[[], tuple[Stream, Stream]]) -> None:
    client, server = ssl_pair(pair)
    with pytest.raises(tether.NeedHandshakeError):
        client.cipher()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(server.do_handshake)
    assert client.cipher() == server.cipher()
    # Later calls are just checkpoints.
    with assert_checkpoints():
        await client.do_handshake()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.send_all, b"x")
        assert await server.receive_some(1) == b"x"


async def test_concurrent_do_handshake_calls_share_one_handshake() -> None:
    client, server = ssl_pair()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(server.do_handshake)
    assert client.version() is not None


async def test_alpn() -> None:
    client_ctx = client_context()
    client_ctx.set_alpn_protocols(["h2", "http/1.1"])
    server_ctx = server_context()
    server_ctx.set_alpn_protocols(["http/1.1"])
    client, server = ssl_pair(client_ctx=client_ctx, server_ctx=server_ctx)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(server.do_handshake)
    assert client.selected_alpn_protocol() == "http/1.1"
    assert server.selected_alpn_protocol() == "http/1.1"


async def test_untrusted_certificate_breaks_the_stream() -> None:
    other_ca = trustme.CA()
    client_ctx = ssl.create_default_context()
    other_ca.configure_trust(client_ctx)
    client, server = ssl_pair(client_ctx=client_ctx)

    async def server_side() -> None:
        with pytest.raises(tether.BrokenResourceError):
            await server.do_handshake()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(server_side)
        with pytest.raises(tether.BrokenResourceError) as info:
            await client.do_handshake()
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
        await client.aclose()  # a broken stream closes its transport
    # Broken for good.
    with pytest.raises(tether.ClosedResourceError):
        await client.send_all(b"x")


async def test_wrong_hostname_breaks_the_stream() -> None:
    client, server = ssl_pair(hostname="not-the-server.example.org")

    async def server_side() -> None:
        with pytest.raises(tether.BrokenResourceError):
            await server.do_handshake()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(server_side)
        with pytest.raises(tether.BrokenResourceError) as info:
            await client.send_all(b"x")
        assert isinstance(info.value.__cause__, ssl.SSLError)
        assert "match" in str(info.value.__cause__) or "mismatch" in str(info.value.__cause__)
        with pytest.raises(tether.BrokenResourceError):
            await client.receive_some()
        await client.aclose()


async def test_cancel_mid_handshake_breaks_the_stream() -> None:
    client, _server = ssl_pair()
    with tether.CancelScope() as scope:

        async def cancel_when_stuck() -> None:
            await wait_all_tasks_blocked()  # the client waits for the server
            scope.cancel()

        async with tether.open_nursery() as nursery:
            nursery.start_soon(cancel_when_stuck)
            await client.do_handshake()
    assert scope.cancelled_caught
    with pytest.raises(tether.BrokenResourceError):
        await client.send_all(b"x")
    with pytest.raises(tether.BrokenResourceError):
        await client.do_handshake()
    await client.aclose()
    with pytest.raises(tether.ClosedResourceError):
        await client.receive_some()


async def test_concurrent_senders_and_receivers_are_busy() -> None:
    client, _server = ssl_pair(lockstep_stream_pair)
    with pytest.RaisesGroup(tether.BusyResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.send_all, b"x")
            nursery.start_soon(client.send_all, b"y")
    client, _server = ssl_pair()
    with pytest.RaisesGroup(tether.BusyResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.receive_some)
            nursery.start_soon(client.receive_some)
    client, _server = ssl_pair()
    with pytest.RaisesGroup(tether.BusyResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.receive_some)
            nursery.start_soon(client.unwrap)


async def test_full_duplex_send_and_receive_in_two_tasks() -> None:
    client, server = ssl_pair(lockstep_stream_pair)

    async def echo() -> None:
        async for chunk in server:
            await server.send_all(chunk)
        await server.aclose()

    got = bytearray()

    async def collect() -> None:
        while len(got) < 3000:
            got.extend(await client.receive_some())

    async def send() -> None:
        for _ in range(3):
            await client.send_all(b"z" * 1000)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(echo)
        nursery.start_soon(send)
        await collect()
        await client.aclose()
    assert got == b"z" * 3000


async def test_unwrap() -> None:
    client, server = ssl_pair()

    async def server_side() -> None:
        assert await server.receive_some() == b"secret"
        transport, trailing = await server.unwrap()
        data = trailing or await transport.receive_some()
        assert data == b"plain"
        await transport.send_all(b"plain back")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(server_side)
        await client.send_all(b"secret")
        transport, trailing = await client.unwrap()
        assert trailing == b""
        assert client.transport_stream is None
        await transport.send_all(b"plain")
        assert await transport.receive_some() == b"plain back"
    with pytest.raises(tether.ClosedResourceError):
        await client.send_all(b"x")


async def test_close_notify_and_truncation() -> None:
    # Standard mode: the peer's aclose sends close_notify -> b"".
    client, server = ssl_pair()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(server.do_handshake)
    await client.aclose()
    assert await server.receive_some() == b""
    await server.aclose()

    # A transport that just ends is a possible truncation attack.
    client, server = ssl_pair()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(server.do_handshake)
    await client.transport_stream.aclose()
    with pytest.raises(tether.BrokenResourceError):
        await server.receive_some()


async def test_https_compatible_skips_close_notify() -> None:
    client, server = ssl_pair(https_compatible=True)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.do_handshake)
        nursery.start_soon(server.do_handshake)
    await client.send_all(b"body")
    await client.aclose()  # no close_notify: just closes the transport
    assert await server.receive_some() == b"body"
    assert await server.receive_some() == b""
    await server.aclose()


async def test_https_compatible_eof_during_handshake_is_eof() -> None:
    client, server = ssl_pair(https_compatible=True)
    await client.transport_stream.aclose()
    assert await server.receive_some() == b""


async def test_attribute_passthrough() -> None:
    client, _ = ssl_pair()
    assert client.context is not None
    assert client.pending() == 0
    with pytest.raises(AttributeError):
        _ = client.no_such_attribute
    with pytest.raises(TypeError, match="SSLSession"):
        client.session = None  # forwarded to the SSLObject, which checks it


async def test_stream_contract_over_memory_streams() -> None:
    async def make() -> tuple[Stream, Stream]:
        return ssl_pair()

    async def make_clogged() -> tuple[Stream, Stream]:
        client, server = ssl_pair(lockstep_stream_pair)
        # Handshake first, so that the lockstep transport is what clogs.
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.do_handshake)
            nursery.start_soon(server.do_handshake)
        return client, server

    await check_two_way_stream(make, make_clogged)


async def test_listener() -> None:
    class OneConnection(tether.abc.Listener[tether.abc.Stream]):
        def __init__(self, stream: Stream) -> None:
            self.stream = stream
            self.closed = False

        async def accept(self) -> Stream:
            return self.stream

        async def aclose(self) -> None:
            self.closed = True

    client_transport, server_transport = memory_stream_pair()
    transport_listener = OneConnection(server_transport)
    listener = tether.SSLListener(transport_listener, server_context())
    assert listener.transport_listener is transport_listener
    client = tether.SSLStream(
        client_transport, client_context(), server_hostname="tether-test.example.org"
    )
    server = await listener.accept()
    assert server.server_side
    async with tether.open_nursery() as nursery:
        nursery.start_soon(client.send_all, b"over the listener")
        assert await server.receive_some() == b"over the listener"
    await listener.aclose()
    assert transport_listener.closed


# ---------------------------------------------------------------- over TCP


def ip_server_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    CA.issue_cert("127.0.0.1").configure_cert(ctx)
    return ctx


async def test_serve_ssl_over_tcp() -> None:
    async def handler(stream: tether.SSLStream[tether.SocketStream]) -> None:
        data = await stream.receive_some()
        await stream.send_all(b"echo: " + data)
        await stream.aclose()

    async with tether.open_nursery() as nursery:
        listeners = await nursery.start(
            partial(tether.serve_ssl_over_tcp, host="127.0.0.1"), handler, 0, ip_server_context()
        )
        port = listeners[0].transport_listener.socket.getsockname()[1]
        stream = await tether.open_ssl_over_tcp_stream(
            "127.0.0.1", port, ssl_context=client_context()
        )
        assert isinstance(stream.transport_stream, tether.SocketStream)
        await stream.send_all(b"hi")
        assert await stream.receive_some() == b"echo: hi"
        assert await stream.receive_some() == b""
        await stream.aclose()
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize("use_default_context", [False, True])
async def test_open_ssl_over_tcp_stream_verifies_the_server(use_default_context: bool) -> None:
    # SERVER_CERT is for tether-test.example.org, not 127.0.0.1 (a hostname
    # mismatch); the default context does not trust the test CA at all.
    async def handler(stream: tether.SSLStream[tether.SocketStream]) -> None:
        with pytest.raises(tether.BrokenResourceError):
            await stream.do_handshake()

    async with tether.open_nursery() as nursery:
        listeners = await nursery.start(
            partial(tether.serve_ssl_over_tcp, host="127.0.0.1"), handler, 0, server_context()
        )
        port = listeners[0].transport_listener.socket.getsockname()[1]
        stream = await tether.open_ssl_over_tcp_stream(
            "127.0.0.1", port, ssl_context=None if use_default_context else client_context()
        )
        with pytest.raises(tether.BrokenResourceError) as info:
            await stream.do_handshake()
        assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)
        await stream.aclose()
        nursery.cancel_scope.cancel()


async def test_open_ssl_over_tcp_listeners() -> None:
    listeners = await tether.open_ssl_over_tcp_listeners(0, ip_server_context(), host="127.0.0.1")
    assert len(listeners) == 1
    listener = listeners[0]
    assert isinstance(listener, tether.SSLListener)
    assert isinstance(listener.transport_listener, tether.SocketListener)
    port = listener.transport_listener.socket.getsockname()[1]

    async def serve_one() -> None:
        server = await listener.accept()
        assert await server.receive_some() == b"over tcp"
        await server.send_all(b"ok")
        await server.aclose()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(serve_one)
        client = await tether.open_ssl_over_tcp_stream(
            "127.0.0.1", port, ssl_context=client_context()
        )
        await client.send_all(b"over tcp")
        assert await client.receive_some() == b"ok"
        assert await client.receive_some() == b""
        await client.aclose()
    await listener.aclose()


def test_public_module() -> None:
    assert tether.SSLStream.__module__ == "tether"
    assert tether.SSLListener.__module__ == "tether"
