"""asyncio-style code and tether code in the same tasks."""

from __future__ import annotations

import asyncio

import tether
import tether_asyncio
from tether.testing import MockClock


def _runner(clock: MockClock | None = None) -> tether_asyncio.Runner:
    return tether_asyncio.Runner(loop_factory=lambda: tether_asyncio.TetherLoop(clock=clock))


def test_scope_cancels_asyncio_style_code() -> None:
    seen: list[str] = []

    async def main() -> bool:
        with tether.move_on_after(0.01) as scope:
            try:
                await tether_asyncio.sleep(10)
            except asyncio.CancelledError as exc:
                seen.append(f"{type(exc).__name__} {isinstance(exc, tether.Cancelled)}")
                raise
        return scope.cancelled_caught

    with _runner() as runner:
        assert runner.run(main()) is True
    assert seen == ["TetherCancelled True"]


def test_task_cancel_cancels_tether_code_in_a_nursery() -> None:
    events: list[str] = []

    async def child() -> None:
        try:
            await tether.sleep_forever()
        finally:
            events.append("child unwound")

    async def body() -> None:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(child)
            await tether.sleep_forever()

    async def main() -> None:
        task = tether_asyncio.create_task(body())
        await tether_asyncio.sleep(0.01)
        task.cancel("stop")
        try:
            await task
        except asyncio.CancelledError:
            events.append("awaiter saw CancelledError")
        assert task.cancelled()

    with _runner() as runner:
        runner.run(main())
    assert events == ["child unwound", "awaiter saw CancelledError"]


def test_mock_clock_autojump_with_asyncio_sleeps() -> None:
    clock = MockClock(autojump_threshold=0)

    async def main() -> tuple[float, float]:
        loop = tether_asyncio.get_running_loop()
        start = loop.time()
        await tether_asyncio.sleep(3600)
        try:
            async with tether_asyncio.timeout(60):
                await tether_asyncio.sleep(7200)
        except TimeoutError:
            pass
        return start, loop.time()

    with _runner(clock) as runner:
        start, end = runner.run(main())
    assert end - start == 3660


def test_shield_inside_scope_keeps_inner_running() -> None:
    async def inner() -> str:
        await tether_asyncio.sleep(0.02)
        return "inner"

    async def main() -> str:
        task = tether_asyncio.create_task(inner())
        with tether.move_on_after(0.005):
            await tether_asyncio.shield(task)
        assert not task.done()
        result: str = await task
        return result

    with _runner(MockClock(autojump_threshold=0)) as runner:
        assert runner.run(main()) == "inner"


def test_loop_api_between_runs() -> None:
    loop = tether_asyncio.new_event_loop()
    try:
        order: list[str] = []
        loop.call_soon(order.append, "soon")
        handle = loop.call_later(10, order.append, "never")
        handle.cancel()
        assert handle.cancelled()
        fut = loop.create_future()
        loop.call_soon(fut.set_result, 5)
        assert loop.run_until_complete(fut) == 5
        assert order == ["soon"]
        assert not loop.is_running()
    finally:
        loop.close()
    assert loop.is_closed()


def test_scope_cancels_waits_in_locks_and_queues() -> None:
    """A tether scope's cancellation unblocks the asyncio primitives cleanly:
    the waiter is withdrawn, the lock passes on, the queue keeps its order."""
    events: list[str] = []

    async def main() -> None:
        lock = tether_asyncio.Lock()
        queue: tether_asyncio.Queue = tether_asyncio.Queue()
        await lock.acquire()

        async def other() -> None:
            async with lock:
                events.append("other got the lock")
            events.append(f"other got {await queue.get()}")

        task = tether_asyncio.create_task(other())
        await tether_asyncio.sleep(0)
        with tether.move_on_after(0.01) as scope:
            await lock.acquire()
        events.append(f"lock wait cancelled: {scope.cancelled_caught}")
        with tether.move_on_after(0.01) as scope:
            await queue.get()
        events.append(f"queue wait cancelled: {scope.cancelled_caught}")
        lock.release()
        queue.put_nowait("item")
        await task
        with tether.move_on_after(0.01) as scope:
            async with tether_asyncio.TaskGroup() as tg:
                tg.create_task(tether_asyncio.sleep(10))
        events.append(f"task group cancelled: {scope.cancelled_caught}")

    with _runner(MockClock(autojump_threshold=0)) as runner:
        runner.run(main())
    assert events == [
        "lock wait cancelled: True",
        "queue wait cancelled: True",
        "other got the lock",
        "other got item",
        "task group cancelled: True",
    ]


def test_task_cancel_waits_for_a_tether_shield() -> None:
    # Task.cancel() is an interrupt that tether shields hold back, even while
    # the task awaits a facade future inside the shield.
    async def body(out: list[str]) -> None:
        with tether.CancelScope(shield=True):
            await tether_asyncio.sleep(0.05)
            out.append("shielded sleep finished")
        out.append("after shield")
        await tether_asyncio.sleep(1)
        out.append("not reached")

    async def main() -> list[str]:
        out: list[str] = []
        task = tether_asyncio.create_task(body(out))
        await tether_asyncio.sleep(0.01)
        task.cancel("stop")
        try:
            await task
        except asyncio.CancelledError as exc:
            out.append(f"cancelled {exc.args}")
        assert task.cancelled()
        return out

    with _runner(MockClock(autojump_threshold=0)) as runner:
        assert runner.run(main()) == [
            "shielded sleep finished",
            "after shield",
            "cancelled ('stop',)",
        ]
