"""Unix-domain stream sockets: open_unix_socket and open_unix_listener."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

import pytest

import tether

if TYPE_CHECKING:
    from pathlib import Path


async def test_unix_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "server.sock"
    listener = await tether.open_unix_listener(path)
    async with listener:
        assert path.exists()
        async with (
            await tether.open_unix_socket(path) as client,
            await listener.accept() as server,
        ):
            await client.send_all(b"over unix")
            assert await server.receive_some() == b"over unix"
            await server.send_eof()
            assert await client.receive_some() == b""
    assert path.exists()  # not removed on close


async def test_unix_bytes_path_and_serve(tmp_path: Path) -> None:
    path = bytes(tmp_path / "s")
    listener = await tether.open_unix_listener(path, backlog=3)

    async def handler(stream: tether.SocketStream) -> None:
        await stream.send_all(await stream.receive_some())

    async with tether.open_nursery() as nursery:
        await nursery.start(tether.serve_listeners, handler, [listener])
        async with await tether.open_unix_socket(path) as client:
            await client.send_all(b"echo")
            assert await client.receive_some() == b"echo"
        nursery.cancel_scope.cancel()


async def test_unix_abstract_socket() -> None:
    name = f"\0tether-test-{id(object())}"
    async with (
        await tether.open_unix_listener(name) as listener,
        await tether.open_unix_socket(name) as client,
        await listener.accept() as server,
    ):
        await server.send_all(b"abstract")
        assert await client.receive_some() == b"abstract"


async def test_unix_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        await tether.open_unix_socket(tmp_path / "missing")
    stale = tmp_path / "stale"
    stale.touch()
    with pytest.raises(OSError, match="in use") as info:
        await tether.open_unix_listener(stale)
    assert info.value.errno == errno.EADDRINUSE
    with pytest.raises(TypeError):
        await tether.open_unix_listener(tmp_path / "x", backlog="1")  # type: ignore[arg-type]
    # Nobody listening on an existing socket file: refused.
    listener = await tether.open_unix_listener(tmp_path / "closed")
    await listener.aclose()
    with pytest.raises(ConnectionRefusedError):
        await tether.open_unix_socket(tmp_path / "closed")
