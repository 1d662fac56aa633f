"""Load: many concurrent connections, and a large transfer, with no leaks."""

from __future__ import annotations

import functools
import hashlib
import os
import resource
from typing import TYPE_CHECKING

import pytest

import tether

if TYPE_CHECKING:
    from collections.abc import Iterator

CONNECTIONS = 1000


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def enough_fds() -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = 3 * CONNECTIONS + 200
    if soft >= needed:
        yield
        return
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {needed}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.mark.usefixtures("enough_fds")
async def test_thousand_concurrent_connections() -> None:
    before = _open_fds()

    async def echo(stream: tether.SocketStream) -> None:
        async for chunk in stream:
            await stream.send_all(chunk)

    async with tether.open_nursery() as nursery:
        listeners = await nursery.start(
            functools.partial(tether.serve_tcp, host="127.0.0.1"), echo, 0
        )
        port = listeners[0].socket.getsockname()[1]
        streams: list[tether.SocketStream] = []
        results: dict[int, bytes] = {}
        connected = tether.Event()
        ready = 0

        async def client(i: int) -> None:
            nonlocal ready
            stream = await tether.open_tcp_stream("127.0.0.1", port)
            streams.append(stream)
            ready += 1
            if ready == CONNECTIONS:
                connected.set()
            # Everyone holds their connection open until all are connected.
            await connected.wait()
            async with stream:
                for round_ in range(3):
                    message = f"{i}:{round_};".encode()
                    await stream.send_all(message)
                    got = b""
                    while len(got) < len(message):
                        got += await stream.receive_some()
                    assert got == message
                results[i] = got

        async with tether.open_nursery() as clients:
            for i in range(CONNECTIONS):
                clients.start_soon(client, i)
        assert len(results) == CONNECTIONS
        nursery.cancel_scope.cancel()
    assert all(stream.socket.fileno() == -1 for stream in streams)
    assert _open_fds() == before


async def test_256_mib_through_a_socket_stream() -> None:
    before = _open_fds()
    size = 256 * 1024 * 1024
    chunk = os.urandom(1024 * 1024)
    sent_hash = hashlib.sha256()
    received_hash = hashlib.sha256()
    listeners = await tether.open_tcp_listeners(0, host="127.0.0.1")
    async with listeners[0] as listener:
        port = listener.socket.getsockname()[1]
        async with (
            await tether.open_tcp_stream("127.0.0.1", port) as client,
            await listener.accept() as server,
        ):

            async def sender() -> None:
                for i in range(size // len(chunk)):
                    # Vary the data so reordering or loss would change the hash.
                    piece = chunk[i % 7 :] + chunk[: i % 7]
                    sent_hash.update(piece)
                    await client.send_all(piece)
                await client.send_eof()

            received = 0
            async with tether.open_nursery() as nursery:
                nursery.start_soon(sender)
                while True:
                    data = await server.receive_some(1024 * 1024)
                    if not data:
                        break
                    received += len(data)
                    received_hash.update(data)
    assert received == size
    assert received_hash.digest() == sent_hash.digest()
    assert _open_fds() == before
