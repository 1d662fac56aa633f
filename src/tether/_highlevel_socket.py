"""Byte streams and listeners on sockets: :class:`SocketStream` and
:class:`SocketListener`.

``send_all`` is the hot path: it calls the non-blocking ``send`` on the
remaining memoryview slice in a loop, and only waits for writability when the
kernel's buffer is full (``BlockingIOError``). It checks for cancellation
once at the start and yields once at the end if it never had to wait, so a
large send costs one system call per kernel buffer-full rather than two
checkpoints per chunk.
"""

from __future__ import annotations

import errno
import socket as _stdlib_socket
from typing import NoReturn, final, overload

from ._abc import HalfCloseableStream, Listener
from ._conflict import ConflictDetector
from ._core import (
    BrokenResourceError,
    BusyResourceError,
    ClosedResourceError,
    cancel_shielded_checkpoint,
    checkpoint,
    enable_ki_protection,
    wait_task_rescheduled,
)
from ._core._context import GLOBAL_RUN_CONTEXT
from ._core._traps import cancel_point_task, fast_path_schedule_point
from ._socket import TCP_ULP, SocketType, _SocketType

DEFAULT_RECEIVE_SIZE = 65536

# errnos that mean "this socket was closed", as opposed to "the connection broke".
_CLOSED_ERRNOS = frozenset({errno.EBADF, errno.ENOTSOCK})


_SENDING = "another task is sending on this SocketStream"


def _translate(exc: OSError) -> NoReturn:
    """Raise the stream error for a socket error (called in an ``except``
    block, so ``exc`` becomes the new error's context)."""
    if exc.errno in _CLOSED_ERRNOS:
        raise ClosedResourceError("this socket was already closed") from None
    raise BrokenResourceError(f"socket connection broken: {exc}") from exc


def _short_read_drains(sock: _stdlib_socket.socket) -> bool:
    """Whether a ``recv`` on ``sock`` that returns fewer bytes than asked
    has emptied its queue, apart from the conditions epoll reports with a
    flag of their own (end of file, errors, urgent data: see
    ``tether._core._io_epoll``). True for plain TCP; not for Unix sockets (a
    read stops where passed file descriptors or credentials change), MPTCP,
    or TCP with an upper-layer protocol such as kernel TLS (a read stops at
    a TLS control record)."""
    if sock.proto not in (0, _stdlib_socket.IPPROTO_TCP):
        return False
    try:
        ulp = sock.getsockopt(_stdlib_socket.IPPROTO_TCP, TCP_ULP, 16)
    except OSError:
        return True  # no upper-layer protocols on this system
    return not ulp.strip(b"\0")


def _check_stream_socket(socket: SocketType, what: str) -> None:
    if not isinstance(socket, SocketType):
        raise TypeError(f"{what} requires a tether socket object")
    if socket.type != _stdlib_socket.SOCK_STREAM:
        raise ValueError(f"{what} requires a SOCK_STREAM socket")


@final
class SocketStream(HalfCloseableStream):
    """A :class:`~tether.abc.HalfCloseableStream` on a connected stream socket
    (TCP, or a Unix-domain stream socket).

    For TCP sockets it turns on ``TCP_NODELAY`` (and ``TCP_NOTSENT_LOWAT`` of
    16 KiB, where the platform has it); :meth:`setsockopt` can change that.
    The stream owns the socket: closing the stream closes the socket.

    Errors: a connection the peer reset (or any other socket error) raises
    :exc:`~tether.BrokenResourceError`; using the stream after closing it
    raises :exc:`~tether.ClosedResourceError`; two tasks sending (or two
    receiving) at once raise :exc:`~tether.BusyResourceError`.

    Args:
        socket: a connected ``SOCK_STREAM`` :class:`tether.socket.SocketType`.

    Attributes:
        socket: the wrapped :class:`tether.socket.SocketType`.

    Raises:
        TypeError: if ``socket`` is not a tether socket.
        ValueError: if it is not a ``SOCK_STREAM`` socket.
    """

    __slots__ = ("_receiving", "_sending", "socket")

    def __init__(self, socket: SocketType) -> None:
        _check_stream_socket(socket, "SocketStream")
        self.socket = socket
        # One task at a time per direction (what ConflictDetector does,
        # inlined: these flags are checked on every send and receive).
        self._sending = False
        self._receiving = False
        if socket.family in (_stdlib_socket.AF_INET, _stdlib_socket.AF_INET6):
            try:
                socket.setsockopt(_stdlib_socket.IPPROTO_TCP, _stdlib_socket.TCP_NODELAY, True)
            except OSError:  # pragma: no cover - not TCP after all
                pass
            lowat = getattr(_stdlib_socket, "TCP_NOTSENT_LOWAT", None)
            if lowat is not None:
                try:
                    socket.setsockopt(_stdlib_socket.IPPROTO_TCP, lowat, 2**14)
                except OSError:  # pragma: no cover
                    pass
            if type(socket) is _SocketType:
                socket._short_read_drains = _short_read_drains(socket._sock)

    def __repr__(self) -> str:
        return f"<tether.SocketStream {self.socket!r}>"

    def _enter_send(self) -> None:
        if self._sending:
            raise BusyResourceError(_SENDING)
        self._sending = True

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.BrokenResourceError: if the connection broke (reset by the
                peer, say).
            tether.ClosedResourceError: if the stream was closed, or
                :meth:`send_eof` was called.
        """
        sock = self.socket
        if type(sock) is _SocketType and type(data) is bytes and data:
            # The common case, written out: one send(2) takes it all.
            if sock._did_shutdown_SHUT_WR:
                raise ClosedResourceError("can't send data after sending EOF")
            if self._sending:
                raise BusyResourceError(_SENDING)
            self._sending = True
            try:
                task = cancel_point_task()
                try:
                    sent = sock._sock.send(data)
                except BlockingIOError:
                    sent = -1
                if sent == len(data):
                    # Done at once: a fast-path schedule point (it switches
                    # tasks every FAST_PATH_YIELD_INTERVAL-th time), as for a
                    # channel send with room.
                    await fast_path_schedule_point(task)
                    return
                with memoryview(data) as view:
                    await self._send_rest(sock, view, max(sent, 0), sent < 0)
            except OSError as exc:
                _translate(exc)
            finally:
                self._sending = False
            return
        if sock.did_shutdown_SHUT_WR:
            raise ClosedResourceError("can't send data after sending EOF")
        if self._sending:
            raise BusyResourceError(_SENDING)
        self._sending = True
        try:
            with memoryview(data) as view:
                if (view.itemsize != 1 or view.ndim != 1) and view.c_contiguous:
                    # Count and slice in bytes, as send(2) counts (an
                    # array("i") has 4 bytes per item).
                    with view.cast("B") as flat:
                        await self._send_view(sock, flat)
                else:
                    await self._send_view(sock, view)
        except OSError as exc:
            _translate(exc)
        finally:
            self._sending = False

    async def _send_view(self, sock: SocketType, view: memoryview) -> None:
        length = len(view)
        if not length:
            if sock.fileno() == -1:
                raise ClosedResourceError("this socket was already closed")
            await checkpoint()
            return
        if type(sock) is not _SocketType:
            # A custom socket: only its public async API.
            total = 0
            while total < length:
                with view[total:] as remaining:
                    total += await sock.send(remaining)
            return
        cancel_point_task()
        await self._send_rest(sock, view, 0, False)

    @staticmethod
    async def _send_rest(sock: _SocketType, view: memoryview, total: int, blocked: bool) -> None:
        # send_all's loop, from ``total`` bytes sent (``blocked``: the last
        # send failed with EAGAIN). A full buffer is waited out; if there
        # was no wait, end with the schedule point that makes send_all a
        # checkpoint.
        send = sock._sock.send
        length = len(view)
        waited = False
        while True:
            if blocked:
                await sock._wait_retry(False)
                waited = True
            try:
                if total:
                    with view[total:] as remaining:
                        total += send(remaining)
                else:
                    total += send(view)
            except BlockingIOError:
                blocked = True
                continue
            blocked = False
            if total >= length:
                break
        if not waited:
            await cancel_shielded_checkpoint()

    async def wait_send_all_might_not_block(self) -> None:
        """Block until the socket's send buffer has room.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.ClosedResourceError: if the stream was closed.
        """
        self._enter_send()
        try:
            if self.socket.fileno() == -1:
                raise ClosedResourceError("this socket was already closed")
            try:
                await self.socket.wait_writable()
            except OSError as exc:
                _translate(exc)
        finally:
            self._sending = False

    async def send_eof(self) -> None:
        """Shut down the sending direction (``shutdown(SHUT_WR)``); receiving
        still works. Idempotent.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.ClosedResourceError: if the stream was closed.
        """
        self._enter_send()
        try:
            await checkpoint()
            if self.socket.did_shutdown_SHUT_WR:
                return
            try:
                self.socket.shutdown(_stdlib_socket.SHUT_WR)
            except OSError as exc:
                _translate(exc)
        finally:
            self._sending = False

    @enable_ki_protection  # (it calls arm_retry(): see _SocketType._wait_retry)
    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Receive at most ``max_bytes`` (default 64 KiB); ``b""`` at end of file.

        Raises:
            ValueError: if ``max_bytes`` is less than 1.
            tether.BusyResourceError: if another task is receiving.
            tether.BrokenResourceError: if the connection broke.
            tether.ClosedResourceError: if the stream was closed.
        """
        if max_bytes is None:
            max_bytes = DEFAULT_RECEIVE_SIZE
        if max_bytes < 1:
            raise ValueError("max_bytes must be >= 1")
        if self._receiving:
            raise BusyResourceError("another task is receiving on this SocketStream")
        self._receiving = True
        try:
            sock = self.socket
            if type(sock) is not _SocketType:
                return await sock.recv(max_bytes)
            # _SocketType.recv written out: one coroutine frame less to
            # suspend and resume on the hot path.
            task = cancel_point_task()
            raw = sock._sock
            state = sock._io_state
            if state is None or not state.read_blocked or state.fd != raw.fileno():
                try:
                    data = raw.recv(max_bytes)
                except BlockingIOError:
                    pass
                except BaseException:
                    await cancel_shielded_checkpoint()
                    raise
                else:
                    if (
                        len(data) < max_bytes
                        and data
                        and state is not None
                        and state.short_read_drains
                        and sock._short_read_drains
                    ):
                        # A short read emptied the queue: the next call waits
                        # at once (see "short reads" in _core/_io_epoll.py).
                        state.read_blocked = True
                    # Data was there: a fast-path schedule point (see send_all).
                    await fast_path_schedule_point(task)
                    return data
            while True:
                await wait_task_rescheduled(
                    GLOBAL_RUN_CONTEXT.runner.io_manager.arm_retry(raw.fileno(), sock, True)
                )
                try:
                    data = raw.recv(max_bytes)
                except BlockingIOError:
                    continue
                state = sock._io_state
                if (
                    len(data) < max_bytes
                    and data
                    and state is not None
                    and state.short_read_drains
                    and sock._short_read_drains
                ):
                    state.read_blocked = True
                return data
        except OSError as exc:
            _translate(exc)
        finally:
            self._receiving = False

    async def aclose(self) -> None:
        """Close the stream and its socket (a checkpoint; never blocks)."""
        self.socket.close()
        await checkpoint()

    @overload
    def setsockopt(self, level: int, option: int, value: int | bytes) -> None: ...
    @overload
    def setsockopt(self, level: int, option: int, value: None, length: int) -> None: ...
    def setsockopt(
        self, level: int, option: int, value: int | bytes | None, length: int | None = None
    ) -> None:
        """Set an option on the socket (see :meth:`socket.socket.setsockopt`)."""
        if length is None:
            if value is None:
                raise TypeError("value must not be None unless length is given")
            self.socket.setsockopt(level, option, value)
            return
        if value is not None:
            raise TypeError(f"value must be None when length is given, not {value!r}")
        self.socket.setsockopt(level, option, None, length)

    @overload
    def getsockopt(self, level: int, option: int) -> int: ...
    @overload
    def getsockopt(self, level: int, option: int, buffersize: int) -> bytes: ...
    def getsockopt(self, level: int, option: int, buffersize: int = 0) -> int | bytes:
        """Read an option of the socket (see :meth:`socket.socket.getsockopt`)."""
        if buffersize == 0:
            return self.socket.getsockopt(level, option)
        return self.socket.getsockopt(level, option, buffersize)


# accept() errors that concern only the one connection being accepted.
_IGNORABLE_ACCEPT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EPERM", "ECONNABORTED", "EPROTO", "ENETDOWN", "ENOPROTOOPT", "EHOSTDOWN",
        "ENONET", "EHOSTUNREACH", "EOPNOTSUPP", "ENETUNREACH", "ENOSR",
        "ESOCKTNOSUPPORT", "EPROTONOSUPPORT", "ETIMEDOUT", "ECONNRESET",
    )
    if hasattr(errno, name)
)  # fmt: skip


@final
class SocketListener(Listener[SocketStream]):
    """A :class:`~tether.abc.Listener` that accepts connections on a
    listening socket, as :class:`SocketStream` objects.

    The listener owns the socket: closing the listener closes it.

    Args:
        socket: a listening ``SOCK_STREAM`` :class:`tether.socket.SocketType`.

    Attributes:
        socket: the wrapped :class:`tether.socket.SocketType`.

    Raises:
        TypeError: if ``socket`` is not a tether socket.
        ValueError: if it is not a listening ``SOCK_STREAM`` socket.
    """

    __slots__ = ("_accept_guard", "socket")

    def __init__(self, socket: SocketType) -> None:
        _check_stream_socket(socket, "SocketListener")
        try:
            listening = socket.getsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_ACCEPTCONN)
        except OSError:  # pragma: no cover - platforms without SO_ACCEPTCONN
            pass
        else:
            if not listening:
                raise ValueError("SocketListener requires a listening socket")
        self.socket = socket
        self._accept_guard = ConflictDetector("another task is accepting on this SocketListener")

    def __repr__(self) -> str:
        return f"<tether.SocketListener {self.socket!r}>"

    async def accept(self) -> SocketStream:
        """Wait for the next connection and return it as a :class:`SocketStream`.

        Errors that concern only the connection being accepted (it was reset
        or aborted before we got to it...) are skipped. Others, including
        running out of file descriptors (``EMFILE``), propagate:
        :func:`tether.serve_listeners` handles those.

        Raises:
            tether.BusyResourceError: if another task is accepting.
            tether.ClosedResourceError: if the listener was closed.
            OSError: for other errors of ``accept``.
        """
        with self._accept_guard:
            while True:
                try:
                    sock, _ = await self.socket.accept()
                except OSError as exc:
                    if exc.errno in _CLOSED_ERRNOS:
                        raise ClosedResourceError("this listener was closed") from None
                    if exc.errno not in _IGNORABLE_ACCEPT_ERRNOS:
                        raise
                else:
                    return SocketStream(sock)

    async def aclose(self) -> None:
        """Close the listener and its socket."""
        self.socket.close()
        await checkpoint()
