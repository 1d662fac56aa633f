"""open_stream_to_socket_listener connects to listeners on any address."""

from __future__ import annotations

from typing import TYPE_CHECKING

import tether
import tether.testing

if TYPE_CHECKING:
    from pathlib import Path


async def _round_trip(listener: tether.SocketListener) -> bytes:
    client = await tether.testing.open_stream_to_socket_listener(listener)
    server = await listener.accept()
    async with client, server:
        await client.send_all(b"ping")
        return bytes(await server.receive_some(4))


async def test_wildcard_ipv4_listener_is_reached_on_loopback() -> None:
    (listener,) = await tether.open_tcp_listeners(0, host="0.0.0.0")
    async with listener:
        assert await _round_trip(listener) == b"ping"


async def test_unix_listener(tmp_path: Path) -> None:
    listener = await tether.open_unix_listener(str(tmp_path / "sock"))
    async with listener:
        assert await _round_trip(listener) == b"ping"


async def test_encode_hostname_is_idna() -> None:
    assert tether.lowlevel.encode_hostname("example.com") == b"example.com"
    assert tether.lowlevel.encode_hostname("bücher.example") == b"xn--bcher-kva.example"
