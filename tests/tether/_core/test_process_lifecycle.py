"""tether.run in threads and across os.fork()."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from typing import TYPE_CHECKING, Any

import pytest

import tether
from tether.lowlevel import current_root_task, spawn_system_task
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Callable, Generator

# Generous: only a hang detector, never used to wait for something to happen.
HANG_TIMEOUT = 20.0

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork()")


def _wakeup_fd() -> int:
    old = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(old)
    return old


def run_in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="tether run in a thread")
    thread.start()
    return thread, box


def join(thread: threading.Thread, box: dict[str, Any]) -> object:
    thread.join(HANG_TIMEOUT)
    assert not thread.is_alive(), "the run in the thread hangs"
    if "error" in box:
        raise box["error"]
    return box["result"]


# ---------------------------------------------------------------------------
# Threads


def test_run_in_a_non_main_thread() -> None:
    seen: dict[str, object] = {}
    main_thread_handler = signal.getsignal(signal.SIGINT)

    async def child(i: int) -> int:
        await tether.sleep(0.001)
        return i

    async def main() -> str:
        seen["thread"] = threading.current_thread()
        seen["handler"] = signal.getsignal(signal.SIGINT)
        seen["protected"] = tether.lowlevel.currently_ki_protected()
        results: list[int] = []

        async def collect(i: int) -> None:
            results.append(await child(i))

        async with tether.open_nursery() as nursery:
            for i in range(3):
                nursery.start_soon(collect, i)
        with tether.move_on_after(0.01):
            await tether.sleep_forever()
        assert sorted(results) == [0, 1, 2]
        return "done in thread"

    thread, box = run_in_thread(lambda: tether.run(main))
    assert join(thread, box) == "done in thread"
    assert seen["thread"] is thread
    assert seen["handler"] is main_thread_handler  # not taken over
    assert seen["protected"] is False
    assert signal.getsignal(signal.SIGINT) is main_thread_handler


def test_run_in_a_thread_leaves_main_thread_signal_state_alone() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal state can only be inspected from the main thread")
    old_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    old_fd = signal.set_wakeup_fd(-1)
    old_hooks = sys.get_asyncgen_hooks()
    running = threading.Event()
    checked = threading.Event()
    try:

        async def main() -> None:
            await tether.sleep(0)
            running.set()
            # Deliberately block this run's loop until the main thread has
            # looked around.
            assert checked.wait(HANG_TIMEOUT)
            await tether.sleep(0)

        thread, box = run_in_thread(lambda: tether.run(main))
        try:
            assert running.wait(HANG_TIMEOUT)
            assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
            assert _wakeup_fd() == -1
            # asyncgen hooks are per thread: ours are untouched.
            assert sys.get_asyncgen_hooks() == old_hooks
        finally:
            checked.set()
            join(thread, box)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert _wakeup_fd() == -1
    finally:
        signal.set_wakeup_fd(old_fd)
        signal.signal(signal.SIGINT, old_handler)


def test_two_runs_in_two_threads_at_the_same_time() -> None:
    barrier = threading.Barrier(2, timeout=HANG_TIMEOUT)
    roots: dict[int, object] = {}

    def make_main(n: int) -> Callable[[], Any]:
        async def main() -> list[int]:
            roots[n] = current_root_task()
            out: list[int] = []

            async def worker(i: int) -> None:
                for _ in range(3):
                    await tether.sleep(0.001)
                out.append(i)

            async with tether.open_nursery() as nursery:
                for i in range(5):
                    nursery.start_soon(worker, n * 10 + i)
                await tether.sleep(0)
                # Both runs are live, each with tasks in flight.
                barrier.wait()
            with pytest.raises(RuntimeError, match="inside a run"):
                tether.run(tether.sleep, 0)
            return sorted(out)

        return lambda: tether.run(main)

    t1, box1 = run_in_thread(make_main(1))
    t2, box2 = run_in_thread(make_main(2))
    assert join(t1, box1) == [10, 11, 12, 13, 14]
    assert join(t2, box2) == [20, 21, 22, 23, 24]
    assert roots[1] is not roots[2]


def test_runs_one_after_the_other_in_the_same_thread() -> None:
    async def main(x: int) -> int:
        await tether.sleep(0)
        return x

    assert [tether.run(main, i) for i in range(3)] == [0, 1, 2]


# ---------------------------------------------------------------------------
# fork


def _fork() -> int:
    # Python 3.12+ warns about fork() in a multi-threaded process (the test
    # runner may have threads); the child only runs tether then _exit()s.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _child_exit(report_fd: int, body: Callable[[], int]) -> None:
    """In a forked child: run body, report any trouble on report_fd, and
    _exit with body's return value (never return into the test runner)."""
    code = 99
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = body()
        for w in caught:
            os.write(report_fd, f"warning: {w.category.__name__}: {w.message}\n".encode())
            code = 98
    except BaseException:
        os.write(report_fd, traceback.format_exc().encode())
        code = 97
    finally:
        os._exit(code)


def _wait_child(pid: int, report_fd: int, timeout: float = HANG_TIMEOUT) -> tuple[int, str]:
    """Wait (with a hang detector) for a forked child; return its exit code
    and what it reported."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError("forked child hangs")
        time.sleep(0.005)
    chunks = []
    while chunk := os.read(report_fd, 65536):
        chunks.append(chunk)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode()


async def _child_main() -> int:
    async with tether.open_nursery() as nursery:
        nursery.start_soon(tether.sleep, 0.001)
        nursery.start_soon(tether.sleep, 0)
    with tether.move_on_after(0.001):
        await tether.sleep_forever()
    return 7


@pytest.fixture
def pipe() -> Generator[tuple[int, int], None, None]:
    r, w = os.pipe()
    try:
        yield r, w
    finally:
        for fd in (r, w):
            with contextlib.suppress(OSError):
                os.close(fd)


@needs_fork
def test_fork_outside_a_run_then_run_in_the_child(pipe: tuple[int, int]) -> None:
    r, w = pipe
    pid = _fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(r)
        _child_exit(w, lambda: tether.run(_child_main))
    os.close(w)
    assert _wait_child(pid, r) == (7, "")
    # ... and the parent can still run, too.
    assert tether.run(_child_main) == 7


@needs_fork
def test_fork_inside_a_running_task_then_run_afresh_in_the_child(
    pipe: tuple[int, int],
) -> None:
    r, w = pipe

    async def main() -> int:
        await tether.sleep(0)
        pid = _fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(r)
            _child_exit(w, lambda: tether.run(_child_main))
        await tether.sleep(0)
        return pid

    pid = tether.run(main)
    os.close(w)
    assert _wait_child(pid, r) == (7, "")


@needs_fork
def test_fork_inside_a_run_child_run_gets_ctrl_c(pipe: tuple[int, int]) -> None:
    """The child's fresh run owns SIGINT: Ctrl-C reaches its main task, not
    the (dead) copy of the parent's run."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("SIGINT handling only happens in the main thread")
    r, w = pipe
    ready_r, ready_w = os.pipe()
    old_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:

        async def child_main() -> int:
            async def announce() -> None:  # system task: KI-protected
                await wait_all_tasks_blocked()
                os.write(ready_w, b"r")

            spawn_system_task(announce)
            try:
                await tether.sleep_forever()
            except KeyboardInterrupt:
                return 42
            return 1  # pragma: no cover

        async def main() -> int:
            await tether.sleep(0)
            pid = _fork()
            if pid == 0:  # pragma: no cover - runs in the child
                os.close(r)
                os.close(ready_r)
                _child_exit(w, lambda: tether.run(child_main))
            return pid

        pid = tether.run(main)
        os.close(w)
        os.close(ready_w)
        try:
            assert os.read(ready_r, 1) == b"r"
            os.kill(pid, signal.SIGINT)
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        finally:
            os.close(ready_r)
        # (A short hang detector: a healthy child exits within milliseconds.)
        assert _wait_child(pid, r, timeout=5) == (42, "")
    finally:
        signal.signal(signal.SIGINT, old_handler)
