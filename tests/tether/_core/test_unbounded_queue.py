"""UnboundedQueue: producers never block, consumers take everything at once."""

from __future__ import annotations

import pytest

import tether
from tether.lowlevel import UnboundedQueue, UnboundedQueueStatistics
from tether.testing import wait_all_tasks_blocked


async def test_put_and_get_batch_nowait() -> None:
    q: UnboundedQueue[int] = UnboundedQueue()
    assert q.empty()
    assert q.qsize() == 0
    with pytest.raises(tether.WouldBlock):
        q.get_batch_nowait()

    q.put_nowait(1)
    q.put_nowait(2)
    assert not q.empty()
    assert q.qsize() == 2
    assert "2 items" in repr(q)
    assert q.statistics() == UnboundedQueueStatistics(qsize=2, tasks_waiting=0)

    assert q.get_batch_nowait() == [1, 2]
    assert q.empty()
    with pytest.raises(tether.WouldBlock):
        q.get_batch_nowait()

    q.put_nowait(3)
    assert q.get_batch_nowait() == [3]


async def test_get_batch_returns_at_once_when_items_are_queued() -> None:
    q: UnboundedQueue[str] = UnboundedQueue()
    q.put_nowait("a")
    q.put_nowait("b")
    assert await q.get_batch() == ["a", "b"]
    assert q.empty()


async def test_get_batch_blocks_until_put() -> None:
    q: UnboundedQueue[int] = UnboundedQueue()
    batches: list[list[int]] = []

    async def consumer() -> None:
        batches.append(await q.get_batch())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(consumer)
        await wait_all_tasks_blocked()
        assert batches == []
        assert q.statistics() == UnboundedQueueStatistics(qsize=0, tasks_waiting=1)
        q.put_nowait(1)
        q.put_nowait(2)
        q.put_nowait(3)
        # The woken consumer has first claim: nobody else can take the batch.
        with pytest.raises(tether.WouldBlock):
            q.get_batch_nowait()
        assert q.statistics() == UnboundedQueueStatistics(qsize=3, tasks_waiting=0)
    # Everything put before the consumer ran arrives in one batch.
    assert batches == [[1, 2, 3]]
    assert q.empty()


async def test_waiting_consumers_are_served_in_turn() -> None:
    q: UnboundedQueue[int] = UnboundedQueue()
    got: list[tuple[str, list[int]]] = []

    async def consumer(name: str) -> None:
        got.append((name, await q.get_batch()))

    async with tether.open_nursery() as nursery:
        nursery.start_soon(consumer, "first")
        await wait_all_tasks_blocked()
        nursery.start_soon(consumer, "second")
        await wait_all_tasks_blocked()
        assert q.statistics().tasks_waiting == 2
        q.put_nowait(1)
        q.put_nowait(2)
        await wait_all_tasks_blocked()
        assert got == [("first", [1, 2])]
        assert q.statistics().tasks_waiting == 1
        q.put_nowait(3)
        await wait_all_tasks_blocked()
        assert got == [("first", [1, 2]), ("second", [3])]


async def test_get_batch_is_a_checkpoint_even_with_items() -> None:
    q: UnboundedQueue[int] = UnboundedQueue()
    q.put_nowait(1)
    with tether.CancelScope() as scope:
        scope.cancel()
        await q.get_batch()
    assert scope.cancelled_caught
    # The cancelled call took nothing.
    assert q.get_batch_nowait() == [1]

    # And it is a schedule point.
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(other)
        q.put_nowait(2)
        assert await q.get_batch() == [2]
        assert ran == ["other"]


async def test_cancelled_waiter_leaves_items_for_the_next() -> None:
    q: UnboundedQueue[int] = UnboundedQueue()
    got: list[list[int]] = []

    async def consumer(scope: tether.CancelScope) -> None:
        with scope:
            got.append(await q.get_batch())

    scope = tether.CancelScope()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(consumer, scope)
        await wait_all_tasks_blocked()
        scope.cancel()
        await wait_all_tasks_blocked()
        assert q.statistics().tasks_waiting == 0
    assert scope.cancelled_caught
    assert got == []
    q.put_nowait(5)
    assert q.get_batch_nowait() == [5]


async def test_async_iteration_yields_batches() -> None:
    q: UnboundedQueue[int] = UnboundedQueue()
    batches: list[list[int]] = []

    async def consumer() -> None:
        async for batch in q:
            batches.append(batch)
            if 99 in batch:
                return

    async with tether.open_nursery() as nursery:
        nursery.start_soon(consumer)
        await wait_all_tasks_blocked()
        q.put_nowait(1)
        await wait_all_tasks_blocked()
        q.put_nowait(2)
        q.put_nowait(3)
        await wait_all_tasks_blocked()
        q.put_nowait(99)
    assert batches == [[1], [2, 3], [99]]
    assert q.__aiter__() is q
