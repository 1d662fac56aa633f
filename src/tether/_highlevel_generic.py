"""Generic stream helpers: :class:`StapledStream`."""

from __future__ import annotations

from typing import Generic, TypeVar, final

from ._abc import HalfCloseableStream, ReceiveStream, SendStream

SendStreamT = TypeVar("SendStreamT", bound=SendStream)
ReceiveStreamT = TypeVar("ReceiveStreamT", bound=ReceiveStream)


@final
class StapledStream(HalfCloseableStream, Generic[SendStreamT, ReceiveStreamT]):
    """Two one-way streams joined into one two-way stream.

    Sending goes to ``send_stream``, receiving comes from ``receive_stream``.
    For example, a stream that echoes what you write into it::

        send, receive = tether.testing.memory_stream_one_way_pair()
        echo = tether.StapledStream(send, receive)
        await echo.send_all(b"x")
        assert await echo.receive_some() == b"x"

    Args:
        send_stream: the :class:`~tether.abc.SendStream` for ``send_all``
            and ``wait_send_all_might_not_block``.
        receive_stream: the :class:`~tether.abc.ReceiveStream` for
            ``receive_some``.

    Attributes:
        send_stream: the stream sent to (may be replaced).
        receive_stream: the stream received from (may be replaced).
    """

    __slots__ = ("receive_stream", "send_stream")

    def __init__(self, send_stream: SendStreamT, receive_stream: ReceiveStreamT) -> None:
        self.send_stream = send_stream
        self.receive_stream = receive_stream

    def __repr__(self) -> str:
        return (
            f"StapledStream(send_stream={self.send_stream!r}, "
            f"receive_stream={self.receive_stream!r})"
        )

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send through ``send_stream.send_all``."""
        await self.send_stream.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        """Delegate to ``send_stream.wait_send_all_might_not_block``."""
        await self.send_stream.wait_send_all_might_not_block()

    async def send_eof(self) -> None:
        """Close the sending direction: ``send_stream.send_eof()`` if it has
        one, else ``send_stream.aclose()``."""
        stream = self.send_stream
        if isinstance(stream, HalfCloseableStream):
            await stream.send_eof()
        else:
            await stream.aclose()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        """Receive through ``receive_stream.receive_some``."""
        return await self.receive_stream.receive_some(max_bytes)

    async def aclose(self) -> None:
        """Close both streams (the receiving one even if closing the sending
        one fails)."""
        try:
            await self.send_stream.aclose()
        finally:
            await self.receive_stream.aclose()
