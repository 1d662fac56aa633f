"""Abstract base classes for resources and channels."""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import TYPE_CHECKING, Generic, TypeVar

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

