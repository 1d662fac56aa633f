"""Memory channels and as_safe_channel."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
from schedule_oracles import (
    FAST_PATH_YIELD_INTERVAL,
    assert_no_schedule_point,
    assert_schedule_point,
    fast_path_lets_others_run,
    lets_others_run,
    raises_if_cancelled,
)

import tether
from tether.abc import ReceiveChannel
from tether.lowlevel import checkpoint
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable


def run_autojump(fn: Callable[[], Awaitable[object]]) -> None:
    tether.run(fn, clock=MockClock(autojump_threshold=0))


# -- open_memory_channel ------------------------------------------------------------------


async def test_open_validation() -> None:
    with pytest.raises(TypeError):
        tether.open_memory_channel(1.0)
    with pytest.raises(TypeError):
        tether.open_memory_channel("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^max_buffer_size must be >= 0$"):
        tether.open_memory_channel(-1)
    with pytest.raises(TypeError, match="no public constructor"):
        tether.MemorySendChannel()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="no public constructor"):
        tether.MemoryReceiveChannel()  # type: ignore[call-arg]


async def test_typed_form_and_basics() -> None:
    send, recv = tether.open_memory_channel[int](2)
    assert isinstance(send, tether.MemorySendChannel)
    assert isinstance(recv, tether.MemoryReceiveChannel)
    assert "send channel" in repr(send)
    assert "receive channel" in repr(recv)
    send.send_nowait(1)
    await send.send(2)
    with pytest.raises(tether.WouldBlock):
        send.send_nowait(3)
    assert await recv.receive() == 1
    assert recv.receive_nowait() == 2
    with pytest.raises(tether.WouldBlock):
        recv.receive_nowait()


async def test_statistics() -> None:
    send, recv = tether.open_memory_channel[int](3)
    send2 = send.clone()
    assert send.statistics() == tether.MemoryChannelStatistics(
        current_buffer_used=0,
        max_buffer_size=3,
        open_send_channels=2,
        open_receive_channels=1,
        tasks_waiting_send=0,
        tasks_waiting_receive=0,
        peak_buffer_used=0,
    )
    for i in range(3):
        send.send_nowait(i)
    recv.receive_nowait()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(send.send, 10)
        nursery.start_soon(send2.send, 11)
        await wait_all_tasks_blocked()
        stats = recv.statistics()
        assert stats.current_buffer_used == 3
        assert stats.tasks_waiting_send == 1  # the other fit into the buffer
        assert stats.peak_buffer_used == 3
        for _ in range(4):
            recv.receive_nowait()
    send3, recv3 = tether.open_memory_channel[int](0)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(recv3.receive)
        nursery.start_soon(recv3.receive)
        await wait_all_tasks_blocked()
        assert send3.statistics().tasks_waiting_receive == 2
        send3.send_nowait(1)
        send3.send_nowait(2)
    assert send3.statistics().peak_buffer_used == 0
    await send2.aclose()
    assert recv.statistics().open_send_channels == 1


async def test_fifo_senders_and_receivers() -> None:
    send, recv = tether.open_memory_channel[int](0)
    received: list[tuple[int, int]] = []

    async def receiver(i: int) -> None:
        received.append((i, await recv.receive()))

    async with tether.open_nursery() as nursery:
        for i in range(3):
            nursery.start_soon(receiver, i)
            await wait_all_tasks_blocked()
        for value in (10, 11, 12):
            await send.send(value)
    assert received == [(0, 10), (1, 11), (2, 12)]

    async with tether.open_nursery() as nursery:
        for value in (20, 21, 22):
            nursery.start_soon(send.send, value)
            await wait_all_tasks_blocked()
        assert [await recv.receive() for _ in range(3)] == [20, 21, 22]


async def test_rendezvous_send_waits_for_receiver() -> None:
    send, recv = tether.open_memory_channel[str](0)
    done: list[str] = []

    async def sender() -> None:
        await send.send("x")
        done.append("sent")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sender)
        await wait_all_tasks_blocked()
        assert done == []
        assert recv.statistics().current_buffer_used == 0
        assert recv.receive_nowait() == "x"
    assert done == ["sent"]


async def test_infinite_buffer() -> None:
    send, recv = tether.open_memory_channel[int](math.inf)
    for i in range(1000):
        send.send_nowait(i)
    assert send.statistics().max_buffer_size == math.inf
    assert send.statistics().peak_buffer_used == 1000
    assert [recv.receive_nowait() for _ in range(1000)] == list(range(1000))


async def test_cancelled_send_leaves_channel_unchanged() -> None:
    send, recv = tether.open_memory_channel[int](1)
    send.send_nowait(1)
    # blocked, then cancelled: the value never arrives
    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(send.send, 2)
            await wait_all_tasks_blocked()
            scope.cancel()
    assert scope.cancelled_caught
    assert recv.statistics().tasks_waiting_send == 0
    # cancelled before trying, with room in the buffer: nothing sent either
    assert recv.receive_nowait() == 1
    await raises_if_cancelled(lambda: send.send(3))
    assert recv.statistics().current_buffer_used == 0
    with pytest.raises(tether.WouldBlock):
        recv.receive_nowait()
    # and a cancelled receive takes nothing
    send.send_nowait(4)
    await raises_if_cancelled(recv.receive)
    assert recv.receive_nowait() == 4


async def test_cancelled_receive_leaves_channel_unchanged() -> None:
    send, recv = tether.open_memory_channel[int](0)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(recv.receive)
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert recv.statistics().tasks_waiting_receive == 0
    with pytest.raises(tether.WouldBlock):
        send.send_nowait(1)


async def test_fast_paths_are_checkpoints() -> None:
    # A send with room and a receive with an item waiting are cancel points
    # and fast-path schedule points: counted every time, yielding to the
    # scheduler once every FAST_PATH_YIELD_INTERVAL of them.
    send, recv = tether.open_memory_channel[int](math.inf)
    await fast_path_lets_others_run(lambda: send.send(1))
    await fast_path_lets_others_run(recv.receive)

    async def next_item() -> int:
        return await recv.__anext__()

    for _ in range(FAST_PATH_YIELD_INTERVAL):
        send.send_nowait(2)
    await fast_path_lets_others_run(next_item)
    assert recv.statistics().current_buffer_used == 0

    await raises_if_cancelled(lambda: send.send(3))
    send.send_nowait(3)
    await raises_if_cancelled(recv.receive)
    await raises_if_cancelled(next_item)
    assert recv.statistics().current_buffer_used == 1
    with assert_no_schedule_point():
        send.send_nowait(4)
        assert recv.receive_nowait() == 3
        send.close()
        recv.close()
    # aclose is a checkpoint too, and closes even when cancelled
    send2, recv2 = tether.open_memory_channel[int](0)
    await lets_others_run(send2.aclose)
    await raises_if_cancelled(recv2.aclose)
    with pytest.raises(tether.ClosedResourceError):
        recv2.receive_nowait()


async def test_operations_that_wait_are_real_schedule_points() -> None:
    send, recv = tether.open_memory_channel[int](0)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(send.send, 1)
        with assert_schedule_point():  # nothing to receive yet: waits
            assert await recv.receive() == 1
        nursery.start_soon(recv.receive)
        with assert_schedule_point():  # no receiver waiting yet: waits
            await send.send(2)


async def test_busy_fast_paths_let_others_run() -> None:
    # A producer whose sends never wait still lets other tasks run, at
    # least once every FAST_PATH_YIELD_INTERVAL sends.
    send, recv = tether.open_memory_channel[int](math.inf)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await checkpoint()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(ticker)
        for _ in range(10 * FAST_PATH_YIELD_INTERVAL):
            await send.send(0)
        nursery.cancel_scope.cancel()
    assert ticks >= 10
    assert recv.statistics().current_buffer_used == 10 * FAST_PATH_YIELD_INTERVAL


async def test_close_send_side() -> None:
    send, recv = tether.open_memory_channel[str](5)
    send2 = send.clone()
    send.send_nowait("a")
    await send.aclose()
    await send.aclose()  # idempotent
    with pytest.raises(tether.ClosedResourceError):
        await send.send("x")
    with pytest.raises(tether.ClosedResourceError):
        send.send_nowait("x")
    with pytest.raises(tether.ClosedResourceError):
        send.clone()
    # another clone is open: no EndOfChannel yet
    send2.send_nowait("b")
    assert recv.receive_nowait() == "a"
    assert recv.receive_nowait() == "b"
    with pytest.raises(tether.WouldBlock):
        recv.receive_nowait()
    got: list[str] = []

    async def receiver() -> None:
        with pytest.raises(tether.EndOfChannel):
            await recv.receive()
        got.append("eof")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(receiver)
        await wait_all_tasks_blocked()
        send2.close()
    assert got == ["eof"]
    with pytest.raises(tether.EndOfChannel):
        recv.receive_nowait()
    with pytest.raises(tether.EndOfChannel):
        await recv.receive()


async def test_buffer_drains_after_senders_close() -> None:
    send, recv = tether.open_memory_channel[int](3)
    for i in range(3):
        send.send_nowait(i)
    send.close()
    assert [value async for value in recv] == [0, 1, 2]


async def test_close_receive_side() -> None:
    send, recv = tether.open_memory_channel[int](1)
    recv2 = recv.clone()
    send.send_nowait(1)
    recv.close()
    with pytest.raises(tether.ClosedResourceError):
        recv.receive_nowait()
    with pytest.raises(tether.ClosedResourceError):
        await recv.receive()
    with pytest.raises(tether.ClosedResourceError):
        recv.clone()
    assert recv2.receive_nowait() == 1
    send.send_nowait(2)
    errors: list[BaseException] = []

    async def sender() -> None:
        try:
            await send.send(3)
        except tether.BrokenResourceError as exc:
            errors.append(exc)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(sender)
        await wait_all_tasks_blocked()
        await recv2.aclose()
    assert len(errors) == 1
    # the buffer was discarded
    assert send.statistics().current_buffer_used == 0
    with pytest.raises(tether.BrokenResourceError):
        send.send_nowait(4)
    with pytest.raises(tether.BrokenResourceError):
        await send.send(4)


async def test_close_wakes_own_blocked_tasks_only() -> None:
    send, recv = tether.open_memory_channel[int](0)
    send2 = send.clone()
    recv2 = recv.clone()
    results: list[str] = []

    async def do_send(ch: tether.MemorySendChannel[int], tag: str) -> None:
        try:
            await ch.send(0)
            results.append(f"{tag} sent")
        except tether.ClosedResourceError:
            results.append(f"{tag} closed")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(do_send, send, "s1")
        nursery.start_soon(do_send, send2, "s2")
        await wait_all_tasks_blocked()
        send.close()
        await wait_all_tasks_blocked()
        assert results == ["s1 closed"]
        assert recv.receive_nowait() == 0
    assert results == ["s1 closed", "s2 sent"]

    async def do_receive(ch: tether.MemoryReceiveChannel[int], tag: str) -> None:
        try:
            await ch.receive()
            results.append(f"{tag} got")
        except tether.ClosedResourceError:
            results.append(f"{tag} closed")

    results.clear()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(do_receive, recv, "r1")
        nursery.start_soon(do_receive, recv2, "r2")
        await wait_all_tasks_blocked()
        recv2.close()
        await wait_all_tasks_blocked()
        assert results == ["r2 closed"]
        send2.send_nowait(1)
    assert results == ["r2 closed", "r1 got"]


async def test_values_handed_to_blocked_receivers() -> None:
    # A sender that finds receivers waiting hands its value straight to the
    # oldest one (receive() and async for alike); the value arrives intact,
    # None and unhashable values included, and never passes the buffer.
    send, recv = tether.open_memory_channel[object](0)
    marker: list[int] = []
    got: list[tuple[str, object]] = []

    async def by_receive(tag: str) -> None:
        got.append((tag, await recv.receive()))

    async def by_iteration(tag: str) -> None:
        async for value in recv:
            got.append((tag, value))
            return

    async with tether.open_nursery() as nursery:
        nursery.start_soon(by_receive, "r1")
        await wait_all_tasks_blocked()
        nursery.start_soon(by_iteration, "i1")
        await wait_all_tasks_blocked()
        nursery.start_soon(by_receive, "r2")
        await wait_all_tasks_blocked()
        assert recv.statistics().tasks_waiting_receive == 3
        await send.send(None)
        send.send_nowait(marker)
        await send.send("x")
        assert recv.statistics().tasks_waiting_receive == 0
        assert recv.statistics().peak_buffer_used == 0
    assert got == [("r1", None), ("i1", marker), ("r2", "x")]
    assert got[1][1] is marker

    # async for, blocked when the last send end closes: the loop just ends.
    ended: list[str] = []

    async def drain(ch: tether.MemoryReceiveChannel[object]) -> None:
        async for _ in ch:
            pass  # pragma: no cover - nothing is sent
        ended.append("end")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(drain, recv)
        await wait_all_tasks_blocked()
        await send.aclose()
    assert ended == ["end"]


async def test_sync_context_managers() -> None:
    send, recv = tether.open_memory_channel[int](1)
    with send as s:
        assert s is send
        s.send_nowait(1)
    with pytest.raises(tether.ClosedResourceError):
        send.send_nowait(2)
    with recv as r:
        assert r is recv
        assert r.receive_nowait() == 1
        with pytest.raises(tether.EndOfChannel):
            r.receive_nowait()
    with pytest.raises(tether.ClosedResourceError):
        recv.receive_nowait()
    # __exit__ closes even on error, and doesn't swallow it
    send, recv = tether.open_memory_channel[int](1)
    with pytest.raises(KeyError), send:
        raise KeyError
    assert recv.statistics().open_send_channels == 0


async def test_async_context_managers() -> None:
    send, recv = tether.open_memory_channel[int](1)
    async with send, recv:
        pass
    stats = send.statistics()
    assert (stats.open_send_channels, stats.open_receive_channels) == (0, 0)


async def test_aclose_forcefully() -> None:
    send, recv = tether.open_memory_channel[int](0)
    await tether.aclose_forcefully(send)
    await tether.aclose_forcefully(recv)
    with pytest.raises(tether.ClosedResourceError):
        send.send_nowait(1)
    with pytest.raises(tether.ClosedResourceError):
        recv.receive_nowait()


async def test_async_iteration_with_clones() -> None:
    send, recv = tether.open_memory_channel[int](0)
    collected: dict[str, list[int]] = {"a": [], "b": []}

    async def producer(ch: tether.MemorySendChannel[int], start: int) -> None:
        async with ch:
            for i in range(start, start + 5):
                await ch.send(i)

    async def consumer(ch: tether.MemoryReceiveChannel[int], tag: str) -> None:
        async with ch:
            async for value in ch:
                collected[tag].append(value)

    async with tether.open_nursery() as nursery, send, recv:
        nursery.start_soon(producer, send.clone(), 0)
        nursery.start_soon(producer, send.clone(), 100)
        nursery.start_soon(consumer, recv.clone(), "a")
        nursery.start_soon(consumer, recv.clone(), "b")
    values = sorted(collected["a"] + collected["b"])
    assert values == [*range(5), *range(100, 105)]
    assert collected["a"]
    assert collected["b"]


def test_channel_timeouts_under_autojump_clock() -> None:
    async def main() -> None:
        send, recv = tether.open_memory_channel[int](0)
        with tether.move_on_after(3) as scope:
            await send.send(1)
        assert scope.cancelled_caught
        assert tether.current_time() == 3
        assert send.statistics().tasks_waiting_send == 0
        with pytest.raises(tether.TooSlowError), tether.fail_after(1):
            await recv.receive()

    run_autojump(main)


# -- as_safe_channel ----------------------------------------------------------------------


async def test_safe_channel_exhaust_and_arguments() -> None:
    @tether.as_safe_channel
    async def numbers(n: int, *, step: int = 1) -> AsyncGenerator[int]:
        for i in range(0, n, step):
            yield i

    async with numbers(10, step=3) as chan:
        assert isinstance(chan, ReceiveChannel)
        assert [x async for x in chan] == [0, 3, 6, 9]
        with pytest.raises(tether.EndOfChannel):
            await chan.receive()
    assert numbers.__name__ == "numbers"


async def test_safe_channel_is_lazy_and_closes_generator() -> None:
    events: list[str] = []

    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        try:
            for i in range(10):
                events.append(f"make {i}")
                yield i
        finally:
            events.append("closed")

    async with agen() as chan:
        await wait_all_tasks_blocked()
        assert events == []  # nothing asked for yet
        assert await chan.receive() == 0
        await wait_all_tasks_blocked()
        assert events == ["make 0"]
        async for i in chan:
            assert i == 1
            break
    assert events == ["make 0", "make 1", "closed"]


async def test_safe_channel_generator_error_propagates_unwrapped() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        yield 1
        raise ValueError("oops")

    async def consume() -> None:
        async with agen() as chan:
            async for x in chan:
                assert x == 1

    with pytest.raises(ValueError, match=r"^oops$"):
        await consume()


async def test_safe_channel_body_error_propagates_unwrapped() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        yield 1

    async def consume() -> None:
        async with agen() as chan:
            await chan.receive()
            raise KeyError("body")

    with pytest.raises(KeyError):
        await consume()


async def test_safe_channel_user_exception_group_kept() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[None]:
        raise AssertionError("never started")
        yield  # pragma: no cover

    with pytest.RaisesGroup(pytest.RaisesExc(ValueError, match="bar"), match="foo"):
        async with agen():
            raise ExceptionGroup("foo", [ValueError("bar")])


async def test_safe_channel_both_fail() -> None:
    @tether.as_safe_channel
    async def agen(events: list[str]) -> AsyncGenerator[int]:
        try:
            yield 1
        except BaseException as exc:
            events.append(type(exc).__name__)
            raise
        finally:
            raise ValueError("cleanup")

    events: list[str] = []
    with pytest.RaisesGroup(
        pytest.RaisesExc(ValueError, match="^cleanup$"),
        pytest.RaisesExc(TypeError, match="^body$"),
    ) as info:
        async with agen(events) as chan:
            async for _ in chan:
                raise TypeError("body")
    assert info.value.__notes__ == [
        "Encountered exception during cleanup of generator object, as well as "
        "exception in the contextmanager body - unable to unwrap."
    ]
    assert events == ["GeneratorExit"]


async def test_safe_channel_cancel_before_use() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[None]:
        raise AssertionError("not iterated")
        yield  # pragma: no cover

    with tether.CancelScope() as scope:
        async with agen():
            scope.cancel()
    assert scope.cancel_called


async def test_safe_channel_outer_cancellation() -> None:
    @tether.as_safe_channel
    async def agen(events: list[str]) -> AsyncGenerator[None]:
        try:
            yield
        finally:
            try:
                await checkpoint()
            except tether.Cancelled:
                events.append("agen cancelled")
                raise

    events: list[str] = []

    async def consume(scope: tether.CancelScope) -> None:
        async with agen(events) as chan:
            async for _ in chan:
                scope.cancel()
                try:
                    await checkpoint()
                except tether.Cancelled:
                    events.append("body cancelled")
                    raise

    with tether.CancelScope() as scope, pytest.raises(tether.Cancelled):
        await consume(scope)
    assert events == ["body cancelled", "agen cancelled"]


def test_safe_channel_does_not_compute_unrequested_values() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        yield 1
        raise AssertionError("second value computed")

    async def main() -> None:
        with tether.move_on_after(5):
            async with agen() as chan:
                async for x in chan:
                    assert x == 1
                    await tether.sleep_forever()
        assert tether.current_time() == 5

    run_autojump(main)


async def test_safe_channel_close() -> None:
    @tether.as_safe_channel
    async def forever() -> AsyncGenerator[int]:
        i = 0
        while True:
            yield i
            i += 1

    async with forever() as chan:
        assert await chan.receive() == 0
        await chan.aclose()
        with pytest.raises(tether.ClosedResourceError):
            await chan.receive()

    async with forever() as chan:
        with chan:  # type: ignore[attr-defined]  # sync close, as in Trio
            assert await chan.receive() == 0
        with pytest.raises(tether.ClosedResourceError):
            await chan.receive()


async def test_safe_channel_multiple_receivers() -> None:
    event = tether.Event()

    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        await event.wait()
        yield 0
        yield 1

    got: list[int] = []

    async def receiver(chan: ReceiveChannel[int]) -> None:
        got.append(await chan.receive())

    async with agen() as chan, tether.open_nursery() as nursery:
        nursery.start_soon(receiver, chan)
        nursery.start_soon(receiver, chan)
        await wait_all_tasks_blocked()
        event.set()
    assert got == [0, 1]


async def test_safe_channel_nursery_inside_generator() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        async with tether.open_nursery():
            yield 1
            yield 2

    async with agen() as chan:
        async for x in chan:
            assert x == 1
            break


async def test_safe_channel_nested() -> None:
    @tether.as_safe_channel
    async def agen() -> AsyncGenerator[int]:
        for i in range(2):
            yield i

    pairs = []
    async with agen() as outer:
        async for i in outer:
            async with agen() as inner:
                async for j in inner:
                    pairs.append((i, j))
    assert pairs == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_public_names() -> None:
    for name in [
        "MemoryChannelStatistics",
        "MemoryReceiveChannel",
        "MemorySendChannel",
        "open_memory_channel",
        "as_safe_channel",
    ]:
        obj = getattr(tether, name)
        assert obj.__module__ == "tether"
        assert obj.__doc__
