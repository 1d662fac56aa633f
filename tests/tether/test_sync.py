"""Event, Lock, StrictFIFOLock, Semaphore, Condition and CapacityLimiter."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pytest
from schedule_oracles import (
    FAST_PATH_YIELD_INTERVAL,
    assert_no_schedule_point,
    fast_path_lets_others_run,
    lets_others_run,
    raises_if_cancelled,
)

import tether
from tether.lowlevel import (
    checkpoint,
    current_task,
)
from tether.testing import MockClock, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


# -- helpers ------------------------------------------------------------------------------


def run_autojump(fn: Callable[[], Awaitable[object]]) -> None:
    tether.run(fn, clock=MockClock(autojump_threshold=0))


# -- Event --------------------------------------------------------------------------------


async def test_event_basics() -> None:
    event = tether.Event()
    assert not event.is_set()
    assert "unset" in repr(event)
    assert event.statistics() == tether.EventStatistics(tasks_waiting=0)
    woken: list[int] = []

    async def waiter(i: int) -> None:
        await event.wait()
        woken.append(i)

    async with tether.open_nursery() as nursery:
        for i in range(3):
            nursery.start_soon(waiter, i)
        await wait_all_tasks_blocked()
        assert event.statistics().tasks_waiting == 3
        assert woken == []
        event.set()
        assert event.is_set()
        assert event.statistics().tasks_waiting == 0
        event.set()  # idempotent
    assert woken == [0, 1, 2]
    assert "set" in repr(event)
    # already set: still a checkpoint
    await lets_others_run(event.wait)
    await raises_if_cancelled(event.wait)


async def test_event_is_not_a_bool() -> None:
    with pytest.raises(NotImplementedError, match=r"is_set"):
        bool(tether.Event())


async def test_event_wait_cancelled() -> None:
    event = tether.Event()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(event.wait)
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert event.statistics().tasks_waiting == 0
    assert not event.is_set()


# -- Lock / StrictFIFOLock -----------------------------------------------------------------

LOCK_TYPES = [tether.Lock, tether.StrictFIFOLock]


@pytest.mark.parametrize("lock_type", LOCK_TYPES)
async def test_lock_basics(lock_type: type[tether.Lock]) -> None:
    lock = lock_type()
    assert not lock.locked()
    assert "unlocked" in repr(lock)
    assert lock.statistics() == tether.LockStatistics(locked=False, owner=None, tasks_waiting=0)
    lock.acquire_nowait()
    assert lock.locked()
    assert "locked" in repr(lock)
    assert lock.statistics() == tether.LockStatistics(
        locked=True, owner=current_task(), tasks_waiting=0
    )
    with pytest.raises(RuntimeError, match="re-acquire"):
        lock.acquire_nowait()
    with pytest.raises(RuntimeError, match="re-acquire"):
        await lock.acquire()
    lock.release()
    with pytest.raises(RuntimeError, match="don't own"):
        lock.release()
    async with lock:
        assert lock.locked()
    assert not lock.locked()


@pytest.mark.parametrize("lock_type", LOCK_TYPES)
async def test_lock_release_by_other_task(lock_type: type[tether.Lock]) -> None:
    lock = lock_type()
    await lock.acquire()
    errors: list[BaseException] = []

    async def intruder() -> None:
        try:
            lock.release()
        except RuntimeError as exc:
            errors.append(exc)
        with pytest.raises(tether.WouldBlock):
            lock.acquire_nowait()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(intruder)
    assert len(errors) == 1
    assert lock.locked()
    lock.release()


@pytest.mark.parametrize("lock_type", LOCK_TYPES)
async def test_lock_fifo(lock_type: type[tether.Lock]) -> None:
    lock = lock_type()
    order: list[int] = []

    async def worker(i: int) -> None:
        async with lock:
            order.append(i)
            await checkpoint()  # others must still queue behind

    async with tether.open_nursery() as nursery:
        await lock.acquire()
        for i in range(5):
            nursery.start_soon(worker, i)
            await wait_all_tasks_blocked()
        assert lock.statistics().tasks_waiting == 5
        # A newcomer can't jump the queue even when the lock is between owners.
        lock.release()
        with pytest.raises(tether.WouldBlock):
            lock.acquire_nowait()
        owner = lock.statistics().owner
        assert owner is not None
        assert owner is not current_task()
    assert order == [0, 1, 2, 3, 4]
    assert not lock.locked()


@pytest.mark.parametrize("lock_type", LOCK_TYPES)
async def test_lock_checkpoints(lock_type: type[tether.Lock]) -> None:
    lock = lock_type()

    async def acquire_release() -> None:
        await lock.acquire()
        lock.release()

    await fast_path_lets_others_run(acquire_release)
    await raises_if_cancelled(lock.acquire)
    assert not lock.locked()

    async def enter_exit() -> None:
        async with lock:
            pass

    await fast_path_lets_others_run(enter_exit)
    with assert_no_schedule_point():
        lock.acquire_nowait()
        lock.release()


@pytest.mark.parametrize("lock_type", LOCK_TYPES)
async def test_lock_cancel_while_waiting(lock_type: type[tether.Lock]) -> None:
    lock = lock_type()
    await lock.acquire()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(lock.acquire)
        await wait_all_tasks_blocked()
        assert lock.statistics().tasks_waiting == 1
        nursery.cancel_scope.cancel()
    assert lock.statistics() == tether.LockStatistics(
        locked=True, owner=current_task(), tasks_waiting=0
    )
    lock.release()
    assert not lock.locked()


@pytest.mark.parametrize("lock_type", LOCK_TYPES)
async def test_lock_owner_exits_without_releasing(lock_type: type[tether.Lock]) -> None:
    lock = lock_type()
    got: list[BaseException] = []

    async def hog() -> None:
        await lock.acquire()

    async def waiter() -> None:
        try:
            await lock.acquire()
        except tether.BrokenResourceError as exc:
            got.append(exc)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(hog)
        await wait_all_tasks_blocked()
        nursery.start_soon(waiter)
    assert len(got) == 1
    assert "exited without releasing" in str(got[0])
    with pytest.raises(tether.BrokenResourceError):
        await lock.acquire()


# -- Semaphore ----------------------------------------------------------------------------


async def test_semaphore_validation() -> None:
    with pytest.raises(TypeError):
        tether.Semaphore(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^initial value must be >= 0$"):
        tether.Semaphore(-1)
    with pytest.raises(TypeError):
        tether.Semaphore(1, max_value=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^max_values must be >= initial_value$"):
        tether.Semaphore(3, max_value=2)


async def test_semaphore_basics() -> None:
    sem = tether.Semaphore(2)
    assert sem.value == 2
    assert sem.max_value is None
    assert repr(sem).startswith("<tether.Semaphore(2) at")
    sem.acquire_nowait()
    await sem.acquire()
    assert sem.value == 0
    with pytest.raises(tether.WouldBlock):
        sem.acquire_nowait()
    sem.release()
    sem.release()
    sem.release()  # unbounded: may go above the initial value
    assert sem.value == 3
    async with sem:
        assert sem.value == 2
    assert sem.value == 3
    assert sem.statistics() == tether.lowlevel.ParkingLotStatistics(tasks_waiting=0)


async def test_semaphore_bounded() -> None:
    sem = tether.Semaphore(1, max_value=2)
    assert sem.max_value == 2
    assert "max_value=2" in repr(sem)
    sem.release()
    assert sem.value == 2
    with pytest.raises(ValueError, match=r"^semaphore released too many times$"):
        sem.release()
    assert sem.value == 2
    # With a waiter, release hands the increment over, so it never overflows.
    zero = tether.Semaphore(0, max_value=0)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(zero.acquire)
        await wait_all_tasks_blocked()
        zero.release()
    assert zero.value == 0
    with pytest.raises(ValueError, match="too many"):
        zero.release()


async def test_semaphore_fifo_and_handoff() -> None:
    sem = tether.Semaphore(0)
    order: list[int] = []

    async def worker(i: int) -> None:
        await sem.acquire()
        order.append(i)

    async with tether.open_nursery() as nursery:
        for i in range(4):
            nursery.start_soon(worker, i)
            await wait_all_tasks_blocked()
        assert sem.statistics().tasks_waiting == 4
        sem.release()
        # the woken task got the unit: nobody else can take it meanwhile
        assert sem.value == 0
        with pytest.raises(tether.WouldBlock):
            sem.acquire_nowait()
        for _ in range(3):
            sem.release()
    assert order == [0, 1, 2, 3]
    assert sem.value == 0


async def test_semaphore_checkpoints_and_cancel() -> None:
    sem = tether.Semaphore(FAST_PATH_YIELD_INTERVAL + 3)
    await fast_path_lets_others_run(sem.acquire)
    assert sem.value == 3
    await raises_if_cancelled(sem.acquire)
    assert sem.value == 3
    empty = tether.Semaphore(0)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(empty.acquire)
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert empty.statistics().tasks_waiting == 0
    empty.release()
    assert empty.value == 1


# -- Condition ----------------------------------------------------------------------------


async def test_condition_validation_and_misuse() -> None:
    with pytest.raises(TypeError, match="Lock"):
        tether.Condition(tether.Semaphore(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Lock"):
        tether.Condition(tether.StrictFIFOLock())  # type: ignore[arg-type]
    lock = tether.Lock()
    cond = tether.Condition(lock)
    assert not cond.locked()
    await cond.acquire()
    assert lock.locked()
    assert cond.locked()
    with pytest.raises(RuntimeError):
        cond.acquire_nowait()
    cond.release()
    assert not lock.locked()
    with pytest.raises(RuntimeError, match="must hold the lock to wait"):
        await cond.wait()
    with pytest.raises(RuntimeError, match="must hold the lock to notify"):
        cond.notify()
    with pytest.raises(RuntimeError, match="must hold the lock to notify"):
        cond.notify_all()
    cond.acquire_nowait()
    assert cond.statistics() == tether.ConditionStatistics(
        tasks_waiting=0,
        lock_statistics=tether.LockStatistics(
            locked=True, owner=current_task(), tasks_waiting=0
        ),
    )
    cond.release()
    assert "Condition" in repr(cond)


async def test_condition_notify_fifo() -> None:
    cond = tether.Condition()
    woken: list[int] = []

    async def waiter(i: int) -> None:
        async with cond:
            await cond.wait()
            assert cond.locked()
            woken.append(i)

    async with tether.open_nursery() as nursery:
        for i in range(4):
            nursery.start_soon(waiter, i)
            await wait_all_tasks_blocked()
        assert cond.statistics().tasks_waiting == 4
        assert not cond.locked()
        async with cond:
            cond.notify(2)
            stats = cond.statistics()
            assert stats.tasks_waiting == 2
            assert stats.lock_statistics.tasks_waiting == 2
            await wait_all_tasks_blocked()
            assert woken == []  # they need the lock, which we hold
        await wait_all_tasks_blocked()
        assert woken == [0, 1]
        async with cond:
            cond.notify()
        await wait_all_tasks_blocked()
        assert woken == [0, 1, 2]
        async with cond:
            cond.notify_all()
    assert woken == [0, 1, 2, 3]
    assert not cond.locked()


async def test_condition_notified_waiter_queues_behind_lock_waiters() -> None:
    cond = tether.Condition()
    order: list[str] = []

    async def waiter() -> None:
        async with cond:
            await cond.wait()
            order.append("waiter")

    async def locker() -> None:
        async with cond:
            order.append("locker")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        await cond.acquire()
        nursery.start_soon(locker)
        await wait_all_tasks_blocked()
        cond.notify()
        cond.release()
    assert order == ["locker", "waiter"]


async def test_condition_wait_cancelled_reacquires() -> None:
    cond = tether.Condition()
    states: list[bool] = []

    scope = tether.CancelScope()

    async def waiter() -> None:
        with scope:
            async with cond:
                try:
                    await cond.wait()
                finally:
                    states.append(cond.statistics().lock_statistics.owner is current_task())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        # Hold the lock while cancelling: the waiter must wait for it.
        await cond.acquire()
        scope.cancel()
        await wait_all_tasks_blocked()
        assert states == []
        assert cond.statistics().lock_statistics.tasks_waiting == 1
        cond.release()
    assert states == [True]
    assert scope.cancelled_caught
    assert not cond.locked()
    assert cond.statistics().tasks_waiting == 0


async def test_condition_wait_cancelled_after_notify() -> None:
    cond = tether.Condition()

    async def waiter() -> None:
        async with cond:
            await cond.wait()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        async with cond:
            cond.notify()  # now it waits in the lock's queue
            nursery.cancel_scope.cancel()
            await wait_all_tasks_blocked()
    assert not cond.locked()
    assert cond.statistics().lock_statistics.tasks_waiting == 0


async def test_condition_checkpoints() -> None:
    cond = tether.Condition()

    async def enter_exit() -> None:
        async with cond:
            pass

    await fast_path_lets_others_run(enter_exit)
    await raises_if_cancelled(cond.acquire)
    assert not cond.locked()


# -- CapacityLimiter ----------------------------------------------------------------------


async def test_capacity_limiter_validation() -> None:
    with pytest.raises(TypeError, match=r"^total_tokens must be an int or math\.inf$"):
        tether.CapacityLimiter(1.0)
    with pytest.raises(ValueError, match=r"^total_tokens must be >= 0$"):
        tether.CapacityLimiter(-1)
    assert tether.CapacityLimiter(0).total_tokens == 0
    limiter = tether.CapacityLimiter(2)
    with pytest.raises(TypeError):
        limiter.total_tokens = 1.5
    with pytest.raises(ValueError, match=r"^total_tokens must be >= 0$"):
        limiter.total_tokens = -3
    assert limiter.total_tokens == 2


async def test_capacity_limiter_basics() -> None:
    limiter = tether.CapacityLimiter(2)
    me = current_task()
    assert repr(limiter).endswith("0/2 with 0 waiting>")
    assert limiter.borrowed_tokens == 0
    assert limiter.available_tokens == 2
    limiter.acquire_nowait()
    assert limiter.borrowed_tokens == 1
    assert limiter.available_tokens == 1
    with pytest.raises(RuntimeError, match="already holding"):
        limiter.acquire_nowait()
    with pytest.raises(RuntimeError, match="already holding"):
        await limiter.acquire()
    await limiter.acquire_on_behalf_of("thread")
    with pytest.raises(RuntimeError, match="already holding"):
        limiter.acquire_on_behalf_of_nowait("thread")
    with pytest.raises(tether.WouldBlock):
        limiter.acquire_on_behalf_of_nowait("other")
    stats = limiter.statistics()
    assert stats.borrowed_tokens == 2
    assert stats.total_tokens == 2
    assert set(stats.borrowers) == {me, "thread"}
    assert stats.tasks_waiting == 0
    assert isinstance(stats, tether.CapacityLimiterStatistics)
    with pytest.raises(RuntimeError, match="isn't holding"):
        limiter.release_on_behalf_of("other")
    limiter.release_on_behalf_of("thread")
    limiter.release()
    with pytest.raises(RuntimeError, match="isn't holding"):
        limiter.release()
    async with limiter:
        assert limiter.statistics().borrowers == [me]
    assert limiter.borrowed_tokens == 0


async def test_capacity_limiter_release_by_non_borrower_task() -> None:
    limiter = tether.CapacityLimiter(1)
    await limiter.acquire()

    async def other() -> None:
        with pytest.raises(RuntimeError):
            limiter.release()

    async with tether.open_nursery() as nursery:
        nursery.start_soon(other)
    assert limiter.borrowed_tokens == 1
    limiter.release()


async def test_capacity_limiter_fifo() -> None:
    limiter = tether.CapacityLimiter(1)
    order: list[int] = []

    async def worker(i: int) -> None:
        async with limiter:
            order.append(i)
            await checkpoint()

    async with tether.open_nursery() as nursery:
        await limiter.acquire()
        for i in range(4):
            nursery.start_soon(worker, i)
            await wait_all_tasks_blocked()
        assert limiter.statistics().tasks_waiting == 4
        limiter.release()
        # the token went straight to worker 0: no queue jumping
        with pytest.raises(tether.WouldBlock):
            limiter.acquire_nowait()
    assert order == [0, 1, 2, 3]
    assert limiter.borrowed_tokens == 0


async def test_capacity_limiter_change_total_tokens() -> None:
    limiter = tether.CapacityLimiter(1)
    async with tether.open_nursery() as nursery:
        for i in range(4):
            nursery.start_soon(limiter.acquire_on_behalf_of, i)
            await wait_all_tasks_blocked()
        assert limiter.statistics().borrowers == [0]
        assert limiter.statistics().tasks_waiting == 3
        limiter.total_tokens += 2  # wakes two at once
        assert set(limiter.statistics().borrowers) == {0, 1, 2}
        assert limiter.statistics().tasks_waiting == 1
        limiter.total_tokens = 1  # lowering takes nothing back
        assert limiter.borrowed_tokens == 3
        assert limiter.available_tokens == -2
        limiter.release_on_behalf_of(0)
        limiter.release_on_behalf_of(1)
        assert limiter.statistics().tasks_waiting == 1  # 1 borrowed, 1 total
        limiter.release_on_behalf_of(2)
        assert limiter.statistics().borrowers == [3]
        limiter.total_tokens = math.inf
        assert limiter.available_tokens == math.inf
        limiter.release_on_behalf_of(3)


async def test_capacity_limiter_zero_and_inf() -> None:
    limiter = tether.CapacityLimiter(0)
    with pytest.raises(tether.WouldBlock):
        limiter.acquire_nowait()
    async with tether.open_nursery() as nursery:
        for i in range(3):
            nursery.start_soon(limiter.acquire_on_behalf_of, i)
        await wait_all_tasks_blocked()
        assert limiter.statistics().tasks_waiting == 3
        limiter.total_tokens = math.inf
        assert sorted(limiter.statistics().borrowers) == [0, 1, 2]  # type: ignore[type-var]
        assert limiter.statistics().tasks_waiting == 0
    for i in range(100):
        limiter.acquire_on_behalf_of_nowait(i + 10)
    assert limiter.borrowed_tokens == 103


async def test_capacity_limiter_cancel_while_waiting() -> None:
    limiter = tether.CapacityLimiter(1)
    await limiter.acquire()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(limiter.acquire_on_behalf_of, "x")
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert limiter.statistics().tasks_waiting == 0
    limiter.release()
    # the cancelled borrower got nothing, now or later
    assert limiter.statistics().borrowers == []
    assert limiter._pending_borrowers == {}


async def test_capacity_limiter_checkpoints() -> None:
    limiter = tether.CapacityLimiter(2 * FAST_PATH_YIELD_INTERVAL)

    async def acquire_release() -> None:
        await limiter.acquire()
        limiter.release()

    await fast_path_lets_others_run(acquire_release)
    borrowers = iter(range(FAST_PATH_YIELD_INTERVAL))
    await fast_path_lets_others_run(lambda: limiter.acquire_on_behalf_of(next(borrowers)))
    await raises_if_cancelled(limiter.acquire)
    await raises_if_cancelled(lambda: limiter.acquire_on_behalf_of("c"))
    assert limiter.statistics().borrowers == list(range(FAST_PATH_YIELD_INTERVAL))


# -- shared behaviour ---------------------------------------------------------------------


def _async_cms() -> list[Callable[[], object]]:
    return [
        tether.Lock,
        tether.StrictFIFOLock,
        lambda: tether.Semaphore(1),
        lambda: tether.CapacityLimiter(1),
        tether.Condition,
    ]


@pytest.mark.parametrize("factory", _async_cms())
async def test_async_with_enter_is_fair_and_exits_on_error(factory: Callable[[], object]) -> None:
    cm = factory()
    order: list[int] = []

    async def worker(i: int) -> None:
        async with cm:  # type: ignore[attr-defined]
            order.append(i)
            await checkpoint()

    async with tether.open_nursery() as nursery:
        for i in range(3):
            nursery.start_soon(worker, i)
    assert order == [0, 1, 2]
    with pytest.raises(KeyError):
        async with cm:  # type: ignore[attr-defined]
            raise KeyError("boom")
    # released despite the error
    async with cm:  # type: ignore[attr-defined]
        pass


def test_primitives_work_under_autojump_clock() -> None:
    async def main() -> None:
        lock = tether.Lock()
        done: list[float] = []

        async def holder() -> None:
            async with lock:
                await tether.sleep(10)

        async def waiter() -> None:
            async with lock:
                done.append(tether.current_time())

        async with tether.open_nursery() as nursery:
            nursery.start_soon(holder)
            await wait_all_tasks_blocked()
            nursery.start_soon(waiter)
        assert done == [10]
        with tether.move_on_after(5) as scope:
            await tether.Event().wait()
        assert scope.cancelled_caught

    run_autojump(main)


def test_primitives_are_not_bound_to_a_run() -> None:
    lock = tether.Lock()
    sem = tether.Semaphore(1)

    async def main() -> None:
        async with lock, sem:
            pass

    tether.run(main)
    tether.run(main)


def test_public_names() -> None:
    for name in [
        "CapacityLimiter",
        "CapacityLimiterStatistics",
        "Condition",
        "ConditionStatistics",
        "Event",
        "EventStatistics",
        "Lock",
        "LockStatistics",
        "Semaphore",
        "StrictFIFOLock",
    ]:
        obj = getattr(tether, name)
        assert obj.__module__ == "tether"
        assert obj.__doc__
