"""tether.lowlevel.FdStream over os.pipe()."""

from __future__ import annotations

import os
from typing import Any

import pytest

import tether
import tether.testing
from tether.lowlevel import FdStream
from tether.testing import wait_all_tasks_blocked


async def make_pipe() -> tuple[FdStream, FdStream]:
    read_fd, write_fd = os.pipe()
    return FdStream(write_fd), FdStream(read_fd)


async def make_clogged_pipe() -> tuple[FdStream, FdStream]:
    send, receive = await make_pipe()
    # Fill the pipe's kernel buffer until a write would block.
    try:
        while True:
            os.write(send.fileno(), b"x" * 65536)
    except BlockingIOError:
        pass
    try:
        while True:
            os.write(send.fileno(), b"x")
    except BlockingIOError:
        pass
    return send, receive


async def test_send_and_receive() -> None:
    send, receive = await make_pipe()
    async with send, receive:
        await send.send_all(b"hello ")
        await send.send_all(memoryview(b"world"))
        got = b""
        while len(got) < 11:
            got += await receive.receive_some()
        assert got == b"hello world"
        await send.send_all(b"abcdef")
        assert await receive.receive_some(2) == b"ab"
        await send.aclose()
        assert await receive.receive_some() == b"cdef"
        assert await receive.receive_some() == b""  # end of file


async def test_async_iteration_until_eof() -> None:
    send, receive = await make_pipe()
    chunks: list[bytes | bytearray] = []

    async def reader() -> None:
        async for chunk in receive:
            chunks.append(chunk)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(reader)
        await send.send_all(b"one")
        await wait_all_tasks_blocked()
        await send.send_all(b"two")
        await send.aclose()
    await receive.aclose()
    assert b"".join(chunks) == b"onetwo"


async def test_large_send_waits_for_reader() -> None:
    send, receive = await make_pipe()
    payload = bytes(range(256)) * 8192  # 2 MiB: far more than a pipe buffer
    received = bytearray()

    async def reader() -> None:
        while len(received) < len(payload):
            received.extend(await receive.receive_some(100_000))

    async with send, receive, tether.open_nursery() as nursery:
        nursery.start_soon(reader)
        await send.send_all(payload)
    assert received == payload


def test_requires_an_int() -> None:
    with pytest.raises(TypeError):
        FdStream("0")  # type: ignore[arg-type]
    with pytest.raises(OSError):  # noqa: PT011 - EBADF is all we know
        FdStream(9999)


async def test_nonblocking_while_open_and_restored_on_close() -> None:
    read_fd, write_fd = os.pipe()
    witness = os.dup(read_fd)  # shares the open file description
    try:
        assert os.get_blocking(witness)
        stream = FdStream(read_fd)
        assert not os.get_blocking(witness)
        assert stream.fileno() == read_fd
        await stream.aclose()
        assert os.get_blocking(witness)
        assert stream.fileno() == -1
        with pytest.raises(OSError):  # noqa: PT011
            os.fstat(read_fd)
    finally:
        os.close(witness)
        os.close(write_fd)


async def test_was_already_nonblocking_stays_so() -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    witness = os.dup(write_fd)
    try:
        FdStream(write_fd).close()
        assert not os.get_blocking(witness)
    finally:
        os.close(witness)
        os.close(read_fd)


async def test_receive_some_argument_checks() -> None:
    send, receive = await make_pipe()
    async with send, receive:
        with pytest.raises(ValueError, match="max_bytes"):
            await receive.receive_some(0)
        with pytest.raises(TypeError):
            await receive.receive_some(1.5)  # type: ignore[arg-type]


async def test_concurrent_receivers_are_busy() -> None:
    send, receive = await make_pipe()
    async with send, receive, tether.open_nursery() as nursery:
        nursery.start_soon(receive.receive_some)
        await wait_all_tasks_blocked()
        with pytest.raises(tether.BusyResourceError):
            await receive.receive_some()
        await send.send_all(b"x")


async def test_concurrent_senders_are_busy() -> None:
    send, receive = await make_clogged_pipe()
    async with send, receive, tether.open_nursery() as nursery:
        nursery.start_soon(send.send_all, b"more")
        await wait_all_tasks_blocked()
        with pytest.raises(tether.BusyResourceError):
            await send.send_all(b"again")
        with pytest.raises(tether.BusyResourceError):
            await send.wait_send_all_might_not_block()
        nursery.cancel_scope.cancel()


async def test_close_wakes_blocked_tasks() -> None:
    send, receive = await make_clogged_pipe()
    errors: list[BaseException] = []

    async def expect_closed(fn: Any, *args: object) -> None:
        with pytest.raises(tether.ClosedResourceError) as info:
            await fn(*args)
        errors.append(info.value)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(expect_closed, send.send_all, b"blocked")
        await wait_all_tasks_blocked()
        send.close()
    empty_send, empty_receive = await make_pipe()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(expect_closed, empty_receive.receive_some)
        await wait_all_tasks_blocked()
        await empty_receive.aclose()
    assert len(errors) == 2
    await empty_send.aclose()
    await receive.aclose()


async def test_use_after_close() -> None:
    send, receive = await make_pipe()
    await send.aclose()
    await send.aclose()  # idempotent
    receive.close()
    with pytest.raises(tether.ClosedResourceError):
        await send.send_all(b"x")
    with pytest.raises(tether.ClosedResourceError):
        await send.wait_send_all_might_not_block()
    with pytest.raises(tether.ClosedResourceError):
        await receive.receive_some()


async def test_broken_pipe() -> None:
    send, receive = await make_pipe()
    await receive.aclose()
    with pytest.raises(tether.BrokenResourceError) as info:
        await send.send_all(b"nobody listens")
    assert isinstance(info.value.__cause__, BrokenPipeError)
    await send.aclose()


async def test_wait_send_all_might_not_block() -> None:
    send, receive = await make_clogged_pipe()
    woke = tether.Event()

    async def waiter() -> None:
        await send.wait_send_all_might_not_block()
        woke.set()

    async with send, receive, tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        assert not woke.is_set()
        while not woke.is_set():
            await receive.receive_some()
            await wait_all_tasks_blocked()


def test_garbage_collection_closes_the_fd() -> None:
    read_fd, write_fd = os.pipe()
    stream = FdStream(read_fd)
    del stream
    import gc

    gc.collect()
    with pytest.raises(OSError):  # noqa: PT011
        os.fstat(read_fd)
    os.close(write_fd)


def test_repr() -> None:
    read_fd, write_fd = os.pipe()
    stream = FdStream(read_fd)
    assert f"fd={read_fd}" in repr(stream)
    tether.run(stream.aclose)
    assert "closed" in repr(stream)
    os.close(write_fd)


async def test_generic_one_way_stream_contract() -> None:
    check = getattr(tether.testing, "check_one_way_stream", None)
    if check is None:  # pragma: no cover - lands with the stream test helpers
        pytest.skip("tether.testing.check_one_way_stream is not available yet")
    await check(make_pipe, make_clogged_pipe)
