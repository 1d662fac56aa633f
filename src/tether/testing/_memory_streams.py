"""In-memory streams for tests: buffered ones with hooks, and lockstep ones.

Nothing here touches the operating system. The buffered streams
(:class:`MemorySendStream`, :class:`MemoryReceiveStream`) keep the bytes in a
``bytearray`` and call user hooks, so a test can stall, trickle or reorder the
flow of data; the lockstep streams have no buffer at all, so every
``send_all`` waits for the receiver (useful as "clogged" streams).
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING, TypeAlias, TypeVar

from .. import _core
from .._abc import ReceiveStream, SendStream
from .._conflict import ConflictDetector
from .._highlevel_generic import StapledStream
from .._util import final

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

AsyncHook: TypeAlias = "Callable[[], Awaitable[object]]"
SyncHook: TypeAlias = "Callable[[], object]"

_S = TypeVar("_S", bound=SendStream)
_R = TypeVar("_R", bound=ReceiveStream)


def _check_max_bytes(max_bytes: int | None) -> int | None:
    if max_bytes is None:
        return None
    max_bytes = operator.index(max_bytes)
    if max_bytes < 1:
        raise ValueError("max_bytes must be >= 1")
    return max_bytes


class _ByteBuffer:
    """An unbounded byte buffer with an end-of-file mark and one reader."""

    __slots__ = ("_closed", "_data", "_lot", "_reading")

    def __init__(self) -> None:
        self._data = bytearray()
        self._closed = False
        self._lot = _core.ParkingLot()
        self._reading = ConflictDetector("another task is already fetching data")

    def close(self) -> None:
        self._closed = True
        self._lot.unpark_all()

    def close_and_wipe(self) -> None:
        self._data = bytearray()
        self.close()

    def put(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise _core.ClosedResourceError("virtual connection closed")
        if data:
            self._data += data
            self._lot.unpark_all()

    def _take(self, max_bytes: int | None) -> bytearray:
        if not self._data:
            return bytearray()  # closed: end of file
        n = len(self._data) if max_bytes is None else max_bytes
        chunk = self._data[:n]
        del self._data[:n]
        return chunk

    def get_nowait(self, max_bytes: int | None) -> bytearray:
        with self._reading:
            max_bytes = _check_max_bytes(max_bytes)
            if not self._data and not self._closed:
                raise _core.WouldBlock
            return self._take(max_bytes)

    async def get(self, max_bytes: int | None) -> bytearray:
        with self._reading:
            max_bytes = _check_max_bytes(max_bytes)
            if self._data or self._closed:
                await _core.checkpoint()
            else:
                while not self._data and not self._closed:
                    await self._lot.park()
            return self._take(max_bytes)


@final
class MemorySendStream(SendStream):
    """A :class:`~tether.abc.SendStream` that stores what is sent in memory.

    Tests read the stored bytes back with :meth:`get_data` or
    :meth:`get_data_nowait` (or let :func:`memory_stream_pump` move them).

    Args:
        send_all_hook: An async function called with no arguments at the
            end of every :meth:`send_all`, after the data was stored, or None.
        wait_send_all_might_not_block_hook: An async function called with no
            arguments from :meth:`wait_send_all_might_not_block`, or None.
        close_hook: A synchronous function called with no arguments from
            :meth:`close` and :meth:`aclose`, or None.

    The three hooks are also plain attributes of the same names, which a
    test may reassign at any time (set ``send_all_hook`` to None to simulate
    a stalled connection, say).
    """

    def __init__(
        self,
        send_all_hook: AsyncHook | None = None,
        wait_send_all_might_not_block_hook: AsyncHook | None = None,
        close_hook: SyncHook | None = None,
    ) -> None:
        self._guard = ConflictDetector("another task is using this stream")
        self._outgoing = _ByteBuffer()
        self.send_all_hook = send_all_hook
        self.wait_send_all_might_not_block_hook = wait_send_all_might_not_block_hook
        self.close_hook = close_hook

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the internal buffer, then await
        :attr:`send_all_hook` (if set).

        Raises:
            tether.BusyResourceError: if another task is using this stream.
            tether.ClosedResourceError: if the stream was closed.
        """
        with self._guard:
            await _core.checkpoint()
            await _core.checkpoint()
            self._outgoing.put(data)
            if self.send_all_hook is not None:
                await self.send_all_hook()

    async def wait_send_all_might_not_block(self) -> None:
        """Await :attr:`wait_send_all_might_not_block_hook` (if set), and
        return: a memory stream never blocks a sender by itself.

        Raises:
            tether.BusyResourceError: if another task is using this stream.
            tether.ClosedResourceError: if the stream was closed.
        """
        with self._guard:
            await _core.checkpoint()
            await _core.checkpoint()
            self._outgoing.put(b"")  # raises if closed
            if self.wait_send_all_might_not_block_hook is not None:
                await self.wait_send_all_might_not_block_hook()

    def close(self) -> None:
        """Close the stream (synchronously), then call :attr:`close_hook`
        (if set). Data already sent stays readable with :meth:`get_data`,
        followed by end of file."""
        self._outgoing.close()
        if self.close_hook is not None:
            self.close_hook()

    async def aclose(self) -> None:
        """Like :meth:`close`, with a checkpoint."""
        self.close()
        await _core.checkpoint()

    async def get_data(self, max_bytes: int | None = None) -> bytearray:
        """Take data out of the internal buffer, waiting until there is some.

        Args:
            max_bytes: The most bytes to take, or None (the default) for
                everything buffered.

        Returns:
            The data, or an empty ``bytearray`` once the stream is closed
            and the buffer drained.

        Raises:
            tether.BusyResourceError: if another task is already fetching.
        """
        return await self._outgoing.get(max_bytes)

    def get_data_nowait(self, max_bytes: int | None = None) -> bytearray:
        """Like :meth:`get_data`, but never waits.

        Raises:
            tether.WouldBlock: if the buffer is empty and the stream is open.
        """
        return self._outgoing.get_nowait(max_bytes)


@final
class MemoryReceiveStream(ReceiveStream):
    """A :class:`~tether.abc.ReceiveStream` fed from memory.

    Tests feed it with :meth:`put_data` and end it with :meth:`put_eof` (or
    connect it to a :class:`MemorySendStream` with :func:`memory_stream_pump`).

    Args:
        receive_some_hook: An async function called with no arguments at the
            start of every :meth:`receive_some`, before it looks at the
            buffer, or None.
        close_hook: A synchronous function called with no arguments from
            :meth:`close` and :meth:`aclose`, or None.

    Both hooks are also attributes of the same names and may be reassigned
    at any time.
    """

    def __init__(
        self,
        receive_some_hook: AsyncHook | None = None,
        close_hook: SyncHook | None = None,
    ) -> None:
        self._guard = ConflictDetector("another task is using this stream")
        self._incoming = _ByteBuffer()
        self._closed = False
        self.receive_some_hook = receive_some_hook
        self.close_hook = close_hook

    async def receive_some(self, max_bytes: int | None = None) -> bytearray:
        """Await :attr:`receive_some_hook` (if set), then take data from the
        internal buffer, waiting until there is some or end of file.

        Raises:
            tether.BusyResourceError: if another task is receiving.
            tether.ClosedResourceError: if the stream was closed (before or
                during the call).
        """
        with self._guard:
            await _core.checkpoint()
            await _core.checkpoint()
            if self._closed:
                raise _core.ClosedResourceError
            if self.receive_some_hook is not None:
                await self.receive_some_hook()
            data = await self._incoming.get(max_bytes)
            if self._closed:
                raise _core.ClosedResourceError
            return data

    def close(self) -> None:
        """Close the stream (synchronously), dropping any buffered data, then
        call :attr:`close_hook` (if set)."""
        self._closed = True
        self._incoming.close_and_wipe()
        if self.close_hook is not None:
            self.close_hook()

    async def aclose(self) -> None:
        """Like :meth:`close`, with a checkpoint."""
        self.close()
        await _core.checkpoint()

    def put_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the internal buffer.

        Raises:
            tether.ClosedResourceError: if the stream was closed or
                :meth:`put_eof` was called.
        """
        self._incoming.put(data)

    def put_eof(self) -> None:
        """Mark end of file: once the buffer is drained,
        :meth:`receive_some` returns ``b""``."""
        self._incoming.close()


def memory_stream_pump(
    memory_send_stream: MemorySendStream,
    memory_receive_stream: MemoryReceiveStream,
    *,
    max_bytes: int | None = None,
) -> bool:
    """Move buffered data from a :class:`MemorySendStream` to a
    :class:`MemoryReceiveStream`, without blocking.

    If the send stream is closed and drained, this passes the end of file
    on (:meth:`MemoryReceiveStream.put_eof`).

    Args:
        memory_send_stream: Where the data comes from.
        memory_receive_stream: Where it goes.
        max_bytes: The most bytes to move in this call, or None for all.

    Returns:
        True if something (data or end of file) was moved, False if there
        was nothing to move.

    Raises:
        tether.BrokenResourceError: if the receive stream was closed.
    """
    try:
        data = memory_send_stream.get_data_nowait(max_bytes)
    except _core.WouldBlock:
        return False
    try:
        if data:
            memory_receive_stream.put_data(data)
        else:
            memory_receive_stream.put_eof()
    except _core.ClosedResourceError:
        raise _core.BrokenResourceError("MemoryReceiveStream was closed") from None
    return True


def memory_stream_one_way_pair() -> tuple[MemorySendStream, MemoryReceiveStream]:
    """Create a connected one-way pair of memory streams with unlimited
    buffering: data flows from the first to the second.

    The send stream's :attr:`~MemorySendStream.send_all_hook` and
    :attr:`~MemorySendStream.close_hook` call :func:`memory_stream_pump`, so
    data moves across as soon as it is sent; change the hooks to change
    that (set ``send_all_hook`` to None to hold data back, for instance).

    Returns:
        A ``(MemorySendStream, MemoryReceiveStream)`` tuple.
    """
    send_stream = MemorySendStream()
    receive_stream = MemoryReceiveStream()

    def pump() -> None:
        memory_stream_pump(send_stream, receive_stream)

    async def async_pump() -> None:
        pump()

    send_stream.send_all_hook = async_pump
    send_stream.close_hook = pump
    return send_stream, receive_stream


def _stapled_pair(
    one_way_pair: Callable[[], tuple[_S, _R]],
) -> tuple[StapledStream[_S, _R], StapledStream[_S, _R]]:
    a_send, b_receive = one_way_pair()
    b_send, a_receive = one_way_pair()
    return StapledStream(a_send, a_receive), StapledStream(b_send, b_receive)


def memory_stream_pair() -> tuple[
    StapledStream[MemorySendStream, MemoryReceiveStream],
    StapledStream[MemorySendStream, MemoryReceiveStream],
]:
    """Create a connected two-way pair of memory streams (an in-memory
    :func:`socket.socketpair`).

    Each side is a :class:`~tether.StapledStream` of two
    :func:`memory_stream_one_way_pair` halves, so every piece can be
    rewired::

        left, right = memory_stream_pair()
        await left.send_all(b"ping")
        assert await right.receive_some() == b"ping"

        # make left-to-right traffic trickle, one byte per second:
        async def trickle() -> None:
            while memory_stream_pump(left.send_stream, right.receive_stream, max_bytes=1):
                await tether.sleep(1)

        left.send_stream.send_all_hook = trickle

    Combined with :class:`MockClock` (``autojump_threshold=0``) such sleeps
    cost no real time.

    Returns:
        Two :class:`~tether.StapledStream` objects, connected to each other.
    """
    return _stapled_pair(memory_stream_one_way_pair)


class _LockstepPipe:
    """A zero-buffer byte pipe: ``send_all`` returns once everything it
    handed over has been received."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._sender_closed = False
        self._receiver_closed = False
        self._receiver_waiting = False
        self._lot = _core.ParkingLot()
        self._sending = ConflictDetector("another task is already sending")
        self._receiving = ConflictDetector("another task is already receiving")

    def _wake(self) -> None:
        self._lot.unpark_all()

    async def _wait_until(self, condition: Callable[[], bool]) -> None:
        while not (condition() or self._sender_closed or self._receiver_closed):
            await self._lot.park()
        await _core.checkpoint()

    def close_sender(self) -> None:
        self._sender_closed = True
        self._wake()

    def close_receiver(self) -> None:
        self._receiver_closed = True
        self._wake()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        with self._sending:
            if self._sender_closed:
                raise _core.ClosedResourceError
            if self._receiver_closed:
                raise _core.BrokenResourceError
            self._data += data
            self._wake()
            await self._wait_until(lambda: not self._data)
            if self._sender_closed:
                raise _core.ClosedResourceError
            if self._data and self._receiver_closed:
                raise _core.BrokenResourceError

    async def wait_send_all_might_not_block(self) -> None:
        with self._sending:
            if self._sender_closed:
                raise _core.ClosedResourceError
            if self._receiver_closed:
                await _core.checkpoint()
                return
            await self._wait_until(lambda: self._receiver_waiting)
            if self._sender_closed:
                raise _core.ClosedResourceError

    async def receive_some(self, max_bytes: int | None) -> bytes | bytearray:
        with self._receiving:
            max_bytes = _check_max_bytes(max_bytes)
            if self._receiver_closed:
                raise _core.ClosedResourceError
            self._receiver_waiting = True
            self._wake()
            try:
                await self._wait_until(lambda: bool(self._data))
            finally:
                self._receiver_waiting = False
            if self._receiver_closed:
                raise _core.ClosedResourceError
            if not self._data:
                return b""  # the sender closed: end of file
            n = len(self._data) if max_bytes is None else max_bytes
            chunk = self._data[:n]
            del self._data[:n]
            self._wake()
            return chunk


class _LockstepSendStream(SendStream):
    def __init__(self, pipe: _LockstepPipe) -> None:
        self._pipe = pipe

    def close(self) -> None:
        self._pipe.close_sender()

    async def aclose(self) -> None:
        self.close()
        await _core.checkpoint()

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self._pipe.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self._pipe.wait_send_all_might_not_block()


class _LockstepReceiveStream(ReceiveStream):
    def __init__(self, pipe: _LockstepPipe) -> None:
        self._pipe = pipe

    def close(self) -> None:
        self._pipe.close_receiver()

    async def aclose(self) -> None:
        self.close()
        await _core.checkpoint()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self._pipe.receive_some(max_bytes)


def lockstep_stream_one_way_pair() -> tuple[SendStream, ReceiveStream]:
    """Create a connected one-way pair of streams with no buffering at all.

    Every ``send_all`` blocks until :meth:`~tether.abc.ReceiveStream.receive_some`
    calls have taken all of its data, and ``wait_send_all_might_not_block``
    blocks until a receiver is waiting. That makes them good "clogged"
    streams for :func:`check_one_way_stream`, and a harsh test of flow
    control. Both streams also have a synchronous ``close()`` method.

    Returns:
        A ``(SendStream, ReceiveStream)`` tuple.
    """
    pipe = _LockstepPipe()
    return _LockstepSendStream(pipe), _LockstepReceiveStream(pipe)


def lockstep_stream_pair() -> tuple[
    StapledStream[SendStream, ReceiveStream],
    StapledStream[SendStream, ReceiveStream],
]:
    """Create a connected two-way pair of unbuffered streams: two
    :func:`lockstep_stream_one_way_pair` halves joined into
    :class:`~tether.StapledStream` objects.

    Returns:
        Two :class:`~tether.StapledStream` objects, connected to each other.
    """
    return _stapled_pair(lockstep_stream_one_way_pair)
