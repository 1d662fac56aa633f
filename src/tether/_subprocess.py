"""Child processes: :func:`tether.lowlevel.open_process`, :class:`tether.Process`
and :func:`tether.run_process` (Unix only).

Waiting for a child to exit
---------------------------
The child is reaped by :class:`subprocess.Popen` itself (``waitpid`` on its
own pid, never ``waitpid(-1)``), so children started by other libraries are
never stolen. What tether adds is a way to *sleep* until ``Popen.wait()``
would return at once:

* Linux 5.3+: a *pidfd* (``os.pidfd_open``) becomes readable when the child
  exits; we wait for it like any other file descriptor.
* elsewhere (or if ``pidfd_open`` fails): a worker thread blocks in
  ``waitid(P_PID, pid, WEXITED | WNOWAIT)``, which reports the exit *without*
  reaping, and then wakes the run through its token. The thread is not tied
  to the waiting task: a cancelled ``wait()`` leaves it running, and the next
  ``wait()`` reuses it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import warnings
from contextlib import ExitStack
from io import FileIO
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeAlias, TypeVar

from . import _core
from ._core import TASK_STATUS_IGNORED
from ._highlevel_generic import StapledStream
from ._sync import Event, Lock
from ._unix_pipes import FdStream
from ._util import NoPublicConstructor, final

if TYPE_CHECKING:
    import signal
    from collections.abc import Awaitable, Callable, Sequence

    import outcome

    from ._abc import ReceiveStream, SendStream
    from ._core import TaskStatus

StrOrBytesPath: TypeAlias = str | bytes | os.PathLike[str] | os.PathLike[bytes]
T = TypeVar("T")

# Tests switch this off to exercise the waitid fallback.
_use_pidfd: bool = hasattr(os, "pidfd_open")


class HasFileno(Protocol):
    """Anything with a ``fileno()`` method (an open file, a socket)."""

    def fileno(self) -> int: ...


async def _run_in_worker_thread(fn: Callable[[], T], name: str) -> T:
    """Run ``fn()`` in a worker thread and return its result.

    Not cancellable once started (like ``to_thread.run_sync`` without
    ``abandon_on_cancel``): the caller waits for the thread to finish.
    """
    await _core.checkpoint_if_cancelled()
    task = _core.current_task()
    token = _core.current_tether_token()

    def deliver(result: outcome.Outcome[T]) -> None:
        # The task cannot leave the run while it waits, so the run is alive.
        token.run_sync_soon(_core.reschedule, task, result)

    _core.start_thread_soon(fn, deliver, name=name)

    def abort(_: _core.RaiseCancelT) -> _core.Abort:
        return _core.Abort.FAILED

    result: T = await _core.wait_task_rescheduled(abort)
    return result


@final
class Process(metaclass=NoPublicConstructor):
    r"""A child process: the async counterpart of :class:`subprocess.Popen`.

    There is no public constructor. Get one from
    ``await nursery.start(tether.run_process, ...)`` (``run_process`` then
    supervises the child: it reaps it, kills it if the task is cancelled, and
    checks its exit status), or from :func:`tether.lowlevel.open_process` if
    you want to manage the child yourself.

    Attributes:
        args: the ``command`` the process was started with.
        pid: the child's process ID.
        stdin: a :class:`~tether.abc.SendStream` writing to the child's
            standard input, if it was started with ``stdin=subprocess.PIPE``;
            otherwise ``None``.
        stdout: a :class:`~tether.abc.ReceiveStream` reading the child's
            standard output, if it was started with ``stdout=subprocess.PIPE``;
            otherwise ``None``.
        stderr: like ``stdout``, for the child's standard error.
        stdio: a :class:`~tether.StapledStream` that sends to :attr:`stdin`
            and receives from :attr:`stdout`, when both are pipes; otherwise
            ``None``.
    """

    universal_newlines: Final = False
    encoding: Final = None
    errors: Final = None

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: SendStream | None,
        stdout: ReceiveStream | None,
        stderr: ReceiveStream | None,
    ) -> None:
        self._proc = popen
        self.args: StrOrBytesPath | Sequence[StrOrBytesPath] = popen.args
        self.pid: int = popen.pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.stdio: StapledStream[SendStream, ReceiveStream] | None = None
        if stdin is not None and stdout is not None:
            self.stdio = StapledStream(stdin, stdout)
        self._wait_lock = Lock()
        self._exit_event: Event | None = None  # the waitid fallback's
        self._pidfd: FileIO | None = None
        if _use_pidfd:
            try:
                self._pidfd = FileIO(os.pidfd_open(popen.pid), closefd=True)
            except OSError:  # pragma: no cover - old kernel, or forbidden by seccomp
                pass

    def __repr__(self) -> str:
        code = self.returncode
        if code is None:
            status = f"running with PID {self.pid}"
        elif code < 0:
            status = f"exited with signal {-code}"
        else:
            status = f"exited with status {code}"
        return f"<tether.Process {self.args!r}: {status}>"

    @property
    def returncode(self) -> int | None:
        """The exit status, or ``None`` while the child is still running.

        A negative value ``-N`` means the child was killed by signal ``N``.
        Unlike :attr:`subprocess.Popen.returncode`, this is always current:
        reading it checks (without blocking) whether the child has exited,
        and reaps it if so.
        """
        code = self._proc.poll()
        if code is not None:
            self._close_pidfd()
        return code

    def _close_pidfd(self) -> None:
        pidfd, self._pidfd = self._pidfd, None
        if pidfd is not None:
            if _core.in_tether_run():
                _core.notify_closing(pidfd.fileno())
            pidfd.close()

    async def wait(self) -> int:
        """Wait for the child to exit, reap it, and return its exit status.

        Several tasks may wait at once. Cancelling a wait leaves the child
        running (and unreaped): call :meth:`kill` and wait again, or use
        :func:`tether.run_process`, which does that for you.

        Returns:
            The exit status; see :attr:`returncode`.
        """
        async with self._wait_lock:
            if self.poll() is None:
                if self._pidfd is not None:
                    # A concurrent poll() may close the pidfd under us: then
                    # the child has exited anyway.
                    with contextlib.suppress(_core.ClosedResourceError):
                        await _core.wait_readable(self._pidfd.fileno())
                else:
                    await self._wait_exiting_in_thread()
                self._proc.wait()  # does not block: the child has exited
                self._close_pidfd()
        code = self._proc.returncode
        assert code is not None
        return code

    async def _wait_exiting_in_thread(self) -> None:
        event = self._exit_event
        if event is None:
            event = self._exit_event = Event()
            token = _core.current_tether_token()
            pid = self.pid

            def wait_exited_without_reaping() -> None:
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)

            def deliver(_: outcome.Outcome[None]) -> None:
                # An error (ECHILD: reaped elsewhere) also means "go and look".
                with contextlib.suppress(_core.RunFinishedError):
                    token.run_sync_soon(event.set)

            _core.start_thread_soon(
                wait_exited_without_reaping, deliver, name=f"tether: waitid({pid})"
            )
        await event.wait()

    def poll(self) -> int | None:
        """The same as :attr:`returncode`; here to ease porting from
        :mod:`subprocess`."""
        return self.returncode

    def send_signal(self, sig: signal.Signals | int) -> None:
        """Send the signal ``sig`` (``signal.SIGHUP``, say) to the child.

        Does nothing if the child has already been reaped.
        """
        self._proc.send_signal(sig)

    def terminate(self) -> None:
        """Ask the child to exit: sends ``SIGTERM``, which it may catch or ignore."""
        self._proc.terminate()

    def kill(self) -> None:
        """Kill the child with ``SIGKILL``, which it cannot ignore.

        The signal is delivered asynchronously: :meth:`wait` afterwards to be
        sure the child is gone (and reaped).
        """
        self._proc.kill()


_UNSUPPORTED_OPTIONS = ("universal_newlines", "text", "encoding", "errors", "bufsize")


@_core.enable_ki_protection
async def open_process(
    command: StrOrBytesPath | Sequence[StrOrBytesPath],
    *,
    stdin: int | HasFileno | None = None,
    stdout: int | HasFileno | None = None,
    stderr: int | HasFileno | None = None,
    **options: Any,
) -> Process:
    """Start a child process and return a :class:`~tether.Process` for it.

    Nothing supervises the child: you must reap it (``await process.wait()``),
    and kill it if you give up on it. :func:`tether.run_process` does all of
    that.

    Args:
        command: the program and its arguments, as a sequence
            (``["ls", "-l"]``); with ``shell=True``, a single string for the
            shell instead.
        stdin: what the child's standard input is connected to:
            ``subprocess.PIPE`` (then :attr:`Process.stdin` is a stream you
            write to), ``subprocess.DEVNULL``, a file descriptor, or an object
            with ``fileno()``. ``None`` (the default) shares the parent's.
        stdout: likewise, for standard output (:attr:`Process.stdout`).
        stderr: likewise, for standard error (:attr:`Process.stderr`); also
            accepts ``subprocess.STDOUT``, to send it where stdout goes.
        **options: any other :class:`subprocess.Popen` argument (``cwd``,
            ``env``, ``start_new_session``, ``pass_fds``...), except the text
            mode and buffering ones: streams carry bytes, unbuffered.

    Returns:
        The new :class:`~tether.Process`.

    Raises:
        TypeError: if a text-mode or buffering option is given, or ``command``
            is a string without ``shell=True`` (or a sequence with it).
        OSError: if the child could not be started (a missing program, say).
    """
    for key in _UNSUPPORTED_OPTIONS:
        if options.get(key):
            raise TypeError(
                f"tether.Process streams carry unbuffered bytes; the {key!r} option "
                "is not supported"
            )
    shell = bool(options.get("shell"))
    if isinstance(command, str | bytes) and not shell:
        raise TypeError("command must be a sequence (not a string or bytes) unless shell=True")
    if not isinstance(command, str | bytes) and shell:
        raise TypeError("command must be a string or bytes (not a sequence) if shell=True")

    our_stdin: FdStream | None = None
    our_stdout: FdStream | None = None
    our_stderr: FdStream | None = None
    with ExitStack() as child_ends, ExitStack() as our_ends_on_failure:
        if stdin == subprocess.PIPE:
            read_end, write_end = os.pipe()
            child_ends.callback(os.close, read_end)
            our_stdin = FdStream(write_end)
            our_ends_on_failure.callback(our_stdin.close)
            stdin = read_end
        if stdout == subprocess.PIPE:
            read_end, write_end = os.pipe()
            child_ends.callback(os.close, write_end)
            our_stdout = FdStream(read_end)
            our_ends_on_failure.callback(our_stdout.close)
            stdout = write_end
        if stderr == subprocess.STDOUT:
            # Popen would dup whatever stdout is; with our pipe that is its fd.
            if stdout is not None:
                stderr = stdout
        elif stderr == subprocess.PIPE:
            read_end, write_end = os.pipe()
            child_ends.callback(os.close, write_end)
            our_stderr = FdStream(read_end)
            our_ends_on_failure.callback(our_stderr.close)
            stderr = write_end

        popen_kwargs: dict[str, Any] = {
            **options,
            "stdin": stdin,
            "stdout": stdout,
            "stderr": stderr,
        }

        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(command, **popen_kwargs)

        popen = await _run_in_worker_thread(spawn, name="tether: spawn child process")
        our_ends_on_failure.pop_all()
    return Process._create(popen, our_stdin, our_stdout, our_stderr)


async def _deliver_cancel_posix(process: Process) -> None:
    """The default ``deliver_cancel``: SIGTERM, then SIGKILL 5 seconds later."""
    try:
        process.terminate()
        await _core.sleep(5)
        warnings.warn(
            RuntimeWarning(
                f"process {process!r} ignored SIGTERM for 5 seconds (maybe pass a "
                "custom deliver_cancel?); sending SIGKILL"
            ),
            stacklevel=1,
        )
        process.kill()
    except OSError as exc:
        warnings.warn(
            RuntimeWarning(f"tried to kill process {process!r}, but failed with: {exc!r}"),
            stacklevel=1,
        )


@_core.enable_ki_protection
async def run_process(
    command: StrOrBytesPath | Sequence[StrOrBytesPath],
    *,
    stdin: bytes | bytearray | memoryview | int | HasFileno | None = b"",
    capture_stdout: bool = False,
    capture_stderr: bool = False,
    check: bool = True,
    deliver_cancel: Callable[[Process], Awaitable[object]] | None = None,
    task_status: TaskStatus[Process] = TASK_STATUS_IGNORED,
    **options: Any,
) -> subprocess.CompletedProcess[bytes]:
    """Run a command in a child process and wait for it to finish.

    Like :func:`subprocess.run`, with ``check=True`` by default, and with
    structured cleanup: the child is always reaped before this returns or
    raises. If the calling task is cancelled (or gets KeyboardInterrupt),
    ``deliver_cancel`` is run to stop the child, and ``run_process`` waits for
    it to exit before re-raising.

    Run it with :meth:`Nursery.start` to get the :class:`~tether.Process`
    while it runs (to send it signals, or talk to it through pipes you asked
    for with ``stdin=``/``stdout=``/``stderr=subprocess.PIPE``)::

        process = await nursery.start(tether.run_process, ["sleep", "10"])

    Args:
        command: as for :func:`tether.lowlevel.open_process`.
        stdin: bytes to feed to the child's standard input (which is then
            closed); the default ``b""`` gives it an immediate end of file.
            Or anything :func:`~tether.lowlevel.open_process` accepts:
            ``None`` shares the parent's stdin, and ``subprocess.PIPE`` (only
            with ``nursery.start``) makes :attr:`Process.stdin` available.
        capture_stdout: collect the child's standard output into the result's
            ``stdout``.
        capture_stderr: collect its standard error into the result's
            ``stderr``.
        check: raise :exc:`subprocess.CalledProcessError` if the child exits
            with a non-zero status.
        deliver_cancel: an async function called with the
            :class:`~tether.Process` when the call is cancelled; it should
            make the child exit. It runs in a shielded scope that is cancelled
            as soon as the child exits. The default sends ``SIGTERM``, waits
            5 seconds, warns, and sends ``SIGKILL``. A ``deliver_cancel`` that
            returns without making the child exit leaves ``run_process``
            waiting for it.
        task_status: for :meth:`Nursery.start`, which gets the
            :class:`~tether.Process` once the child has started.
        **options: ``stdout=``, ``stderr=`` and other arguments for
            :func:`~tether.lowlevel.open_process`.

    Returns:
        A :class:`subprocess.CompletedProcess`; its ``stdout``/``stderr``
        are ``bytes`` if captured, else ``None``.

    Raises:
        subprocess.CalledProcessError: if ``check`` is true and the exit
            status is not zero; captured output is in its ``stdout`` and
            ``stderr``.
        UnicodeError: if ``stdin`` is a ``str``.
        ValueError: for contradictory arguments (``capture_stdout`` with
            ``stdout=``, or a ``PIPE`` nobody could use without
            ``nursery.start``).
        OSError: if the child could not be started.
    """
    if isinstance(stdin, str):
        raise UnicodeError("process stdin must be bytes, not str")
    if task_status is TASK_STATUS_IGNORED:
        for name, value in (
            ("stdin", stdin),
            ("stdout", options.get("stdout")),
            ("stderr", options.get("stderr")),
        ):
            if value is subprocess.PIPE:
                raise ValueError(
                    f"{name}=subprocess.PIPE is only useful with nursery.start, which "
                    "gives you the Process and its pipes"
                )
    input_data: bytes | bytearray | memoryview | None
    if isinstance(stdin, bytes | bytearray | memoryview):
        input_data = stdin
        options["stdin"] = subprocess.PIPE
    else:
        input_data = None
        options["stdin"] = stdin
    if capture_stdout:
        if "stdout" in options:
            raise ValueError("can't specify both stdout and capture_stdout")
        options["stdout"] = subprocess.PIPE
    if capture_stderr:
        if "stderr" in options:
            raise ValueError("can't specify both stderr and capture_stderr")
        options["stderr"] = subprocess.PIPE
    if deliver_cancel is None:
        deliver_cancel = _deliver_cancel_posix

    stdout_chunks: list[bytes | bytearray] = []
    stderr_chunks: list[bytes | bytearray] = []

    async def feed(stream: SendStream, data: bytes | bytearray | memoryview) -> None:
        async with stream:
            # The child may exit without reading it all: not an error.
            with contextlib.suppress(_core.BrokenResourceError):
                await stream.send_all(data)

    async def collect(stream: ReceiveStream, chunks: list[bytes | bytearray]) -> None:
        async with stream:
            async for chunk in stream:
                chunks.append(chunk)

    process = await open_process(command, **options)
    async with _core.open_nursery() as nursery:
        try:
            if input_data is not None:
                assert process.stdin is not None
                nursery.start_soon(feed, process.stdin, input_data)
                process.stdin = None
                process.stdio = None
            if capture_stdout:
                assert process.stdout is not None
                nursery.start_soon(collect, process.stdout, stdout_chunks)
                process.stdout = None
                process.stdio = None
            if capture_stderr:
                assert process.stderr is not None
                nursery.start_soon(collect, process.stderr, stderr_chunks)
                process.stderr = None
            task_status.started(process)
            await process.wait()
        except BaseException:
            # Cancelled, interrupted, or a pipe task failed: stop the child
            # and reap it before letting the error go on.
            with _core.CancelScope(shield=True):
                killer_scope = _core.CancelScope(shield=True)

                async def killer() -> None:
                    with killer_scope:
                        await deliver_cancel(process)

                nursery.start_soon(killer)
                await process.wait()
                killer_scope.cancel(reason="the child process exited")
            raise

    stdout = b"".join(stdout_chunks) if capture_stdout else None
    stderr = b"".join(stderr_chunks) if capture_stderr else None
    returncode = process.returncode
    assert returncode is not None
    if returncode and check:
        raise subprocess.CalledProcessError(returncode, process.args, output=stdout, stderr=stderr)
    return subprocess.CompletedProcess(process.args, returncode, stdout, stderr)
