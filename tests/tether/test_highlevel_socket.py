"""SocketStream, SocketListener and StapledStream."""

from __future__ import annotations

import array
import socket as stdlib_socket
import struct

import pytest
from schedule_oracles import fast_path_lets_others_run

import tether
import tether.socket as tsocket
from tether.testing import assert_checkpoints, wait_all_tasks_blocked


async def tcp_pair() -> tuple[tether.SocketStream, tether.SocketStream]:
    listeners = await tether.open_tcp_listeners(0, host="127.0.0.1")
    async with listeners[0] as listener:
        client = await tether.open_tcp_stream("127.0.0.1", listener.socket.getsockname()[1])
        server = await listener.accept()
    return client, server


async def test_ready_send_all_and_receive_some_are_fast_path_schedule_points() -> None:
    # A send_all that one send(2) completes, and a receive_some that finds
    # data, are cancel points and counted schedule points that switch tasks
    # once every FAST_PATH_YIELD_INTERVAL (as Trio's, they stay checkpoints).
    client, server = await tcp_pair()
    async with client, server:
        await fast_path_lets_others_run(lambda: client.send_all(b"x"))
        await fast_path_lets_others_run(lambda: server.receive_some(1))
        with tether.CancelScope() as scope:
            scope.cancel()
            with pytest.raises(tether.Cancelled):
                await client.send_all(b"y")
            with pytest.raises(tether.Cancelled):
                await server.receive_some(1)
        # The cancelled calls did nothing: nothing was sent, nothing lost.
        await client.send_all(b"z")
        assert await server.receive_some() == b"z"


async def test_constructor_checks() -> None:
    with stdlib_socket.socket() as raw, pytest.raises(TypeError):
        tether.SocketStream(raw)  # type: ignore[arg-type]
    with tsocket.socket(type=tsocket.SOCK_DGRAM) as udp:
        with pytest.raises(ValueError, match="SOCK_STREAM"):
            tether.SocketStream(udp)
        with pytest.raises(ValueError, match="SOCK_STREAM"):
            tether.SocketListener(udp)
    with tsocket.socket() as sock, pytest.raises(ValueError, match="listening"):
        tether.SocketListener(sock)


async def test_stream_basics() -> None:
    client, server = await tcp_pair()
    async with client, server:
        assert client.getsockopt(tsocket.IPPROTO_TCP, tsocket.TCP_NODELAY)
        client.setsockopt(tsocket.IPPROTO_TCP, tsocket.TCP_NODELAY, False)
        assert not client.getsockopt(tsocket.IPPROTO_TCP, tsocket.TCP_NODELAY)
        assert len(client.getsockopt(tsocket.SOL_SOCKET, tsocket.SO_LINGER, 8)) == 8
        with pytest.raises(TypeError):
            client.setsockopt(tsocket.SOL_SOCKET, tsocket.SO_LINGER, None)  # type: ignore[call-overload]
        with assert_checkpoints():
            await client.send_all(b"hello")
        with assert_checkpoints():
            await client.send_all(b"")
        with assert_checkpoints():
            assert await server.receive_some(3) == b"hel"
        assert await server.receive_some() == b"lo"
        with pytest.raises(ValueError, match="max_bytes"):
            await server.receive_some(0)
        await client.send_eof()
        await client.send_eof()  # idempotent
        assert await server.receive_some() == b""
        with pytest.raises(tether.ClosedResourceError, match="EOF"):
            await client.send_all(b"x")
        await server.send_all(b"still open")
        assert await client.receive_some() == b"still open"
        await client.wait_send_all_might_not_block()
    for stream in (client, server):
        with pytest.raises(tether.ClosedResourceError):
            await stream.receive_some()
        with pytest.raises(tether.ClosedResourceError):
            await stream.wait_send_all_might_not_block()
    with pytest.raises(tether.ClosedResourceError):
        await server.send_all(b"x")
    with pytest.raises(tether.ClosedResourceError):
        await server.send_all(b"")
    with pytest.raises(tether.ClosedResourceError):
        await server.send_eof()


async def test_large_send_all_with_concurrent_receiver() -> None:
    client, server = await tcp_pair()
    payload = bytes(range(256)) * 40_000  # ~10 MB: fills the kernel buffers
    received = bytearray()
    async with client, server, tether.open_nursery() as nursery:

        async def receiver() -> None:
            while len(received) < len(payload):
                received.extend(await server.receive_some())

        nursery.start_soon(receiver)
        await client.send_all(memoryview(payload))
    assert received == payload


async def test_send_all_counts_bytes_not_items() -> None:
    # An array of 4-byte ints that takes several partial sends: send_all
    # must count what send(2) reports (bytes), not the view's items.
    a, b = tsocket.socketpair()
    a.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_SNDBUF, 4096)
    payload = array.array("i", range(200_000))
    received = bytearray()
    sender, receiver = tether.SocketStream(a), tether.SocketStream(b)
    async with sender, receiver, tether.open_nursery() as nursery:

        async def receive() -> None:
            while len(received) < len(payload) * payload.itemsize:
                received.extend(await receiver.receive_some())

        nursery.start_soon(receive)
        with tether.fail_after(10):
            await sender.send_all(memoryview(payload))
    assert bytes(received) == payload.tobytes()


async def test_busy_senders_and_receivers() -> None:
    client, server = await tcp_pair()
    async with client, server:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.send_all, b"x" * 50_000_000)
            nursery.start_soon(server.receive_some)  # nothing to receive yet? data flows
            await wait_all_tasks_blocked()
            with pytest.raises(tether.BusyResourceError):
                await client.send_all(b"y")
            with pytest.raises(tether.BusyResourceError):
                await client.wait_send_all_might_not_block()
            with pytest.raises(tether.BusyResourceError):
                await client.send_eof()
            nursery.cancel_scope.cancel()
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.receive_some)
            await wait_all_tasks_blocked()
            with pytest.raises(tether.BusyResourceError):
                await client.receive_some()
            nursery.cancel_scope.cancel()


async def test_cancelled_send_all_and_receive_some() -> None:
    client, server = await tcp_pair()
    async with client, server:
        with tether.move_on_after(0.05) as scope:
            await client.send_all(b"x" * 50_000_000)  # nobody reads: blocks
        assert scope.cancelled_caught
        with tether.CancelScope() as scope:
            scope.cancel()
            await client.send_all(b"x")
        assert scope.cancelled_caught
        async with tether.open_nursery() as nursery:
            nursery.start_soon(client.receive_some)
            await wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()
        assert nursery.cancel_scope.cancelled_caught


async def test_reset_by_peer_is_broken_resource() -> None:
    client, server = await tcp_pair()
    async with client, server:
        # SO_LINGER 0: close() sends RST instead of FIN.
        server.setsockopt(tsocket.SOL_SOCKET, tsocket.SO_LINGER, struct.pack("ii", 1, 0))
        await server.aclose()
        with pytest.raises(tether.BrokenResourceError) as info:
            await client.receive_some()
        assert isinstance(info.value.__cause__, ConnectionResetError)
        with pytest.raises(tether.BrokenResourceError):
            await client.send_all(b"x" * 1_000_000)


async def test_stream_closed_under_a_waiter() -> None:
    client, server = await tcp_pair()
    async with client, server, tether.open_nursery() as nursery:

        async def reader() -> None:
            with pytest.raises(tether.ClosedResourceError):
                await server.receive_some()

        nursery.start_soon(reader)
        await wait_all_tasks_blocked()
        await server.aclose()


async def test_listener_accept_close_and_busy() -> None:
    listeners = await tether.open_tcp_listeners(0, host="127.0.0.1")
    listener = listeners[0]
    assert "SocketListener" in repr(listener)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(listener.accept)
        await wait_all_tasks_blocked()
        with pytest.raises(tether.BusyResourceError):
            await listener.accept()
        nursery.cancel_scope.cancel()
    async with tether.open_nursery() as nursery:

        async def acceptor() -> None:
            with pytest.raises(tether.ClosedResourceError):
                await listener.accept()

        nursery.start_soon(acceptor)
        await wait_all_tasks_blocked()
        await listener.aclose()
    with pytest.raises(tether.ClosedResourceError):
        await listener.accept()


async def test_stapled_stream() -> None:
    a, b = await tcp_pair()
    c, d = await tcp_pair()
    stapled = tether.StapledStream(a, d)  # send into a (out of b), receive from d (c's data)
    assert stapled.send_stream is a
    assert stapled.receive_stream is d
    assert "StapledStream" in repr(stapled)
    async with b, c:
        await stapled.send_all(b"out")
        assert await b.receive_some() == b"out"
        await c.send_all(b"in")
        assert await stapled.receive_some() == b"in"
        await stapled.wait_send_all_might_not_block()
        await stapled.send_eof()
        assert await b.receive_some() == b""
        await stapled.aclose()
    assert a.socket.fileno() == d.socket.fileno() == -1


async def test_stapled_send_eof_falls_back_to_aclose() -> None:
    class SendOnly(tether.abc.SendStream):
        closed = False

        async def send_all(self, data: bytes | bytearray | memoryview) -> None:
            raise NotImplementedError

        async def wait_send_all_might_not_block(self) -> None:
            raise NotImplementedError

        async def aclose(self) -> None:
            self.closed = True

    sender = SendOnly()
    a, b = await tcp_pair()
    async with a, b:
        await tether.StapledStream(sender, a).send_eof()
    assert sender.closed
