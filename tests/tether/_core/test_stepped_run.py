"""Stepped runs: the ``after_io_wait`` hook, the I/O poll of each step, and
what the thread looks like between steps (see also test_guest.py)."""

from __future__ import annotations

import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any, Self

import outcome
import pytest

import tether
from tether import lowlevel
from tether._core._sniffio import LIBRARY_NAME
from tether.testing import MockClock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def _drive(run: lowlevel.SteppedRun, max_block: float = 0.0, limit: int = 10_000) -> None:
    for _ in range(limit):
        if not run.step(max_block):
            return
    raise AssertionError("the run did not finish")  # pragma: no cover


class _PollCounter:
    """Counts the run's calls to its I/O manager's ``get_events``."""

    def __init__(self, run: lowlevel.SteppedRun) -> None:
        self.io_manager: Any = run._runner.io_manager
        self.original = self.io_manager.get_events
        self.timeouts: list[float] = []

    def __enter__(self) -> Self:
        def counting(timeout: float) -> object:
            self.timeouts.append(timeout)
            return self.original(timeout)

        self.io_manager.get_events = counting
        return self

    def __exit__(self, *exc: object) -> None:
        del self.io_manager.get_events


# -- the after_io_wait hook ------------------------------------------------------------


def test_after_io_wait_hook_runs_once_per_step_inside_the_run() -> None:
    log: list[str] = []

    def hook() -> None:
        assert lowlevel.in_tether_run()
        log.append("hook")

    async def main() -> None:
        for i in range(3):
            log.append(f"task {i}")
            await lowlevel.checkpoint()

    run = lowlevel.open_stepped_run(main, after_io_wait=hook)
    try:
        alive = True
        while alive:
            log.append("step")
            alive = run.step(0)
            assert not lowlevel.in_tether_run()
    finally:
        run.close()
    # Each step calls the hook once, first (before the step's batch runs).
    steps = "/".join(log).split("step/")[1:]
    assert steps
    for step in steps:
        assert step.startswith("hook")
        assert step.count("hook") == 1
    assert sum("task" in step for step in steps) == 3


def test_a_step_goes_on_while_keep_going_says_so() -> None:
    log: list[str] = []
    allowed = [2]

    def hook() -> None:
        log.append("iteration")

    def keep_going() -> bool:
        assert lowlevel.in_tether_run()  # (called inside the run)
        log.append("asked")
        allowed[0] -= 1
        return allowed[0] >= 0

    async def main() -> None:
        for i in range(6):
            log.append(f"task {i}")
            await lowlevel.checkpoint()

    run = lowlevel.open_stepped_run(main, after_io_wait=hook)
    try:
        run.step(0)  # the first step starts the run
        log.clear()
        assert run.step(0, keep_going)
        assert not lowlevel.in_tether_run()
        # Three iterations in one call: keep_going was asked after the first
        # and the second (yes), and after the third (no).
        assert log == [
            "iteration", "task 0", "asked",
            "iteration", "task 1", "asked",
            "iteration", "task 2", "asked",
        ]  # fmt: skip
        log.clear()
        assert run.step(0)  # without keep_going: one iteration, as ever
        assert log == ["iteration", "task 3"]
        assert not run.step(0, lambda: True)  # on to the end of the run
    finally:
        run.close()
    assert run.outcome.unwrap() is None


def test_a_step_that_keeps_going_blocks_in_the_io_wait_each_time_it_must() -> None:
    async def main() -> str:
        for _ in range(3):
            await tether.sleep(0.01)  # each an I/O wait, made by step()
        return "slept"

    run = lowlevel.open_stepped_run(main)
    try:
        with _PollCounter(run) as polls:
            assert not run.step(1.0, lambda: True)  # one call: the whole run
        assert sum(timeout > 0 for timeout in polls.timeouts) >= 3
    finally:
        run.close()
    assert run.outcome == outcome.Value("slept")


def test_after_io_wait_hook_schedules_into_the_same_step() -> None:
    seen: list[str] = []
    pending: list[str] = []
    release = tether.Event()

    def hook() -> None:
        while pending:
            lowlevel.schedule_callback(seen.append, pending.pop(0))
        if "go" in seen and not release.is_set():
            release.set()

    async def main() -> str:
        await release.wait()
        return "released"

    run = lowlevel.open_stepped_run(main, after_io_wait=hook)
    try:
        run.step(0)  # main is now parked on the event
        pending.append("go")
        assert run.step(0)  # the hook schedules it; it runs in this step
        assert seen == ["go"]
        _drive(run)
    finally:
        run.close()
    assert run.outcome == outcome.Value("released")


def test_after_io_wait_hook_runs_after_the_io_wakeups() -> None:
    order: list[str] = []
    a, b = socket.socketpair()
    parked = threading.Event()

    async def reader() -> None:
        parked.set()
        await lowlevel.wait_readable(a)
        order.append("reader")

    state = {"armed": False}

    def hook() -> None:
        if state["armed"]:
            state["armed"] = False
            lowlevel.schedule_callback(order.append, "hook's callback")

    run = lowlevel.open_stepped_run(reader, after_io_wait=hook)
    try:
        while not parked.is_set():
            run.step(0)
        run.step(0)  # the reader is now waiting
        b.send(b"x")
        state["armed"] = True
        run.step(5)  # returns once the byte is seen
        _drive(run)
    finally:
        run.close()
        a.close()
        b.close()
    # The task the I/O woke was queued before what the hook scheduled.
    assert order == ["reader", "hook's callback"]


def test_after_io_wait_hook_error_crashes_the_run() -> None:
    def hook() -> None:
        raise ValueError("broken hook")

    run = lowlevel.open_stepped_run(tether.sleep_forever, after_io_wait=hook)
    try:
        with pytest.raises(tether.TetherInternalError) as info:
            _drive(run)
    finally:
        run.close()
    assert run.done
    assert isinstance(info.value.__cause__, BaseExceptionGroup)
    assert isinstance(info.value.__cause__.exceptions[0], ValueError)


def test_after_io_wait_hook_must_be_callable() -> None:
    with pytest.raises(TypeError, match="after_io_wait must be callable"):
        lowlevel.open_stepped_run(tether.sleep_forever, after_io_wait="nope")  # type: ignore[arg-type]


# -- the I/O poll of each step ------------------------------------------------------


def test_busy_steps_skip_the_poll_only_with_nothing_registered() -> None:
    async def spin() -> None:
        for _ in range(5):
            await lowlevel.checkpoint()

    run = lowlevel.open_stepped_run(spin)
    try:
        run.step(0)
        with _PollCounter(run) as polls:
            _drive(run)
    finally:
        run.close()
    # Runnable work and no fd registered: a zero-timeout poll could only
    # come back empty, so no step made one.
    assert polls.timeouts == []


def test_busy_steps_poll_every_step_while_an_fd_is_registered() -> None:
    a, b = socket.socketpair()
    woke: list[int] = []
    steps = [0]

    async def main() -> None:
        async def spin() -> None:
            while not woke:
                await lowlevel.checkpoint()

        async def reader() -> None:
            await lowlevel.wait_readable(a)
            woke.append(steps[0])

        async with tether.open_nursery() as nursery:
            nursery.start_soon(spin)
            nursery.start_soon(reader)

    run = lowlevel.open_stepped_run(main)
    try:
        for _ in range(5):
            run.step(0)
        with _PollCounter(run) as polls:
            run.step(0)
            assert polls.timeouts == [0.0]  # busy, but something is registered
            b.send(b"x")
            steps[0] = 1
            # This step's poll sees the byte and wakes the reader, which runs
            # in the same step's batch (as asyncio runs an I/O callback in
            # the iteration whose poll reported the fd).
            run.step(0)
            steps[0] = 2
        assert woke == [1]
        _drive(run)
    finally:
        run.close()
        a.close()
        b.close()


def test_a_wakeup_from_another_thread_is_polled_by_the_next_step() -> None:
    ran: list[str] = []

    async def spin() -> None:
        while not ran:
            await lowlevel.checkpoint()

    run = lowlevel.open_stepped_run(spin)
    try:
        run.step(0)
        thread = threading.Thread(target=run.token.run_sync_soon, args=(ran.append, "from thread"))
        thread.start()
        thread.join()
        with _PollCounter(run) as polls:
            run.step(0)
            # The wake-up byte is drained by this step, not left to make a
            # later blocking step return early.
            assert polls.timeouts == [0.0]
            _drive(run)
            assert polls.timeouts == [0.0]
    finally:
        run.close()
    assert ran == ["from thread"]


def test_an_idle_step_blocks_in_the_poll_up_to_max_block() -> None:
    clock = MockClock()

    async def main() -> None:
        await tether.sleep(100)

    run = lowlevel.open_stepped_run(main, clock=clock)
    try:
        for _ in range(5):
            run.step(0)  # until everything is asleep
        with _PollCounter(run) as polls:
            run.step(0.001)
            # A negative max_block is a zero one (it does not block forever);
            # with nothing registered, that poll is skipped altogether.
            run.step(-1)
        assert polls.timeouts == [0.001]
    finally:
        run.close()


# -- the thread between steps --------------------------------------------------------


def test_stepped_run_may_change_threads_between_steps() -> None:
    seen: list[tuple[str, bool]] = []

    async def main() -> str:
        for i in range(6):
            task = lowlevel.current_task()
            seen.append((threading.current_thread().name, task is lowlevel.current_task()))
            await lowlevel.checkpoint()
            del task
            assert i < 6
        return "done"

    run = lowlevel.open_stepped_run(main)

    def step_elsewhere(name: str) -> None:
        def target() -> None:
            run.step(0)
            assert not lowlevel.in_tether_run()

        thread = threading.Thread(target=target, name=name)
        thread.start()
        thread.join()

    try:
        for _ in range(3):
            run.step(0)
            assert not lowlevel.in_tether_run()
            step_elsewhere("other")
        _drive(run)
    finally:
        run.close()
    assert run.outcome == outcome.Value("done")
    assert {name for name, _ in seen} >= {"MainThread", "other"}
    assert all(same for _, same in seen)


@pytest.fixture
def sniffio() -> Iterator[Any]:
    module = pytest.importorskip("sniffio")
    before = module.thread_local.name
    yield module
    module.thread_local.name = before


def test_sniffio_name_is_restored_between_steps(sniffio: Any) -> None:
    names: list[str] = []
    between: list[str | None] = []

    async def main() -> None:
        for _ in range(3):
            names.append(sniffio.current_async_library())
            await tether.sleep(0.001)  # idle steps block in the poll

    sniffio.thread_local.name = "host"
    run = lowlevel.open_stepped_run(main, sniffio_name="asyncio")
    try:
        while run.step():
            between.append(sniffio.thread_local.name)
    finally:
        run.close()
    assert names == ["asyncio"] * 3
    assert set(between) == {"host"}
    assert sniffio.thread_local.name == "host"


def test_two_stepped_runs_announce_their_own_names(sniffio: Any) -> None:
    names: list[str] = []

    def make(name: str) -> Callable[[], Any]:
        async def main() -> None:
            for _ in range(3):
                names.append(f"{name}:{sniffio.current_async_library()}")
                await lowlevel.checkpoint()

        return main

    run_a = lowlevel.open_stepped_run(make("a"), sniffio_name="asyncio")
    run_b = lowlevel.open_stepped_run(make("b"))
    try:
        busy = True
        while busy:
            busy = run_a.step(0) | run_b.step(0)
    finally:
        run_a.close()
        run_b.close()
    assert names.count("a:asyncio") == 3
    # (tether's own name: "tether", or "trio" after install_as_trio())
    assert names.count(f"b:{LIBRARY_NAME[0]}") == 3
    assert sniffio.thread_local.name is None


def _step_forever(run: lowlevel.SteppedRun) -> None:
    while True:  # blocks in the I/O wait until interrupted
        run.step(30)


def test_an_exception_from_a_signal_handler_in_the_io_wait_comes_out_of_step() -> None:
    class Interrupted(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGINT, handler)
    run = lowlevel.open_stepped_run(tether.sleep_forever, deliver_keyboard_interrupt=False)
    main_thread = threading.main_thread().ident
    assert main_thread is not None
    timer = threading.Timer(0.05, signal.pthread_kill, (main_thread, signal.SIGINT))
    try:
        for _ in range(5):
            run.step(0)  # until everything is asleep
        timer.start()
        # No sigint_guard: the handler runs where the signal lands, in the
        # blocking I/O wait, which step() makes outside tether's own code;
        # its exception propagates unchanged.
        with pytest.raises(Interrupted):
            _step_forever(run)
        assert not lowlevel.in_tether_run()
    finally:
        timer.cancel()
        run.close()
        signal.signal(signal.SIGINT, previous)


def test_close_releases_a_run_that_a_step_left_unfinished() -> None:
    cleaned: list[str] = []

    async def main() -> None:
        try:
            await tether.sleep_forever()
        finally:
            cleaned.append("main")

    class Boom(Exception):
        pass

    run = lowlevel.open_stepped_run(main)
    for _ in range(5):
        run.step(0)  # until main sleeps

    def failing_wait(timeout: float) -> object:
        raise Boom

    io_manager: Any = run._runner.io_manager
    io_manager.get_events = failing_wait
    try:
        with pytest.raises(Boom):
            run.step()  # the I/O wait raises: this step never ran its batch
    finally:
        del io_manager.get_events
    assert run.done
    assert run.step() is False
    run.close()  # abandons the run: main's coroutine is closed now, not by gc
    assert cleaned == ["main"]
    assert not lowlevel.in_tether_run()
    run.close()  # idempotent


def test_close_releases_a_never_started_run_whose_generator_was_finalized() -> None:
    # A dropped, never-run event loop is collected as a cycle: the garbage
    # collector may finalize the run's generator before the loop's __del__
    # calls close(). The run's sockets must still be closed by close(), not
    # left to warn "unclosed" from their own finalizers.
    async def main() -> None:
        pass  # pragma: no cover - never runs

    run = lowlevel.open_stepped_run(main)
    wakeup: Any = run._runner.io_manager._force_wakeup
    run._gen.close()  # what the collector's finalizer does
    run.close()
    assert wakeup.wakeup_sock.fileno() == -1
    assert wakeup.write_sock.fileno() == -1
    run.close()  # idempotent


def test_close_from_inside_another_run_unwinds_the_abandoned_tasks() -> None:
    # Closing a stepped run while this thread is inside another run (a
    # facade loop closed from a tether task): the abandoned tasks' nurseries
    # and cancel scopes must unwind as "outside their run", not mistake the
    # other run's task for their own.
    cleaned: list[str] = []

    async def child() -> None:
        try:
            await tether.sleep_forever()
        finally:
            cleaned.append("child")

    async def main() -> None:
        try:
            with tether.CancelScope():
                async with tether.open_nursery() as nursery:
                    nursery.start_soon(child)
                    await tether.sleep_forever()
        finally:
            cleaned.append("main")

    run = lowlevel.open_stepped_run(main)
    for _ in range(5):
        run.step(0)  # until both sleep

    unraisable: list[Any] = []

    async def closer() -> None:
        outer_task = lowlevel.current_task()
        run.close()
        assert lowlevel.current_task() is outer_task  # the outer run's context is back

    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        tether.run(closer)
    finally:
        sys.unraisablehook = old_hook
    assert sorted(cleaned) == ["child", "main"]
    assert unraisable == []
