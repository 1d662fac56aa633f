"""The facade's TLS connections move their bytes over a socket layer of their
own (``_TLSSocket``), not over :class:`tether.SocketStream`.

Where the TLS pump task suspends decides the order in which the two ends of
a connection observe its events, and that order must be stock asyncio's
whatever the native stream does: a ready ``SocketStream.send_all`` or
``receive_some`` is a fast-path schedule point that switches tasks only
once every ``FAST_PATH_YIELD_INTERVAL`` calls. These tests pin the layer's
suspension points and errors, and check that a TLS close is observed in
stock's order with the native fast path switching every time or never.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import struct
from typing import TYPE_CHECKING, Any

import pytest
import trustme
from schedule_oracles import count_steps

import tether
import tether._core._traps as traps
import tether.lowlevel
import tether_asyncio
from tether_asyncio._streams import _TLSSocket

if TYPE_CHECKING:
    from types import ModuleType


def _pair() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    return a, b


async def test_ready_calls_switch_every_time_and_waits_switch_once() -> None:
    a, b = _pair()
    with b:
        left = _TLSSocket(a)
        for _ in range(3):
            with count_steps() as steps:
                await left.send_all(b"ping")
            assert steps.steps == 1
            assert b.recv(10) == b"ping"
        b.send(b"pong")
        with count_steps() as steps:
            assert await left.receive_some() == b"pong"
        assert steps.steps == 1

        async def answer_later() -> None:
            await tether.testing.wait_all_tasks_blocked()
            b.send(b"late")

        async with tether.open_nursery() as nursery:
            nursery.start_soon(answer_later)
            with count_steps() as steps:
                assert await left.receive_some(2) == b"la"
            assert steps.steps == 1  # the wait, and no schedule point after it
        assert await left.receive_some() == b"te"
        await left.aclose()
        assert a.fileno() == -1


async def test_send_all_waits_out_a_full_buffer() -> None:
    a, b = _pair()
    with b:
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        left = _TLSSocket(a)
        payload = bytes(range(256)) * 2048  # far more than the buffers hold
        received = bytearray()

        async def drain() -> None:
            while len(received) < len(payload):
                await tether.lowlevel.wait_readable(b)
                received.extend(b.recv(65536))

        async with tether.open_nursery() as nursery:
            nursery.start_soon(drain)
            await left.send_all(memoryview(payload))
        assert received == payload
        left.close()


async def test_cancelled_calls_do_nothing() -> None:
    a, b = _pair()
    with b:
        left = _TLSSocket(a)
        b.send(b"kept")
        with tether.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(tether.Cancelled):
                await left.send_all(b"lost")
            with pytest.raises(tether.Cancelled):
                await left.receive_some()
        assert await left.receive_some() == b"kept"
        with pytest.raises(BlockingIOError):
            b.recv(10)
        left.close()


async def test_end_of_file_reset_and_close() -> None:
    a, b = _pair()
    left = _TLSSocket(a)
    b.close()
    assert await left.receive_some() == b""
    with pytest.raises(tether.BrokenResourceError) as info:
        await left.send_all(b"x")
    assert isinstance(info.value.__cause__, BrokenPipeError)
    left.close()
    with pytest.raises(tether.ClosedResourceError):
        await left.receive_some()
    with pytest.raises(tether.ClosedResourceError):
        await left.send_all(b"x")

    # A reset: the peer closes with unread data and SO_LINGER 0.
    server = socket.create_server(("127.0.0.1", 0))
    with server:
        client = socket.create_connection(server.getsockname())
        peer, _ = server.accept()
    client.setblocking(False)
    stream = _TLSSocket(client)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.close()
    with pytest.raises(tether.BrokenResourceError) as info:
        await stream.receive_some()
    assert isinstance(info.value.__cause__, ConnectionResetError)
    assert info.value.__cause__.errno == errno.ECONNRESET
    stream.close()


async def test_closing_wakes_a_waiting_receiver() -> None:
    a, b = _pair()
    with b:
        left = _TLSSocket(a)
        failures: list[type[BaseException]] = []

        async def receive() -> None:
            try:
                await left.receive_some()
            except tether.ClosedResourceError as exc:
                failures.append(type(exc))

        async with tether.open_nursery() as nursery:
            nursery.start_soon(receive)
            await tether.testing.wait_all_tasks_blocked()
            left.close()
        assert failures == [tether.ClosedResourceError]
        left.close()  # twice is fine


def test_close_outside_a_run() -> None:
    # (An abandoned run's clean-up closes the socket after the run is gone.)
    a, b = _pair()
    with b:
        layer = _TLSSocket(a)
        layer.close()
        layer.close()
        assert a.fileno() == -1


def _contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    return server_ctx, client_ctx


def _tls_close_events(aio: ModuleType) -> list[str]:
    """What each end of a TLS echo observes, in order, as the client closes
    (program 109's shape)."""
    server_ctx, client_ctx = _contexts()
    events: list[str] = []

    async def handle(reader: Any, writer: Any) -> None:
        while line := await reader.readline():
            writer.write(b"echo: " + line)
            await writer.drain()
        events.append(f"server saw eof {reader.at_eof()}")
        writer.close()
        await writer.wait_closed()
        events.append("server closed")

    async def main() -> None:
        server = await aio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
        )
        for word in (b"one\n", b"two\n"):
            writer.write(word)
            await writer.drain()
            events.append(f"client got {await reader.readline()!r}")
        writer.close()
        await writer.wait_closed()
        events.append(f"client closed {reader.at_eof()} {await reader.read()!r}")
        server.close()
        await server.wait_closed()

    aio.run(main())
    return events


@pytest.mark.parametrize("native_switches", ["every time", "never"])
def test_tls_close_order_does_not_follow_the_native_fast_path(
    native_switches: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _tls_close_events(asyncio)
    # As stock's SSL protocol: the client's close waits for the server's
    # close_notify, which the server sends once it has seen the client's.
    assert expected[-3:] == ["server saw eof True", "server closed", "client closed True b''"]
    # Mask 0: every fast-path schedule point switches (as a full checkpoint
    # does); all bits set: none does.
    monkeypatch.setattr(traps, "_FAST_PATH_MASK", 0 if native_switches == "every time" else -1)
    assert _tls_close_events(tether_asyncio) == expected


def _unanswered_close(aio: ModuleType) -> list[str]:
    """A TLS client closes while the server has paused reading, so the
    server's close_notify never comes: the close ends with stock's shutdown
    timeout."""
    server_ctx, client_ctx = _contexts()
    events: list[str] = []

    async def main() -> None:
        release = aio.Event()
        handled = aio.Event()

        async def handle(reader: Any, writer: Any) -> None:
            writer.transport.pause_reading()
            writer.write(b"ready\n")
            await writer.drain()
            await release.wait()
            writer.transport.abort()
            await writer.wait_closed()
            handled.set()

        server = await aio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await aio.open_connection(
            "127.0.0.1",
            port,
            ssl=client_ctx,
            server_hostname="localhost",
            ssl_shutdown_timeout=0.1,
        )
        events.append(repr(await reader.readline()))
        writer.close()
        for outcome in (writer.wait_closed(), reader.read()):
            try:
                events.append(f"-> {await outcome!r}")
            except TimeoutError as exc:
                events.append(f"TimeoutError {exc}")
        release.set()
        await handled.wait()
        server.close()
        await server.wait_closed()

    aio.run(main())
    return events


def test_an_unanswered_tls_close_times_out_as_stock() -> None:
    expected = _unanswered_close(asyncio)
    assert expected == [
        "b'ready\\n'",
        "TimeoutError SSL shutdown timed out",
        "TimeoutError SSL shutdown timed out",
    ]
    assert _unanswered_close(tether_asyncio) == expected


def test_abort_ends_a_tls_close_that_waits_for_the_peer() -> None:
    server_ctx, client_ctx = _contexts()

    async def main() -> list[str]:
        events: list[str] = []
        release = tether_asyncio.Event()

        async def handle(reader: Any, writer: Any) -> None:
            writer.transport.pause_reading()
            writer.write(b"ready\n")
            await writer.drain()
            await release.wait()
            writer.transport.abort()

        server = await tether_asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_ctx)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await tether_asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx, server_hostname="localhost"
        )
        await reader.readline()
        writer.close()  # waits for a close_notify that will not come...
        for _ in range(5):
            await tether_asyncio.sleep(0)
        events.append(f"closing {writer.transport.is_closing()}")
        writer.transport.abort()  # ...until the transport is aborted
        await writer.wait_closed()
        events.append("closed")
        release.set()
        server.close()
        await server.wait_closed()
        return events

    assert tether_asyncio.run(main()) == ["closing True", "closed"]
