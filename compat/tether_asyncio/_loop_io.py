"""Readiness callbacks, Unix signal handlers and the loop's socket helpers.

:class:`LoopIOMixin` gives :class:`~tether_asyncio._loop.TetherLoop`
``add_reader``/``add_writer`` (and their ``remove_*``),
``add_signal_handler``/``remove_signal_handler``, the ``sock_*`` coroutines
and ``getaddrinfo``/``getnameinfo``, with stock asyncio's selector-loop
semantics.

Readers and writers: the loop keeps one entry per file descriptor (the
object first registered for it, a reader Handle, a writer Handle), as the
selector does in asyncio, and each direction with a callback has **one
persistent tether watch** (:func:`tether.lowlevel.watch_readable` /
``watch_writable``): the fd stays armed in epoll, so an event costs no
extra system call. When the fd is ready the watch queues
``Handle._run()`` on the run queue, so a callback's exception goes to the
loop's exception handler. Replacing a callback only swaps the watch's
arguments (no system call, as asyncio only swaps the selector key's data);
a queued run of the old Handle is skipped because the old Handle is
cancelled, exactly as in asyncio.

Registrations need the tether run. Inside a step they are immediate;
between two steps of a loop that has already run they enter the run
(:meth:`tether.lowlevel.SteppedRun.entered`), first flushing the loop's
deferred operations so that queued callbacks keep their place ahead of the
next I/O events. On a loop that has never run, or from another thread
while the loop runs (not thread-safe in asyncio either), they are deferred
to the loop's next step, waking it; the fd is checked at once, so a bad fd
still raises there.

Signals follow asyncio's design: a no-op Python handler for each signal,
and :func:`signal.set_wakeup_fd` pointing at a socket pair, whose reading
end is watched; each signal number read from it queues the handler's
Handle. Removing the last handler resets the wake-up fd to -1 and a removed
signal gets ``SIG_DFL`` back (``default_int_handler`` for SIGINT), as in
asyncio; ``close()`` removes them all.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import os
import signal
import socket
import stat
import sys
import warnings
import weakref
from typing import TYPE_CHECKING, Any

import tether.lowlevel

from ._tasks import iscoroutine

try:
    import ssl
except ImportError:  # pragma: no cover - Python built without ssl
    ssl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    import collections
    from collections.abc import Callable

    from _typeshed import ReadableBuffer, WriteableBuffer

    from ._futures import Future

logger = logging.getLogger("asyncio")

_HAS_IPV6 = hasattr(socket, "AF_INET6")


def _fileobj_to_fd(fileobj: object) -> int:
    """The fd of an int or an object with ``fileno()`` (selectors' rules)."""
    if isinstance(fileobj, int):
        fd = fileobj
    else:
        try:
            fd = int(fileobj.fileno())  # type: ignore[attr-defined]
        except (AttributeError, TypeError, ValueError):
            raise ValueError(f"Invalid file object: {fileobj!r}") from None
    if fd < 0:
        raise ValueError(f"Invalid file descriptor: {fd}")
    return fd


def _check_watchable(fd: int) -> None:
    """Raise the OSError epoll would raise for ``fd`` (used when the watch
    itself must wait for the loop's first step)."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))


def _check_ssl_socket(sock: object) -> None:
    if ssl is not None and isinstance(sock, ssl.SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")


class _FdEntry:
    """What the loop knows about one fd: asyncio's selector key, plus the
    tether watch behind each direction."""

    __slots__ = ("fd", "fileobj", "read_watch", "reader", "write_watch", "writer")

    def __init__(self, fileobj: object, fd: int) -> None:
        self.fileobj = fileobj
        self.fd = fd
        self.reader: asyncio.Handle | None = None
        self.writer: asyncio.Handle | None = None
        self.read_watch: tether.lowlevel.ReadinessWatch | None = None
        self.write_watch: tether.lowlevel.ReadinessWatch | None = None


def _run_handle(handle: asyncio.Handle) -> None:
    if not handle.cancelled():
        handle._run()


def _nothing() -> None:
    pass


def _sighandler_noop(signum: int, frame: object) -> None:
    """The Python-level handler: the signal number reaches the loop through
    the wake-up fd."""


class _SignalState:
    """The socket pair behind the wake-up fd, and which signals the loop
    has taken over. It holds nothing that refers to the loop, so a
    ``weakref.finalize`` can clean up after a loop that is never closed."""

    def __init__(self) -> None:
        self.signums: set[int] = set()
        self.rsock, self.wsock = socket.socketpair()
        self.rsock.setblocking(False)
        self.wsock.setblocking(False)

    def close(self) -> None:
        self.rsock.close()
        self.wsock.close()

    def abandon(self) -> None:
        """The loop was garbage-collected without ``close()``: put the
        signals back as ``close()`` would, as far as this thread may."""
        try:
            for sig in sorted(self.signums):
                default: Any = signal.SIG_DFL
                if sig == signal.SIGINT:
                    default = signal.default_int_handler
                signal.signal(sig, default)
            if self.signums:
                previous = signal.set_wakeup_fd(-1)
                if previous != self.wsock.fileno():
                    signal.set_wakeup_fd(previous)  # someone else's: leave it
        except (ValueError, OSError):
            pass
        self.signums.clear()
        self.close()


class LoopIOMixin:
    """Readers, writers, signal handlers and socket helpers (mixed into ``TetherLoop``)."""

    _fd_entries: dict[int, _FdEntry] | None = None
    _signals: _SignalState | None = None
    _signal_handler_map: dict[int, asyncio.Handle] | None = None
    _signals_finalizer: weakref.finalize[Any, Any] | None = None

    if TYPE_CHECKING:
        _debug: bool
        _ready: bool
        _running: bool
        _deferred: collections.deque[tuple[Callable[..., object], tuple[Any, ...]]]
        _run: tether.lowlevel.SteppedRun

        @property
        def _in_run(self) -> bool: ...
        def _check_closed(self) -> None: ...
        def _drain_deferred(self) -> None: ...
        def is_closed(self) -> bool: ...
        def get_debug(self) -> bool: ...
        def time(self) -> float: ...
        def create_future(self) -> Future: ...
        def run_in_executor(
            self, executor: Any, func: Callable[..., Any], *args: Any
        ) -> Future: ...

    # -- running registrations inside the run -------------------------------------

    def _can_enter_run(self) -> bool:
        """Whether this thread can act inside the run now: in a step, or
        between steps of a loop that has started and is not running."""
        return self._in_run or (self._ready and not self._running)

    def _in_tether_run(self, fn: Callable[..., object], *args: Any) -> None:
        """Call ``fn(*args)`` inside the run: now if possible, else at the
        start of the loop's next step (the loop's first step, or a step of a
        loop running in another thread, which is woken up)."""
        if self._in_run:
            fn(*args)
        elif self._can_enter_run():
            with self._run.entered():
                # Operations deferred since the last step go first, as they
                # would already be in asyncio's ready queue.
                self._drain_deferred()
                fn(*args)
        else:
            self._deferred.append((fn, args))
            if self._running:
                self._run.token.run_sync_soon(_nothing, idempotent=True)

    # -- readers and writers ------------------------------------------------------

    def _entries(self) -> dict[int, _FdEntry]:
        entries = self._fd_entries
        if entries is None:
            entries = self._fd_entries = {}
        return entries

    def _entry_for(self, fileobj: object) -> _FdEntry | None:
        """The entry for ``fileobj`` (by fd; a closed file object is found
        by identity, as selectors do)."""
        entries = self._entries()
        try:
            fd = _fileobj_to_fd(fileobj)
        except ValueError:
            for entry in entries.values():
                if entry.fileobj is fileobj:
                    return entry
            raise
        return entries.get(fd)

    def _ensure_fd_no_transport(self, fd: object) -> None:
        fileno = fd
        if not isinstance(fileno, int):
            try:
                fileno = int(fileno.fileno())  # type: ignore[attr-defined]
            except (AttributeError, TypeError, ValueError):
                raise ValueError(f"Invalid file object: {fd!r}") from None
        transports = getattr(self, "_transports", None)
        transport = transports.get(fileno) if transports else None
        if transport is not None and not transport.is_closing():
            raise RuntimeError(f"File descriptor {fd!r} is used by transport {transport!r}")

    def _io_ready(self, fd: int, handle: asyncio.Handle) -> None:
        # The watch's callback, from the run queue.
        if handle._cancelled:
            entry = self._entries().get(fd)
            if entry is not None and entry.reader is handle:
                self._remove_reader(fd)
            elif entry is not None and entry.writer is handle:
                self._remove_writer(fd)
            return
        handle._run()

    def _arm(self, entry: _FdEntry, readable: bool) -> None:
        """Give ``entry`` a watch for a direction that has a Handle but no watch."""
        if self._entries().get(entry.fd) is not entry:
            return  # removed before a deferred registration ran
        handle = entry.reader if readable else entry.writer
        if handle is None:
            return
        if readable:
            if entry.read_watch is None:
                entry.read_watch = tether.lowlevel.watch_readable(
                    entry.fd, self._io_ready, entry.fd, handle
                )
        elif entry.write_watch is None:
            entry.write_watch = tether.lowlevel.watch_writable(
                entry.fd, self._io_ready, entry.fd, handle
            )

    def _arm_or_forget(self, entry: _FdEntry, readable: bool) -> None:
        try:
            self._arm(entry, readable)
        except BaseException:
            # As a selector that fails to register or modify an fd: the whole
            # key goes (tether has dropped the fd's watches already).
            self._forget(entry)
            raise

    def _forget(self, entry: _FdEntry) -> None:
        entries = self._entries()
        if entries.get(entry.fd) is entry:
            del entries[entry.fd]
        for watch in (entry.read_watch, entry.write_watch):
            if watch is not None:
                try:
                    watch.cancel()
                except OSError:
                    pass
        entry.read_watch = entry.write_watch = None

    def _add_io(self, fileobj: object, readable: bool, handle: asyncio.Handle) -> None:
        entries = self._entries()
        entry = self._entry_for(fileobj)
        if entry is None:
            entry = _FdEntry(fileobj, _fileobj_to_fd(fileobj))
            new = True
        else:
            new = False
        old = entry.reader if readable else entry.writer
        watch = entry.read_watch if readable else entry.write_watch
        if readable:
            entry.reader = handle
        else:
            entry.writer = handle
        if watch is not None:
            # Replacing: the watch carries on with the new Handle.
            watch.args = (entry.fd, handle)
        elif old is None:
            if new:
                entries[entry.fd] = entry
            if not self._can_enter_run():
                try:
                    _check_watchable(entry.fd)
                except OSError:
                    self._forget(entry)
                    raise
            self._in_tether_run(self._arm_or_forget, entry, readable)
        if old is not None:
            old.cancel()

    def _remove_io(self, fileobj: object, readable: bool) -> bool:
        if self.is_closed():
            return False
        entry = self._entry_for(fileobj)
        if entry is None:
            return False
        handle = entry.reader if readable else entry.writer
        other = entry.writer if readable else entry.reader
        if other is None:
            self._forget(entry)
        else:
            watch = entry.read_watch if readable else entry.write_watch
            if readable:
                entry.reader = entry.read_watch = None
            else:
                entry.writer = entry.write_watch = None
            if watch is not None:
                try:
                    watch.cancel()
                except OSError:
                    # The fd is gone (closed underneath): the selector drops the key.
                    self._forget(entry)
                    raise
        if handle is not None:
            handle.cancel()
            return True
        return False

    def _add_reader(
        self, fd: object, callback: Callable[..., object], *args: Any
    ) -> asyncio.Handle:
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, None)  # type: ignore[arg-type]
        self._add_io(fd, True, handle)
        return handle

    def _add_writer(
        self, fd: object, callback: Callable[..., object], *args: Any
    ) -> asyncio.Handle:
        self._check_closed()
        handle = asyncio.Handle(callback, args, self, None)  # type: ignore[arg-type]
        self._add_io(fd, False, handle)
        return handle

    def _remove_reader(self, fd: object) -> bool:
        return self._remove_io(fd, True)

    def _remove_writer(self, fd: object) -> bool:
        return self._remove_io(fd, False)

    def add_reader(self, fd: object, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` whenever ``fd`` (an int or an object with
        ``fileno()``) is readable, until ``remove_reader(fd)``; replaces the
        fd's previous reader."""
        self._ensure_fd_no_transport(fd)
        self._add_reader(fd, callback, *args)

    def remove_reader(self, fd: object) -> bool:
        """Stop watching ``fd`` for reading; False if it had no reader."""
        self._ensure_fd_no_transport(fd)
        return self._remove_reader(fd)

    def add_writer(self, fd: object, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` whenever ``fd`` is writable, until
        ``remove_writer(fd)``; replaces the fd's previous writer."""
        self._ensure_fd_no_transport(fd)
        self._add_writer(fd, callback, *args)

    def remove_writer(self, fd: object) -> bool:
        """Stop watching ``fd`` for writing; False if it had no writer."""
        self._ensure_fd_no_transport(fd)
        return self._remove_writer(fd)

    # -- signals ------------------------------------------------------------------

    @property
    def _signal_handlers(self) -> dict[int, asyncio.Handle]:
        handlers = self._signal_handler_map
        if handlers is None:
            handlers = self._signal_handler_map = {}
        return handlers

    def _check_signal(self, sig: object) -> None:
        if not isinstance(sig, int):
            raise TypeError(f"sig must be an int, not {sig!r}")
        if sig not in signal.valid_signals():
            raise ValueError(f"invalid signal number {sig}")

    def _signal_state(self) -> _SignalState:
        state = self._signals
        if state is None:
            state = self._signals = _SignalState()
            self._signals_finalizer = weakref.finalize(self, state.abandon)
            self._signals_finalizer.atexit = False
            self._in_tether_run(self._watch_signals, state)
        return state

    def _watch_signals(self, state: _SignalState) -> None:
        if state is self._signals and not self.is_closed():
            tether.lowlevel.watch_readable(state.rsock, self._read_signals, state)

    def _read_signals(self, state: _SignalState) -> None:
        while True:
            try:
                data = state.rsock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # closed with the loop
            if not data:  # pragma: no cover - the writing end stays open
                return
            for signum in data:
                if signum:
                    self._handle_signal(signum)

    def _handle_signal(self, sig: int) -> None:
        handle = self._signal_handlers.get(sig)
        if handle is None:
            return
        if handle._cancelled:
            self.remove_signal_handler(sig)
        else:
            tether.lowlevel.schedule_callback(_run_handle, handle)

    def add_signal_handler(self, sig: int, callback: Callable[..., object], *args: Any) -> None:
        """Call ``callback(*args)`` from the loop when signal ``sig`` arrives
        (main thread only; replaces the loop's previous handler for ``sig``).

        Raises:
            TypeError: for a coroutine (function) or a ``sig`` that is not an int.
            ValueError: for an invalid signal number.
            RuntimeError: outside the main thread, or for a signal that cannot
                be caught (SIGKILL, SIGSTOP).
        """
        if iscoroutine(callback) or asyncio.iscoroutinefunction(callback):
            raise TypeError("coroutines cannot be used with add_signal_handler()")
        self._check_signal(sig)
        self._check_closed()
        state = self._signal_state()
        try:
            # Fails outside the main thread: a loop running elsewhere cannot
            # take over signals.
            signal.set_wakeup_fd(state.wsock.fileno())
        except (ValueError, OSError) as exc:
            raise RuntimeError(str(exc)) from None
        handlers = self._signal_handlers
        handlers[sig] = asyncio.Handle(callback, args, self, None)  # type: ignore[arg-type]
        try:
            signal.signal(sig, _sighandler_noop)
            # Restart interrupted system calls rather than failing with EINTR.
            signal.siginterrupt(sig, False)
        except OSError as exc:
            del handlers[sig]
            if not handlers:
                try:
                    signal.set_wakeup_fd(-1)
                except (ValueError, OSError) as nexc:
                    logger.info("set_wakeup_fd(-1) failed: %s", nexc)
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught") from None
            raise
        state.signums.add(sig)

    def remove_signal_handler(self, sig: int) -> bool:
        """Remove the loop's handler for ``sig`` (the signal gets its default
        action back); False if there was none."""
        self._check_signal(sig)
        handlers = self._signal_handlers
        if sig not in handlers:
            return False
        del handlers[sig]
        if self._signals is not None:
            self._signals.signums.discard(sig)
        handler: Any = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
        try:
            signal.signal(sig, handler)
        except OSError as exc:  # pragma: no cover - only catchable signals get here
            if exc.errno == errno.EINVAL:
                raise RuntimeError(f"sig {sig} cannot be caught") from None
            raise
        if not handlers:
            try:
                signal.set_wakeup_fd(-1)
            except (ValueError, OSError) as exc:
                logger.info("set_wakeup_fd(-1) failed: %s", exc)
        return True

    def _close_loop_io(self) -> None:
        """``loop.close()``: forget the readers and writers, remove the signal
        handlers and close the wake-up sockets."""
        self._fd_entries = None
        state = self._signals
        if state is None:
            return
        handlers = self._signal_handlers
        if not sys.is_finalizing():
            for sig in list(handlers):
                self.remove_signal_handler(sig)
        elif handlers:
            warnings.warn(
                f"Closing the loop {self!r} on interpreter shutdown stage, "
                "skipping signal handlers removal",
                ResourceWarning,
                source=self,
                stacklevel=2,
            )
            handlers.clear()
        if self._signals_finalizer is not None:
            self._signals_finalizer.detach()
        state.close()

    # -- socket helpers -----------------------------------------------------------

    def _check_sock(self, sock: socket.socket) -> None:
        _check_ssl_socket(sock)
        if self._debug and sock.gettimeout() != 0:
            raise ValueError("the socket must be non-blocking")

    def _sock_read_done(self, fd: int, fut: Future, handle: asyncio.Handle | None = None) -> None:
        if handle is None or not handle.cancelled():
            self.remove_reader(fd)

    def _sock_write_done(self, fd: int, fut: Future, handle: asyncio.Handle | None = None) -> None:
        if handle is None or not handle.cancelled():
            self.remove_writer(fd)

    async def _wait_readable_for(
        self, sock: socket.socket, method: Callable[..., None], *args: Any
    ) -> Any:
        fut = self.create_future()
        fd = sock.fileno()
        self._ensure_fd_no_transport(fd)
        handle = self._add_reader(fd, method, fut, sock, *args)
        fut.add_done_callback(functools.partial(self._sock_read_done, fd, handle=handle))
        return await fut

    @staticmethod
    def _try_read(fut: Future, call: Callable[[], Any]) -> None:
        if fut.done():
            return
        try:
            result = call()
        except (BlockingIOError, InterruptedError):
            return  # not ready after all: the reader stays
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(result)

    def _sock_recv(self, fut: Future, sock: socket.socket, n: int) -> None:
        self._try_read(fut, functools.partial(sock.recv, n))

    def _sock_recv_into(self, fut: Future, sock: socket.socket, buf: WriteableBuffer) -> None:
        self._try_read(fut, functools.partial(sock.recv_into, buf))

    def _sock_recvfrom(self, fut: Future, sock: socket.socket, bufsize: int) -> None:
        self._try_read(fut, functools.partial(sock.recvfrom, bufsize))

    def _sock_recvfrom_into(
        self, fut: Future, sock: socket.socket, buf: WriteableBuffer, nbytes: int
    ) -> None:
        self._try_read(fut, functools.partial(sock.recvfrom_into, buf, nbytes))

    async def sock_recv(self, sock: socket.socket, n: int) -> bytes:
        """Receive up to ``n`` bytes from the non-blocking socket ``sock``."""
        self._check_sock(sock)
        try:
            return sock.recv(n)
        except (BlockingIOError, InterruptedError):
            pass
        return await self._wait_readable_for(sock, self._sock_recv, n)  # type: ignore[no-any-return]

    async def sock_recv_into(self, sock: socket.socket, buf: WriteableBuffer) -> int:
        """Receive into ``buf``; returns the number of bytes received."""
        self._check_sock(sock)
        try:
            return sock.recv_into(buf)
        except (BlockingIOError, InterruptedError):
            pass
        return await self._wait_readable_for(sock, self._sock_recv_into, buf)  # type: ignore[no-any-return]

    async def sock_recvfrom(self, sock: socket.socket, bufsize: int) -> tuple[bytes, Any]:
        """Receive a datagram of up to ``bufsize`` bytes: ``(data, address)``."""
        self._check_sock(sock)
        try:
            return sock.recvfrom(bufsize)
        except (BlockingIOError, InterruptedError):
            pass
        return await self._wait_readable_for(sock, self._sock_recvfrom, bufsize)  # type: ignore[no-any-return]

    async def sock_recvfrom_into(
        self, sock: socket.socket, buf: WriteableBuffer, nbytes: int = 0
    ) -> tuple[int, Any]:
        """Receive a datagram into ``buf``: ``(nbytes, address)``."""
        self._check_sock(sock)
        if not nbytes:
            nbytes = len(buf)  # type: ignore[arg-type]
        try:
            return sock.recvfrom_into(buf, nbytes)
        except (BlockingIOError, InterruptedError):
            pass
        return await self._wait_readable_for(sock, self._sock_recvfrom_into, buf, nbytes)  # type: ignore[no-any-return]

    async def sock_sendall(self, sock: socket.socket, data: ReadableBuffer) -> None:
        """Send all of ``data`` on the connected socket ``sock``."""
        self._check_sock(sock)
        try:
            n = sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        if n == len(data):  # type: ignore[arg-type]
            return
        fut = self.create_future()
        fd = sock.fileno()
        self._ensure_fd_no_transport(fd)
        handle = self._add_writer(fd, self._sock_sendall, fut, sock, memoryview(data), [n])
        fut.add_done_callback(functools.partial(self._sock_write_done, fd, handle=handle))
        await fut

    def _sock_sendall(
        self, fut: Future, sock: socket.socket, view: memoryview, pos: list[int]
    ) -> None:
        if fut.done():
            return  # cancelled in an earlier iteration
        start = pos[0]
        try:
            n = sock.send(view[start:])
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
            return
        start += n
        if start == len(view):
            fut.set_result(None)
        else:
            pos[0] = start

    async def sock_sendto(self, sock: socket.socket, data: ReadableBuffer, address: Any) -> int:
        """Send a datagram to ``address``; returns the number of bytes sent."""
        self._check_sock(sock)
        try:
            return sock.sendto(data, address)
        except (BlockingIOError, InterruptedError):
            pass
        fut = self.create_future()
        fd = sock.fileno()
        self._ensure_fd_no_transport(fd)
        handle = self._add_writer(fd, self._sock_sendto, fut, sock, data, address)
        fut.add_done_callback(functools.partial(self._sock_write_done, fd, handle=handle))
        return await fut  # type: ignore[no-any-return]

    def _sock_sendto(
        self, fut: Future, sock: socket.socket, data: ReadableBuffer, address: Any
    ) -> None:
        if fut.done():
            return
        try:
            n = sock.sendto(data, 0, address)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(n)

    async def sock_connect(self, sock: socket.socket, address: Any) -> None:
        """Connect ``sock`` to ``address`` (resolving a host name first for
        IPv4/IPv6 sockets)."""
        self._check_sock(sock)
        if sock.family == socket.AF_INET or (_HAS_IPV6 and sock.family == socket.AF_INET6):
            resolved = await self._ensure_resolved(
                address, family=sock.family, type=sock.type, proto=sock.proto
            )
            address = resolved[0][4]
        fut = self.create_future()
        self._sock_connect(fut, sock, address)
        await fut

    def _sock_connect(self, fut: Future, sock: socket.socket, address: Any) -> None:
        fd = sock.fileno()
        try:
            sock.connect(address)
        except (BlockingIOError, InterruptedError):
            # In progress: the socket becomes writable when it succeeds or fails.
            self._ensure_fd_no_transport(fd)
            handle = self._add_writer(fd, self._sock_connect_cb, fut, sock, address)
            fut.add_done_callback(functools.partial(self._sock_write_done, fd, handle=handle))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(None)

    def _sock_connect_cb(self, fut: Future, sock: socket.socket, address: Any) -> None:
        if fut.done():
            return
        try:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err != 0:
                raise OSError(err, f"Connect call failed {address}")
        except (BlockingIOError, InterruptedError):
            pass  # still registered: tried again at the next event
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
        else:
            fut.set_result(None)

    async def sock_accept(self, sock: socket.socket) -> tuple[socket.socket, Any]:
        """Accept a connection on the listening socket ``sock``: ``(conn,
        address)``, with ``conn`` non-blocking."""
        self._check_sock(sock)
        fut = self.create_future()
        self._sock_accept(fut, sock)
        return await fut  # type: ignore[no-any-return]

    def _sock_accept(self, fut: Future, sock: socket.socket) -> None:
        fd = sock.fileno()
        try:
            conn, address = sock.accept()
            conn.setblocking(False)
        except (BlockingIOError, InterruptedError):
            self._ensure_fd_no_transport(fd)
            handle = self._add_reader(fd, self._sock_accept, fut, sock)
            fut.add_done_callback(functools.partial(self._sock_read_done, fd, handle=handle))
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            fut.set_exception(exc)
        else:
            fut.set_result((conn, address))

    # -- name resolution ----------------------------------------------------------

    def _getaddrinfo_debug(
        self, host: Any, port: Any, family: int, type: int, proto: int, flags: int
    ) -> list[Any]:
        parts = [f"{host}:{port!r}"]
        for name, value in (("family", family), ("type", type), ("proto", proto), ("flags", flags)):
            if value:
                parts.append(f"{name}={value!r}")
        msg = ", ".join(parts)
        logger.debug("Get address info %s", msg)
        t0 = self.time()
        addrinfo = socket.getaddrinfo(host, port, family, type, proto, flags)
        dt = self.time() - t0
        text = f"Getting address info {msg} took {dt * 1e3:.3f}ms: {addrinfo!r}"
        if dt >= getattr(self, "slow_callback_duration", 0.1):
            logger.info(text)
        else:
            logger.debug(text)
        return addrinfo

    async def getaddrinfo(
        self,
        host: Any,
        port: Any,
        *,
        family: int = 0,
        type: int = 0,
        proto: int = 0,
        flags: int = 0,
    ) -> list[Any]:
        """``socket.getaddrinfo`` in the default executor."""
        func = self._getaddrinfo_debug if self._debug else socket.getaddrinfo
        return await self.run_in_executor(None, func, host, port, family, type, proto, flags)  # type: ignore[no-any-return]

    async def getnameinfo(self, sockaddr: Any, flags: int = 0) -> tuple[str, str]:
        """``socket.getnameinfo`` in the default executor."""
        return await self.run_in_executor(None, socket.getnameinfo, sockaddr, flags)  # type: ignore[no-any-return]

    async def _ensure_resolved(
        self,
        address: Any,
        *,
        family: int = 0,
        type: int = socket.SOCK_STREAM,
        proto: int = 0,
        flags: int = 0,
        loop: Any = None,
    ) -> list[Any]:
        host, port = address[:2]
        info = _ipaddr_info(host, port, family, type, proto, *address[2:])
        if info is not None:
            return [info]  # already a numeric address
        return await self.getaddrinfo(
            host, port, family=family, type=type, proto=proto, flags=flags
        )


def _ipaddr_info(
    host: Any,
    port: Any,
    family: int,
    type: int,
    proto: int,
    flowinfo: int = 0,
    scopeid: int = 0,
) -> tuple[Any, ...] | None:
    """The getaddrinfo entry for a host that is already a numeric IP
    address (None if a lookup is needed), as asyncio's fast path."""
    if proto not in {0, socket.IPPROTO_TCP, socket.IPPROTO_UDP} or host is None:
        return None
    if type == socket.SOCK_STREAM:
        proto = socket.IPPROTO_TCP
    elif type == socket.SOCK_DGRAM:
        proto = socket.IPPROTO_UDP
    else:
        return None
    if port is None or port in (b"", ""):
        port = 0
    else:
        try:
            port = int(port)
        except (TypeError, ValueError):
            return None  # a service name: let getaddrinfo map it
    if family == socket.AF_UNSPEC:
        families: list[int] = [socket.AF_INET]
        if _HAS_IPV6:
            families.append(socket.AF_INET6)
    else:
        families = [family]
    if isinstance(host, bytes):
        host = host.decode("idna")
    if "%" in host:
        return None  # an IPv6 zone index, which inet_pton refuses
    for af in families:
        try:
            socket.inet_pton(af, host)
        except OSError:
            continue
        if _HAS_IPV6 and af == socket.AF_INET6:
            return af, type, proto, "", (host, port, flowinfo, scopeid)
        return af, type, proto, "", (host, port)
    return None
