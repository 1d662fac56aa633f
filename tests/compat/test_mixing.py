"""asyncio-style code and tether code in the same tasks."""

from __future__ import annotations

import asyncio

import pytest

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


# -- tether.run() of asyncio-style code: the run's attached loop ----------------


def test_tether_run_gives_asyncio_style_code_a_running_loop() -> None:
    async def main() -> list[object]:
        loop = tether_asyncio.get_running_loop()
        seen: list[object] = [
            loop.is_running(),
            loop.is_closed(),
            loop.time() == tether.current_time(),
            tether_asyncio.get_running_loop() is loop,
            tether_asyncio.current_task(),  # a native task is not an asyncio task
        ]
        for refused in (loop.run_forever, loop.close):
            try:
                refused()
            except RuntimeError as exc:
                seen.append(str(exc))
        coro = tether_asyncio.sleep(0)
        try:
            tether_asyncio.run(coro)
        except RuntimeError as exc:
            seen.append(str(exc))
        coro.close()
        return seen

    assert tether.run(main, clock=MockClock()) == [
        True,
        False,
        True,
        True,
        None,
        "This event loop is already running",
        "Cannot close a running event loop",
        "asyncio.run() cannot be called from a running event loop",
    ]
    # Outside the run there is no running loop again.
    with pytest.raises(RuntimeError, match=r"^no running event loop$"):
        tether_asyncio.get_running_loop()


def test_tasks_created_from_tether_code_run_and_leftovers_are_cancelled() -> None:
    events: list[str] = []

    async def worker(n: int) -> int:
        await tether_asyncio.sleep(n)
        events.append(f"worker {n} at {tether.current_time()}")
        return n * 10

    async def forever() -> None:
        try:
            await tether_asyncio.sleep(3600)
        except asyncio.CancelledError:
            events.append("leftover cancelled")
            raise

    async def main() -> tuple[list[int], tether_asyncio.Task]:
        results = await tether_asyncio.gather(worker(2), worker(1))
        queue = tether_asyncio.Queue()
        async with tether.open_nursery() as nursery:
            nursery.start_soon(queue.put, 7)
            results.append(await queue.get())
        leftover = tether_asyncio.create_task(forever())
        await tether_asyncio.sleep(0)
        return results, leftover

    results, leftover = tether.run(main, clock=MockClock(autojump_threshold=0))
    assert results == [20, 10, 7]
    assert events == ["worker 1 at 1.0", "worker 2 at 2.0", "leftover cancelled"]
    assert leftover.cancelled()


def test_errors_of_tasks_created_from_tether_code_stay_in_the_task() -> None:
    async def fails() -> None:
        raise ValueError("kept in the task")

    async def main() -> str:
        task = tether_asyncio.create_task(fails())
        await tether_asyncio.wait([task])
        exc = task.exception()
        return f"{type(exc).__name__}: {exc}"

    assert tether.run(main) == "ValueError: kept in the task"


def test_tether_scopes_and_asyncio_timeouts_in_tether_run() -> None:
    async def main() -> list[str]:
        seen: list[str] = []
        with tether.move_on_after(1) as scope:
            await tether_asyncio.sleep(10)
        seen.append(f"scope caught: {scope.cancelled_caught} at {tether.current_time()}")

        async def with_timeout() -> None:
            async with tether_asyncio.timeout(2):
                await tether_asyncio.sleep(10)

        try:
            await tether_asyncio.create_task(with_timeout())
        except TimeoutError:
            seen.append(f"asyncio timeout in a task at {tether.current_time()}")
        # In the native task itself, asyncio.timeout works as a cancel scope.
        try:
            async with tether_asyncio.timeout(1) as cm:
                cm.reschedule(tether_asyncio.get_running_loop().time() + 2)
                await tether_asyncio.sleep(10)
        except TimeoutError as exc:
            cancelled = isinstance(exc.__cause__, tether.Cancelled)
            seen.append(f"native timeout at {tether.current_time()}, {cancelled}, {cm.expired()}")
        async with tether_asyncio.timeout(5) as cm:
            await tether_asyncio.sleep(1)
        seen.append(f"not expired: {cm.expired()}")
        seen.append(f"wait_for: {await tether_asyncio.wait_for(tether_asyncio.sleep(1, 'ok'), 5)}")
        try:
            await tether_asyncio.wait_for(tether_asyncio.sleep(10), 1)
        except TimeoutError:
            seen.append(f"wait_for timed out at {tether.current_time()}")
        return seen

    assert tether.run(main, clock=MockClock(autojump_threshold=0)) == [
        "scope caught: True at 1.0",
        "asyncio timeout in a task at 3.0",
        "native timeout at 5.0, True, True",
        "not expired: False",
        "wait_for: ok",
        "wait_for timed out at 8.0",
    ]


def test_each_run_has_its_own_loop_and_its_executor_is_shut_down() -> None:
    loops: list[tether_asyncio.TetherLoop] = []

    async def main() -> str:
        loops.append(tether_asyncio.get_running_loop())
        result: str = await tether_asyncio.to_thread(lambda: "from a thread")
        return result

    assert tether.run(main) == "from a thread"
    assert tether.run(main) == "from a thread"
    assert loops[0] is not loops[1]
    assert all(loop.is_closed() and not loop.is_running() for loop in loops)
    assert all(loop._default_executor is None for loop in loops)


def test_tether_scope_around_an_asyncio_taskgroup() -> None:
    events: list[str] = []

    async def child(n: int) -> None:
        try:
            await tether_asyncio.sleep(100)
        finally:
            await tether_asyncio.sleep(0)  # clean-up that awaits
            events.append(f"child {n} done")

    async def in_a_task() -> tuple[bool, int]:
        with tether.move_on_after(1) as scope:
            async with tether_asyncio.TaskGroup() as group:
                group.create_task(child(1))
                group.create_task(child(2))
        return scope.cancelled_caught, len(tether_asyncio.all_tasks())

    async def main() -> tuple[bool, int]:
        result: tuple[bool, int] = await tether_asyncio.create_task(in_a_task())
        return result

    assert tether.run(main, clock=MockClock(autojump_threshold=0)) == (True, 1)
    assert sorted(events) == ["child 1 done", "child 2 done"]


def test_taskgroup_in_a_native_tether_task() -> None:
    events: list[str] = []

    async def ok(n: int) -> int:
        await tether_asyncio.sleep(n)
        return n

    async def fails() -> None:
        await tether_asyncio.sleep(1)
        raise ValueError("child failed")

    async def sleeper(name: str) -> None:
        try:
            await tether_asyncio.sleep(100)
        except asyncio.CancelledError:
            events.append(f"{name} cancelled at {tether.current_time()}")
            raise

    async def main() -> None:
        # Plain use: the body and the children run, the exit waits for them.
        async with tether_asyncio.TaskGroup() as group:
            first = group.create_task(ok(1))
            second = group.create_task(ok(2))
        events.append(f"results {first.result()} {second.result()} at {tether.current_time()}")

        # A failing child cancels its siblings and the body (a native wait).
        async def failing_child() -> None:
            async with tether_asyncio.TaskGroup() as group:
                group.create_task(sleeper("sibling"))
                group.create_task(fails())
                try:
                    await tether.sleep(100)
                except tether.Cancelled:
                    events.append(f"body cancelled at {tether.current_time()}")
                    raise

        with pytest.raises(ExceptionGroup) as info:
            await failing_child()
        assert [repr(e) for e in info.value.exceptions] == ["ValueError('child failed')"]

        # An error in the body cancels the children and joins the group.
        async def failing_body() -> None:
            async with tether_asyncio.TaskGroup() as group:
                group.create_task(sleeper("child of a failing body"))
                await tether.sleep(1)
                raise KeyError("body failed")

        with pytest.raises(ExceptionGroup) as info:
            await failing_body()
        assert [repr(e) for e in info.value.exceptions] == ["KeyError('body failed')"]

        # An outer tether scope cancels the body and the children; the scope
        # catches its Cancelled.
        with tether.move_on_after(1) as scope:
            async with tether_asyncio.TaskGroup() as group:
                group.create_task(sleeper("child under a scope"))
                await tether.sleep(100)
        events.append(f"scope caught {scope.cancelled_caught} at {tether.current_time()}")

    tether.run(main, clock=MockClock(autojump_threshold=0))
    assert events == [
        "results 1 2 at 2.0",
        "sibling cancelled at 3.0",
        "body cancelled at 3.0",
        "child of a failing body cancelled at 4.0",
        "child under a scope cancelled at 5.0",
        "scope caught True at 5.0",
    ]
