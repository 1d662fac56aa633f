"""The stream checkers pass tether's own streams and catch broken ones."""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import pytest

import tether
from tether.abc import HalfCloseableStream, ReceiveStream, SendStream
from tether.testing import (
    MemoryReceiveStream,
    MemorySendStream,
    check_half_closeable_stream,
    check_one_way_stream,
    check_two_way_stream,
    lockstep_stream_one_way_pair,
    lockstep_stream_pair,
    memory_stream_one_way_pair,
    memory_stream_pair,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from tether.abc import Stream

# ---------------------------------------------------------------- tether's own streams


async def one_way_memory() -> tuple[SendStream, ReceiveStream]:
    return memory_stream_one_way_pair()


async def one_way_lockstep() -> tuple[SendStream, ReceiveStream]:
    return lockstep_stream_one_way_pair()


async def one_way_memory_clogged() -> tuple[SendStream, ReceiveStream]:
    # A memory pair whose sender waits until the receiver asks for data.
    s, r = memory_stream_one_way_pair()
    s.send_all_hook = None
    s.wait_send_all_might_not_block_hook = None
    receiver_waiting = tether.Event()

    async def receive_hook() -> None:
        receiver_waiting.set()
        tether.testing.memory_stream_pump(s, r)

    async def wait_for_receiver() -> None:
        await receiver_waiting.wait()

    r.receive_some_hook = receive_hook
    s.wait_send_all_might_not_block_hook = wait_for_receiver

    async def send_hook() -> None:
        await wait_for_receiver()
        tether.testing.memory_stream_pump(s, r)

    s.send_all_hook = send_hook
    return s, r


async def two_way_memory() -> tuple[Stream, Stream]:
    return memory_stream_pair()


async def two_way_lockstep() -> tuple[Stream, Stream]:
    return lockstep_stream_pair()


async def half_closeable_memory() -> tuple[HalfCloseableStream, HalfCloseableStream]:
    return memory_stream_pair()


async def test_memory_one_way_passes() -> None:
    await check_one_way_stream(one_way_memory, None)


async def test_lockstep_one_way_passes_with_clogging() -> None:
    await check_one_way_stream(one_way_lockstep, one_way_lockstep)


async def test_memory_two_way_passes() -> None:
    await check_two_way_stream(two_way_memory, None)


async def test_lockstep_two_way_passes_with_clogging() -> None:
    await check_two_way_stream(two_way_lockstep, two_way_lockstep)


async def test_memory_pair_is_half_closeable() -> None:
    await check_half_closeable_stream(half_closeable_memory, None)


# ---------------------------------------------------------------- broken streams
# Each one breaks a single rule of the contract on top of a working memory
# stream; the checker must notice.


class _Delegating(SendStream):
    def __init__(self, inner: MemorySendStream) -> None:
        self.inner = inner

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self.inner.send_all(data)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def aclose(self) -> None:
        await self.inner.aclose()


class _NoCheckpointOnEmptySend(_Delegating):
    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            await self.inner.send_all(data)


class _RepeatedAcloseSkipsCheckpoint(_Delegating):
    closed = False

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self.inner.aclose()


class _ClosedSendRaisesWrongError(_Delegating):
    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        try:
            await self.inner.send_all(data)
        except tether.ClosedResourceError:
            raise tether.BrokenResourceError from None


class _NotBusy(_Delegating):
    """Lets concurrent sends interleave instead of raising BusyResourceError."""

    async def wait_send_all_might_not_block(self) -> None:
        await tether.lowlevel.checkpoint()


class _LossyReceive(ReceiveStream):
    def __init__(self, inner: MemoryReceiveStream) -> None:
        self.inner = inner

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data = await self.inner.receive_some(max_bytes)
        return data[1:]

    async def aclose(self) -> None:
        await self.inner.aclose()


class _AcceptsZeroMaxBytes(ReceiveStream):
    def __init__(self, inner: MemoryReceiveStream) -> None:
        self.inner = inner

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if max_bytes == 0:
            return b""
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()


class _IgnoresMaxBytes(ReceiveStream):
    """Validates max_bytes, then returns everything buffered anyway."""

    def __init__(self, inner: MemoryReceiveStream) -> None:
        self.inner = inner

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if max_bytes is not None and operator.index(max_bytes) < 1:
            raise ValueError("max_bytes must be >= 1")
        return await self.inner.receive_some()

    async def aclose(self) -> None:
        await self.inner.aclose()


class _CancelledCloseLeavesOpen(ReceiveStream):
    def __init__(self, inner: MemoryReceiveStream) -> None:
        self.inner = inner

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await tether.lowlevel.checkpoint()
        await self.inner.aclose()


def _send_side(
    wrapper: type[_Delegating],
) -> Callable[[], Awaitable[tuple[SendStream, ReceiveStream]]]:
    async def maker() -> tuple[SendStream, ReceiveStream]:
        s, r = memory_stream_one_way_pair()
        return wrapper(s), r

    return maker


def _receive_side(
    wrapper: Callable[[MemoryReceiveStream], ReceiveStream],
) -> Callable[[], Awaitable[tuple[SendStream, ReceiveStream]]]:
    async def maker() -> tuple[SendStream, ReceiveStream]:
        s, r = memory_stream_one_way_pair()
        return s, wrapper(r)

    return maker


async def _not_a_receive_stream() -> tuple[SendStream, ReceiveStream]:
    s, _ = memory_stream_one_way_pair()
    return s, s  # type: ignore[return-value]


BROKEN_ONE_WAY = {
    "empty send does not checkpoint": _send_side(_NoCheckpointOnEmptySend),
    "repeated aclose skips its checkpoint": _send_side(_RepeatedAcloseSkipsCheckpoint),
    "closed send raises the wrong error": _send_side(_ClosedSendRaisesWrongError),
    "receive loses data": _receive_side(_LossyReceive),
    "receive accepts max_bytes=0": _receive_side(_AcceptsZeroMaxBytes),
    "cancelled aclose does not close": _receive_side(_CancelledCloseLeavesOpen),
    "wrong types": _not_a_receive_stream,
}


@pytest.mark.parametrize("name", sorted(BROKEN_ONE_WAY))
async def test_checker_catches_broken_one_way_stream(name: str) -> None:
    with pytest.raises(AssertionError):
        await check_one_way_stream(BROKEN_ONE_WAY[name], None)


async def test_checker_catches_missing_busy_error_with_clogged_maker() -> None:
    async def clogged() -> tuple[SendStream, ReceiveStream]:
        s, r = lockstep_stream_one_way_pair()
        return _NotBusy(s), r  # type: ignore[arg-type]

    with pytest.raises(AssertionError):
        await check_one_way_stream(one_way_memory, clogged)


async def test_checker_catches_wait_send_all_that_does_not_wait() -> None:
    # A "clogged" maker whose wait_send_all_might_not_block returns at once.
    with pytest.raises(AssertionError):
        await check_one_way_stream(one_way_memory, one_way_memory)


async def test_two_way_checker_catches_a_one_way_stream() -> None:
    async def not_two_way() -> tuple[Stream, Stream]:
        return memory_stream_one_way_pair()  # type: ignore[return-value]

    with pytest.raises(AssertionError):
        await check_two_way_stream(not_two_way, None)


async def test_two_way_checker_catches_corruption_in_one_direction() -> None:
    async def corrupting() -> tuple[Stream, Stream]:
        left, right = memory_stream_pair()
        right.receive_stream = _IgnoresMaxBytes(right.receive_stream)  # type: ignore[assignment]
        return left, right

    with pytest.raises(AssertionError):
        await check_two_way_stream(corrupting, None)


async def test_half_closeable_checker_catches_send_eof_that_closes_everything() -> None:
    class EofClosesAll(HalfCloseableStream):
        def __init__(self, inner: tether.StapledStream[SendStream, ReceiveStream]) -> None:
            self.inner = inner

        async def send_all(self, data: bytes | bytearray | memoryview) -> None:
            await self.inner.send_all(data)

        async def wait_send_all_might_not_block(self) -> None:
            await self.inner.wait_send_all_might_not_block()

        async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
            return await self.inner.receive_some(max_bytes)

        async def send_eof(self) -> None:
            await self.inner.aclose()

        async def aclose(self) -> None:
            await self.inner.aclose()

    async def eof_closes_all() -> tuple[HalfCloseableStream, HalfCloseableStream]:
        left, right = memory_stream_pair()
        return EofClosesAll(left), right  # type: ignore[arg-type]

    with pytest.raises(AssertionError):
        await check_half_closeable_stream(eof_closes_all, None)


async def test_socket_streams_pass() -> None:
    async def socket_pair() -> tuple[HalfCloseableStream, HalfCloseableStream]:
        a, b = tether.socket.socketpair()
        return tether.SocketStream(a), tether.SocketStream(b)

    await check_half_closeable_stream(socket_pair, None)
