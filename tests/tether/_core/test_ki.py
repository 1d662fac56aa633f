"""KeyboardInterrupt (Ctrl-C) handling.

The first half sends a real SIGINT to a child Python process running a tether
program; the second half checks the KI-protection API in-process.

Each child script announces "ready" on stdout once it is in the state we want
to interrupt; we read the pipe (no sleeping) and then send the signal. Most
scripts announce from a *system task* after ``wait_all_tasks_blocked()``:
system tasks are KI-protected, so a signal arriving while "ready" is still
being printed goes through the deferred-delivery path to the main task, just
like one arriving while the loop is blocked in the kernel.
"""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import textwrap
import threading
from typing import TYPE_CHECKING, Any

import pytest

import tether
from tether.lowlevel import (
    currently_ki_protected,
    disable_ki_protection,
    enable_ki_protection,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Generator
    from pathlib import Path

# Generous: only a hang detector, never used to wait for something to happen.
HANG_TIMEOUT = 20.0

needs_sigint = pytest.mark.skipif(
    not hasattr(signal, "SIGINT") or sys.platform == "win32",
    reason="needs POSIX signals",
)

PREAMBLE = """\
import signal
import sys
import threading

# Whatever started us may have ignored SIGINT (background jobs do): Python
# only installs its KeyboardInterrupt handler, and tether only takes over
# SIGINT, when the default handler is in place.
signal.signal(signal.SIGINT, signal.default_int_handler)

import tether
from tether.lowlevel import spawn_system_task
from tether.testing import wait_all_tasks_blocked


def say(*args):
    print(*args, flush=True)


async def announce_when_blocked():
    # A system task, hence KI-protected.
    await wait_all_tasks_blocked()
    say("ready")


def non_daemon_threads():
    return sum(1 for t in threading.enumerate() if not t.daemon)
"""


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.lines = stdout.splitlines()
        self.stderr = stderr

    def __repr__(self) -> str:
        return (
            f"<exit code {self.returncode}\n--- stdout\n"
            + "\n".join(self.lines)
            + f"\n--- stderr\n{self.stderr}>"
        )


def interrupt_script(tmp_path: Path, body: str) -> Result:
    """Run PREAMBLE + body in a new interpreter; once it prints "ready",
    send it SIGINT; return what it did."""
    script = tmp_path / "ki_script.py"
    script.write_text(PREAMBLE + textwrap.dedent(body))
    proc = subprocess.Popen(
        [sys.executable, "-X", "dev", str(script)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        before_ready: list[str] = []
        while True:
            line = proc.stdout.readline()
            if not line:  # EOF: it died before getting ready
                rest = proc.communicate(timeout=HANG_TIMEOUT)
                raise AssertionError(f"child exited before 'ready': {before_ready!r} {rest!r}")
            before_ready.append(line)
            if line.rstrip("\n") == "ready":
                break
        proc.send_signal(signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=HANG_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            raise AssertionError(
                f"child still running {HANG_TIMEOUT}s after SIGINT:\n{stdout}\n{stderr}"
            ) from None
        return Result(proc.returncode, "".join(before_ready) + stdout, stderr)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


# ---------------------------------------------------------------------------
# Real Ctrl-C


@needs_sigint
def test_ki_while_main_task_blocked_in_the_io_wait(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def main():
            spawn_system_task(announce_when_blocked)
            try:
                await tether.sleep_forever()
            finally:
                say("cleanup")

        try:
            tether.run(main)
        except KeyboardInterrupt:
            say("KI")
            sys.exit(0)
        say("run returned")
        sys.exit(3)
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "cleanup", "KI"], result


@needs_sigint
def test_ki_with_children_blocked_and_main_in_nursery_exit(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def child(i):
            try:
                await tether.sleep_forever()
            finally:
                say(f"child {i} cleanup")

        async def main():
            spawn_system_task(announce_when_blocked)
            try:
                async with tether.open_nursery() as nursery:
                    nursery.start_soon(child, 0)
                    nursery.start_soon(child, 1)
            finally:
                say("main cleanup")

        try:
            tether.run(main)
        except BaseException as exc:
            # As in Trio, a KeyboardInterrupt raised while the main task
            # waits in the nursery's __aexit__ joins the nursery's errors.
            if isinstance(exc, BaseExceptionGroup):
                match, rest = exc.split(KeyboardInterrupt)
                say("KI" if match is not None and rest is None else f"other: {exc!r}")
            else:
                say("KI" if isinstance(exc, KeyboardInterrupt) else f"other: {exc!r}")
            sys.exit(0)
        say("run returned")
        sys.exit(3)
        """,
    )
    assert result.returncode == 0, result
    assert result.lines[0] == "ready", result
    assert sorted(result.lines[1:3]) == ["child 0 cleanup", "child 1 cleanup"], result
    assert result.lines[3:] == ["main cleanup", "KI"], result


@needs_sigint
def test_ki_raised_right_inside_an_unprotected_busy_loop(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def main():
            x = 0
            try:
                say("ready")
                while True:
                    x += 1
            except KeyboardInterrupt as exc:
                # Raised here, in the task's own frame, without any checkpoint.
                say("KI in loop", exc.__traceback__.tb_frame.f_code.co_name)
                raise

        try:
            tether.run(main)
        except KeyboardInterrupt:
            say("KI")
            sys.exit(0)
        sys.exit(3)
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "KI in loop main", "KI"], result


@needs_sigint
def test_ki_goes_through_a_shielded_cancel_scope(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def main():
            spawn_system_task(announce_when_blocked)
            with tether.CancelScope(shield=True) as scope:
                try:
                    await tether.sleep_forever()
                finally:
                    say("cleanup in shield")
            say("after shield (should not happen)")

        try:
            tether.run(main)
        except KeyboardInterrupt:
            say("KI")
            sys.exit(0)
        sys.exit(3)
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "cleanup in shield", "KI"], result


@needs_sigint
def test_restricted_ki_arrives_at_a_checkpoint(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        N = 1000

        async def main():
            i = 0
            try:
                while True:
                    i += 1
                    if i == N:
                        say("ready")
                    if i % N == 0:
                        await tether.lowlevel.checkpoint()
            except KeyboardInterrupt:
                say("KI at multiple of N:", i % N == 0, i >= N)
                raise

        try:
            tether.run(main, restrict_keyboard_interrupt_to_checkpoints=True)
        except KeyboardInterrupt:
            say("KI")
            sys.exit(0)
        sys.exit(3)
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "KI at multiple of N: True True", "KI"], result


@needs_sigint
def test_ki_in_protected_code_is_delivered_at_the_next_checkpoint(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        from tether._core._context import GLOBAL_RUN_CONTEXT

        @tether.lowlevel.enable_ki_protection
        def protected_spin():
            runner = GLOBAL_RUN_CONTEXT.runner
            say("ready")
            # Spin until tether's handler has seen the signal (and, being in
            # protected code, only taken note of it).
            while not runner.ki_pending:
                pass
            say("protected code finished")

        async def main():
            protected_spin()
            say("back in unprotected code")
            try:
                await tether.lowlevel.checkpoint()
            except KeyboardInterrupt:
                say("KI at checkpoint")
                raise
            say("checkpoint passed (should not happen)")

        try:
            tether.run(main)
        except KeyboardInterrupt:
            say("KI")
            sys.exit(0)
        sys.exit(3)
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == [
        "ready",
        "protected code finished",
        "back in unprotected code",
        "KI at checkpoint",
        "KI",
    ], result


@needs_sigint
def test_ki_caught_by_main_task_lets_run_return_normally(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def main():
            spawn_system_task(announce_when_blocked)
            try:
                await tether.sleep_forever()
            except KeyboardInterrupt:
                say("caught in main")
            await tether.sleep(0)
            return "survived"

        say(tether.run(main))
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "caught in main", "survived"], result


@needs_sigint
def test_ki_after_main_task_finished_is_raised_by_run(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def lingering_system_task():
            try:
                await tether.sleep_forever()
            finally:
                # The run is shutting down: the main task has returned.
                with tether.CancelScope(shield=True):
                    say("ready")
                    await tether.sleep(0.5)

        async def main():
            spawn_system_task(lingering_system_task)
            await tether.sleep(0)
            return "main result"

        try:
            say("returned", tether.run(main))
        except KeyboardInterrupt:
            say("KI")
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "KI"], result


@needs_sigint
def test_uncaught_ki_kills_the_program_like_plain_python(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        async def main():
            spawn_system_task(announce_when_blocked)
            await tether.sleep_forever()

        tether.run(main)
        say("run returned")
        """,
    )
    assert result.returncode != 0, result
    # Python re-raises SIGINT on itself for an uncaught KeyboardInterrupt.
    assert result.returncode in (-signal.SIGINT, 128 + signal.SIGINT, 1), result
    assert "KeyboardInterrupt" in result.stderr, result
    assert result.lines == ["ready"], result


@needs_sigint
def test_nothing_left_running_after_ki(tmp_path: Path) -> None:
    result = interrupt_script(
        tmp_path,
        """
        import time

        async def system_forever():
            await tether.sleep_forever()

        async def child():
            await tether.sleep_forever()

        async def main():
            # Leave some of everything around: worker threads, system
            # tasks, children, timers.
            done = tether.Event()
            token = tether.lowlevel.current_tether_token()
            tether.lowlevel.start_thread_soon(
                lambda: time.sleep(0.01),
                lambda _: token.run_sync_soon(done.set),
            )
            await done.wait()
            spawn_system_task(system_forever)
            spawn_system_task(announce_when_blocked)
            async with tether.open_nursery() as nursery:
                nursery.start_soon(child)
                nursery.start_soon(tether.sleep, 1000)

        try:
            tether.run(main)
        except BaseException as exc:
            group = exc if isinstance(exc, BaseExceptionGroup) else BaseExceptionGroup("", [exc])
            say("KI" if group.split(KeyboardInterrupt)[1] is None else repr(exc))
        say("non-daemon threads:", non_daemon_threads())
        """,
    )
    assert result.returncode == 0, result
    assert result.lines == ["ready", "KI", "non-daemon threads: 1"], result


def _wakeup_fd() -> int:
    old = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(old)
    return old


@pytest.fixture
def default_sigint_and_no_wakeup_fd() -> Generator[None, None, None]:
    """Main thread only: start from Python's defaults, put back what was there."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be inspected from the main thread")
    old_handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    old_fd = signal.set_wakeup_fd(-1)
    try:
        yield
    finally:
        signal.set_wakeup_fd(old_fd)
        signal.signal(signal.SIGINT, old_handler)


@needs_sigint
@pytest.mark.usefixtures("default_sigint_and_no_wakeup_fd")
def test_sigint_handler_and_wakeup_fd_installed_then_restored() -> None:
    during: dict[str, Any] = {}

    async def main() -> None:
        during["handler"] = signal.getsignal(signal.SIGINT)
        during["fd"] = _wakeup_fd()
        await tether.sleep(0)

    for _ in range(2):  # and a second run finds things as the first did
        tether.run(main)
        assert during["handler"] is not signal.default_int_handler
        assert callable(during["handler"])
        assert during["fd"] != -1
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert _wakeup_fd() == -1


@needs_sigint
@pytest.mark.usefixtures("default_sigint_and_no_wakeup_fd")
def test_sigint_handler_restored_when_run_raises() -> None:
    async def main() -> None:
        await tether.sleep(0)
        raise KeyError("boom")

    with pytest.raises(KeyError):
        tether.run(main)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert _wakeup_fd() == -1


@needs_sigint
@pytest.mark.usefixtures("default_sigint_and_no_wakeup_fd")
def test_custom_sigint_handler_is_left_alone() -> None:
    def my_handler(signum: int, frame: object) -> None:
        pass  # pragma: no cover - never called

    signal.signal(signal.SIGINT, my_handler)
    during: list[object] = []

    async def main() -> None:
        during.append(signal.getsignal(signal.SIGINT))

    tether.run(main)
    assert during == [my_handler]
    assert signal.getsignal(signal.SIGINT) is my_handler


@needs_sigint
@pytest.mark.usefixtures("default_sigint_and_no_wakeup_fd")
def test_foreign_wakeup_fd_warns_and_is_restored() -> None:
    import socket

    a, b = socket.socketpair()
    with a, b:
        b.setblocking(False)
        signal.set_wakeup_fd(b.fileno())
        try:

            async def main() -> int:
                return _wakeup_fd()

            with pytest.warns(RuntimeWarning, match="collided"):
                during = tether.run(main)
            assert during not in (-1, b.fileno())
            assert _wakeup_fd() == b.fileno()
        finally:
            signal.set_wakeup_fd(-1)


# ---------------------------------------------------------------------------
# The KI-protection API


async def test_user_task_is_unprotected() -> None:
    assert not currently_ki_protected()

    def plain_helper() -> bool:
        return currently_ki_protected()

    assert not plain_helper()


async def test_child_task_is_unprotected() -> None:
    seen: list[bool] = []

    async def child() -> None:
        seen.append(currently_ki_protected())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(child)
    assert seen == [False]


async def test_system_task_is_protected() -> None:
    seen: list[bool] = []
    done = tether.Event()

    def plain_helper() -> bool:
        return currently_ki_protected()

    async def system() -> None:
        seen.append(currently_ki_protected())
        await tether.sleep(0)
        seen.append(plain_helper())
        done.set()

    tether.lowlevel.spawn_system_task(system)
    await done.wait()
    assert seen == [True, True]


async def test_enable_ki_protection_on_every_kind_of_function() -> None:
    @enable_ki_protection
    def sync_fn() -> bool:
        return currently_ki_protected()

    @enable_ki_protection
    async def async_fn() -> bool:
        await tether.sleep(0)
        return currently_ki_protected()

    @enable_ki_protection
    def gen_fn() -> Generator[bool, None, None]:
        yield currently_ki_protected()
        yield currently_ki_protected()

    @enable_ki_protection
    async def agen_fn() -> AsyncGenerator[bool, None]:
        yield currently_ki_protected()
        await tether.sleep(0)
        yield currently_ki_protected()

    assert sync_fn()
    assert await async_fn()
    assert list(gen_fn()) == [True, True]
    assert [x async for x in agen_fn()] == [True, True]
    # ... and the caller is still unprotected.
    assert not currently_ki_protected()


async def test_protection_extends_to_plain_callees() -> None:
    def plain() -> bool:
        return currently_ki_protected()

    async def plain_async() -> bool:
        await tether.sleep(0)
        return currently_ki_protected()

    @enable_ki_protection
    async def protected() -> tuple[bool, bool]:
        return plain(), await plain_async()

    assert await protected() == (True, True)
    assert not plain()


async def test_disable_ki_protection_inside_protected_code() -> None:
    @disable_ki_protection
    def unprotected_sync() -> bool:
        return currently_ki_protected()

    @disable_ki_protection
    async def unprotected_async() -> bool:
        await tether.sleep(0)
        return currently_ki_protected()

    @disable_ki_protection
    def unprotected_gen() -> Generator[bool, None, None]:
        yield currently_ki_protected()

    @disable_ki_protection
    async def unprotected_agen() -> AsyncGenerator[bool, None]:
        yield currently_ki_protected()

    @enable_ki_protection
    async def protected() -> list[bool]:
        return [
            currently_ki_protected(),
            unprotected_sync(),
            await unprotected_async(),
            *unprotected_gen(),
            *[x async for x in unprotected_agen()],
            currently_ki_protected(),
        ]

    assert await protected() == [True, False, False, False, False, True]


async def test_disable_ki_protection_in_a_system_task() -> None:
    seen: list[bool] = []
    done = tether.Event()

    @disable_ki_protection
    def unprotected() -> bool:
        return currently_ki_protected()

    async def system() -> None:
        seen.append(unprotected())
        seen.append(currently_ki_protected())
        done.set()

    tether.lowlevel.spawn_system_task(system)
    await done.wait()
    assert seen == [False, True]


def test_decorators_return_the_same_function() -> None:
    def sync_fn() -> None:
        pass  # pragma: no cover

    async def async_fn() -> None:
        pass  # pragma: no cover

    def gen_fn() -> Generator[int, None, None]:
        yield 1  # pragma: no cover

    async def agen_fn() -> AsyncGenerator[int, None]:
        yield 1  # pragma: no cover

    for fn in (sync_fn, async_fn, gen_fn, agen_fn):
        assert enable_ki_protection(fn) is fn
        assert disable_ki_protection(fn) is fn


def test_protection_can_be_flipped_on_the_same_function() -> None:
    def fn() -> bool:
        return currently_ki_protected()

    async def main() -> tuple[bool, bool, bool]:
        before = fn()
        enable_ki_protection(fn)
        on = fn()
        disable_ki_protection(fn)
        return before, on, fn()

    assert tether.run(main) == (False, True, False)


def test_decorators_reject_non_functions() -> None:
    def fn(x: int) -> int:
        return x  # pragma: no cover

    bad: list[Any] = [len, functools.partial(fn, 1), object(), 42, None]
    for obj in bad:
        with pytest.raises(TypeError):
            enable_ki_protection(obj)
        with pytest.raises(TypeError):
            disable_ki_protection(obj)


async def test_methods_can_be_protected() -> None:
    class Thing:
        @enable_ki_protection
        def method(self) -> bool:
            return currently_ki_protected()

        @staticmethod
        @enable_ki_protection
        def static() -> bool:
            return currently_ki_protected()

    assert Thing().method()
    assert Thing.static()
