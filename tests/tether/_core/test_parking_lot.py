"""ParkingLot: the FIFO wait queue, requeuing, cancellation and breaking."""

from __future__ import annotations

import math

import pytest

import tether
from tether.lowlevel import (
    ParkingLot,
    ParkingLotStatistics,
    Task,
    add_parking_lot_breaker,
    current_task,
    remove_parking_lot_breaker,
)
from tether.testing import wait_all_tasks_blocked


async def _park_and_log(lot: ParkingLot, name: str, log: list[str], tasks: list[Task]) -> None:
    tasks.append(current_task())
    log.append(f"park {name}")
    await lot.park()
    log.append(f"woke {name}")


async def test_empty_lot() -> None:
    lot = ParkingLot()
    assert len(lot) == 0
    assert not lot
    assert lot.statistics() == ParkingLotStatistics(tasks_waiting=0)
    assert lot.unpark() == []
    assert lot.unpark(count=3) == []
    assert lot.unpark(count=math.inf) == []
    assert lot.unpark_all() == []
    assert "0 waiting" in repr(lot)
    assert lot.broken_by == []


async def test_park_and_unpark_in_fifo_order() -> None:
    lot = ParkingLot()
    log: list[str] = []
    tasks: list[Task] = []
    async with tether.open_nursery() as nursery:
        for name in "abcde":
            nursery.start_soon(_park_and_log, lot, name, log, tasks)
        await wait_all_tasks_blocked()
        assert log == ["park a", "park b", "park c", "park d", "park e"]
        assert len(lot) == 5
        assert lot
        assert lot.statistics().tasks_waiting == 5
        assert "5 waiting" in repr(lot)

        assert lot.unpark() == [tasks[0]]
        assert len(lot) == 4
        await wait_all_tasks_blocked()
        assert log[5:] == ["woke a"]

        assert lot.unpark(count=2) == tasks[1:3]
        assert len(lot) == 2
        await wait_all_tasks_blocked()
        assert log[6:] == ["woke b", "woke c"]

        # Asking for more than are parked wakes what is there.
        assert lot.unpark(count=10) == tasks[3:]
        assert not lot
        await wait_all_tasks_blocked()
        assert log[8:] == ["woke d", "woke e"]


async def test_unpark_count_zero_wakes_nobody() -> None:
    lot = ParkingLot()
    log: list[str] = []
    tasks: list[Task] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_park_and_log, lot, "a", log, tasks)
        await wait_all_tasks_blocked()
        assert lot.unpark(count=0) == []
        assert len(lot) == 1
        await wait_all_tasks_blocked()
        assert log == ["park a"]
        lot.unpark_all()


async def test_unpark_inf_and_unpark_all() -> None:
    lot = ParkingLot()
    log: list[str] = []
    tasks: list[Task] = []
    async with tether.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_park_and_log, lot, name, log, tasks)
        await wait_all_tasks_blocked()
        assert lot.unpark(count=math.inf) == tasks
        assert len(lot) == 0
        await wait_all_tasks_blocked()
        assert log[3:] == ["woke a", "woke b", "woke c"]

        for name in "xyz":
            nursery.start_soon(_park_and_log, lot, name, log, tasks)
        await wait_all_tasks_blocked()
        assert lot.unpark_all() == tasks[3:]
        await wait_all_tasks_blocked()
        assert log[9:] == ["woke x", "woke y", "woke z"]


async def test_unpark_non_integer_count_is_an_error() -> None:
    lot = ParkingLot()
    with pytest.raises(ValueError, match="non-integer"):
        lot.unpark(count=1.5)


async def test_repark_keeps_order_and_tasks_stay_asleep() -> None:
    lot1 = ParkingLot()
    lot2 = ParkingLot()
    log: list[str] = []
    tasks: list[Task] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_park_and_log, lot2, "old", log, tasks)
        await wait_all_tasks_blocked()
        for name in "abcd":
            nursery.start_soon(_park_and_log, lot1, name, log, tasks)
        await wait_all_tasks_blocked()

        lot1.repark(lot2)
        assert (len(lot1), len(lot2)) == (3, 2)
        lot1.repark(lot2, count=2)
        assert (len(lot1), len(lot2)) == (1, 4)
        await wait_all_tasks_blocked()
        assert not any(entry.startswith("woke") for entry in log)

        # Moved tasks go to the back of the new lot, oldest first.
        assert lot2.unpark_all() == [tasks[0], tasks[1], tasks[2], tasks[3]]
        await wait_all_tasks_blocked()
        assert [entry for entry in log if entry.startswith("woke")] == [
            "woke old",
            "woke a",
            "woke b",
            "woke c",
        ]
        assert lot1.unpark_all() == [tasks[4]]


async def test_repark_all_and_inf() -> None:
    lot1 = ParkingLot()
    lot2 = ParkingLot()
    lot3 = ParkingLot()
    log: list[str] = []
    tasks: list[Task] = []
    async with tether.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(_park_and_log, lot1, name, log, tasks)
        await wait_all_tasks_blocked()
        lot1.repark_all(lot2)
        assert (len(lot1), len(lot2)) == (0, 3)
        lot2.repark(lot3, count=math.inf)
        assert (len(lot2), len(lot3)) == (0, 3)
        await wait_all_tasks_blocked()
        assert len(log) == 3

        # Waking through the old lots does nothing now.
        assert lot1.unpark_all() == []
        assert lot2.unpark_all() == []
        assert lot3.unpark() == [tasks[0]]
        assert lot3.unpark_all() == tasks[1:]
        await wait_all_tasks_blocked()
        assert log[3:] == ["woke a", "woke b", "woke c"]


async def test_repark_to_non_lot_is_a_type_error() -> None:
    lot = ParkingLot()
    with pytest.raises(TypeError):
        lot.repark([])  # type: ignore[arg-type]


async def test_reparked_task_can_be_cancelled_out_of_its_new_lot() -> None:
    lot1 = ParkingLot()
    lot2 = ParkingLot()
    caught: list[str] = []

    async def waiter(scope: tether.CancelScope) -> None:
        with scope:
            await lot1.park()
        caught.append("cancelled" if scope.cancelled_caught else "woken")

    scope = tether.CancelScope()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter, scope)
        await wait_all_tasks_blocked()
        lot1.repark_all(lot2)
        scope.cancel()
        await wait_all_tasks_blocked()
        assert caught == ["cancelled"]
        assert len(lot1) == 0
        assert len(lot2) == 0


async def test_cancelled_parker_is_removed_and_order_kept() -> None:
    lot = ParkingLot()
    log: list[str] = []
    tasks: list[Task] = []
    scopes = {name: tether.CancelScope() for name in "abc"}

    async def waiter(name: str) -> None:
        with scopes[name]:
            await _park_and_log(lot, name, log, tasks)
        if scopes[name].cancelled_caught:
            log.append(f"cancelled {name}")

    async with tether.open_nursery() as nursery:
        for name in "abc":
            nursery.start_soon(waiter, name)
        await wait_all_tasks_blocked()
        scopes["b"].cancel()
        await wait_all_tasks_blocked()
        assert len(lot) == 2
        assert log[3:] == ["cancelled b"]
        assert lot.unpark_all() == [tasks[0], tasks[2]]
        await wait_all_tasks_blocked()
        assert log[4:] == ["woke a", "woke c"]


async def test_park_in_cancelled_scope_raises_at_once() -> None:
    lot = ParkingLot()
    with tether.CancelScope() as scope:
        scope.cancel()
        await lot.park()
    assert scope.cancelled_caught
    assert len(lot) == 0


async def test_break_lot_wakes_parked_tasks_and_refuses_new_ones() -> None:
    lot = ParkingLot()
    errors: list[BaseException] = []

    async def waiter() -> None:
        try:
            await lot.park()
        except tether.BrokenResourceError as exc:
            errors.append(exc)

    async with tether.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        lot.break_lot()
        assert len(lot) == 0
    assert len(errors) == 3
    # Each waiter gets its own exception object.
    assert len({id(e) for e in errors}) == 3
    me = current_task()
    assert lot.broken_by == [me]
    assert repr(me) in str(errors[0])

    with pytest.raises(tether.BrokenResourceError):
        await lot.park()
    # Breaking again with the same task does not list it twice.
    lot.break_lot()
    assert lot.broken_by == [me]


async def test_break_lot_with_explicit_task() -> None:
    lot = ParkingLot()
    other: list[Task] = []

    async def record_task() -> None:
        other.append(current_task())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(record_task)
    lot.break_lot(other[0])
    assert lot.broken_by == [other[0]]
    lot.break_lot()
    assert lot.broken_by == [other[0], current_task()]


async def test_breaker_task_exiting_breaks_the_lot() -> None:
    lot = ParkingLot()
    errors: list[BaseException] = []
    release = tether.Event()
    breaker: list[Task] = []

    async def breaker_task() -> None:
        breaker.append(current_task())
        add_parking_lot_breaker(current_task(), lot)
        await release.wait()

    async def waiter() -> None:
        try:
            await lot.park()
        except tether.BrokenResourceError as exc:
            errors.append(exc)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(breaker_task)
        nursery.start_soon(waiter)
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        assert len(lot) == 2
        assert errors == []
        release.set()
    assert len(errors) == 2
    assert lot.broken_by == breaker
    with pytest.raises(tether.BrokenResourceError):
        await lot.park()


async def test_breaker_task_exiting_with_error_breaks_the_lot() -> None:
    lot = ParkingLot()

    async def breaker_task() -> None:
        add_parking_lot_breaker(current_task(), lot)
        await tether.lowlevel.checkpoint()
        raise KeyError("boom")

    with pytest.RaisesGroup(KeyError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(breaker_task)
    assert len(lot.broken_by) == 1
    with pytest.raises(tether.BrokenResourceError):
        await lot.park()


async def test_one_task_can_break_several_lots() -> None:
    lots = [ParkingLot(), ParkingLot()]

    async def breaker_task() -> None:
        for lot in lots:
            add_parking_lot_breaker(current_task(), lot)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(breaker_task)
    assert all(len(lot.broken_by) == 1 for lot in lots)


async def test_removed_breaker_does_not_break_the_lot() -> None:
    lot = ParkingLot()
    other_lot = ParkingLot()

    async def breaker_task() -> None:
        task = current_task()
        add_parking_lot_breaker(task, lot)
        add_parking_lot_breaker(task, other_lot)
        remove_parking_lot_breaker(task, lot)
        with pytest.raises(RuntimeError):
            remove_parking_lot_breaker(task, lot)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(breaker_task)
    assert lot.broken_by == []
    assert len(other_lot.broken_by) == 1

    async def parker() -> None:
        await lot.park()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(parker)
        await wait_all_tasks_blocked()
        assert lot.unpark() != []


async def test_remove_unknown_breaker_is_a_runtime_error() -> None:
    lot = ParkingLot()
    with pytest.raises(RuntimeError):
        remove_parking_lot_breaker(current_task(), lot)
    add_parking_lot_breaker(current_task(), ParkingLot())
    # Registered for some lot, but not this one.
    with pytest.raises(RuntimeError):
        remove_parking_lot_breaker(current_task(), lot)


async def test_adding_an_exited_task_as_breaker_fails() -> None:
    lot = ParkingLot()
    done: list[Task] = []

    async def short() -> None:
        done.append(current_task())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(short)
    with pytest.raises(tether.BrokenResourceError):
        add_parking_lot_breaker(done[0], lot)
    assert lot.broken_by == []


def test_parking_lot_statistics_is_frozen() -> None:
    stats = ParkingLotStatistics(tasks_waiting=2)
    assert stats.tasks_waiting == 2
    with pytest.raises(AttributeError):
        stats.tasks_waiting = 3  # type: ignore[misc]
