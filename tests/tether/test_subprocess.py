"""tether.run_process, tether.Process and tether.lowlevel.open_process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from functools import partial
from typing import Any

import pytest

import tether
import tether._subprocess
from tether.lowlevel import open_process
from tether.testing import MockClock, wait_all_tasks_blocked

PY = sys.executable


def python(code: str) -> list[str]:
    return [PY, "-c", code]


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def assert_reaped(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


@pytest.fixture(params=["pidfd", "waitid-thread"])
def exit_waiter(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test with each way of waiting for a child's exit."""
    if request.param == "pidfd":
        if not hasattr(os, "pidfd_open"):  # pragma: no cover
            pytest.skip("no os.pidfd_open here")
    else:
        monkeypatch.setattr(tether._subprocess, "_use_pidfd", False)
    return str(request.param)


# -- run_process: results ----------------------------------------------------------


async def test_run_process_captures_output(exit_waiter: str) -> None:
    result = await tether.run_process(
        python("import sys; print('out'); print('err', file=sys.stderr)"),
        capture_stdout=True,
        capture_stderr=True,
    )
    assert result.returncode == 0
    assert result.stdout == b"out\n"
    assert result.stderr == b"err\n"
    assert result.args[0] == PY


async def test_run_process_writes_stdin() -> None:
    result = await tether.run_process(["cat"], stdin=b"fed through stdin", capture_stdout=True)
    assert result.stdout == b"fed through stdin"
    # The default stdin is empty, not the parent's.
    result = await tether.run_process(["cat"], capture_stdout=True)
    assert result.stdout == b""


async def test_child_that_does_not_read_stdin_is_fine() -> None:
    result = await tether.run_process(["true"], stdin=b"x" * (1 << 20))
    assert result.returncode == 0


async def test_large_output_both_ways_without_deadlock() -> None:
    payload = os.urandom(10 * 1024 * 1024)
    result = await tether.run_process(
        python(
            "import sys, shutil\n"
            "data = sys.stdin.buffer.read()\n"
            "sys.stderr.buffer.write(data[::-1])\n"
            "sys.stdout.buffer.write(data)\n"
        ),
        stdin=payload,
        capture_stdout=True,
        capture_stderr=True,
    )
    assert result.stdout == payload
    assert result.stderr == payload[::-1]


async def test_check_raises_with_output_attached() -> None:
    code = "import sys; print('partial'); print('bad', file=sys.stderr); sys.exit(3)"
    with pytest.raises(subprocess.CalledProcessError) as info:
        await tether.run_process(python(code), capture_stdout=True, capture_stderr=True)
    assert info.value.returncode == 3
    assert info.value.stdout == b"partial\n"
    assert info.value.stderr == b"bad\n"
    assert info.value.cmd == python(code)

    result = await tether.run_process(python(code), check=False, capture_stdout=True)
    assert result.returncode == 3
    assert result.stdout == b"partial\n"
    assert result.stderr is None


async def test_stderr_to_stdout() -> None:
    result = await tether.run_process(
        python("import sys; print('a', flush=True); print('b', file=sys.stderr)"),
        capture_stdout=True,
        stderr=subprocess.STDOUT,
    )
    assert result.stdout == b"a\nb\n"


async def test_shell_and_options() -> None:
    result = await tether.run_process(
        "echo $GREETING; pwd", shell=True, capture_stdout=True, env={"GREETING": "hi"}, cwd="/"
    )
    assert result.stdout == b"hi\n/\n"


async def test_argument_errors() -> None:
    with pytest.raises(UnicodeError):
        await tether.run_process(["cat"], stdin="text")  # type: ignore[arg-type]
    pipe_options: list[dict[str, Any]] = [{"stdin": -1}, {"stdout": -1}, {"stderr": -1}]
    for pipes in pipe_options:
        with pytest.raises(ValueError, match=r"nursery\.start"):
            await tether.run_process(["true"], **pipes)
    with pytest.raises(ValueError, match="capture_stdout"):
        await tether.run_process(["true"], capture_stdout=True, stdout=subprocess.DEVNULL)
    with pytest.raises(ValueError, match="capture_stderr"):
        await tether.run_process(["true"], capture_stderr=True, stderr=subprocess.DEVNULL)
    with pytest.raises(TypeError, match="sequence"):
        await tether.run_process("true")
    with pytest.raises(TypeError, match="shell=True"):
        await tether.run_process(["true"], shell=True)
    options: dict[str, Any]
    for key in ("text", "universal_newlines", "encoding", "errors", "bufsize"):
        options = {key: "utf-8" if key in ("encoding", "errors") else 1}
        with pytest.raises(TypeError, match=key):
            await open_process(["true"], **options)


async def test_missing_program_leaks_nothing() -> None:
    before = open_fds()
    with pytest.raises(FileNotFoundError):
        await tether.run_process(["/nonexistent/program"], capture_stdout=True, capture_stderr=True)
    assert open_fds() == before


# -- Process ----------------------------------------------------------------------------


async def test_open_process_and_wait(exit_waiter: str) -> None:
    process = await open_process(python("import sys; sys.exit(7)"))
    assert isinstance(process, tether.Process)
    assert process.stdin is None
    assert process.stdout is None
    assert process.stderr is None
    assert process.stdio is None
    assert await process.wait() == 7
    assert process.returncode == process.poll() == 7
    assert await process.wait() == 7  # again: already reaped
    assert "exited with status 7" in repr(process)
    assert_reaped(process.pid)


async def test_no_public_constructor() -> None:
    with pytest.raises(TypeError):
        tether.Process()  # type: ignore[call-arg]


async def test_signals_and_returncode(exit_waiter: str) -> None:
    process = await open_process(["sleep", "100"])
    assert process.returncode is None
    assert f"running with PID {process.pid}" in repr(process)
    process.send_signal(signal.SIGUSR1)
    assert await process.wait() == -signal.SIGUSR1
    assert "exited with signal" in repr(process)
    for stop, signum in ((tether.Process.terminate, signal.SIGTERM), (tether.Process.kill, 9)):
        process = await open_process(["sleep", "100"])
        stop(process)
        assert await process.wait() == -signum
    process.kill()  # after reaping: nothing to do, no error


async def test_concurrent_waiters_and_poll(exit_waiter: str) -> None:
    process = await open_process(["sleep", "100"])
    codes: list[int] = []

    async def waiter() -> None:
        codes.append(await process.wait())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        assert process.poll() is None
        process.kill()
    assert codes == [-signal.SIGKILL] * 2


async def test_poll_closing_the_pidfd_wakes_a_waiter() -> None:
    process = await open_process(python("import sys; sys.stdin.read()"), stdin=subprocess.PIPE)
    assert process.stdin is not None
    codes: list[int] = []

    async def waiter() -> None:
        codes.append(await process.wait())

    async with tether.open_nursery() as nursery:
        nursery.start_soon(waiter)
        await wait_all_tasks_blocked()
        await process.stdin.aclose()  # the child exits...
        # ...and poll() reaps it, possibly before the waiter notices.
        while process.poll() is None:
            await tether.lowlevel.checkpoint()
    assert codes == [0]


async def test_pipes_and_stdio(exit_waiter: str) -> None:
    process = await open_process(
        python(
            "import sys\n"
            "for line in sys.stdin:\n"
            "    print(line.strip().upper(), flush=True)\n"
            "    print('seen', file=sys.stderr, flush=True)\n"
        ),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert isinstance(process.stdin, tether.lowlevel.FdStream)
    assert isinstance(process.stdout, tether.lowlevel.FdStream)
    assert isinstance(process.stderr, tether.lowlevel.FdStream)
    assert isinstance(process.stdio, tether.StapledStream)
    await process.stdio.send_all(b"hello\n")
    got = b""
    while not got.endswith(b"\n"):
        got += await process.stdio.receive_some()
    assert got == b"HELLO\n"
    await process.stdio.send_eof()
    assert await process.wait() == 0
    err = b""
    while chunk := await process.stderr.receive_some():
        err += chunk
    assert err == b"seen\n"
    assert await process.stdout.receive_some() == b""
    for stream in (process.stdin, process.stdout, process.stderr):
        await stream.aclose()


async def test_waitid_fallback_steals_no_other_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tether._subprocess, "_use_pidfd", False)
    other = subprocess.Popen(  # noqa: ASYNC220 - the "other library" is blocking on purpose
        python("import sys; sys.stdin.read(); sys.exit(5)"), stdin=-1
    )
    try:
        ours = await open_process(["true"])
        assert await ours.wait() == 0
    finally:
        assert other.stdin is not None
        other.stdin.close()
        # The other library still reaps its own child, with its real status.
        assert other.wait() == 5


# -- run_process: cancellation ---------------------------------------------------------


async def test_start_gives_the_process(exit_waiter: str) -> None:
    async with tether.open_nursery() as nursery:
        process: tether.Process = await nursery.start(
            partial(tether.run_process, ["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        )
        assert process.stdio is not None
        await process.stdio.send_all(b"ping")
        assert await process.stdio.receive_some() == b"ping"
        await process.stdio.aclose()
    assert process.returncode == 0


async def test_cancel_during_wait_kills_reaps_and_closes(exit_waiter: str) -> None:
    before = open_fds()
    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            process: tether.Process = await nursery.start(
                partial(tether.run_process, ["sleep", "100"], capture_stdout=True)
            )
            await wait_all_tasks_blocked()
            assert process.returncode is None
            scope.cancel()
    assert scope.cancelled_caught
    assert process.returncode == -signal.SIGTERM
    assert_reaped(process.pid)
    assert open_fds() == before


async def test_cancel_run_process_directly() -> None:
    before = open_fds()
    with tether.move_on_after(0.05) as scope:
        await tether.run_process(["sleep", "100"], capture_stdout=True, capture_stderr=True)
    assert scope.cancelled_caught
    assert open_fds() == before


async def test_sigterm_ignored_escalates_to_sigkill(autojump_clock: MockClock) -> None:
    # Sleeps rather than reading stdin: under CI stdin is /dev/null, and a
    # read would return at once and let the child exit before the SIGTERM.
    ready = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(1000)"
    )
    with pytest.warns(RuntimeWarning, match="ignored SIGTERM"):  # noqa: PT031
        async with tether.open_nursery() as nursery:
            process: tether.Process = await nursery.start(
                partial(tether.run_process, python(ready), stdin=None, stdout=subprocess.PIPE)
            )
            assert process.stdout is not None
            assert await process.stdout.receive_some() == b"ready\n"
            start = tether.current_time()
            nursery.cancel_scope.cancel()
    assert process.returncode == -signal.SIGKILL
    assert tether.current_time() - start == pytest.approx(5)
    assert_reaped(process.pid)
    assert process.stdout is not None
    await process.stdout.aclose()


async def test_custom_deliver_cancel() -> None:
    calls: list[int | None] = []

    async def deliver(process: tether.Process) -> None:
        calls.append(process.returncode)
        process.send_signal(signal.SIGUSR1)

    with tether.CancelScope() as scope:
        async with tether.open_nursery() as nursery:
            process: tether.Process = await nursery.start(
                partial(tether.run_process, ["sleep", "100"], deliver_cancel=deliver)
            )
            scope.cancel()
    assert calls == [None]
    assert process.returncode == -signal.SIGUSR1


async def test_deliver_cancel_scope_is_cancelled_when_the_child_exits() -> None:
    finished: list[str] = []

    async def deliver(process: tether.Process) -> None:
        process.kill()
        try:
            await tether.sleep_forever()
        finally:
            finished.append("cancelled")

    with tether.move_on_after(0.01):
        await tether.run_process(["sleep", "100"], deliver_cancel=deliver)
    assert finished == ["cancelled"]


PARENT = """
import os, signal, sys
import tether

signal.signal(signal.SIGINT, signal.default_int_handler)

async def main():
    # The child reports its pid on our (inherited) stdout, then sleeps.
    await tether.run_process(["sh", "-c", "echo $$; exec sleep 100"], stdin=None)

interrupted = False
try:
    tether.run(main)
except* KeyboardInterrupt:  # as on Trio, it comes out of run_process's nursery
    interrupted = True
if not interrupted:
    sys.exit("finished without KeyboardInterrupt")
try:
    os.waitpid(-1, os.WNOHANG)
except ChildProcessError:
    print("interrupted; no children left", flush=True)
else:
    print("interrupted; a child was left behind", flush=True)
sys.exit(3)
"""


def test_keyboard_interrupt_in_run_process_reaps_the_child() -> None:
    parent = subprocess.Popen(
        [PY, "-c", PARENT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGINT)
    out, err = parent.communicate(timeout=30)
    assert parent.returncode == 3, err
    assert out == "interrupted; no children left\n"
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)
