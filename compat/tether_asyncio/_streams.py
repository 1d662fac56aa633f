"""asyncio's streams on tether's sockets: ``open_connection``, ``start_server``
(and the Unix-socket pair), :class:`StreamReader`, :class:`StreamWriter`
and :class:`Server`.

Underneath there is no asyncio protocol or transport and no selector: a
connection is a socket moved by tether's readiness waits (for TLS, wrapped
in a :class:`tether.SSLStream`), connecting waits with
:func:`tether.lowlevel.wait_writable`, and a server's listening socket is
watched with :func:`tether.lowlevel.wait_readable`. (Not
``tether.open_tcp_stream``/``open_tcp_listeners``: asyncio's observable
details (its error messages, ``local_addr``, ``sock=``, happy eyeballs run
as asyncio Tasks, the listening sockets' options) need the individual
steps.)

How bytes move
--------------
A **plain connection** (TCP or Unix) has no task at all, like stock's
selector transport: it is moved by tether's persistent readiness watches
(:func:`tether.lowlevel.watch_readable`, the machinery behind
``loop.add_reader()``), whose callbacks join the run queue in FIFO order
with tasks and ``call_soon()`` callbacks:

* a *read watch*, kept for the life of the connection, receives up to
  256 KiB each time the socket is readable, as asyncio's transport does,
  and feeds the :class:`StreamReader`'s buffer. Reads therefore happen
  whether or not anybody is reading: data that arrives while the program
  is busy is buffered, ``at_eof()`` becomes true when the peer's end of
  file arrives, a reset shows up as the reader's exception, all exactly as
  with stock asyncio. The watch is dropped while reading is paused (the
  reader's buffer holds more than twice its ``limit``, until a read brings
  it back to ``limit``; or ``pause_reading()``), as stock removes its
  reader;
* ``write()`` never blocks: on an idle connection it tries a non-blocking
  ``send()`` at once (so small writes leave in the same loop iteration as
  under stock asyncio, and ``get_write_buffer_size()`` stays 0), and
  buffers what the kernel did not take; a *write watch* exists only while
  there is unsent data, and sends it as the socket accepts it. When the
  buffer exceeds the high-water mark (64 KiB) ``drain()`` waits until it is
  down to the low-water mark (16 KiB), as stock's flow control does; below
  the mark ``drain()`` returns without suspending, as stock's does.

An idle plain connection therefore costs a transport, a protocol, the
reader and writer objects and one watch; the write buffer, the drain
waiters' queue and the future behind ``wait_closed()`` are made only when
needed.

(Subprocess pipes are moved the same way: see ``_subprocess``.) If the
loop closes with such a connection open, one owned task per loop closes
its socket as the run is abandoned, with the ResourceWarning stock gives
when its closed loop drops it.

**TLS** connections (``ssl=``, or after ``start_tls()``, which first lets
the plain buffer go out) have **one tether task** instead (an owned task
of the run, not an asyncio Task, so ``asyncio.all_tasks()`` does not see
it), running a reader loop and a writer loop over a
:class:`tether.SSLStream`, with the same reading, buffering and
flow-control rules.

Closing: ``close()`` lets the buffer drain, then closes the socket (for
TLS, as stock does, after sending ``close_notify`` and reading the peer's,
or its end of file, for up to ``ssl_shutdown_timeout``, after which
``wait_closed()`` raises ``TimeoutError``) and tells the reader and
``wait_closed()``; ``abort()`` drops the buffer. The object a
writer reports as ``writer.transport`` exposes what stream users touch
(``get_extra_info``, ``is_closing``, ``close``, ``abort``, ``write``,
``get_write_buffer_size``, ``set_write_buffer_limits``,
``pause_reading``/``resume_reading``, ``is_reading``, ``writelines``,
``write_eof``, ``can_write_eof``, ``get_write_buffer_limits``);
``set_protocol()``/``get_protocol()`` raise :exc:`NotImplementedError`, as
do ``loop.create_connection()``, ``loop.create_server()`` and the other
loop methods that hand out transports (:class:`StreamsLoopMixin`):
protocols and transports are separate work.

Servers: one owned task per listening socket accepts connections (up to
``backlog`` per readiness, as stock does) and, like stock, starts an
asyncio Task per connection that sets it up (the TLS handshake for TLS
servers) and then calls the client callback, which runs as another Task.
The counts and order of the Tasks asyncio creates are kept (the
``Task-N`` names match), and so are each version's ``wait_closed()``
rules (3.11 returns at once once the server is closed; 3.12+ wait for the
connections to go) and 3.13's ``close_clients()``/``abort_clients()``.

Where a program can tell: ``StreamWriter.start_tls()`` keeps the same
transport object (stock swaps in a new one) and refuses TLS inside TLS
(a second ``start_tls()``, which stock supports) with
:exc:`NotImplementedError`; the transport's class and repr are the
facade's own.
"""

from __future__ import annotations

import collections
import contextvars
import errno
import itertools
import logging
import os
import socket
import stat
import sys
import traceback
import warnings
import weakref
from asyncio import AbstractServer
from asyncio.format_helpers import _format_callback_source
from asyncio.trsock import TransportSocket
from typing import TYPE_CHECKING, Any, Self

import tether
import tether.lowlevel
import tether.socket

from . import _pyversion
from ._exceptions import CancelledError, IncompleteReadError, LimitOverrunError
from ._loop_io import _ipaddr_info
from ._tasks import iscoroutine, sleep

try:
    import ssl as _ssl
except ImportError:  # pragma: no cover - Python built without ssl
    _ssl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ._futures import Future
    from ._loop import TetherLoop

__all__ = (  # noqa: RUF022 - stock's order
    "StreamReader",
    "StreamWriter",
    "StreamReaderProtocol",
    "open_connection",
    "start_server",
    "open_unix_connection",
    "start_unix_server",
)

logger = logging.getLogger("asyncio")

_DEFAULT_LIMIT = 2**16  # 64 KiB, as stock
_MAX_READ = 256 * 1024  # what one receive asks for, as stock's transports
_CHUNK = 256 * 1024  # the most the writer hands tether in one send_all
_HIGH_WATER = 64 * 1024
_LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5
_SSL_HANDSHAKE_TIMEOUT = 60.0
_SSL_SHUTDOWN_TIMEOUT = 30.0
_ACCEPT_RETRY_DELAY = 1.0
_HAS_IPV6 = hasattr(socket, "AF_INET6")
_INET_FAMILIES = (socket.AF_INET, socket.AF_INET6) if _HAS_IPV6 else (socket.AF_INET,)
_HAS_SENDMSG = hasattr(socket.socket, "sendmsg")
try:
    _IOV_MAX = os.sysconf("SC_IOV_MAX")
except (AttributeError, ValueError, OSError):  # pragma: no cover
    _IOV_MAX = 16

_NOT_A_TRANSPORT = (
    "tether_asyncio's stream transports carry a stream, not a protocol: "
    "asyncio's protocols and transports (loop.create_connection(), "
    "loop.create_server() and friends) are not implemented by the facade yet"
)


def _not_implemented(what: str) -> NotImplementedError:
    return NotImplementedError(f"{what} is not available: {_NOT_A_TRANSPORT}")


def _running_loop() -> TetherLoop:
    from ._loop import get_running_loop

    return get_running_loop()


def _event_loop() -> TetherLoop:
    from ._loop import get_event_loop

    return get_event_loop()


def _extract_stack(frame: Any) -> traceback.StackSummary:
    """The creation stack a debug-mode object keeps (``_source_traceback``)."""
    stack = traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False)
    stack.reverse()
    return stack


def _set_result_unless_cancelled(fut: Future, result: Any) -> None:
    if not fut.cancelled():
        fut.set_result(result)


def _os_error(exc: BaseException) -> BaseException:
    """The error behind a tether stream error, as asyncio's transport would see it."""
    cause: BaseException | None = exc
    while isinstance(cause, tether.BrokenResourceError | tether.ClosedResourceError):
        cause = cause.__cause__
    if cause is None:
        return ConnectionResetError("Connection lost")
    return cause


def _is_ssl_eof(exc: BaseException) -> bool:
    # The peer's transport ended without close_notify: asyncio's SSL layer
    # treats that as an end of file, not as an error.
    return _ssl is not None and isinstance(exc, _ssl.SSLEOFError | _ssl.SSLZeroReturnError)


def _socket_transports(loop: TetherLoop) -> weakref.WeakValueDictionary[int, Any]:
    """The loop's socket transports by fd (as stock's ``loop._transports``)."""
    transports = loop.__dict__.get("_transports")
    if transports is None:
        transports = loop.__dict__["_transports"] = weakref.WeakValueDictionary()
    return transports


def _register_transport(loop: TetherLoop, fd: int, transport: object) -> None:
    # As stock's selector loop: sock_*()/add_reader() refuse an fd a live
    # transport uses.
    _socket_transports(loop)[fd] = transport


def _watched_pipes(loop: TetherLoop) -> weakref.WeakSet[Any]:
    """The loop's pipe transports (sockets are in its ``_transports``)."""
    pipes = loop.__dict__.get("_watched_pipes")
    if pipes is None:
        pipes = loop.__dict__["_watched_pipes"] = weakref.WeakSet()
    return pipes


def _ensure_reaper(loop: TetherLoop) -> None:
    """Start the loop's reaper, once (inside the run).

    Transports moved by watches have no task of their own whose cleanup
    would close their descriptor when the loop closes with them open. Stock
    asyncio's loop drops them then (with its selector), and they close,
    with a ResourceWarning; one owned task per loop does that here, when
    the run is abandoned."""
    if "_reaper" in loop.__dict__:
        return
    loop.__dict__["_reaper"] = True
    tether.lowlevel.spawn_owned(
        _reap_when_abandoned(_socket_transports(loop), _watched_pipes(loop)),
        name="tether_asyncio: closes the connections a closed loop leaves open",
        on_exit=_reaper_exited,
    )


async def _reap_when_abandoned(
    sockets: weakref.WeakValueDictionary[int, Any], pipes: weakref.WeakSet[Any]
) -> None:
    try:
        await tether.sleep_forever()
    finally:
        if not tether.lowlevel.in_tether_run():  # the run was abandoned
            left = [t for t in (*sockets.values(), *pipes) if t._pump is None and not t._lost]
            for transport in left:
                transport._abandon()
            for transport in left:
                warnings.warn(
                    f"unclosed transport {transport!r}",
                    ResourceWarning,
                    stacklevel=1,
                    source=transport,
                )


def _reaper_exited(task: tether.lowlevel.Task, result: Any) -> None:
    """The reaper ends only with the run: nothing to report."""


# -- StreamReader ---------------------------------------------------------------------


class StreamReader:
    """asyncio's StreamReader: a buffer filled by a connection (or by
    :meth:`feed_data`), read with :meth:`read`, :meth:`readline`,
    :meth:`readexactly` and :meth:`readuntil`.

    ``limit`` bounds the line (or chunk) :meth:`readuntil` and
    :meth:`readline` return, and doubles as flow control: the connection
    stops reading while more than ``2 * limit`` bytes are buffered.
    """

    _source_traceback: Any = None

    def __init__(self, limit: int = _DEFAULT_LIMIT, loop: Any = None) -> None:
        if limit <= 0:
            raise ValueError("Limit cannot be <= 0")
        self._limit = limit
        self._loop = _event_loop() if loop is None else loop
        self._buffer = bytearray()
        self._eof = False
        self._waiter: Future | None = None
        self._exception: BaseException | None = None
        self._transport: Any = None
        self._paused = False
        if self._loop.get_debug():
            self._source_traceback = _extract_stack(sys._getframe(1))

    def __repr__(self) -> str:
        parts = ["StreamReader"]
        if self._buffer:
            parts.append(f"{len(self._buffer)} bytes")
        if self._eof:
            parts.append("eof")
        if self._limit != _DEFAULT_LIMIT:
            parts.append(f"limit={self._limit}")
        if self._waiter:
            parts.append(f"waiter={self._waiter!r}")
        if self._exception:
            parts.append(f"exception={self._exception!r}")
        if self._transport:
            parts.append(f"transport={self._transport!r}")
        if self._paused:
            parts.append("paused")
        return f"<{' '.join(parts)}>"

    def exception(self) -> BaseException | None:
        """The exception the stream was failed with, if any."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """Fail the stream: reads raise ``exc`` (a waiting read at once)."""
        self._exception = exc
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.cancelled():
            waiter.set_exception(exc)

    def _wakeup_waiter(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.cancelled():
            waiter.set_result(None)

    def set_transport(self, transport: Any) -> None:
        """Attach the transport whose reading this reader pauses and resumes."""
        assert self._transport is None, "Transport already set"
        self._transport = transport

    def _maybe_resume_transport(self) -> None:
        if self._paused and len(self._buffer) <= self._limit:
            self._paused = False
            self._transport.resume_reading()

    def feed_eof(self) -> None:
        """Mark the end of the data: reads return what is left, then ``b''``."""
        self._eof = True
        self._wakeup_waiter()

    def at_eof(self) -> bool:
        """True once :meth:`feed_eof` was called and the buffer is empty."""
        return self._eof and not self._buffer

    def feed_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the buffer (and wake a waiting read)."""
        assert not self._eof, "feed_data after feed_eof"
        if not data:
            return
        self._buffer.extend(data)
        self._wakeup_waiter()
        transport = self._transport
        if transport is not None and not self._paused and len(self._buffer) > 2 * self._limit:
            try:
                transport.pause_reading()
            except NotImplementedError:
                # A transport that cannot pause: keep everything.
                self._transport = None
            else:
                self._paused = True

    async def _wait_for_data(self, func_name: str) -> None:
        if self._waiter is not None:
            raise RuntimeError(
                f"{func_name}() called while another coroutine is already waiting for incoming data"
            )
        assert not self._eof, "_wait_for_data after EOF"
        if self._paused:
            # Waiting while paused would never end (readexactly(n > limit)).
            self._paused = False
            self._transport.resume_reading()
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def readline(self) -> bytes:
        """Read one line, up to and including ``b'\\n'``.

        At the end of the data, returns what is left (without a newline),
        then ``b''``. A line longer than the limit raises :exc:`ValueError`
        and is discarded (the whole buffer if no newline was found).
        """
        try:
            return await self.readuntil(b"\n")
        except IncompleteReadError as exc:
            return exc.partial
        except LimitOverrunError as exc:
            if self._buffer.startswith(b"\n", exc.consumed):
                del self._buffer[: exc.consumed + 1]
            else:
                self._buffer.clear()
            self._maybe_resume_transport()
            raise ValueError(exc.args[0])  # noqa: B904 - chained as in stock

    async def readuntil(self, separator: Any = b"\n") -> bytes:
        """Read up to and including ``separator`` (on Python 3.13, also a
        tuple of separators: the shortest chunk ending with any of them).

        Raises:
            IncompleteReadError: the data ended first; ``partial`` holds it
                (and the buffer is emptied).
            LimitOverrunError: the chunk would exceed the limit; the data
                stays in the buffer.
            ValueError: an empty separator (or an empty tuple).
        """
        if _pyversion.READUNTIL_TAKES_TUPLES and isinstance(separator, tuple):
            separators = sorted(separator, key=len)
            if not separators:
                raise ValueError("Separator should contain at least one element")
        else:
            separators = [separator]
        shortest = len(separators[0])
        longest = len(separators[-1])
        if shortest == 0:
            raise ValueError("Separator should be at least one-byte string")
        if self._exception is not None:
            raise self._exception

        # No separator ends before ``scanned``: rescanning starts there,
        # longest - 1 bytes back from the end, in case a separator straddles
        # the old end of the buffer and the new data.
        scanned = 0
        while True:
            size = len(self._buffer)
            if size - scanned >= shortest:
                start, end = self._find_separator(separators, scanned)
                if end >= 0:
                    break
                scanned = max(0, size + 1 - longest)
                if scanned > self._limit:
                    raise LimitOverrunError(
                        "Separator is not found, and chunk exceed the limit", scanned
                    )
            if self._eof:
                partial = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(partial, None)
            await self._wait_for_data("readuntil")

        if start > self._limit:
            raise LimitOverrunError("Separator is found, but chunk is longer than limit", start)
        chunk = bytes(memoryview(self._buffer)[:end])
        del self._buffer[:end]
        self._maybe_resume_transport()
        return chunk

    def _find_separator(self, separators: list[Any], offset: int) -> tuple[int, int]:
        """(start, end) of the earliest-ending separator at or after
        ``offset``, or (-1, -1)."""
        best_start = best_end = -1
        for sep in separators:
            found = self._buffer.find(sep, offset)
            if found != -1:
                end = found + len(sep)
                if best_end == -1 or end < best_end:
                    best_start, best_end = found, end
        return best_start, best_end

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes (at least one, unless at the end); with
        ``n < 0``, everything up to the end of the data."""
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            # Chunks of ``limit`` bytes: asking for everything at once could
            # deadlock a paused connection.
            parts: list[bytes] = []
            while True:
                part = await self.read(self._limit)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        if not self._buffer and not self._eof:
            await self._wait_for_data("read")
        data = bytes(memoryview(self._buffer)[:n])
        del self._buffer[:n]
        self._maybe_resume_transport()
        return data

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes.

        Raises:
            IncompleteReadError: the data ended first (``partial`` holds
                what was read; the buffer is emptied).
            ValueError: ``n`` is negative.
        """
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        while len(self._buffer) < n:
            if self._eof:
                partial = bytes(self._buffer)
                self._buffer.clear()
                raise IncompleteReadError(partial, n)
            await self._wait_for_data("readexactly")
        data = bytes(memoryview(self._buffer)[:n])
        del self._buffer[:n]
        self._maybe_resume_transport()
        return data

    def __aiter__(self) -> StreamReader:
        return self

    async def __anext__(self) -> bytes:
        line = await self.readline()
        if line == b"":
            raise StopAsyncIteration
        return line


# -- the protocol side: flow control and the reader/writer glue -------------------------


class _FlowControl:
    """What ``drain()`` waits on: paused/resumed by the transport's writer."""

    _paused = False
    _connection_lost = False
    # Made by the first drain() that waits (most connections never do).
    _drain_waiters: collections.deque[Future] | None = None

    def __init__(self, loop: TetherLoop) -> None:
        self._loop = loop

    def pause_writing(self) -> None:
        assert not self._paused
        self._paused = True
        if self._loop.get_debug():
            logger.debug("%r pauses writing", self)

    def resume_writing(self) -> None:
        assert self._paused
        self._paused = False
        if self._loop.get_debug():
            logger.debug("%r resumes writing", self)
        for waiter in self._drain_waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connection_lost = True
        if not self._paused:
            return
        for waiter in self._drain_waiters or ():
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)

    async def _drain_helper(self) -> None:
        if self._connection_lost:
            raise ConnectionResetError("Connection lost")
        if not self._paused:
            return
        waiter = self._loop.create_future()
        waiters = self._drain_waiters
        if waiters is None:
            waiters = self._drain_waiters = collections.deque()
        waiters.append(waiter)
        try:
            await waiter
        finally:
            waiters.remove(waiter)

    def _get_close_waiter(self, stream: object) -> Future | None:
        raise NotImplementedError


def _handler_done_qualname(fn: Callable[..., object]) -> Callable[..., object]:
    # asyncio reports a failed callback by this name.
    fn.__qualname__ = "StreamReaderProtocol.connection_made.<locals>.callback"
    return fn


class _StreamProtocol(_FlowControl):
    """Connects a transport to a StreamReader (and, for servers, calls the
    client callback): the role of stock's StreamReaderProtocol."""

    _closed: Future | None = None  # what wait_closed() waits on
    _lost = False  # connection_lost() was called
    _lost_exc: BaseException | None = None

    def __init__(
        self,
        stream_reader: StreamReader | None,
        client_connected_cb: Callable[..., Any] | None = None,
        loop: TetherLoop | None = None,
    ) -> None:
        super().__init__(_event_loop() if loop is None else loop)
        self._stream_reader_wr = None if stream_reader is None else weakref.ref(stream_reader)
        # A server's reader has nobody else holding it until the callback runs.
        self._strong_reader = stream_reader if client_connected_cb is not None else None
        self._stream_writer: StreamWriter | None = None
        self._task: Any = None
        self._transport: Any = None
        self._client_connected_cb = client_connected_cb
        self._over_ssl = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} transport={self._transport!r}>"

    @property
    def _stream_reader(self) -> StreamReader | None:
        if self._stream_reader_wr is None:
            return None
        return self._stream_reader_wr()

    def _replace_transport(self, transport: Any, writer: StreamWriter) -> None:
        self._transport = transport
        self._over_ssl = transport.get_extra_info("sslcontext") is not None
        if _pyversion.STREAM_PROTOCOL_KEEPS_WRITER:
            self._stream_writer = writer

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        reader = self._stream_reader
        if reader is not None:
            reader.set_transport(transport)
        self._over_ssl = transport.get_extra_info("sslcontext") is not None
        callback = self._client_connected_cb
        if callback is None:
            return
        writer = StreamWriter(transport, self, reader, self._loop)
        if _pyversion.STREAM_PROTOCOL_KEEPS_WRITER:
            self._stream_writer = writer
        result = callback(reader, writer)
        del writer
        if iscoroutine(result):
            loop = self._loop

            @_handler_done_qualname
            def callback_done(task: Any) -> None:
                if _pyversion.CANCELLED_HANDLER_CLOSES_TRANSPORT and task.cancelled():
                    transport.close()
                    return
                try:
                    exc = task.exception()
                except CancelledError as cancelled:
                    # 3.11/3.12 ask a cancelled task for its exception here;
                    # the loop reports that as a failed callback.
                    loop.call_exception_handler(
                        {
                            "message": "Exception in callback "
                            + _format_callback_source(callback_done, (task,)),
                            "exception": cancelled,
                        }
                    )
                    return
                if exc is not None:
                    loop.call_exception_handler(
                        {
                            "message": "Unhandled exception in client_connected_cb",
                            "exception": exc,
                            "transport": transport,
                        }
                    )
                    transport.close()

            self._task = loop.create_task(result)
            self._task.add_done_callback(callback_done)
        self._strong_reader = None

    def connection_lost(self, exc: BaseException | None) -> None:
        reader = self._stream_reader
        if reader is not None:
            if exc is None:
                reader.feed_eof()
            else:
                reader.set_exception(exc)
        if not self._lost:
            self._lost = True
            self._lost_exc = exc
            closed = self._closed
            if closed is not None and not closed.done():
                self._settle_closed(closed)
        super().connection_lost(exc)
        self._stream_reader_wr = None
        self._stream_writer = None
        self._task = None
        self._transport = None

    def data_received(self, data: bytes) -> None:
        reader = self._stream_reader
        if reader is not None:
            reader.feed_data(data)

    def eof_received(self) -> bool:
        reader = self._stream_reader
        if reader is not None:
            reader.feed_eof()
        # Over TLS, the end of the data closes the connection.
        return not self._over_ssl

    def _settle_closed(self, closed: Future) -> None:
        exc = self._lost_exc
        if exc is None:
            closed.set_result(None)
        else:
            closed.set_exception(exc)
            # Nobody has to await wait_closed(): don't log it.
            closed._log_traceback = False

    def _get_close_waiter(self, stream: object) -> Future:
        # Made on first use (most connections are never waited on), and
        # settled at once if the connection is already gone.
        closed = self._closed
        if closed is None:
            closed = self._closed = self._loop.create_future()
            if self._lost:
                self._settle_closed(closed)
        return closed


class StreamReaderProtocol:
    """Stock asyncio's adapter between a protocol-based transport and a
    :class:`StreamReader`.

    The facade's streams run on tether streams, with no protocol/transport
    layer, so this class exists for ``isinstance`` and imports only:
    creating one raises :exc:`NotImplementedError`. Use
    :func:`open_connection` and :func:`start_server` instead.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise _not_implemented("StreamReaderProtocol")


# -- StreamWriter ----------------------------------------------------------------------


class StreamWriter:
    """asyncio's StreamWriter: writes to a connection (or a pipe).

    :meth:`write` buffers and never blocks; ``await`` :meth:`drain` after
    writing to wait while the buffer is above its high-water mark.
    """

    def __init__(self, transport: Any, protocol: Any, reader: Any, loop: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        assert reader is None or isinstance(reader, StreamReader)
        self._reader = reader
        self._loop = loop

    def __repr__(self) -> str:
        parts = [type(self).__name__, f"transport={self._transport!r}"]
        if self._reader is not None:
            parts.append(f"reader={self._reader!r}")
        return f"<{' '.join(parts)}>"

    @property
    def transport(self) -> Any:
        """The transport: ``get_extra_info``, ``is_closing``, ``close``,
        ``abort``, ``write``, ``get_write_buffer_size``,
        ``set_write_buffer_limits``, ``pause_reading``/``resume_reading``."""
        return self._transport

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Buffer ``data`` for sending (``await drain()`` afterwards)."""
        self._transport.write(data)

    def writelines(self, data: Iterable[bytes | bytearray | memoryview]) -> None:
        """Buffer each item of ``data`` for sending."""
        self._transport.writelines(data)

    def write_eof(self) -> Any:
        """Close the sending direction once the buffer is sent."""
        return self._transport.write_eof()

    def can_write_eof(self) -> bool:
        """Whether :meth:`write_eof` is supported (not over TLS)."""
        return bool(self._transport.can_write_eof())

    def close(self) -> Any:
        """Close the connection once the buffer is sent (see :meth:`wait_closed`)."""
        return self._transport.close()

    def is_closing(self) -> bool:
        """True once :meth:`close` was called or the connection was lost."""
        return bool(self._transport.is_closing())

    async def wait_closed(self) -> None:
        """Wait until the connection is closed; raises the error that
        ended it, if one did."""
        await self._protocol._get_close_waiter(self)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``peername``, ``sockname``, ``socket``, ``sslcontext``,
        ``ssl_object``, ``peercert``, ``cipher``, ``compression`` (or
        ``pipe`` for a subprocess pipe)."""
        return self._transport.get_extra_info(name, default)

    async def drain(self) -> None:
        """Wait until the buffer is below the low-water mark; returns at
        once (without suspending) when it is not above the high-water mark.

        Raises the connection's error if it was lost (and
        ``ConnectionResetError('Connection lost')`` if it closed).
        """
        if self._reader is not None:
            exc = self._reader.exception()
            if exc is not None:
                raise exc
        if self._transport.is_closing():
            # Let the loop report the lost connection before we look.
            await sleep(0)
        await self._protocol._drain_helper()

    async def start_tls(
        self,
        sslcontext: Any,
        *,
        server_hostname: str | None = None,
        ssl_handshake_timeout: float | None = None,
        ssl_shutdown_timeout: Any = None,
    ) -> None:
        """Upgrade the connection to TLS (as the client, or as the server
        for a connection a server accepted)."""
        if ssl_shutdown_timeout is not None and not _pyversion.START_TLS_HAS_SHUTDOWN_TIMEOUT:
            raise TypeError(
                "StreamWriter.start_tls() got an unexpected keyword argument 'ssl_shutdown_timeout'"
            )
        server_side = self._protocol._client_connected_cb is not None
        protocol = self._protocol
        await self.drain()
        transport = self._transport
        if _ssl is None:  # pragma: no cover
            raise RuntimeError("Python ssl module is not available")
        if not isinstance(sslcontext, _ssl.SSLContext):
            raise TypeError(
                f"sslcontext is expected to be an instance of ssl.SSLContext, got {sslcontext!r}"
            )
        if not getattr(transport, "_start_tls_compatible", False):
            raise TypeError(f"transport {transport!r} is not supported by start_tls()")
        await transport._start_tls(
            sslcontext,
            server_side=server_side,
            server_hostname=server_hostname,
            handshake_timeout=ssl_handshake_timeout,
            shutdown_timeout=ssl_shutdown_timeout,
        )
        protocol._replace_transport(transport, self)

    def __del__(self, warn: Callable[..., None] = warnings.warn) -> None:
        transport = getattr(self, "_transport", None)
        if transport is None or transport.is_closing():
            return
        if self._loop.is_closed():
            warn("loop is closed", ResourceWarning)
        else:
            self.close()
            warn(f"unclosed {self!r}", ResourceWarning)


# -- transports ----------------------------------------------------------------------------


class _PumpState:
    """What a transport needs while a tether task moves its bytes (pipes,
    TLS): the task's nursery, the reader's cancel scope and the lots the
    two loops park in. A plain socket never has one (see _SocketTransport)."""

    __slots__ = ("nursery", "read_lot", "read_scope", "reader_running", "state_lot", "write_lot")

    def __init__(self) -> None:
        self.read_lot = tether.lowlevel.ParkingLot()
        self.write_lot = tether.lowlevel.ParkingLot()
        self.state_lot = tether.lowlevel.ParkingLot()  # reader gone, buffer sent, lost
        self.reader_running = False
        self.read_scope: tether.CancelScope | None = None
        self.nursery: tether.Nursery | None = None


# The write buffer of a transport with nothing to send: a shared empty tuple
# (a deque is made for the first unsent byte and dropped with the last).
_NO_BUFFER: Any = ()


def _own_watch(
    watch: Callable[..., tether.lowlevel.ReadinessWatch],
    fd: int,
    callback: Callable[[tether.lowlevel.ReadinessWatch], object],
) -> tether.lowlevel.ReadinessWatch:
    """A readiness watch whose callback is passed the watch itself: a call
    queued before a cancel-and-rewatch in the same iteration can tell it is
    stale (``watch is not self._read_watch``) and do nothing."""
    new = watch(fd, callback)
    new.args = (new,)
    return new


class _PumpTransport:
    """Base of the facade's transports: a protocol, a write buffer with
    stock's flow control, and what moves the bytes: either one owned tether
    task over a tether stream (TLS: see the module docstring), or, with no
    stream (``_pump`` stays None), readiness watches on ``_io_fd`` (plain
    sockets, pipes). Subclasses say what a read, an end of file, a failure
    and an emptied buffer mean."""

    _reads = True
    _writes = True
    _start_tls_compatible = False
    max_size = _MAX_READ
    _write_error_message = "Fatal write error on socket transport"
    _read_error_message = "Fatal read error on socket transport"

    # Rarely changed state lives on the class until it changes.
    _buffer: collections.deque[bytes | memoryview] = _NO_BUFFER
    _buffer_size = 0
    _buffer_epoch = 0  # bumped when the buffer is thrown away
    _protocol_paused = False
    _high_water = _HIGH_WATER
    _low_water = _HIGH_WATER // 4
    _paused = False  # reading paused
    _reading_done = False  # end of file seen, or reading stopped for good
    _pump: _PumpState | None = None
    # Without a pump: the descriptor and its watches (a write watch only
    # while there is unsent data).
    _io_fd = -1
    _read_watch: tether.lowlevel.ReadinessWatch | None = None
    _write_watch: tether.lowlevel.ReadinessWatch | None = None

    def __init__(self, loop: TetherLoop, stream: Any, protocol: Any, extra: dict[str, Any]) -> None:
        self._loop = loop
        self._stream = stream
        self._protocol = protocol
        self._extra = extra
        self._closing = False
        self._conn_lost = 0
        self._lost = False  # connection_lost() has been called
        if stream is not None:
            self._pump = _PumpState()

    def _begin(self, waiter: Future | None) -> None:
        """Schedule what stock's constructors schedule: connection_made, then
        the start of I/O, then the waiter."""
        self._loop.call_soon(self._protocol.connection_made, self)
        self._loop.call_soon(self._start)
        if waiter is not None:
            self._loop.call_soon(_set_result_unless_cancelled, waiter, None)

    def _start(self) -> None:
        if self._lost:
            return
        tether.lowlevel.spawn_owned(self._run(), name=repr(self), on_exit=self._task_exited)

    def _task_exited(self, task: tether.lowlevel.Task, result: Any) -> None:
        error = getattr(result, "error", None)
        if error is not None and not isinstance(error, tether.Cancelled):
            self._loop.call_exception_handler(
                {
                    "message": f"tether_asyncio: the task moving the data of {self!r} failed",
                    "exception": error,
                    "transport": self,
                }
            )

    async def _run(self) -> None:
        pump = self._pump
        assert pump is not None
        try:
            async with tether.open_nursery() as nursery:
                pump.nursery = nursery
                if self._reads:
                    pump.reader_running = True
                    nursery.start_soon(self._read_loop)
                await self._write_loop()
                nursery.cancel_scope.cancel()
        finally:
            pump.nursery = None
            if not self._lost:
                # The run is ending with the connection still open: close
                # the descriptor, as a garbage-collected transport would.
                # (When the loop closes, the run is abandoned: this runs
                # outside it, and must not call into tether.)
                self._lost = True
                self._conn_lost += 1
                self._close_resource()

    # -- readiness watches (transports without a pump task) -----------------------------

    def _read_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        raise NotImplementedError

    def _write_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        raise NotImplementedError

    def _abandon(self) -> None:
        raise NotImplementedError

    def _watch_reads(self) -> None:
        if (
            self._read_watch is None
            and not self._reading_done
            and not self._lost
            and self.is_reading()
        ):
            self._read_watch = _own_watch(
                tether.lowlevel.watch_readable, self._io_fd, self._read_ready
            )

    def _unwatch_reads(self) -> None:
        watch = self._read_watch
        if watch is not None:
            self._read_watch = None
            watch.cancel()

    def _watch_writes(self) -> None:
        if self._write_watch is None and self._buffer and not self._lost:
            self._write_watch = _own_watch(
                tether.lowlevel.watch_writable, self._io_fd, self._write_ready
            )

    def _unwatch_writes(self) -> None:
        watch = self._write_watch
        if watch is not None:
            self._write_watch = None
            watch.cancel()

    def _consume(self, sent: int) -> None:
        """Drop ``sent`` bytes from the front of the buffer."""
        buffer = self._buffer
        # (Items are bytes, or memoryviews of bytes: len() counts bytes.)
        while sent:
            item = buffer[0]
            size = len(item)
            if size <= sent:
                buffer.popleft()
                sent -= size
                self._buffer_size -= size
            else:
                buffer[0] = memoryview(item)[sent:]
                self._buffer_size -= sent
                break
        if not buffer:
            self._buffer = _NO_BUFFER

    # -- reading ---------------------------------------------------------------------

    def _stopped_reading(self) -> bool:
        return self._closing or self._lost or self._reading_done

    async def _reading_allowed(self) -> bool:
        pump = self._pump
        assert pump is not None
        while self._paused and not self._stopped_reading():
            await pump.read_lot.park()
        return not self._stopped_reading()

    async def _read_loop(self) -> None:
        pump = self._pump
        assert pump is not None
        try:
            with tether.CancelScope() as scope:
                pump.read_scope = scope
                await self._read_until_done()
        finally:
            pump.read_scope = None
            pump.reader_running = False
            if tether.lowlevel.in_tether_run():  # (not when the run is abandoned)
                pump.state_lot.unpark_all()

    async def _read_until_done(self) -> None:
        while await self._reading_allowed():
            try:
                data = await self._stream.receive_some(self.max_size)
            except tether.ClosedResourceError:
                return
            except tether.BrokenResourceError as exc:
                if self._stopped_reading():
                    return
                error = _os_error(exc)
                if not self._read_failed_is_eof(error):
                    self._read_failed(error)
                    return
                data = b""
            if not await self._reading_allowed():
                return
            if not data:
                self._reading_done = True
                self._eof_received()
                return
            if not self._deliver(data):
                return

    def _deliver(self, data: bytes) -> bool:
        """Hand ``data`` to the protocol; False (after the fatal-error report
        stock makes) if ``data_received`` raised."""
        try:
            self._protocol.data_received(data)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.data_received() call failed.")
            return False
        return True

    def _read_failed_is_eof(self, exc: BaseException) -> bool:
        return False

    def _read_failed(self, exc: BaseException) -> None:
        self._fatal_error(exc, self._read_error_message)

    def _eof_received(self) -> None:
        raise NotImplementedError

    def _stop_reading(self) -> None:
        """Stop delivering data; a plain stream's receive is cancelled (safe:
        nothing is lost), a TLS one just has its data dropped."""
        pump = self._pump
        if pump is None:
            return
        self._loop._defer_or_call(pump.read_lot.unpark_all)
        scope = pump.read_scope
        if scope is not None and self._cancel_receive_on_close():
            self._loop._defer_or_call(scope.cancel)

    def _cancel_receive_on_close(self) -> bool:
        return True

    def is_reading(self) -> bool:
        """Whether data is being read (not paused, not closing)."""
        return not self.is_closing() and not self._paused

    def pause_reading(self) -> None:
        """Stop delivering received data until :meth:`resume_reading`."""
        if not self.is_reading():
            return
        self._paused = True
        self._reading_paused()
        if self._loop.get_debug():
            logger.debug("%r pauses reading", self)

    def resume_reading(self) -> None:
        """Deliver received data again."""
        if self._closing or not self._paused:
            return
        self._paused = False
        self._reading_resumed()
        if self._loop.get_debug():
            logger.debug("%r resumes reading", self)

    def _reading_paused(self) -> None:
        pass

    def _reading_resumed(self) -> None:
        pump = self._pump
        if pump is not None:
            self._loop._defer_or_call(pump.read_lot.unpark_all)

    # -- writing ---------------------------------------------------------------------

    def _wake_writer(self) -> None:
        pump = self._pump
        if pump is not None:
            self._loop._defer_or_call(pump.write_lot.unpark_all)

    def _append(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, bytes):
            data = bytes(data)
        buffer = self._buffer
        if not buffer:
            buffer = self._buffer = collections.deque()
        buffer.append(data)
        self._buffer_size += len(data)
        self._wake_writer()

    def _clear_buffer(self) -> None:
        self._buffer = _NO_BUFFER
        self._buffer_size = 0
        self._buffer_epoch += 1

    def _next_chunk(self) -> tuple[bytes | memoryview, int]:
        """Whole buffered items, up to ``_CHUNK`` bytes (at least one item)."""
        first = self._buffer[0]
        if len(self._buffer) == 1 or len(first) >= _CHUNK:
            return first, 1
        parts: list[bytes | memoryview] = []
        total = 0
        for item in self._buffer:
            if parts and total + len(item) > _CHUNK:
                break
            parts.append(item)
            total += len(item)
        return b"".join(parts), len(parts)

    async def _write_loop(self) -> None:
        pump = self._pump
        assert pump is not None
        while not self._lost:
            if self._buffer and not self._conn_lost:
                chunk, count = self._next_chunk()
                epoch = self._buffer_epoch
                try:
                    await self._stream.send_all(chunk)
                except (tether.BrokenResourceError, tether.ClosedResourceError) as exc:
                    if epoch == self._buffer_epoch and not self._conn_lost:
                        self._clear_buffer()
                        self._write_failed(_os_error(exc))
                    continue
                if epoch != self._buffer_epoch:
                    continue
                buffer = self._buffer
                for _ in range(count):
                    buffer.popleft()
                self._buffer_size -= len(chunk)
                if not buffer:
                    self._buffer = _NO_BUFFER
                self._maybe_resume_protocol()
                if not self._buffer:
                    pump.state_lot.unpark_all()
                    self._buffer_emptied()
                continue
            if await self._idle_write_work():
                continue
            await pump.write_lot.park()

    def _write_failed(self, exc: BaseException) -> None:
        self._fatal_error(exc, self._write_error_message)

    def _buffer_emptied(self) -> None:
        """The writer sent the last buffered byte."""

    async def _idle_write_work(self) -> bool:
        """Work for the writer when the buffer is empty; True if it did any."""
        return False

    def get_write_buffer_size(self) -> int:
        """Bytes written but not yet handed to the kernel."""
        return self._buffer_size

    def get_write_buffer_limits(self) -> tuple[int, int]:
        """``(low, high)`` water marks of the write buffer."""
        return (self._low_water, self._high_water)

    def _set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        if high is None:
            high = 4 * low if low is not None else _HIGH_WATER
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self._high_water = high
        self._low_water = low

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        """Set the water marks ``drain()`` uses (default 64 KiB and a quarter
        of the high mark)."""
        self._set_write_buffer_limits(high=high, low=low)
        self._maybe_pause_protocol()

    def _maybe_pause_protocol(self) -> None:
        if self.get_write_buffer_size() <= self._high_water or self._protocol_paused:
            return
        self._protocol_paused = True
        try:
            self._protocol.pause_writing()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._report_error("protocol.pause_writing() failed", exc)

    def _maybe_resume_protocol(self) -> None:
        if self._protocol_paused and self.get_write_buffer_size() <= self._low_water:
            self._protocol_paused = False
            try:
                self._protocol.resume_writing()
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._report_error("protocol.resume_writing() failed", exc)

    # -- closing ---------------------------------------------------------------------

    def is_closing(self) -> bool:
        """True once the transport is closing or closed."""
        return self._closing

    _FATAL_ERROR_MESSAGE = "Fatal error on transport"

    def _report_error(self, message: str, exc: BaseException) -> None:
        self._loop.call_exception_handler(
            {"message": message, "exception": exc, "transport": self, "protocol": self._protocol}
        )

    def _is_quiet_error(self, exc: BaseException) -> bool:
        """Errors only logged in debug mode (socket transports: any OSError)."""
        return isinstance(exc, OSError)

    def _fatal_error(self, exc: BaseException, message: str | None = None) -> None:
        if message is None:
            message = self._FATAL_ERROR_MESSAGE
        if self._is_quiet_error(exc):
            if self._loop.get_debug():
                logger.debug("%r: %s", self, message, exc_info=True)
        else:
            self._report_error(message, exc)
        self._force_close(exc)

    def _force_close(self, exc: BaseException | None) -> None:
        if self._conn_lost:
            return
        if self._buffer:
            self._clear_buffer()
        if not self._closing:
            self._closing = True
            self._stop_reading()
        self._conn_lost += 1
        self._loop.call_soon(self._call_connection_lost, exc)

    def abort(self) -> None:
        """Close at once, dropping buffered data."""
        self._force_close(None)

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        if self._lost:
            return
        self._lost = True
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._close_resource()
            self._after_lost()
            pump = self._pump
            if pump is not None:
                self._loop._defer_or_call(pump.read_lot.unpark_all)
                self._loop._defer_or_call(pump.state_lot.unpark_all)
                self._loop._defer_or_call(pump.write_lot.unpark_all)

    def _close_resource(self) -> None:
        raise NotImplementedError

    def _after_lost(self) -> None:
        pass

    # -- the rest of the transport API ------------------------------------------------

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Extra information about the connection (see StreamWriter.get_extra_info)."""
        return self._extra.get(name, default)

    def set_protocol(self, protocol: object) -> None:
        """Not available: there is no protocol layer (NotImplementedError)."""
        raise _not_implemented(f"{type(self).__name__}.set_protocol()")

    def get_protocol(self) -> object:
        """Not available: there is no protocol layer (NotImplementedError)."""
        raise _not_implemented(f"{type(self).__name__}.get_protocol()")


class _CapturingContext:
    """Stands in for an SSLContext when tether creates the SSLObject, so the
    transport can report that object as ``ssl_object``."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.ssl_object: Any = None

    def wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        self.ssl_object = self.context.wrap_bio(*args, **kwargs)
        return self.ssl_object


def _check_ssl_timeouts(handshake: float | None, shutdown: float | None) -> tuple[float, float]:
    if handshake is None:
        handshake = _SSL_HANDSHAKE_TIMEOUT
    elif handshake <= 0:
        raise ValueError(f"ssl_handshake_timeout should be a positive number, got {handshake}")
    if shutdown is None:
        shutdown = _SSL_SHUTDOWN_TIMEOUT
    elif shutdown <= 0:
        raise ValueError(f"ssl_shutdown_timeout should be a positive number, got {shutdown}")
    return handshake, shutdown


def _client_context(sslcontext: Any, server_side: bool, server_hostname: str | None) -> Any:
    if sslcontext and not isinstance(sslcontext, bool):
        return sslcontext
    if server_side:
        raise ValueError("Server side SSL needs a valid SSLContext")
    context = _ssl.create_default_context()
    if not server_hostname:
        context.check_hostname = False
    return context


_TLS_RECEIVE_SIZE = 65536  # what the TLS layer asks its socket for at a time


class _TLSSocket(tether.abc.Stream):
    """The byte stream under a TLS connection: the connection's socket,
    moved with tether's low-level readiness waits.

    Not a :class:`tether.SocketStream` on purpose: where the TLS pump task
    suspends decides the order in which the two ends of a connection see
    its events (data, ``close_notify``, the connection's loss), and that
    order must stay stock asyncio's whatever the native stream does (its
    ready ``send_all``/``receive_some`` are fast-path schedule points, which
    switch tasks only once in a while). Here every call is a cancel point
    and suspends exactly once: at its readiness wait when it has to wait,
    or at a schedule point after the system call when it did not.
    ``aclose()`` closes the socket (unless :attr:`keep_open_on_aclose`);
    :meth:`close` does it synchronously.

    Attributes:
        keep_open_on_aclose: set by a transport closing the TLS connection
            the way stock does: ``SSLStream.aclose()`` sends ``close_notify``
            and then closes its transport stream, but the socket must stay
            open until the peer's ``close_notify`` has been read.
    """

    __slots__ = ("_sock", "keep_open_on_aclose")

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.keep_open_on_aclose = False
        _set_nodelay(sock)

    @staticmethod
    def _broken(exc: OSError) -> tether.BrokenResourceError | tether.ClosedResourceError:
        if exc.errno in (errno.EBADF, errno.ENOTSOCK):
            return tether.ClosedResourceError("this socket was already closed")
        return tether.BrokenResourceError(f"socket connection broken: {exc}")

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data`` (see :meth:`tether.abc.SendStream.send_all`)."""
        await tether.lowlevel.checkpoint_if_cancelled()
        sock = self._sock
        waited = False
        with memoryview(data) as view, view.cast("B") as rest:
            while rest:
                try:
                    sent = sock.send(rest)
                except (BlockingIOError, InterruptedError):
                    await tether.lowlevel.wait_writable(sock)
                    waited = True
                    continue
                except OSError as exc:
                    raise self._broken(exc) from exc
                rest = rest[sent:]
        if not waited:
            await tether.lowlevel.cancel_shielded_checkpoint()

    async def wait_send_all_might_not_block(self) -> None:
        """Wait until the socket is writable."""
        await tether.lowlevel.wait_writable(self._sock)

    async def receive_some(self, max_bytes: int | None = None) -> bytes:
        """Receive at most ``max_bytes`` (default 64 KiB); ``b""`` at end of file."""
        await tether.lowlevel.checkpoint_if_cancelled()
        sock = self._sock
        size = _TLS_RECEIVE_SIZE if max_bytes is None else max_bytes
        waited = False
        while True:
            try:
                data = sock.recv(size)
            except (BlockingIOError, InterruptedError):
                await tether.lowlevel.wait_readable(sock)
                waited = True
                continue
            except OSError as exc:
                if not waited:
                    await tether.lowlevel.cancel_shielded_checkpoint()
                raise self._broken(exc) from exc
            if not waited:
                await tether.lowlevel.cancel_shielded_checkpoint()
            return data

    def close(self) -> None:
        """Close the socket (waking any task waiting on it). Idempotent; also
        fine outside the run (an abandoned run's clean-up)."""
        if self._sock.fileno() != -1 and tether.lowlevel.in_tether_run():
            tether.lowlevel.notify_closing(self._sock)
        self._sock.close()

    async def aclose(self) -> None:
        """Close the socket (nothing, without suspending, if
        :attr:`keep_open_on_aclose`)."""
        if self.keep_open_on_aclose:
            return
        self.close()
        await tether.lowlevel.checkpoint()


async def _handshake(
    stream: _TLSSocket,
    sslcontext: Any,
    *,
    server_side: bool,
    server_hostname: str | None,
    timeout: float,
) -> tuple[tether.SSLStream[_TLSSocket], dict[str, Any]]:
    """TLS over ``stream``: the SSLStream and the extra info it adds."""
    capture = _CapturingContext(sslcontext)
    hostname = server_hostname if server_hostname and not server_side else None
    ssl_stream = tether.SSLStream(
        stream,
        capture,  # type: ignore[arg-type]
        server_hostname=hostname,
        server_side=server_side,
    )
    failure: BaseException | None = None
    with tether.move_on_after(timeout) as scope:
        try:
            await ssl_stream.do_handshake()
        except tether.BrokenResourceError as exc:
            failure = _os_error(exc)
    if failure is not None:
        raise failure
    if scope.cancelled_caught:
        raise ConnectionAbortedError(
            f"SSL handshake is taking longer than {timeout} seconds: aborting the connection"
        )
    sslobj = capture.ssl_object
    extra = {
        "sslcontext": sslcontext,
        "peercert": sslobj.getpeercert(),
        "cipher": sslobj.cipher(),
        "compression": sslobj.compression(),
        "ssl_object": sslobj,
    }
    return ssl_stream, extra


def _set_nodelay(sock: socket.socket) -> None:
    # As stock's transports: small writes leave without waiting for an ACK.
    if (
        sock.family in _INET_FAMILIES
        and sock.type == socket.SOCK_STREAM
        and sock.proto == socket.IPPROTO_TCP
    ):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _SocketTransport(_PumpTransport):
    """A connected stream socket (optionally TLS) as the facade's transport.

    A plain connection has no task: a persistent readiness watch (the
    machinery of ``loop.add_reader()``) calls :meth:`_read_ready` whenever
    the socket is readable, and a writability watch exists only while
    there is unsent data, as with stock's selector transport. TLS (from the
    start, or after ``start_tls()``) moves its bytes with the pump task and
    a :class:`tether.SSLStream`.
    """

    _start_tls_compatible = True
    _raw_stream: _TLSSocket | None = None
    _ssl_stream: tether.SSLStream[_TLSSocket] | None = None
    _ssl_shutdown_timeout = _SSL_SHUTDOWN_TIMEOUT
    _eof = False
    _server: Server | None = None
    _flush_waiter: Future | None = None  # start_tls() waiting for the plain buffer
    # While a TLS close waits for the peer's close_notify: its cancel scope
    # (abort() cancels it).
    _tls_close_scope: tether.CancelScope | None = None

    def __init__(
        self,
        loop: TetherLoop,
        sock: socket.socket,
        protocol: Any,
        *,
        waiter: Future | None = None,
        extra: dict[str, Any] | None = None,
        server: Server | None = None,
        stream: _TLSSocket | None = None,
        ssl_stream: tether.SSLStream[_TLSSocket] | None = None,
        ssl_extra: dict[str, Any] | None = None,
        ssl_shutdown_timeout: float = _SSL_SHUTDOWN_TIMEOUT,
    ) -> None:
        extra = {} if extra is None else dict(extra)
        extra["socket"] = TransportSocket(sock)
        try:
            extra["sockname"] = sock.getsockname()
        except OSError:
            extra["sockname"] = None
        if "peername" not in extra:
            try:
                extra["peername"] = sock.getpeername()
            except OSError:
                extra["peername"] = None
        if ssl_stream is None:
            # Plain: watches, no stream object (one is made by start_tls()).
            super().__init__(loop, None, protocol, extra)
            _set_nodelay(sock)
        else:
            super().__init__(loop, ssl_stream, protocol, extra)
            self._raw_stream = stream
            self._ssl_stream = ssl_stream
            self._ssl_shutdown_timeout = ssl_shutdown_timeout
            extra.update(ssl_extra or {})
        self._sock = sock
        self._sock_fd = self._io_fd = sock.fileno()
        if server is not None:
            self._server = server
            server._attach(self)
        _register_transport(loop, self._sock_fd, self)
        self._begin(waiter)

    def __repr__(self) -> str:
        parts = [type(self).__name__]
        if self._lost:
            parts.append("closed")
        elif self._closing:
            parts.append("closing")
        parts.append(f"fd={self._sock_fd}")
        if not self._lost:
            if self._pump is None:  # (what the loop polls for, as stock)
                reading = self._read_watch is not None
                writing = self._write_watch is not None
            else:
                reading = self.is_reading()
                writing = bool(self._buffer)
            parts.append("read=polling" if reading else "read=idle")
            state = "polling" if writing else "idle"
            parts.append(f"write=<{state}, bufsize={self.get_write_buffer_size()}>")
        if self._ssl_stream is not None:
            parts.append("ssl")
        return f"<{' '.join(parts)}>"

    def __del__(self, warn: Callable[..., None] = warnings.warn) -> None:
        # As stock: a transport collected while open (its loop went away)
        # closes its socket, with a warning.
        if self._pump is None and not getattr(self, "_lost", True) and hasattr(self, "_sock"):
            self._lost = True
            warn(f"unclosed transport {self!r}", ResourceWarning, source=self)
            self._sock.close()

    @property
    def _over_ssl(self) -> bool:
        return self._ssl_stream is not None

    # -- plain connections: readiness watches ------------------------------------------

    def _start(self) -> None:
        if self._pump is not None:
            super()._start()
            return
        _ensure_reaper(self._loop)
        if self.is_reading():
            self._watch_reads()

    def _abandon(self) -> None:
        """The run was abandoned with the connection open: close the socket
        (outside the run: no tether calls)."""
        self._lost = True
        self._conn_lost += 1
        self._sock.close()

    def _read_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        if watch is not self._read_watch or self._conn_lost:
            return
        try:
            data = self._sock.recv(self.max_size)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, self._read_error_message)
            return
        if not data:
            self._eof_received()
            return
        self._deliver(data)

    def _write_ready(self, watch: tether.lowlevel.ReadinessWatch) -> None:
        if watch is not self._write_watch or self._conn_lost:
            return
        buffer = self._buffer
        try:
            if len(buffer) == 1 or not _HAS_SENDMSG:
                sent = self._sock.send(buffer[0])
            else:
                sent = self._sock.sendmsg(itertools.islice(buffer, _IOV_MAX))
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._clear_buffer()
            self._fatal_error(exc, self._write_error_message)
            return
        self._consume(sent)
        self._maybe_resume_protocol()  # (may write more)
        if not self._buffer:
            self._unwatch_writes()
            self._buffer_emptied()

    def _wake_writer(self) -> None:
        if self._pump is not None:
            super()._wake_writer()
        elif self._write_watch is None:
            self._loop._defer_or_call(self._watch_writes)

    def _clear_buffer(self) -> None:
        super()._clear_buffer()
        self._unwatch_writes()

    def _stop_reading(self) -> None:
        if self._pump is not None:
            super()._stop_reading()
        else:
            self._unwatch_reads()

    def _reading_paused(self) -> None:
        if self._pump is None:
            self._unwatch_reads()

    def _reading_resumed(self) -> None:
        if self._pump is not None:
            super()._reading_resumed()
        else:
            self._loop._defer_or_call(self._watch_reads)

    # -- writing ---------------------------------------------------------------------

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Buffer ``data`` for sending; never blocks."""
        if self._over_ssl:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise TypeError(f"data: expecting a bytes-like instance, got {type(data).__name__}")
            if not data:
                return
            if self._closing:
                self._drop_write("SSL connection is closed")
                return
        else:
            if not isinstance(data, bytes | bytearray | memoryview):
                raise TypeError(
                    f"data argument must be a bytes-like object, not {type(data).__name__!r}"
                )
            if self._eof:
                raise RuntimeError("Cannot call write() after write_eof()")
            if not data:
                return
        if self._conn_lost:
            self._drop_write("socket.send() raised exception.")
            return
        if not self._buffer and not self._over_ssl:
            rest = self._send_now(data)
            if rest is None:
                return
            data = rest
        self._append(data)
        self._maybe_pause_protocol()

    def _send_now(self, data: bytes | bytearray | memoryview) -> memoryview | None:
        """As stock, a write to an idle connection is tried at once; what the
        kernel does not take (returned) is buffered."""
        try:
            sent = self._sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal write error on socket transport")
            return None
        view = memoryview(data)
        if sent == view.nbytes:
            return None
        return view.cast("B")[sent:]

    def _drop_write(self, message: str) -> None:
        if self._conn_lost >= _LOG_THRESHOLD_FOR_CONNLOST_WRITES:
            logger.warning(message)
        self._conn_lost += 1

    def writelines(self, list_of_data: Iterable[bytes | bytearray | memoryview]) -> None:
        """Buffer each item of ``list_of_data`` for sending."""
        if self._over_ssl or not _pyversion.WRITELINES_APPENDS:
            self.write(b"".join(list_of_data))
            return
        if self._eof:
            raise RuntimeError("Cannot call writelines() after write_eof()")
        if not list_of_data:
            return
        views = [memoryview(data) for data in list_of_data]
        if self._conn_lost:
            return
        if not self._buffer:
            rest = self._send_now(b"".join(views))
            if rest is not None:
                self._append(rest)
            return
        for view in views:
            if view:
                self._append(view)
        # (3.12+ do not apply flow control to writelines.)

    def can_write_eof(self) -> bool:
        """True for plain sockets; TLS has no half-close."""
        return not self._over_ssl

    def write_eof(self) -> None:
        """Shut down the sending direction once the buffer is sent."""
        if self._over_ssl:
            raise NotImplementedError
        if self._closing or self._eof:
            return
        self._eof = True
        if not self._buffer:
            self._sock.shutdown(socket.SHUT_WR)

    def _buffer_emptied(self) -> None:
        waiter = self._flush_waiter
        if waiter is not None:
            self._flush_waiter = None
            _set_result_unless_cancelled(waiter, None)
        if self._closing:
            if not self._over_ssl:
                self._call_connection_lost(None)
        elif self._eof:
            self._sock.shutdown(socket.SHUT_WR)

    async def _idle_write_work(self) -> bool:
        if not (self._over_ssl and self._closing and not self._conn_lost and not self._buffer):
            return False
        # TLS close, as stock's SSL protocol does it: send close_notify, then
        # wait (up to ssl_shutdown_timeout) for the peer's close_notify, its
        # end of file or an error, which the reader sees; then close.
        assert self._ssl_stream is not None
        assert self._raw_stream is not None
        pump = self._pump
        assert pump is not None
        self._conn_lost += 1
        self._raw_stream.keep_open_on_aclose = True
        with tether.move_on_after(self._ssl_shutdown_timeout) as scope:
            self._tls_close_scope = scope
            try:
                await self._ssl_stream.aclose()
            except (tether.BrokenResourceError, tether.ClosedResourceError):
                pass
            else:
                while pump.reader_running:
                    await pump.state_lot.park()
        self._tls_close_scope = None
        if scope.cancelled_caught and not self._tls_close_aborted:
            # (Stock's shutdown timer: a forced close, one iteration later.)
            self._loop.call_soon(self._call_connection_lost, TimeoutError("SSL shutdown timed out"))
        else:
            # (Stock: the transport closes in the next iteration, and the
            # protocol hears of it one iteration after that.)
            self._loop.call_soon(self._call_connection_lost, None)
        return True

    _tls_close_aborted = False

    def abort(self) -> None:
        """Close at once, dropping buffered data (and, for TLS, not waiting
        for the peer's close_notify)."""
        scope = self._tls_close_scope
        if scope is not None:
            self._tls_close_aborted = True
            self._loop._defer_or_call(scope.cancel)
            return
        super().abort()

    # -- reading and closing ----------------------------------------------------------

    def _read_failed_is_eof(self, exc: BaseException) -> bool:
        return self._over_ssl and _is_ssl_eof(exc)

    def _cancel_receive_on_close(self) -> bool:
        # Cancelling a TLS receive would break the TLS stream (no close_notify).
        return not self._over_ssl

    def _eof_received(self) -> None:
        if self._loop.get_debug():
            logger.debug("%r received EOF", self)
        try:
            keep_open = self._protocol.eof_received()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, "Fatal error: protocol.eof_received() call failed.")
            return
        if self._over_ssl:
            if keep_open:
                logger.warning("returning true from eof_received() has no effect when using ssl")
            self.close()
        elif not keep_open:
            self.close()
        elif self._pump is None:
            # Kept open for writing; nothing more to read.
            self._unwatch_reads()

    def close(self) -> None:
        """Close once the buffer is sent (TLS: after ``close_notify``)."""
        if self._closing:
            return
        self._closing = True
        self._stop_reading()
        if self._over_ssl:
            self._wake_writer()
            return
        if not self._buffer:
            self._conn_lost += 1
            self._loop.call_soon(self._call_connection_lost, None)

    def _close_resource(self) -> None:
        if self._pump is None:
            self._unwatch_reads()
            self._unwatch_writes()
            # (Wakes a start_tls() handshake waiting on the socket.)
            tether.lowlevel.notify_closing(self._sock_fd)
            self._sock.close()
        else:
            assert self._raw_stream is not None
            self._raw_stream.close()

    def _after_lost(self) -> None:
        waiter = self._flush_waiter
        if waiter is not None:
            self._flush_waiter = None
            _set_result_unless_cancelled(waiter, None)
        server = self._server
        if server is not None:
            self._server = None
            server._detach(self)

    # -- start_tls -------------------------------------------------------------------

    async def _start_tls(
        self,
        sslcontext: Any,
        *,
        server_side: bool,
        server_hostname: str | None,
        handshake_timeout: float | None,
        shutdown_timeout: float | None,
    ) -> None:
        if self._over_ssl:
            raise NotImplementedError(
                "start_tls() on a connection that already uses TLS (TLS inside TLS) is not "
                "supported by tether_asyncio"
            )
        handshake_timeout, shutdown_timeout = _check_ssl_timeouts(
            handshake_timeout, shutdown_timeout
        )
        # Stop reading plain data (what is not read yet stays in the socket
        # for the handshake), and let the plain buffer go out first.
        self._reading_done = True
        self._unwatch_reads()
        while self._buffer and not self._lost:
            waiter = self._flush_waiter
            if waiter is None or waiter.done():
                waiter = self._flush_waiter = self._loop.create_future()
            await waiter
        if self._lost:
            raise ConnectionResetError("Connection lost")
        stream = _TLSSocket(self._sock)
        try:
            ssl_stream, extra = await _handshake(
                stream,
                sslcontext,
                server_side=server_side,
                server_hostname=server_hostname,
                timeout=handshake_timeout,
            )
        except BaseException:
            self.close()
            raise
        if self._lost:
            raise ConnectionResetError("Connection lost")
        # From now on the pump task moves the (TLS) bytes.
        self._raw_stream = stream
        self._ssl_stream = ssl_stream
        self._stream = ssl_stream
        self._ssl_shutdown_timeout = shutdown_timeout
        self._extra.update(extra)
        self._unwatch_writes()
        self._reading_done = False
        self._pump = _PumpState()
        tether.lowlevel.spawn_owned(self._run(), name=repr(self), on_exit=self._task_exited)


# -- connecting --------------------------------------------------------------------------


async def _ensure_resolved(
    address: tuple[Any, ...], *, family: int = 0, type: int = socket.SOCK_STREAM,
    proto: int = 0, flags: int = 0,
) -> list[tuple[Any, ...]]:  # fmt: skip
    host, port = address[:2]
    info = _ipaddr_info(host, port, family, type, proto, *address[2:])
    if info is not None:
        return [info]  # no lookup, and no suspension, as in asyncio
    return list(await tether.socket.getaddrinfo(host, port, family, type, proto, flags))


def _interleave_addrinfos(
    addrinfos: list[tuple[Any, ...]], first_address_family_count: int = 1
) -> list[tuple[Any, ...]]:
    """Alternate the families (the first one gets ``count`` entries in a row first)."""
    by_family: dict[Any, list[tuple[Any, ...]]] = {}
    for info in addrinfos:
        by_family.setdefault(info[0], []).append(info)
    lists = list(by_family.values())
    ordered: list[tuple[Any, ...]] = []
    if first_address_family_count > 1:
        ordered.extend(lists[0][: first_address_family_count - 1])
        del lists[0][: first_address_family_count - 1]
    for round_ in itertools.zip_longest(*lists):
        ordered.extend(info for info in round_ if info is not None)
    return ordered


async def _sock_connect(sock: socket.socket, address: Any) -> None:
    """Connect a non-blocking socket, waiting for writability with tether."""
    if sock.family == socket.AF_INET or (_HAS_IPV6 and sock.family == socket.AF_INET6):
        resolved = await _ensure_resolved(
            address, family=sock.family, type=sock.type, proto=sock.proto
        )
        address = resolved[0][4]
    try:
        sock.connect(address)
    except (BlockingIOError, InterruptedError):
        pass
    else:
        return
    await tether.lowlevel.wait_writable(sock)
    # asyncio learns the outcome in a callback, and the task resumes one
    # loop iteration later: keep that iteration.
    await sleep(0)
    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err != 0:
        raise OSError(err, f"Connect call failed {address}")


async def _connect_sock(
    exceptions: list[list[BaseException]],
    addr_info: tuple[Any, ...],
    local_addr_infos: list[tuple[Any, ...]] | None = None,
) -> socket.socket:
    """Create, bind and connect one socket (collecting its errors)."""
    mine: list[BaseException] = []
    exceptions.append(mine)
    family, type_, proto, _, address = addr_info
    sock = None
    try:
        sock = socket.socket(family=family, type=type_, proto=proto)
        sock.setblocking(False)
        if local_addr_infos is not None:
            for lfamily, _, _, _, laddr in local_addr_infos:
                if lfamily != family:
                    continue
                try:
                    sock.bind(laddr)
                    break
                except OSError as exc:
                    detail = (
                        str(exc).lower()
                        if _pyversion.BIND_ERRORS_313
                        else str(exc.strerror).lower()
                    )
                    mine.append(
                        OSError(
                            exc.errno,
                            f"error while attempting to bind on address {laddr!r}: {detail}",
                        )
                    )
            else:
                if mine:
                    raise mine.pop()
                raise OSError(f"no matching local address with family={family!r} found")
        await _sock_connect(sock, address)
        return sock
    except OSError as exc:
        mine.append(exc)
        if sock is not None:
            sock.close()
        raise
    except BaseException:
        if sock is not None:
            sock.close()
        raise


class _StaggeredRace:
    """Happy eyeballs: start the attempts ``delay`` apart (or as soon as the
    previous one fails); the first to succeed wins and the others are
    cancelled. Each attempt runs as an asyncio Task, started by the previous
    one, as in asyncio (so Task names and ``all_tasks()`` match)."""

    def __init__(self, coro_fns: Iterable[Callable[[], Any]], delay: float, loop: TetherLoop):
        self.attempts = enumerate(coro_fns)
        self.delay = delay
        self.loop = loop
        self.winner: Any = None
        self.winner_index: int | None = None
        self.exceptions: list[BaseException | None] = []
        self.tasks: list[Any] = []

    async def run(self) -> tuple[Any, int | None, list[BaseException | None]]:
        from ._waiting import wait

        self.tasks.append(self.loop.create_task(self._attempt(None)))
        try:
            finished = 0
            while finished != len(self.tasks):
                done, _ = await wait(self.tasks)
                finished = len(done)
            return self.winner, self.winner_index, self.exceptions
        finally:
            for task in self.tasks:
                task.cancel()

    async def _attempt(self, previous_failed: Any) -> None:
        from ._combinators import wait_for
        from ._exceptions import TimeoutError
        from ._locks import Event

        if previous_failed is not None:
            try:
                await wait_for(previous_failed.wait(), self.delay)
            except TimeoutError:
                pass
        try:
            index, coro_fn = next(self.attempts)
        except StopIteration:
            return
        failed = Event()
        self.tasks.append(self.loop.create_task(self._attempt(failed)))
        self.exceptions.append(None)
        try:
            result = await coro_fn()
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self.exceptions[index] = exc
            failed.set()
        else:
            self.winner_index = index
            self.winner = result
            for i, task in enumerate(self.tasks):
                if i != index:
                    task.cancel()


_MISSING: Any = object()


async def _create_connection_transport(
    loop: TetherLoop,
    sock: socket.socket,
    protocol: Any,
    sslcontext: Any,
    server_hostname: str | None,
    *,
    server_side: bool = False,
    ssl_handshake_timeout: float | None = None,
    ssl_shutdown_timeout: float | None = None,
) -> _SocketTransport:
    sock.setblocking(False)
    waiter = loop.create_future()
    if sslcontext:
        handshake_timeout, shutdown_timeout = _check_ssl_timeouts(
            ssl_handshake_timeout, ssl_shutdown_timeout
        )
        context = _client_context(sslcontext, server_side, server_hostname)
        stream = _TLSSocket(sock)
        try:
            ssl_stream, extra = await _handshake(
                stream,
                context,
                server_side=server_side,
                server_hostname=server_hostname,
                timeout=handshake_timeout,
            )
        except BaseException:
            stream.close()
            raise
        transport = _SocketTransport(
            loop,
            sock,
            protocol,
            waiter=waiter,
            stream=stream,
            ssl_stream=ssl_stream,
            ssl_extra=extra,
            ssl_shutdown_timeout=shutdown_timeout,
        )
    else:
        transport = _SocketTransport(loop, sock, protocol, waiter=waiter)
    try:
        await waiter
    except BaseException:
        transport.close()
        raise
    return transport


async def _create_connection(
    loop: TetherLoop,
    protocol: Any,
    /,
    host: Any = None,
    port: Any = None,
    *,
    ssl: Any = None,
    family: int = 0,
    proto: int = 0,
    flags: int = 0,
    sock: socket.socket | None = None,
    local_addr: Any = None,
    server_hostname: str | None = None,
    ssl_handshake_timeout: float | None = None,
    ssl_shutdown_timeout: float | None = None,
    happy_eyeballs_delay: float | None = None,
    interleave: int | None = None,
    all_errors: Any = _MISSING,
) -> _SocketTransport:
    """asyncio's ``loop.create_connection()`` checks and connection logic,
    with the facade's transport (``protocol`` is the stream glue)."""
    if all_errors is _MISSING:
        all_errors = False
    elif not _pyversion.CREATE_CONNECTION_HAS_ALL_ERRORS:
        raise TypeError(
            "BaseEventLoop.create_connection() got an unexpected keyword argument 'all_errors'"
        )
    if server_hostname is not None and not ssl:
        raise ValueError("server_hostname is only meaningful with ssl")
    if server_hostname is None and ssl:
        if not host:
            raise ValueError("You must set server_hostname when using ssl without a host")
        server_hostname = host
    if ssl_handshake_timeout is not None and not ssl:
        raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
    if ssl_shutdown_timeout is not None and not ssl:
        raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
    if sock is not None:
        _check_ssl_socket(sock)
    if happy_eyeballs_delay is not None and interleave is None:
        interleave = 1

    if host is not None or port is not None:
        if sock is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        infos = await _ensure_resolved(
            (host, port), family=family, type=socket.SOCK_STREAM, proto=proto, flags=flags
        )
        if not infos:
            raise OSError("getaddrinfo() returned empty list")
        laddr_infos = None
        if local_addr is not None:
            laddr_infos = await _ensure_resolved(
                local_addr, family=family, type=socket.SOCK_STREAM, proto=proto, flags=flags
            )
            if not laddr_infos:
                raise OSError("getaddrinfo() returned empty list")
        if interleave:
            infos = _interleave_addrinfos(infos, interleave)
        exceptions: list[list[BaseException]] = []
        if happy_eyeballs_delay is None:
            for addrinfo in infos:
                try:
                    sock = await _connect_sock(exceptions, addrinfo, laddr_infos)
                    break
                except OSError:
                    continue
        else:
            race = _StaggeredRace(
                (_bind_attempt(exceptions, addrinfo, laddr_infos) for addrinfo in infos),
                happy_eyeballs_delay,
                loop,
            )
            sock, _, _ = await race.run()
        if sock is None:
            flat = [exc for sub in exceptions for exc in sub]
            if all_errors:
                raise ExceptionGroup("create_connection failed", flat)  # type: ignore[type-var]
            if len(flat) == 1:
                raise flat[0]
            model = str(flat[0])
            if all(str(exc) == model for exc in flat):
                raise flat[0]
            raise OSError(f"Multiple exceptions: {', '.join(str(exc) for exc in flat)}")
    else:
        if sock is None:
            raise ValueError("host and port was not specified and no sock specified")
        if sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A Stream Socket was expected, got {sock!r}")

    return await _create_connection_transport(
        loop,
        sock,
        protocol,
        ssl,
        server_hostname,
        ssl_handshake_timeout=ssl_handshake_timeout,
        ssl_shutdown_timeout=ssl_shutdown_timeout,
    )


_create_connection.__qualname__ = "BaseEventLoop.create_connection"


def _bind_attempt(
    exceptions: list[list[BaseException]],
    addrinfo: tuple[Any, ...],
    laddr_infos: list[tuple[Any, ...]] | None,
) -> Callable[[], Any]:
    def attempt() -> Any:
        return _connect_sock(exceptions, addrinfo, laddr_infos)

    return attempt


def _check_ssl_socket(sock: object) -> None:
    if _ssl is not None and isinstance(sock, _ssl.SSLSocket):
        raise TypeError("Socket cannot be of type SSLSocket")


async def _create_unix_connection(
    loop: TetherLoop,
    protocol: Any,
    /,
    path: Any = None,
    *,
    ssl: Any = None,
    sock: socket.socket | None = None,
    server_hostname: str | None = None,
    ssl_handshake_timeout: float | None = None,
    ssl_shutdown_timeout: float | None = None,
) -> _SocketTransport:
    """asyncio's ``loop.create_unix_connection()``, with the facade's transport."""
    assert server_hostname is None or isinstance(server_hostname, str)
    if ssl:
        if server_hostname is None:
            raise ValueError("you have to pass server_hostname when using ssl")
    else:
        if server_hostname is not None:
            raise ValueError("server_hostname is only meaningful with ssl")
        if ssl_handshake_timeout is not None:
            raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
        if ssl_shutdown_timeout is not None:
            raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
    if path is not None:
        if sock is not None:
            raise ValueError("path and sock can not be specified at the same time")
        path = os.fspath(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
        try:
            sock.setblocking(False)
            await _sock_connect(sock, path)
        except BaseException:
            sock.close()
            raise
    else:
        if sock is None:
            raise ValueError("no path and sock were specified")
        if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A UNIX Domain Stream Socket was expected, got {sock!r}")
        sock.setblocking(False)
    return await _create_connection_transport(
        loop,
        sock,
        protocol,
        ssl,
        server_hostname,
        ssl_handshake_timeout=ssl_handshake_timeout,
        ssl_shutdown_timeout=ssl_shutdown_timeout,
    )


_create_unix_connection.__qualname__ = "_UnixSelectorEventLoop.create_unix_connection"


# -- servers -------------------------------------------------------------------------------


class Server(AbstractServer):
    """A listening server, as :func:`start_server` returns it.

    ``async with server:`` closes it (and waits for it) on the way out;
    :meth:`serve_forever` serves until cancelled.
    """

    def __init__(
        self,
        loop: TetherLoop,
        sockets: list[socket.socket],
        protocol_factory: Callable[[], Any],
        ssl_context: Any,
        backlog: int,
        ssl_handshake_timeout: float | None,
        ssl_shutdown_timeout: float | None = None,
    ) -> None:
        self._loop = loop
        self._sockets: list[socket.socket] | None = sockets
        self._clients: set[_SocketTransport] = set()
        self._waiters: list[Future] | None = []
        self._protocol_factory = protocol_factory
        self._backlog = backlog
        self._ssl_context = ssl_context
        self._ssl_handshake_timeout = ssl_handshake_timeout
        self._ssl_shutdown_timeout = ssl_shutdown_timeout
        self._serving = False
        self._serving_forever_fut: Future | None = None
        self._unix_paths: dict[socket.socket, int] = {}  # (3.13) to unlink on close

    def __repr__(self) -> str:
        return f"<{type(self).__name__} sockets={self.sockets!r}>"

    def _attach(self, transport: _SocketTransport) -> None:
        assert self._sockets is not None
        self._clients.add(transport)

    def _detach(self, transport: _SocketTransport) -> None:
        self._clients.discard(transport)
        if not self._clients and self._sockets is None:
            self._wakeup()

    def _wakeup(self) -> None:
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def _start_serving(self) -> None:
        if self._serving:
            return
        self._serving = True
        # Connections see the context of the code that started serving, as
        # with asyncio's reader callbacks.
        context = contextvars.copy_context()
        for sock in self._sockets:  # type: ignore[union-attr]  # (closed: TypeError, as stock)
            sock.listen(self._backlog)
            self._loop._defer_or_call(self._spawn_acceptor, sock, context)

    def _spawn_acceptor(self, sock: socket.socket, context: contextvars.Context) -> None:
        if sock.fileno() == -1:
            return
        tether.lowlevel.spawn_owned(
            self._accept_loop(sock, context),
            name=f"tether_asyncio server accepting on fd {sock.fileno()}",
            on_exit=self._acceptor_exited,
        )

    def _acceptor_exited(self, task: tether.lowlevel.Task, result: Any) -> None:
        error = getattr(result, "error", None)
        if error is not None and not isinstance(error, tether.Cancelled):
            self._loop.call_exception_handler(
                {"message": "tether_asyncio: a server's accept task failed", "exception": error}
            )

    async def _accept_loop(self, sock: socket.socket, context: contextvars.Context) -> None:
        try:
            while True:
                try:
                    await tether.lowlevel.wait_readable(sock)
                except tether.ClosedResourceError:
                    return
                if sock.fileno() == -1:
                    return
                await self._accept_ready(sock, context)
        finally:
            # Also when the run ends with the server still open: the
            # listening socket does not outlive it.
            if sock.fileno() != -1:
                sock.close()

    async def _accept_ready(self, sock: socket.socket, context: contextvars.Context) -> None:
        out_of_resources = False
        for _ in range(self._backlog):
            try:
                conn, addr = sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                break
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # As stock: reported (once per attempt of this round),
                    # and accepting resumes a second later.
                    self._loop.call_exception_handler(
                        {
                            "message": "socket.accept() out of system resource",
                            "exception": exc,
                            "socket": TransportSocket(sock),
                        }
                    )
                    out_of_resources = True
                    continue
                self._loop.call_exception_handler(
                    {"message": "Exception in accepting a connection", "exception": exc}
                )
                break
            conn.setblocking(False)
            coro = self._accept_connection2(conn, {"peername": addr})
            context.run(self._loop.create_task, coro)
        if out_of_resources:
            await tether.sleep(_ACCEPT_RETRY_DELAY)

    async def _accept_connection2(self, conn: socket.socket, extra: dict[str, Any]) -> None:
        """The Task asyncio starts for each accepted connection."""
        loop = self._loop
        protocol = None
        transport = None
        try:
            protocol = self._protocol_factory()
            waiter = loop.create_future()
            if self._ssl_context:
                stream = _TLSSocket(conn)
                try:
                    handshake_timeout, shutdown_timeout = _check_ssl_timeouts(
                        self._ssl_handshake_timeout, self._ssl_shutdown_timeout
                    )
                    ssl_stream, ssl_extra = await _handshake(
                        stream,
                        self._ssl_context,
                        server_side=True,
                        server_hostname=None,
                        timeout=handshake_timeout,
                    )
                    transport = _SocketTransport(
                        loop,
                        conn,
                        protocol,
                        waiter=waiter,
                        extra=extra,
                        server=self,
                        stream=stream,
                        ssl_stream=ssl_stream,
                        ssl_extra=ssl_extra,
                        ssl_shutdown_timeout=shutdown_timeout,
                    )
                except BaseException:
                    stream.close()
                    raise
            else:
                try:
                    transport = _SocketTransport(
                        loop, conn, protocol, waiter=waiter, extra=extra, server=self
                    )
                except BaseException:
                    conn.close()
                    raise
            try:
                await waiter
            except BaseException:
                transport.close()
                raise
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            if loop.get_debug():
                context: dict[str, Any] = {
                    "message": "Error on transport creation for incoming connection",
                    "exception": exc,
                }
                if protocol is not None:
                    context["protocol"] = protocol
                if transport is not None:
                    context["transport"] = transport
                loop.call_exception_handler(context)

    def _stop_serving(self, sock: socket.socket) -> None:
        path = None
        if sock in self._unix_paths:
            try:
                path = sock.getsockname()
            except OSError:  # pragma: no cover
                path = None
        inode = self._unix_paths.pop(sock, None)
        self._loop._defer_or_call(self._close_listener, sock)
        if path is not None and inode is not None:
            try:
                if os.stat(path).st_ino == inode:
                    os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as err:
                logger.error("Unable to clean up listening UNIX socket %r: %r", path, err)

    @staticmethod
    def _close_listener(sock: socket.socket) -> None:
        if sock.fileno() != -1:
            tether.lowlevel.notify_closing(sock)
            sock.close()

    def get_loop(self) -> Any:
        """The loop the server runs on."""
        return self._loop

    def is_serving(self) -> bool:
        """True while the server accepts connections."""
        return self._serving

    @property
    def sockets(self) -> tuple[TransportSocket, ...]:
        """The listening sockets (empty once closed)."""
        if self._sockets is None:
            return ()
        return tuple(TransportSocket(sock) for sock in self._sockets)

    def close(self) -> None:
        """Stop listening (open connections stay open)."""
        sockets = self._sockets
        if sockets is None:
            return
        self._sockets = None
        for sock in sockets:
            self._stop_serving(sock)
        self._serving = False
        fut = self._serving_forever_fut
        if fut is not None and not fut.done():
            fut.cancel()
            self._serving_forever_fut = None
        if not self._clients:
            self._wakeup()

    if _pyversion.SERVER_HAS_CLOSE_CLIENTS:

        def close_clients(self) -> None:
            """Close every connection the server accepted (3.13+)."""
            for transport in list(self._clients):
                transport.close()

        def abort_clients(self) -> None:
            """Abort every connection the server accepted (3.13+)."""
            for transport in list(self._clients):
                transport.abort()

    async def start_serving(self) -> None:
        """Start accepting connections (if ``start_serving=False`` was used)."""
        self._start_serving()
        await sleep(0)

    async def serve_forever(self) -> None:
        """Accept connections until cancelled; then close the server and
        wait for it."""
        if self._serving_forever_fut is not None:
            raise RuntimeError(f"server {self!r} is already being awaited on serve_forever()")
        if self._sockets is None:
            raise RuntimeError(f"server {self!r} is closed")
        self._start_serving()
        self._serving_forever_fut = self._loop.create_future()
        try:
            await self._serving_forever_fut
        except CancelledError:
            try:
                self.close()
                await self.wait_closed()
            finally:
                raise
        finally:
            self._serving_forever_fut = None

    async def wait_closed(self) -> None:
        """Wait until the server is closed and (3.12+) every connection has gone.

        On 3.11 this returns at once if the server is already closed.
        """
        if not _pyversion.SERVER_WAIT_CLOSED_WAITS_FOR_CLIENTS and self._sockets is None:
            return
        if self._waiters is None:
            return
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        await waiter

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
        await self.wait_closed()


def _set_reuseport(sock: socket.socket) -> None:
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ValueError("reuse_port not supported by socket module")
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError:
        raise ValueError(
            "reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented."
        ) from None


async def _create_server_getaddrinfo(
    host: Any, port: Any, family: int, flags: int
) -> list[tuple[Any, ...]]:
    infos = await _ensure_resolved(
        (host, port), family=family, type=socket.SOCK_STREAM, flags=flags
    )
    if not infos:
        raise OSError(f"getaddrinfo({host!r}) returned empty list")
    return infos


async def _create_server(
    loop: TetherLoop,
    protocol_factory: Callable[[], Any],
    /,
    host: Any = None,
    port: Any = None,
    *,
    family: int = socket.AF_UNSPEC,
    flags: int = socket.AI_PASSIVE,
    sock: socket.socket | None = None,
    backlog: int = 100,
    ssl: Any = None,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    keep_alive: Any = _MISSING,
    ssl_handshake_timeout: float | None = None,
    ssl_shutdown_timeout: float | None = None,
    start_serving: bool = True,
) -> Server:
    """asyncio's ``loop.create_server()``, serving with the facade's transports."""
    if keep_alive is _MISSING:
        keep_alive = None
    elif not _pyversion.SERVER_HAS_KEEP_ALIVE:
        raise TypeError(
            "BaseEventLoop.create_server() got an unexpected keyword argument 'keep_alive'"
        )
    if isinstance(ssl, bool):
        raise TypeError("ssl argument must be an SSLContext or None")
    if ssl_handshake_timeout is not None and ssl is None:
        raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
    if ssl_shutdown_timeout is not None and ssl is None:
        raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
    if sock is not None:
        _check_ssl_socket(sock)
    if host is not None or port is not None:
        if sock is not None:
            raise ValueError("host/port and sock can not be specified at the same time")
        if reuse_address is None:
            reuse_address = os.name == "posix" and sys.platform != "cygwin"
        sockets: list[socket.socket] = []
        if host == "":
            hosts: Any = [None]
        elif isinstance(host, str) or not isinstance(host, collections.abc.Iterable):
            hosts = [host]
        else:
            hosts = host
        from ._combinators import gather

        lookups = [_create_server_getaddrinfo(h, port, family=family, flags=flags) for h in hosts]
        infos = set(itertools.chain.from_iterable(await gather(*lookups)))
        completed = False
        try:
            for af, socktype, proto, _canonname, sa in infos:
                try:
                    new = socket.socket(af, socktype, proto)
                except OSError:
                    if loop.get_debug():
                        logger.warning(
                            "create_server() failed to create socket.socket(%r, %r, %r)",
                            af, socktype, proto, exc_info=True,
                        )  # fmt: skip
                    continue
                sockets.append(new)
                if reuse_address:
                    new.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, True)
                if reuse_port:
                    _set_reuseport(new)
                if keep_alive:
                    new.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, True)
                if _HAS_IPV6 and af == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    new.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, True)
                try:
                    new.bind(sa)
                except OSError as err:
                    if _pyversion.BIND_ERRORS_313:
                        msg = (
                            f"error while attempting to bind on address {sa!r}: {str(err).lower()}"
                        )
                        if err.errno == errno.EADDRNOTAVAIL:
                            sockets.pop()
                            new.close()
                            if loop.get_debug():
                                logger.warning(msg)
                            continue
                    else:
                        detail = str(err.strerror).lower()
                        msg = f"error while attempting to bind on address {sa!r}: {detail}"
                    raise OSError(err.errno, msg) from None
            if not sockets:
                raise OSError(
                    f"could not bind on any address out of {[info[4] for info in infos]!r}"
                )
            completed = True
        finally:
            if not completed:
                for made in sockets:
                    made.close()
    else:
        if sock is None:
            raise ValueError("Neither host/port nor sock were specified")
        if sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A Stream Socket was expected, got {sock!r}")
        sockets = [sock]

    for made in sockets:
        made.setblocking(False)
    server = Server(
        loop, sockets, protocol_factory, ssl, backlog, ssl_handshake_timeout, ssl_shutdown_timeout
    )
    if start_serving:
        server._start_serving()
        await sleep(0)
    if loop.get_debug():
        logger.info("%r is serving", server)
    return server


_create_server.__qualname__ = "BaseEventLoop.create_server"


async def _create_unix_server(
    loop: TetherLoop,
    protocol_factory: Callable[[], Any],
    /,
    path: Any = None,
    *,
    sock: socket.socket | None = None,
    backlog: int = 100,
    ssl: Any = None,
    ssl_handshake_timeout: float | None = None,
    ssl_shutdown_timeout: float | None = None,
    start_serving: bool = True,
    cleanup_socket: Any = _MISSING,
) -> Server:
    """asyncio's ``loop.create_unix_server()``, serving with the facade's transports."""
    if cleanup_socket is _MISSING:
        cleanup_socket = _pyversion.UNIX_SERVER_CLEANS_UP
    elif not _pyversion.UNIX_SERVER_CLEANS_UP:
        raise TypeError(
            "_UnixSelectorEventLoop.create_unix_server() got an unexpected keyword argument "
            "'cleanup_socket'"
        )
    if isinstance(ssl, bool):
        raise TypeError("ssl argument must be an SSLContext or None")
    if ssl_handshake_timeout is not None and not ssl:
        raise ValueError("ssl_handshake_timeout is only meaningful with ssl")
    if ssl_shutdown_timeout is not None and not ssl:
        raise ValueError("ssl_shutdown_timeout is only meaningful with ssl")
    if path is not None:
        if sock is not None:
            raise ValueError("path and sock can not be specified at the same time")
        path = os.fspath(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if path[0] not in (0, "\x00"):
            # A stale socket file from an earlier server would make bind() fail.
            try:
                if stat.S_ISSOCK(os.stat(path).st_mode):
                    os.remove(path)
            except FileNotFoundError:
                pass
            except OSError as err:
                logger.error("Unable to check or remove stale UNIX socket %r: %r", path, err)
        try:
            sock.bind(path)
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise OSError(errno.EADDRINUSE, f"Address {path!r} is already in use") from None
            raise
        except BaseException:
            sock.close()
            raise
    else:
        if sock is None:
            raise ValueError("path was not specified, and no sock specified")
        if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_STREAM:
            raise ValueError(f"A UNIX Domain Stream Socket was expected, got {sock!r}")
    inode = None
    if cleanup_socket:
        bound = sock.getsockname()
        if bound and bound[0] not in (0, "\x00"):
            try:
                inode = os.stat(bound).st_ino
            except FileNotFoundError:
                pass
    sock.setblocking(False)
    server = Server(
        loop, [sock], protocol_factory, ssl, backlog, ssl_handshake_timeout, ssl_shutdown_timeout
    )
    if inode is not None:
        server._unix_paths[sock] = inode
    if start_serving:
        server._start_serving()
        await sleep(0)
    return server


_create_unix_server.__qualname__ = "_UnixSelectorEventLoop.create_unix_server"


# -- the public functions ---------------------------------------------------------------


async def open_connection(
    host: Any = None, port: Any = None, *, limit: int = _DEFAULT_LIMIT, **kwds: Any
) -> tuple[StreamReader, StreamWriter]:
    """Connect to ``host``:``port`` and return a ``(reader, writer)`` pair.

    Takes ``loop.create_connection()``'s keyword arguments: ``ssl``
    (``True`` or an :class:`ssl.SSLContext`), ``server_hostname``,
    ``ssl_handshake_timeout``, ``family``, ``local_addr``, ``sock``,
    ``happy_eyeballs_delay``, ``interleave``...; ``limit`` is the reader's
    buffer limit.
    """
    loop = _running_loop()
    reader = StreamReader(limit=limit, loop=loop)
    protocol = _StreamProtocol(reader, loop=loop)
    transport = await _create_connection(loop, protocol, host, port, **kwds)
    writer = StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def start_server(
    client_connected_cb: Callable[[StreamReader, StreamWriter], Any],
    host: Any = None,
    port: Any = None,
    *,
    limit: int = _DEFAULT_LIMIT,
    **kwds: Any,
) -> Server:
    """Start a TCP server that calls ``client_connected_cb(reader, writer)``
    for each connection (a coroutine function runs as a Task).

    Takes ``loop.create_server()``'s keyword arguments (``ssl``,
    ``backlog``, ``reuse_address``, ``reuse_port``, ``sock``,
    ``start_serving``...). Returns a :class:`Server`.
    """
    loop = _running_loop()

    def factory() -> _StreamProtocol:
        reader = StreamReader(limit=limit, loop=loop)
        return _StreamProtocol(reader, client_connected_cb, loop=loop)

    return await _create_server(loop, factory, host, port, **kwds)


async def open_unix_connection(
    path: Any = None, *, limit: int = _DEFAULT_LIMIT, **kwds: Any
) -> tuple[StreamReader, StreamWriter]:
    """Like :func:`open_connection`, over a Unix-domain socket at ``path``."""
    loop = _running_loop()
    reader = StreamReader(limit=limit, loop=loop)
    protocol = _StreamProtocol(reader, loop=loop)
    transport = await _create_unix_connection(loop, protocol, path, **kwds)
    writer = StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def start_unix_server(
    client_connected_cb: Callable[[StreamReader, StreamWriter], Any],
    path: Any = None,
    *,
    limit: int = _DEFAULT_LIMIT,
    **kwds: Any,
) -> Server:
    """Like :func:`start_server`, listening on a Unix-domain socket at ``path``."""
    loop = _running_loop()

    def factory() -> _StreamProtocol:
        reader = StreamReader(limit=limit, loop=loop)
        return _StreamProtocol(reader, client_connected_cb, loop=loop)

    return await _create_unix_server(loop, factory, path, **kwds)


# -- the loop methods that need protocols and transports ------------------------------------


class StreamsLoopMixin:
    """The protocol/transport methods of asyncio's loop, for
    :class:`~tether_asyncio.TetherLoop`: each raises a
    :exc:`NotImplementedError` that says what to use instead."""

    def _no_transports(self, method: str) -> NotImplementedError:
        return NotImplementedError(
            f"loop.{method}() needs asyncio's protocols and transports, which tether_asyncio "
            "does not implement yet; use the stream functions (asyncio.open_connection(), "
            "asyncio.start_server(), asyncio.open_unix_connection(), "
            "asyncio.start_unix_server()) or asyncio.create_subprocess_exec()/_shell()"
        )

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``asyncio.open_connection()``."""
        raise self._no_transports("create_connection")

    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``asyncio.start_server()``."""
        raise self._no_transports("create_server")

    async def create_unix_connection(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``asyncio.open_unix_connection()``."""
        raise self._no_transports("create_unix_connection")

    async def create_unix_server(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``asyncio.start_unix_server()``."""
        raise self._no_transports("create_unix_server")

    async def create_datagram_endpoint(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports)."""
        raise self._no_transports("create_datagram_endpoint")

    async def connect_accepted_socket(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports)."""
        raise self._no_transports("connect_accepted_socket")

    async def connect_read_pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports)."""
        raise self._no_transports("connect_read_pipe")

    async def connect_write_pipe(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports)."""
        raise self._no_transports("connect_write_pipe")

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``asyncio.create_subprocess_exec()``."""
        raise self._no_transports("subprocess_exec")

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``asyncio.create_subprocess_shell()``."""
        raise self._no_transports("subprocess_shell")

    async def start_tls(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports): use ``StreamWriter.start_tls()``."""
        raise self._no_transports("start_tls")

    async def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        """Not implemented (protocols/transports)."""
        raise self._no_transports("sendfile")
