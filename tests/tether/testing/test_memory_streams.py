from __future__ import annotations

import pytest

import tether
from tether.testing import (
    MemoryReceiveStream,
    MemorySendStream,
    assert_checkpoints,
    lockstep_stream_one_way_pair,
    lockstep_stream_pair,
    memory_stream_one_way_pair,
    memory_stream_pair,
    memory_stream_pump,
    wait_all_tasks_blocked,
)

# ---------------------------------------------------------------- MemorySendStream


async def test_send_stream_buffers_and_hands_out_data() -> None:
    s = MemorySendStream()
    with assert_checkpoints():
        await s.send_all(b"abc")
    await s.send_all(bytearray(b"de"))
    await s.send_all(memoryview(b"f"))
    assert s.get_data_nowait(2) == b"ab"
    with assert_checkpoints():
        assert await s.get_data() == b"cdef"
    with pytest.raises(tether.WouldBlock):
        s.get_data_nowait()
    with pytest.raises(ValueError, match="max_bytes"):
        s.get_data_nowait(0)
    with pytest.raises(TypeError):
        await s.get_data(1.5)  # type: ignore[arg-type]


async def test_send_stream_get_data_waits_for_data() -> None:
    s = MemorySendStream()
    got: list[bytes | bytearray] = []

    async def getter() -> None:
        got.append(await s.get_data())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(getter)
        await wait_all_tasks_blocked()
        # wait_send_all_might_not_block does not wake the getter with nothing
        await s.wait_send_all_might_not_block()
        await wait_all_tasks_blocked()
        assert got == []
        await s.send_all(b"x")
    assert got == [b"x"]


async def test_send_stream_close_gives_eof_after_the_data() -> None:
    s = MemorySendStream()
    await s.send_all(b"xy")
    s.close()
    assert await s.get_data() == b"xy"
    assert await s.get_data() == b""
    assert s.get_data_nowait() == b""
    with pytest.raises(tether.ClosedResourceError):
        await s.send_all(b"z")
    with pytest.raises(tether.ClosedResourceError):
        await s.wait_send_all_might_not_block()
    with assert_checkpoints():
        await s.aclose()


async def test_send_stream_hooks() -> None:
    record: list[str] = []

    async def send_hook() -> None:
        record.append("send_all")

    async def wait_hook() -> None:
        record.append("wait")

    def close_hook() -> None:
        record.append("close")

    s = MemorySendStream(send_hook, wait_hook, close_hook)
    assert s.send_all_hook is send_hook
    await s.send_all(b"1")
    await s.wait_send_all_might_not_block()
    s.send_all_hook = None
    await s.send_all(b"2")
    await s.aclose()
    assert record == ["send_all", "wait", "close"]
    assert await s.get_data() == b"12"


async def test_send_stream_concurrent_use_is_busy() -> None:
    s = MemorySendStream()
    with pytest.RaisesGroup(tether.BusyResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(s.send_all, b"1")
            nursery.start_soon(s.wait_send_all_might_not_block)
    with pytest.RaisesGroup(tether.BusyResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(s.get_data)
            nursery.start_soon(s.get_data)
            await wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()


# ---------------------------------------------------------------- MemoryReceiveStream


async def test_receive_stream_put_data_and_eof() -> None:
    r = MemoryReceiveStream()
    r.put_data(b"abc")
    with assert_checkpoints():
        assert await r.receive_some(1) == b"a"
    assert await r.receive_some() == b"bc"
    r.put_data(b"d")
    r.put_eof()
    with pytest.raises(tether.ClosedResourceError):
        r.put_data(b"too late")
    assert await r.receive_some() == b"d"
    assert await r.receive_some() == b""
    assert await r.receive_some() == b""
    with pytest.raises(ValueError, match="max_bytes"):
        await r.receive_some(0)


async def test_receive_stream_hooks_and_close() -> None:
    record: list[str] = []
    r = MemoryReceiveStream()

    async def receive_hook() -> None:
        record.append("receive")
        r.put_data(b"from the hook")

    r.receive_some_hook = receive_hook
    r.close_hook = lambda: record.append("close")
    assert await r.receive_some() == b"from the hook"
    r.put_data(b"dropped")
    await r.aclose()
    assert record == ["receive", "close"]
    with pytest.raises(tether.ClosedResourceError):
        await r.receive_some()


async def test_receive_stream_close_wakes_a_blocked_receiver() -> None:
    r = MemoryReceiveStream()

    async def receiver() -> None:
        with pytest.raises(tether.ClosedResourceError):
            await r.receive_some()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(receiver)
        await wait_all_tasks_blocked()
        r.close()


async def test_receive_stream_concurrent_use_is_busy() -> None:
    r = MemoryReceiveStream()
    with pytest.RaisesGroup(tether.BusyResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(r.receive_some)
            nursery.start_soon(r.receive_some)


# ---------------------------------------------------------------- pump and pairs


async def test_pump() -> None:
    s = MemorySendStream()
    r = MemoryReceiveStream()
    assert not memory_stream_pump(s, r)
    await s.send_all(b"12345")
    assert memory_stream_pump(s, r, max_bytes=2)
    assert await r.receive_some() == b"12"
    assert memory_stream_pump(s, r)
    assert not memory_stream_pump(s, r)
    assert await r.receive_some() == b"345"
    await s.aclose()
    assert memory_stream_pump(s, r)  # the end of file goes across
    assert await r.receive_some() == b""

    s2 = MemorySendStream()
    r2 = MemoryReceiveStream()
    await s2.send_all(b"x")
    r2.close()
    with pytest.raises(tether.BrokenResourceError):
        memory_stream_pump(s2, r2)


async def test_one_way_pair_moves_data_and_eof() -> None:
    s, r = memory_stream_one_way_pair()
    await s.send_all(b"hello")
    assert await r.receive_some() == b"hello"
    # A stall, simulated by removing the hook.
    s.send_all_hook = None
    await s.send_all(b"held")
    with tether.move_on_after(1) as scope:
        await r.receive_some()
    assert scope.cancelled_caught
    assert memory_stream_pump(s, r)
    assert await r.receive_some() == b"held"
    await s.aclose()
    assert await r.receive_some() == b""


async def test_one_way_pair_closed_receiver_breaks_sender() -> None:
    s, r = memory_stream_one_way_pair()
    await r.aclose()
    with pytest.raises(tether.BrokenResourceError):
        await s.send_all(b"x")


async def test_memory_stream_pair() -> None:
    left, right = memory_stream_pair()
    assert isinstance(left, tether.StapledStream)
    await left.send_all(b"ping")
    assert await right.receive_some() == b"ping"
    await right.send_all(b"pong")
    assert await left.receive_some() == b"pong"
    await left.send_eof()
    assert await right.receive_some() == b""
    await right.send_all(b"still open this way")
    assert await left.receive_some() == b"still open this way"
    await left.aclose()
    await right.aclose()


# ---------------------------------------------------------------- lockstep


async def test_lockstep_send_waits_for_the_receiver() -> None:
    s, r = lockstep_stream_one_way_pair()
    record: list[str] = []

    async def sender() -> None:
        await s.send_all(b"abc")
        record.append("sent")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sender)
        await wait_all_tasks_blocked()
        assert record == []
        assert await r.receive_some(2) == b"ab"
        await wait_all_tasks_blocked()
        assert record == []
        assert await r.receive_some() == b"c"
    assert record == ["sent"]


async def test_lockstep_wait_send_all_might_not_block_waits_for_a_receiver() -> None:
    s, r = lockstep_stream_one_way_pair()
    record: list[str] = []

    async def waiter() -> None:
        await s.wait_send_all_might_not_block()
        record.append("woke")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        assert record == []
        nursery.start_soon(r.receive_some)
        await wait_all_tasks_blocked()
        assert record == ["woke"]
        nursery.cancel_scope.cancel()


async def test_lockstep_close_and_errors() -> None:
    s, r = lockstep_stream_one_way_pair()
    await s.aclose()
    assert await r.receive_some() == b""
    with pytest.raises(tether.ClosedResourceError):
        await s.send_all(b"x")
    await r.aclose()
    with pytest.raises(tether.ClosedResourceError):
        await r.receive_some()
    with pytest.raises(ValueError, match="max_bytes"):
        await r.receive_some(0)

    s, r = lockstep_stream_one_way_pair()
    await r.aclose()
    with pytest.raises(tether.BrokenResourceError):
        await s.send_all(b"x")
    await s.wait_send_all_might_not_block()  # returns at once


async def test_lockstep_pair() -> None:
    a, b = lockstep_stream_pair()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(a.send_all, b"to b")
        assert await b.receive_some() == b"to b"
    async with tether.open_nursery() as nursery:
        nursery.start_soon(b.send_all, b"to a")
        assert await a.receive_some() == b"to a"
    await a.aclose()
    await b.aclose()


def test_public_module() -> None:
    assert MemorySendStream.__module__ == "tether.testing"
    assert MemoryReceiveStream.__module__ == "tether.testing"
