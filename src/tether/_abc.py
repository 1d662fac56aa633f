"""Abstract base classes for resources, channels, streams and listeners."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._core import CancelScope, EndOfChannel

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

SendType = TypeVar("SendType", contravariant=True)
ReceiveType = TypeVar("ReceiveType", covariant=True)
T = TypeVar("T")


class AsyncResource(metaclass=ABCMeta):
    """Something that must be closed with ``await resource.aclose()``.

    Usable as an async context manager, which closes it on the way out.
    """

    __slots__ = ()

    @abstractmethod
    async def aclose(self) -> None:
        """Close this resource, possibly blocking.

        Closing is idempotent and must always succeed in closing, even when
        cancelled (a cancelled ``aclose`` closes forcefully, then raises
        :exc:`~tether.Cancelled`).
        """

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


async def aclose_forcefully(resource: AsyncResource) -> None:
    """Close ``resource`` at once, without waiting for a graceful shutdown.

    Runs ``aclose()`` inside a cancelled scope, so anything it would wait
    for is skipped; useful in cleanup paths that must not block.
    """
    with CancelScope() as cs:
        cs.cancel()
        await resource.aclose()


class SendChannel(AsyncResource, Generic[SendType]):
    """The sending end of a channel of Python objects."""

    __slots__ = ()

    @abstractmethod
    async def send(self, value: SendType) -> None:
        """Send ``value``, blocking while the channel is full.

        Raises:
            tether.BrokenResourceError: if the receiving end is gone.
            tether.ClosedResourceError: if this end was closed (before or
                during the call).
            tether.BusyResourceError: for channels that allow one sender at a time.
        """


class ReceiveChannel(AsyncResource, Generic[ReceiveType]):
    """The receiving end of a channel of Python objects.

    ``async for value in channel:`` receives until the sending side closes.
    """

    __slots__ = ()

    @abstractmethod
    async def receive(self) -> ReceiveType:
        """Receive the next value, blocking while there is none.

        Raises:
            tether.EndOfChannel: if every sending end was closed and the
                buffer is drained.
            tether.ClosedResourceError: if this end was closed.
            tether.BrokenResourceError: if something went wrong upstream.
        """

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> ReceiveType:
        try:
            return await self.receive()
        except EndOfChannel:
            raise StopAsyncIteration from None


class Channel(SendChannel[T], ReceiveChannel[T]):
    """A two-way channel of Python objects."""

    __slots__ = ()



class SendStream(AsyncResource):
    """A stream you can send bytes into (one direction of a connection).

    Only one task may send at a time; a second concurrent ``send_all`` raises
    :exc:`~tether.BusyResourceError`.
    """

    __slots__ = ()

    @abstractmethod
    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``, blocking while the other side is slow.

        If cancelled, some of the data may have been sent; the stream is
        then broken and should be closed.

        Raises:
            tether.BusyResourceError: if another task is already sending.
            tether.BrokenResourceError: if the stream broke (peer gone).
            tether.ClosedResourceError: if this stream was closed.
        """

    @abstractmethod
    async def wait_send_all_might_not_block(self) -> None:
        """Block until a ``send_all`` call might not block (a hint for
        producers that want to send the freshest data possible)."""


class ReceiveStream(AsyncResource):
    """A stream you can receive bytes from.

    ``async for chunk in stream:`` receives chunks until the other side
    closes (end of file).
    """

    __slots__ = ()

    @abstractmethod
    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        """Wait for some data and return it (at most ``max_bytes``, if given).

        Returns ``b""`` at end of file.

        Raises:
            tether.BusyResourceError: if another task is already receiving.
            tether.BrokenResourceError: if the stream broke.
            tether.ClosedResourceError: if this stream was closed.
        """

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes | bytearray:
        data = await self.receive_some()
        if not data:
            raise StopAsyncIteration
        return data


class Stream(SendStream, ReceiveStream):
    """A bidirectional byte stream (a TCP connection, say)."""

    __slots__ = ()


class HalfCloseableStream(Stream):
    """A stream whose sending side can be closed on its own (TCP's
    ``shutdown(SHUT_WR)``), while still receiving."""

    __slots__ = ()

    @abstractmethod
    async def send_eof(self) -> None:
        """Tell the other side no more data is coming; receiving still works.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.BrokenResourceError: if the stream broke.
            tether.ClosedResourceError: if this stream was closed.
        """


T_resource = TypeVar("T_resource", bound=AsyncResource, covariant=True)


class Listener(AsyncResource, Generic[T_resource]):
    """Accepts incoming connections (a listening socket, say)."""

    __slots__ = ()

    @abstractmethod
    async def accept(self) -> T_resource:
        """Wait for the next incoming connection and return it.

        Raises:
            tether.BusyResourceError: if another task is already accepting.
            tether.ClosedResourceError: if the listener was closed.
        """


class HostnameResolver(metaclass=ABCMeta):
    """A custom hostname resolver, installed with
    ``tether.socket.set_custom_hostname_resolver``."""

    __slots__ = ()

    @abstractmethod
    async def getaddrinfo(
        self,
        host: bytes | None,
        port: bytes | str | int | None,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[tuple[Any, Any, int, str, tuple[str, int] | tuple[str, int, int, int]]]:
        """A custom implementation of :func:`socket.getaddrinfo` (``host``
        arrives IDNA-encoded, as bytes)."""

    @abstractmethod
    async def getnameinfo(
        self, sockaddr: tuple[str, int] | tuple[str, int, int, int], flags: int
    ) -> tuple[str, str]:
        """A custom implementation of :func:`socket.getnameinfo`."""


class SocketFactory(metaclass=ABCMeta):
    """A custom socket factory, installed with
    ``tether.socket.set_custom_socket_factory``."""

    __slots__ = ()

    @abstractmethod
    def socket(
        self,
        family: int | None = None,
        type: int | None = None,
        proto: int | None = None,
    ) -> Any:
        """Create and return a socket object (a ``tether.socket.SocketType``)."""
