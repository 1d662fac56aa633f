"""asyncio's subprocesses on tether: ``create_subprocess_exec``,
``create_subprocess_shell`` and :class:`Process`.

The child is started with :func:`tether.lowlevel.open_process` and watched
by an owned tether task that waits for it with :meth:`tether.Process.wait`
(a pidfd on Linux: no thread). Its pipes are pipes this module opens, so
that the parent's ends are known. Like a plain socket (see ``_streams``),
each pipe is moved by readiness watches, as stock's pipe transports are by
``add_reader``/``add_writer``, with no task: a read watch feeds
``proc.stdout``/``proc.stderr`` (:class:`~tether_asyncio.StreamReader`),
and ``proc.stdin`` (a :class:`~tether_asyncio.StreamWriter`) writes at once
what the pipe takes, with a write watch only while data is buffered. The
stdin pipe is also watched for the child closing its end, as asyncio does,
so a write to a child that has gone fails with :exc:`BrokenPipeError`.

The rules are stock asyncio's, per version: ``wait()`` returns once the
child has exited *and* its pipes are closed (or at once if the exit is
already known), the return code appears only when the loop has seen the
exit, a cancelled ``wait()`` or ``communicate()`` leaves the child
running, signals to a child that has been reaped are ignored and to a
finished process raise :exc:`ProcessLookupError`, and the Tasks asyncio
creates (one to connect the pipes, three in ``communicate()``) are created
here too, so ``Task-N`` names match. ``communicate()`` closes a piped
stdin without input only on 3.13, as stock.
"""

from __future__ import annotations

import collections
import errno
import io
import logging
import os
import subprocess
import warnings
from typing import TYPE_CHECKING, Any

import tether
import tether.lowlevel

from . import _pyversion
from ._combinators import gather
from ._loop import get_running_loop
from ._streams import (
    _DEFAULT_LIMIT,
    StreamReader,
    StreamWriter,
    _ensure_reaper,
    _FlowControl,
    _not_implemented,
    _own_watch,
    _PumpTransport,
    _watched_pipes,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._futures import Future
    from ._loop import TetherLoop

__all__ = ("create_subprocess_exec", "create_subprocess_shell")

logger = logging.getLogger("asyncio")

PIPE = subprocess.PIPE
STDOUT = subprocess.STDOUT
DEVNULL = subprocess.DEVNULL


# -- pipe transports ---------------------------------------------------------------------


class _PipeTransport(_PumpTransport):
    """What both pipe transports share: the descriptor (non-blocking, owned),
    moved by readiness watches as stock's pipe transports are (no task)."""

    _fd_closed = False

    def __init__(self, loop: TetherLoop, fd: int, protocol: Any, mode: str) -> None:
        self._fileno = self._io_fd = fd
        self._pipe = io.FileIO(fd, mode, closefd=False)
        os.set_blocking(fd, False)
        super().__init__(loop, None, protocol, {"pipe": self._pipe})
        _watched_pipes(loop).add(self)

    def _abandon(self) -> None:
        """The run was abandoned with the pipe open: close it (outside the
        run: no tether calls)."""
        self._lost = True
        if not self._fd_closed:
            self._fd_closed = True
            os.close(self._fileno)

    def _close_resource(self) -> None:
        self._unwatch_reads()
        self._unwatch_writes()
        if not self._fd_closed:
            self._fd_closed = True
            if tether.lowlevel.in_tether_run():
                tether.lowlevel.notify_closing(self._fileno)
            os.close(self._fileno)
        self._pipe.close()

    def __del__(self, warn: Callable[..., None] = warnings.warn) -> None:
        # As stock: a pipe transport collected while open (its loop went
        # away) closes its descriptor, with a warning.
        if not getattr(self, "_lost", True) and not self._fd_closed:
            self._fd_closed = True
            warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            os.close(self._fileno)


class _ReadPipeTransport(_PipeTransport):
    """The parent's reading end of a child's stdout or stderr."""

    _read_error_message = "Fatal read error on pipe transport"

    def __init__(
        self, loop: TetherLoop, fd: int, protocol: Any, waiter: Future | None = None
    ) -> None:
        super().__init__(loop, fd, protocol, "rb")
        self._begin(waiter)

    def __repr__(self) -> str:
        state = "closed" if self._lost else ("closing" if self._closing else "open")
        return f"<{type(self).__name__} fd={self._fileno} {state}>"

    def _start(self) -> None:
        _ensure_reaper(self._loop)
        self._watch_reads()

    def _read_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        if watch is not self._read_watch:
            return
        try:
            data = os.read(self._fileno, self.max_size)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._fatal_error(exc, self._read_error_message)
            return
        if not data:
            self._unwatch_reads()
            self._eof_received()
            return
        self._deliver(data)

    def _stop_reading(self) -> None:
        self._unwatch_reads()

    def _reading_paused(self) -> None:
        self._unwatch_reads()

    def _reading_resumed(self) -> None:
        self._loop._defer_or_call(self._watch_reads)

    def _eof_received(self) -> None:
        if self._loop.get_debug():
            logger.info("%r was closed by peer", self)
        self._closing = True
        self._loop.call_soon(self._protocol.eof_received)
        self._loop.call_soon(self._call_connection_lost, None)

    _FATAL_ERROR_MESSAGE = "Fatal error on pipe transport"

    def _is_quiet_error(self, exc: BaseException) -> bool:
        """Only EIO (the other end of a pty going away) is quiet on pipes."""
        return isinstance(exc, OSError) and exc.errno == errno.EIO

    def _force_close(self, exc: BaseException | None) -> None:
        self._closing = True
        self._stop_reading()
        self._loop.call_soon(self._call_connection_lost, exc)

    def close(self) -> None:
        """Stop reading and close the pipe."""
        if not self._closing:
            self._force_close(None)


class _WritePipeTransport(_PipeTransport):
    """The parent's writing end of a child's stdin."""

    _write_error_message = "Fatal write error on pipe transport"

    def __init__(
        self, loop: TetherLoop, fd: int, protocol: Any, waiter: Future | None = None
    ) -> None:
        super().__init__(loop, fd, protocol, "wb")
        self._begin(waiter)

    def __repr__(self) -> str:
        state = "closed" if self._lost else ("closing" if self._closing else "open")
        return f"<{type(self).__name__} fd={self._fileno} {state} bufsize={self._buffer_size}>"

    def _start(self) -> None:
        # The child closing its end makes ours "readable" (EPOLLERR): stock
        # watches for that, to fail writes to a child that has gone.
        _ensure_reaper(self._loop)
        if not self._lost and self._read_watch is None:
            self._read_watch = _own_watch(
                tether.lowlevel.watch_readable, self._fileno, self._read_ready
            )

    def _read_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        if watch is not self._read_watch:
            return
        self._unwatch_reads()
        if self._lost or self._conn_lost:
            return
        if self._loop.get_debug():
            logger.info("%r was closed by peer", self)
        self._force_close(BrokenPipeError() if self._buffer else None)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Buffer ``data`` for the child; never blocks."""
        assert isinstance(data, bytes | bytearray | memoryview), repr(data)
        if isinstance(data, bytearray):
            data = memoryview(data)
        if not data:
            return
        if self._conn_lost or self._closing:
            if self._conn_lost >= 5:
                logger.warning("pipe closed by peer or os.write(pipe, data) raised exception.")
            self._conn_lost += 1
            return
        if not self._buffer:
            try:
                sent = os.write(self._fileno, data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._conn_lost += 1
                self._fatal_error(exc, "Fatal write error on pipe transport")
                return
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
        self._append(data)
        self._maybe_pause_protocol()

    def writelines(self, list_of_data: Any) -> None:
        """Buffer each item of ``list_of_data``."""
        self.write(b"".join(list_of_data))

    def _wake_writer(self) -> None:
        if self._write_watch is None:
            self._loop._defer_or_call(self._watch_writes)

    def _write_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        if watch is not self._write_watch:
            return
        # As stock: the whole buffer in one write, and the protocol resumed
        # (drain() returns) only once all of it has gone.
        buffer = self._buffer
        data = buffer[0] if len(buffer) == 1 else b"".join(buffer)
        try:
            sent = os.write(self._fileno, data)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._clear_buffer()
            self._conn_lost += 1
            self._fatal_error(exc, self._write_error_message)
            return
        if sent == len(data):
            self._clear_buffer()
            self._maybe_resume_protocol()  # (may write more)
            if self._closing and not self._buffer:
                self._call_connection_lost(None)
        elif sent:
            self._buffer = collections.deque((memoryview(data)[sent:],))
            self._buffer_size -= sent

    def _clear_buffer(self) -> None:
        super()._clear_buffer()
        self._unwatch_writes()

    def _force_close(self, exc: BaseException | None) -> None:
        self._closing = True
        self._clear_buffer()
        self._unwatch_reads()
        self._loop.call_soon(self._call_connection_lost, exc)

    def can_write_eof(self) -> bool:
        """True: closing the pipe is the end of file."""
        return True

    def write_eof(self) -> None:
        """Close the pipe once the buffer is written."""
        if self._closing:
            return
        self._closing = True
        if not self._buffer:
            self._loop.call_soon(self._call_connection_lost, None)

    def close(self) -> None:
        """Close the pipe once the buffer is written (the child sees EOF)."""
        if not self._lost and not self._closing:
            self.write_eof()


class _PipeProto:
    """Connects one pipe transport to the subprocess transport."""

    def __init__(self, proc: _SubprocessTransport, fd: int) -> None:
        self.proc: _SubprocessTransport | None = proc
        self.fd = fd
        self.pipe: Any = None
        self.disconnected = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} fd={self.fd} pipe={self.pipe!r}>"

    def connection_made(self, transport: Any) -> None:
        self.pipe = transport

    def connection_lost(self, exc: BaseException | None) -> None:
        self.disconnected = True
        assert self.proc is not None
        self.proc._pipe_connection_lost(self.fd, exc)
        self.proc = None

    def pause_writing(self) -> None:
        assert self.proc is not None
        self.proc._protocol.pause_writing()

    def resume_writing(self) -> None:
        assert self.proc is not None
        self.proc._protocol.resume_writing()

    def data_received(self, data: bytes) -> None:
        assert self.proc is not None
        self.proc._pipe_data_received(self.fd, data)

    def eof_received(self) -> None:
        pass


# -- the subprocess transport ----------------------------------------------------------------


class _SubprocessTransport:
    """A child process and its pipes (the role of asyncio's subprocess transport)."""

    def __init__(self, loop: TetherLoop, protocol: _SubprocessStreamProtocol) -> None:
        self._loop: Any = loop
        self._protocol: Any = protocol
        self._closed = False
        self._proc: tether.Process | None = None
        self._pid: int | None = None
        self._returncode: int | None = None
        self._exit_waiters: list[Future] | None = []
        self._pending_calls: collections.deque[tuple[Callable[..., object], tuple[Any, ...]]] | None
        self._pending_calls = collections.deque()
        self._pipes: dict[int, _PipeProto | None] = {}
        self._our_fds: dict[int, int] = {}
        self._finished = False
        self._extra: dict[str, Any] = {}

    def __repr__(self) -> str:
        parts = [type(self).__name__]
        if self._closed:
            parts.append("closed")
        if self._pid is not None:
            parts.append(f"pid={self._pid}")
        if self._returncode is not None:
            parts.append(f"returncode={self._returncode}")
        elif self._pid is not None:
            parts.append("running")
        else:
            parts.append("not started")
        for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
            proto = self._pipes.get(fd)
            if proto is not None:
                parts.append(f"{name}={proto.pipe}")
        return f"<{' '.join(parts)}>"

    async def _start(
        self, args: Any, shell: bool, stdin: Any, stdout: Any, stderr: Any, **kwargs: Any
    ) -> None:
        child_ends: list[int] = []
        try:
            if stdin == PIPE:
                read_end, write_end = os.pipe()
                child_ends.append(read_end)
                self._our_fds[0] = write_end
                self._pipes[0] = None
                stdin = read_end
            if stdout == PIPE:
                read_end, write_end = os.pipe()
                child_ends.append(write_end)
                self._our_fds[1] = read_end
                self._pipes[1] = None
                stdout = write_end
            if stderr == PIPE:
                read_end, write_end = os.pipe()
                child_ends.append(write_end)
                self._our_fds[2] = read_end
                self._pipes[2] = None
                stderr = write_end
            self._proc = await tether.lowlevel.open_process(
                args, shell=shell, stdin=stdin, stdout=stdout, stderr=stderr, **kwargs
            )
        except BaseException:
            for fd in self._our_fds.values():
                os.close(fd)
            self._our_fds.clear()
            self._closed = True
            raise
        finally:
            for fd in child_ends:
                os.close(fd)
        self._pid = self._proc.pid
        self._extra["subprocess"] = self._proc
        if self._loop.get_debug():
            program = args if isinstance(args, bytes | str) else args[0]
            logger.debug("process %r created: pid %s", program, self._pid)

    def _watch_exit(self) -> None:
        proc = self._proc
        assert proc is not None
        try:
            # Linux: a pidfd is readable once the child has exited.
            pidfd: int | None = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            pidfd = None

        async def watch() -> None:
            code: int | None
            try:
                if pidfd is None:
                    code = await proc.wait()
                else:
                    await tether.lowlevel.wait_readable(pidfd)
                    code = proc.poll()  # reaps it
                    while code is None:  # pragma: no cover - readable means exited
                        await tether.sleep(0.001)
                        code = proc.poll()
            finally:
                if pidfd is not None:
                    if tether.lowlevel.in_tether_run():
                        tether.lowlevel.notify_closing(pidfd)
                    os.close(pidfd)
            # asyncio's child watcher reports the exit with call_soon too.
            self._loop.call_soon(self._process_exited, code)

        tether.lowlevel.spawn_owned(
            watch(), name=f"tether_asyncio: waiting for pid {proc.pid}", on_exit=_ignore_exit
        )

    async def _connect_pipes(self, waiter: Future | None) -> None:
        """The Task asyncio starts to wire up the child's pipes."""
        loop = self._loop
        try:
            for fd, transport_class in (
                (0, _WritePipeTransport),
                (1, _ReadPipeTransport),
                (2, _ReadPipeTransport),
            ):
                if fd not in self._our_fds:
                    continue
                proto = _PipeProto(self, fd)
                connected = loop.create_future()
                transport = transport_class(loop, self._our_fds.pop(fd), proto, connected)
                try:
                    await connected
                except BaseException:
                    transport.close()
                    raise
                self._pipes[fd] = proto
            assert self._pending_calls is not None
            loop.call_soon(self._protocol.connection_made, self)
            for callback, data in self._pending_calls:
                loop.call_soon(callback, *data)
            self._pending_calls = None
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if waiter is not None and not waiter.cancelled():
                waiter.set_exception(exc)
        else:
            if waiter is not None and not waiter.cancelled():
                waiter.set_result(None)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``subprocess``: the :class:`tether.Process`."""
        return self._extra.get(name, default)

    def set_protocol(self, protocol: object) -> None:
        """Not available: there is no protocol layer (NotImplementedError)."""
        raise _not_implemented("the subprocess transport's set_protocol()")

    def get_protocol(self) -> object:
        """Not available: there is no protocol layer (NotImplementedError)."""
        raise _not_implemented("the subprocess transport's get_protocol()")

    def is_closing(self) -> bool:
        """True once closed."""
        return self._closed

    def close(self) -> None:
        """Close the pipes, and kill the child if it is still running."""
        if self._closed:
            return
        self._closed = True
        for proto in self._pipes.values():
            if proto is not None:
                proto.pipe.close()
        for fd in self._our_fds.values():
            os.close(fd)
        self._our_fds.clear()
        proc = self._proc
        if proc is not None and self._returncode is None and proc.poll() is None:
            if self._loop.get_debug():
                logger.warning("Close running child process: kill %r", self)
            try:
                proc.kill()
            except (ProcessLookupError, PermissionError):
                pass

    def get_pid(self) -> int | None:
        """The child's process id."""
        return self._pid

    def get_returncode(self) -> int | None:
        """The exit status, once the loop has seen the child exit."""
        return self._returncode

    def get_pipe_transport(self, fd: int) -> Any:
        """The transport of pipe ``fd`` (0, 1, 2), or None."""
        if fd in self._pipes:
            proto = self._pipes[fd]
            assert proto is not None
            return proto.pipe
        return None

    def _check_proc(self) -> tether.Process:
        if self._proc is None:
            raise ProcessLookupError()
        return self._proc

    def send_signal(self, signal: int) -> None:
        """Send ``signal`` to the child (ignored once it has been reaped)."""
        self._check_proc().send_signal(signal)

    def terminate(self) -> None:
        """SIGTERM."""
        self._check_proc().terminate()

    def kill(self) -> None:
        """SIGKILL."""
        self._check_proc().kill()

    def _call(self, callback: Callable[..., object], *data: Any) -> None:
        if self._pending_calls is not None:
            self._pending_calls.append((callback, data))
        else:
            self._loop.call_soon(callback, *data)

    def _pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
        self._call(self._protocol.pipe_connection_lost, fd, exc)
        self._try_finish()

    def _pipe_data_received(self, fd: int, data: bytes) -> None:
        self._call(self._protocol.pipe_data_received, fd, data)

    def _process_exited(self, returncode: int) -> None:
        assert returncode is not None, returncode
        assert self._returncode is None, self._returncode
        if self._loop.get_debug():
            logger.info("%r exited with return code %r", self, returncode)
        self._returncode = returncode
        self._call(self._protocol.process_exited)
        self._try_finish()

    async def _wait(self) -> int:
        if self._returncode is not None:
            return self._returncode
        waiter = self._loop.create_future()
        assert self._exit_waiters is not None
        self._exit_waiters.append(waiter)
        result: int = await waiter
        return result

    def _try_finish(self) -> None:
        assert not self._finished
        if self._returncode is None:
            return
        if all(p is not None and p.disconnected for p in self._pipes.values()):
            self._finished = True
            self._call(self._call_connection_lost, None)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            for waiter in self._exit_waiters or ():
                if not waiter.cancelled():
                    waiter.set_result(self._returncode)
            self._exit_waiters = None
            self._proc = None
            self._protocol = None


def _ignore_exit(task: tether.lowlevel.Task, result: Any) -> None:
    """A watcher that ends with the run (cancelled) has nothing to report."""


async def _make_subprocess_transport(
    loop: TetherLoop,
    protocol: _SubprocessStreamProtocol,
    args: Any,
    shell: bool,
    stdin: Any,
    stdout: Any,
    stderr: Any,
    **kwargs: Any,
) -> _SubprocessTransport:
    waiter = loop.create_future()
    transport = _SubprocessTransport(loop, protocol)
    await transport._start(args, shell, stdin, stdout, stderr, **kwargs)
    loop.create_task(transport._connect_pipes(waiter))
    transport._watch_exit()
    try:
        await waiter
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException:
        transport.close()
        await transport._wait()
        raise
    return transport


def _check_rest(bufsize: Any, text: Any, encoding: Any, errors: Any) -> None:
    if bufsize != 0:
        raise ValueError("bufsize must be 0")
    if text:
        raise ValueError("text must be False")
    if encoding is not None:
        raise ValueError("encoding must be None")
    if errors is not None:
        raise ValueError("errors must be None")


async def _subprocess_exec(
    loop: TetherLoop,
    protocol: _SubprocessStreamProtocol,
    program: Any,
    /,
    *args: Any,
    stdin: Any = PIPE,
    stdout: Any = PIPE,
    stderr: Any = PIPE,
    universal_newlines: bool = False,
    shell: bool = False,
    bufsize: int = 0,
    encoding: str | None = None,
    errors: str | None = None,
    text: bool | None = None,
    **kwargs: Any,
) -> _SubprocessTransport:
    """asyncio's ``loop.subprocess_exec()`` checks, then the child."""
    if universal_newlines:
        raise ValueError("universal_newlines must be False")
    if shell:
        raise ValueError("shell must be False")
    _check_rest(bufsize, text, encoding, errors)
    if loop.get_debug():
        logger.debug("execute program %r", program)
    return await _make_subprocess_transport(
        loop, protocol, (program, *args), False, stdin, stdout, stderr, **kwargs
    )


_subprocess_exec.__qualname__ = "BaseEventLoop.subprocess_exec"


async def _subprocess_shell(
    loop: TetherLoop,
    protocol: _SubprocessStreamProtocol,
    cmd: Any,
    /,
    *,
    stdin: Any = PIPE,
    stdout: Any = PIPE,
    stderr: Any = PIPE,
    universal_newlines: bool = False,
    shell: bool = True,
    bufsize: int = 0,
    encoding: str | None = None,
    errors: str | None = None,
    text: bool | None = None,
    **kwargs: Any,
) -> _SubprocessTransport:
    """asyncio's ``loop.subprocess_shell()`` checks, then the child."""
    if not isinstance(cmd, bytes | str):
        raise ValueError("cmd must be a string")
    if universal_newlines:
        raise ValueError("universal_newlines must be False")
    if not shell:
        raise ValueError("shell must be True")
    _check_rest(bufsize, text, encoding, errors)
    if loop.get_debug():
        logger.debug("run shell command %r", cmd)
    return await _make_subprocess_transport(
        loop, protocol, cmd, True, stdin, stdout, stderr, **kwargs
    )


_subprocess_shell.__qualname__ = "BaseEventLoop.subprocess_shell"


# -- the protocol glue and Process ---------------------------------------------------------


class _SubprocessStreamProtocol(_FlowControl):
    """Gives a child's pipes their StreamReader/StreamWriter (the role of
    stock's SubprocessStreamProtocol)."""

    def __init__(self, limit: int, loop: TetherLoop) -> None:
        super().__init__(loop)
        self._limit = limit
        self.stdin: StreamWriter | None = None
        self.stdout: StreamReader | None = None
        self.stderr: StreamReader | None = None
        self._transport: _SubprocessTransport | None = None
        self._process_exited = False
        self._pipe_fds: list[int] = []
        self._stdin_closed = self._loop.create_future()

    def __repr__(self) -> str:
        parts = [type(self).__name__]
        for name in ("stdin", "stdout", "stderr"):
            stream = getattr(self, name)
            if stream is not None:
                parts.append(f"{name}={stream!r}")
        return f"<{' '.join(parts)}>"

    def connection_made(self, transport: _SubprocessTransport) -> None:
        self._transport = transport
        for fd, name in ((1, "stdout"), (2, "stderr")):
            pipe = transport.get_pipe_transport(fd)
            if pipe is not None:
                reader = StreamReader(limit=self._limit, loop=self._loop)
                reader.set_transport(pipe)
                setattr(self, name, reader)
                self._pipe_fds.append(fd)
        stdin = transport.get_pipe_transport(0)
        if stdin is not None:
            self.stdin = StreamWriter(stdin, protocol=self, reader=None, loop=self._loop)

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        reader = self.stdout if fd == 1 else self.stderr if fd == 2 else None
        if reader is not None:
            reader.feed_data(data)

    def pipe_connection_lost(self, fd: int, exc: BaseException | None) -> None:
        if fd == 0:
            if self.stdin is not None:
                self.stdin.close()
            self.connection_lost(exc)
            if exc is None:
                self._stdin_closed.set_result(None)
            else:
                self._stdin_closed.set_exception(exc)
                # wait_closed() is optional: don't log it.
                self._stdin_closed._log_traceback = False
            return
        reader = self.stdout if fd == 1 else self.stderr if fd == 2 else None
        if reader is not None:
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if fd in self._pipe_fds:
            self._pipe_fds.remove(fd)
        self._maybe_close_transport()

    def process_exited(self) -> None:
        self._process_exited = True
        self._maybe_close_transport()

    def _maybe_close_transport(self) -> None:
        if not self._pipe_fds and self._process_exited and self._transport is not None:
            self._transport.close()
            self._transport = None

    def _get_close_waiter(self, stream: object) -> Future | None:
        if stream is self.stdin:
            return self._stdin_closed
        return None


class SubprocessStreamProtocol:
    """Stock asyncio's subprocess protocol.

    The facade's subprocesses run on tether, with no protocol/transport
    layer, so this class exists for imports only: creating one raises
    :exc:`NotImplementedError`. Use :func:`create_subprocess_exec`.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise _not_implemented("SubprocessStreamProtocol")


class Process:
    """A child process started by :func:`create_subprocess_exec` or
    :func:`create_subprocess_shell`.

    ``stdin`` is a :class:`~tether_asyncio.StreamWriter` and
    ``stdout``/``stderr`` are :class:`~tether_asyncio.StreamReader` objects
    when the corresponding argument was ``PIPE`` (else None).
    """

    def __init__(self, transport: Any, protocol: Any, loop: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = loop
        self.stdin: StreamWriter | None = protocol.stdin
        self.stdout: StreamReader | None = protocol.stdout
        self.stderr: StreamReader | None = protocol.stderr
        self.pid: int = transport.get_pid()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.pid}>"

    @property
    def returncode(self) -> int | None:
        """The exit status, or None until the loop has seen the child exit
        (``-N``: killed by signal N)."""
        code: int | None = self._transport.get_returncode()
        return code

    async def wait(self) -> int:
        """Wait for the child to exit (and its pipes to close); return the
        exit status. Cancelling the wait leaves the child running."""
        code: int = await self._transport._wait()
        return code

    def send_signal(self, signal: int) -> None:
        """Send ``signal`` to the child.

        Raises:
            ProcessLookupError: once the process and its pipes are finished.
        """
        self._transport.send_signal(signal)

    def terminate(self) -> None:
        """Send SIGTERM to the child."""
        self._transport.terminate()

    def kill(self) -> None:
        """Send SIGKILL to the child."""
        self._transport.kill()

    async def _feed_stdin(self, input: bytes | None) -> None:
        debug = self._loop.get_debug()
        stdin: Any = self.stdin  # (3.11: None here raises AttributeError, as stock)
        try:
            if input is not None or not _pyversion.COMMUNICATE_CLOSES_STDIN:
                stdin.write(input)
                if debug:
                    logger.debug(
                        "%r communicate: feed stdin (%s bytes)",
                        self,
                        len(input),  # type: ignore[arg-type]
                    )
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            # The child may well have exited without reading it all.
            if debug:
                logger.debug("%r communicate: stdin got %r", self, exc)
        if debug:
            logger.debug("%r communicate: close stdin", self)
        stdin.close()

    async def _noop(self) -> None:
        return None

    async def _read_stream(self, fd: int) -> bytes:
        transport = self._transport.get_pipe_transport(fd)
        stream = self.stderr if fd == 2 else self.stdout
        assert stream is not None
        name = "stdout" if fd == 1 else "stderr"
        if self._loop.get_debug():
            logger.debug("%r communicate: read %s", self, name)
        output = await stream.read()
        if self._loop.get_debug():
            logger.debug("%r communicate: close %s", self, name)
        transport.close()
        return output

    async def communicate(self, input: bytes | None = None) -> tuple[Any, Any]:
        """Send ``input`` to stdin (then close it), read stdout and stderr to
        the end, wait for the child; return ``(stdout_data, stderr_data)``
        (None for a stream that is not a pipe). Large outputs cannot
        deadlock: the three run concurrently. Cancelling it leaves the
        child running."""
        if _pyversion.COMMUNICATE_CLOSES_STDIN:
            feed = self._feed_stdin(input) if self.stdin is not None else self._noop()
        else:
            feed = self._feed_stdin(input) if input is not None else self._noop()
        out = self._read_stream(1) if self.stdout is not None else self._noop()
        err = self._read_stream(2) if self.stderr is not None else self._noop()
        _, stdout, stderr = await gather(feed, out, err)
        await self.wait()
        return (stdout, stderr)


async def create_subprocess_exec(
    program: Any,
    *args: Any,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    limit: int = _DEFAULT_LIMIT,
    **kwds: Any,
) -> Process:
    """Start ``program`` with ``args`` and return a :class:`Process`.

    ``stdin``/``stdout``/``stderr``: ``PIPE`` (a stream on the Process),
    ``DEVNULL``, ``STDOUT`` (stderr only), a file descriptor or file, or
    None (inherit). ``limit`` is the readers' buffer limit; other keyword
    arguments go to :class:`subprocess.Popen` (``cwd``, ``env``...).
    """
    loop = get_running_loop()
    protocol = _SubprocessStreamProtocol(limit=limit, loop=loop)
    transport = await _subprocess_exec(
        loop, protocol, program, *args, stdin=stdin, stdout=stdout, stderr=stderr, **kwds
    )
    return Process(transport, protocol, loop)


async def create_subprocess_shell(
    cmd: str | bytes,
    stdin: Any = None,
    stdout: Any = None,
    stderr: Any = None,
    limit: int = _DEFAULT_LIMIT,
    **kwds: Any,
) -> Process:
    """Run ``cmd`` with the shell and return a :class:`Process` (as
    :func:`create_subprocess_exec`; ``cmd`` must be a string)."""
    loop = get_running_loop()
    protocol = _SubprocessStreamProtocol(limit=limit, loop=loop)
    transport = await _subprocess_shell(
        loop, protocol, cmd, stdin=stdin, stdout=stdout, stderr=stderr, **kwds
    )
    return Process(transport, protocol, loop)
