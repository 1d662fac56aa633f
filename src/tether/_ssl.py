"""TLS over any tether stream, with :mod:`ssl`'s sans-I/O ``SSLObject``.

An :class:`SSLStream` owns an :class:`ssl.SSLObject` wired to two
:class:`ssl.MemoryBIO` buffers. Every operation is a loop (``_retry``):
call the ``SSLObject`` method; flush whatever ciphertext it produced to the
transport; if it wanted more input, read one chunk from the transport into
the incoming buffer; repeat until the method succeeds.

Sending and receiving may run concurrently in two tasks (that is the point
of a full-duplex stream), and both may need to read *and* write the
transport (a handshake or a TLS 1.3 key update can happen inside either).
Two inner locks serialise the transport directions. The receive side
counts completed transport reads: a task that waited for the lock while
another task read skips its own read and retries first, since the data it
was waiting for may already be in the buffer.
"""

from __future__ import annotations

import operator
import ssl
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from . import _core
from ._abc import Listener, Stream, aclose_forcefully
from ._conflict import ConflictDetector
from ._idna import encode_hostname
from ._sync import Event, Lock, StrictFIFOLock
from ._util import final

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

T = TypeVar("T")
T_Stream = TypeVar("T_Stream", bound=Stream)

# The first receive_some(None) reads this much; later ones grow to the
# biggest chunk the transport has delivered so far.
STARTING_RECEIVE_SIZE: Final = 16384


class NeedHandshakeError(Exception):
    """Raised by :class:`SSLStream` attributes that only make sense after the
    TLS handshake (``cipher()``, ``getpeercert()``,
    ``selected_alpn_protocol()``...) when they are used before it.

    Call :meth:`SSLStream.do_handshake` first.
    """


def _is_eof(exc: BaseException | None) -> bool:
    """Whether an SSL error means "the transport ended without close_notify"."""
    if isinstance(exc, ssl.SSLEOFError):
        return True
    return isinstance(exc, ssl.SSLError) and "UNEXPECTED_EOF" in str(exc)


class _RunOnce:
    """Runs an async function once; later callers wait for it to finish."""

    __slots__ = ("_afn", "_finished", "started")

    def __init__(self, afn: Callable[[], Awaitable[object]]) -> None:
        self._afn = afn
        self.started = False
        self._finished = Event()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    async def ensure(self, *, checkpoint: bool) -> None:
        if not self.started:
            self.started = True
            await self._afn()
            self._finished.set()
        elif self._finished.is_set() and not checkpoint:
            return
        else:
            await self._finished.wait()


class _State(Enum):
    OK = "ok"
    BROKEN = "broken"
    CLOSED = "closed"


@final
class SSLStream(Stream, Generic[T_Stream]):
    """A TLS-encrypted :class:`~tether.abc.Stream` over another stream.

    Data passed to :meth:`send_all` is encrypted and sent on
    ``transport_stream``; :meth:`receive_some` reads ciphertext from it and
    returns the decrypted data. The handshake happens on first use, or
    explicitly with :meth:`do_handshake`. Any stream can be the transport: a
    TCP connection, a Unix socket, or
    :func:`tether.testing.memory_stream_pair` in tests.

    Args:
        transport_stream: The stream that carries the encrypted bytes.
        ssl_context: The :class:`ssl.SSLContext` for this connection. For a
            client, :func:`ssl.create_default_context` verifies the server's
            certificate and hostname; keep that unless you know why not.
        server_hostname: The server's name, for SNI and for checking its
            certificate. Required for clients whose context checks
            hostnames (the default): without it the constructor raises
            :exc:`ValueError` rather than skip the check (as
            :meth:`ssl.SSLContext.wrap_socket` does). A non-ASCII ``str``
            is encoded with IDNA 2008
            (:func:`tether.lowlevel.encode_hostname`), which needs the
            optional ``idna`` package (``pip install "tether[idna]"``);
            without it the constructor raises :exc:`ImportError`.
        server_side: True for the server end of the connection.
        https_compatible: HTTPS (and other protocols with their own
            end-of-message framing) commonly skip TLS's ``close_notify``
            alert. False (the default) is the standard behaviour:
            :meth:`aclose` sends ``close_notify``, and a transport that ends
            without one raises :exc:`~tether.BrokenResourceError` (it could be
            a truncation attack). True neither sends nor requires it: an
            unannounced end of file reads as ``b""``.

    Attributes:
        transport_stream: The underlying stream (None after :meth:`unwrap`).

    The connection attributes of :class:`ssl.SSLObject` are available on the
    stream: ``context``, ``server_side``, ``server_hostname``, ``session``,
    ``session_reused``, ``getpeercert()``, ``selected_npn_protocol()``,
    ``cipher()``, ``shared_ciphers()``, ``compression()``, ``pending()``,
    ``get_channel_binding()``, ``selected_alpn_protocol()`` and
    ``version()``. Those that describe the negotiated connection raise
    :exc:`NeedHandshakeError` before the handshake is done, where
    :class:`ssl.SSLObject` would return None.

    Errors: a TLS failure (bad certificate, wrong hostname, protocol error)
    raises :exc:`~tether.BrokenResourceError` whose ``__cause__`` is the
    :exc:`ssl.SSLError`; the stream is then broken for good. Cancelling an
    operation that was in the middle of talking to the transport also
    leaves the stream broken.
    """

    _forwarded: ClassVar[frozenset[str]] = frozenset(
        {
            "context",
            "server_side",
            "server_hostname",
            "session",
            "session_reused",
            "getpeercert",
            "selected_npn_protocol",
            "cipher",
            "shared_ciphers",
            "compression",
            "pending",
            "get_channel_binding",
            "selected_alpn_protocol",
            "version",
        }
    )
    _needs_handshake: ClassVar[frozenset[str]] = frozenset(
        {
            "session_reused",
            "getpeercert",
            "selected_npn_protocol",
            "cipher",
            "shared_ciphers",
            "compression",
            "get_channel_binding",
            "selected_alpn_protocol",
            "version",
        }
    )

    def __init__(
        self,
        transport_stream: T_Stream,
        ssl_context: ssl.SSLContext,
        *,
        server_hostname: str | bytes | None = None,
        server_side: bool = False,
        https_compatible: bool = False,
    ) -> None:
        if not server_side and server_hostname is None and ssl_context.check_hostname:
            # ssl's wrap_socket refuses this too; wrap_bio does not, and the
            # handshake would then skip the host-name check without a word.
            raise ValueError(
                "check_hostname requires server_hostname: pass the server's name as "
                "server_hostname=..., or turn off ssl_context.check_hostname to skip "
                "the host-name check deliberately"
            )
        if isinstance(server_hostname, str):
            server_hostname = encode_hostname(server_hostname)
        self.transport_stream: T_Stream = transport_stream
        self._state = _State.OK
        self._https_compatible = https_compatible
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        # A TLS 1.3 server's last handshake flight, held back (see _retry).
        self._held_back: bytes | None = None
        self._ssl_object = ssl_context.wrap_bio(
            self._incoming,
            self._outgoing,
            server_side=server_side,
            server_hostname=server_hostname,
        )
        self._handshake = _RunOnce(self._run_handshake)
        self._transport_send_lock = StrictFIFOLock()
        self._transport_receive_lock = Lock()
        self._transport_reads = 0
        self._send_guard = ConflictDetector(
            "another task is currently sending data on this SSLStream"
        )
        self._receive_guard = ConflictDetector(
            "another task is currently receiving data on this SSLStream"
        )
        self._receive_size = STARTING_RECEIVE_SIZE

    def __getattr__(self, name: str) -> Any:
        if name in SSLStream._forwarded:
            if name in SSLStream._needs_handshake and not self._handshake.done:
                raise NeedHandshakeError(f"call do_handshake() before using {name!r}")
            return getattr(self._ssl_object, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        if name in SSLStream._forwarded:
            setattr(self._ssl_object, name, value)
        else:
            super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *SSLStream._forwarded]

    def _check_status(self) -> None:
        if self._state is _State.BROKEN:
            raise _core.BrokenResourceError
        if self._state is _State.CLOSED:
            raise _core.ClosedResourceError

    async def _retry(
        self,
        fn: Callable[..., T],
        *args: object,
        ignore_want_read: bool = False,
        is_handshake: bool = False,
    ) -> T | None:
        await _core.checkpoint_if_cancelled()
        touched_transport = False
        result: T | None = None
        finished = False
        while not finished:
            want_read = False
            try:
                result = fn(*args)
            except ssl.SSLWantReadError:
                want_read = True
            except (ssl.SSLError, ssl.CertificateError) as exc:
                self._state = _State.BROKEN
                raise _core.BrokenResourceError from exc
            else:
                finished = True
            if ignore_want_read:
                # aclose: send our close_notify, do not wait for the peer's.
                want_read = False
                finished = True
            to_send = self._outgoing.read()
            if (
                is_handshake
                and not want_read
                and self._ssl_object.server_side
                and self._ssl_object.version() == "TLSv1.3"
            ):
                # A TLS 1.3 server finishes its handshake before the client
                # does and would send its session tickets right away. Hold
                # that last flight back and send it with the first real data,
                # so a client that never reads does not get stuck (and a
                # server that only receives does not write before reading).
                assert self._held_back is None
                self._held_back = to_send
                to_send = b""
            if to_send:
                async with self._transport_send_lock:
                    touched_transport = True
                    try:
                        if self._held_back is not None:
                            to_send = self._held_back + to_send
                            self._held_back = None
                        await self.transport_stream.send_all(to_send)
                    except BaseException:
                        self._state = _State.BROKEN
                        raise
            elif want_read:
                reads_before = self._transport_reads
                async with self._transport_receive_lock:
                    touched_transport = True
                    if reads_before == self._transport_reads:
                        data = await self.transport_stream.receive_some()
                        if data:
                            self._receive_size = max(self._receive_size, len(data))
                            self._incoming.write(data)
                        else:
                            self._incoming.write_eof()
                        self._transport_reads += 1
        if not touched_transport:
            await _core.cancel_shielded_checkpoint()
        return result

    async def _run_handshake(self) -> None:
        try:
            await self._retry(self._ssl_object.do_handshake, is_handshake=True)
        except BaseException:
            self._state = _State.BROKEN
            raise

    async def do_handshake(self) -> None:
        """Perform the TLS handshake now, if it has not happened yet.

        Optional: the first :meth:`send_all` or :meth:`receive_some` does it
        anyway. Call it to inspect the peer (``getpeercert()``,
        ``selected_alpn_protocol()``) before exchanging data. If another
        task is already doing the handshake, this waits for it; if it is
        done, this only executes a checkpoint.

        Cancelling a handshake in progress breaks the stream.

        Raises:
            tether.BrokenResourceError: if the handshake failed (the
                :exc:`ssl.SSLError` is the ``__cause__``) or the stream is
                broken.
            tether.ClosedResourceError: if the stream was closed.
        """
        self._check_status()
        await self._handshake.ensure(checkpoint=True)

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        """Receive and decrypt some data (at most ``max_bytes``, if given).

        Everything already received and decryptable is returned at once, up
        to ``max_bytes``, even when it spans several TLS records.

        Returns ``b""`` once the peer has sent ``close_notify`` (or, with
        ``https_compatible=True``, when the transport simply ends).

        Raises:
            tether.BusyResourceError: if another task is receiving.
            tether.BrokenResourceError: if TLS or the transport failed, or
                the transport ended without ``close_notify`` (standard mode).
            tether.ClosedResourceError: if this stream was closed.
        """
        with self._receive_guard:
            self._check_status()
            try:
                await self._handshake.ensure(checkpoint=False)
            except _core.BrokenResourceError as exc:
                if self._https_compatible and (
                    isinstance(exc.__cause__, ssl.SSLSyscallError) or _is_eof(exc.__cause__)
                ):
                    await _core.checkpoint()
                    return b""
                raise
            if max_bytes is None:
                max_bytes = max(self._receive_size, self._incoming.pending)
            else:
                max_bytes = operator.index(max_bytes)
                if max_bytes < 1:
                    raise ValueError("max_bytes must be >= 1")
            try:
                data = await self._retry(self._read_received, max_bytes)
            except _core.BrokenResourceError as exc:
                if self._https_compatible and _is_eof(exc.__cause__):
                    await _core.checkpoint()
                    return b""
                raise
            assert data is not None
            return data

    def _read_received(self, max_bytes: int) -> bytes:
        # SSLObject.read() returns one record's worth at most: go on with
        # the records already received, up to max_bytes, so that data that
        # arrived together is returned together (as asyncio's SSL transport
        # hands it to its protocol). Only the first read may need the
        # transport (SSLWantReadError, for _retry); the others stop there.
        data = self._ssl_object.read(max_bytes)
        if not data or len(data) >= max_bytes:
            return data
        parts = [data]
        total = len(data)
        while total < max_bytes:
            try:
                more = self._ssl_object.read(max_bytes - total)
            except ssl.SSLError:
                # Nothing more received (SSLWantReadError), or an error that
                # the next call meets: what was read is returned first.
                break
            if not more:  # the peer's close_notify: the next call returns b""
                break
            parts.append(more)
            total += len(more)
        return b"".join(parts) if len(parts) > 1 else data

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        """Encrypt ``data`` and send it on the transport.

        Cancelling it while it is writing to the transport breaks the stream.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.BrokenResourceError: if TLS or the transport failed.
            tether.ClosedResourceError: if this stream was closed.
        """
        with self._send_guard:
            self._check_status()
            await self._handshake.ensure(checkpoint=False)
            if not data:
                await _core.checkpoint()
                return
            await self._retry(self._ssl_object.write, data)

    async def unwrap(self) -> tuple[Stream, bytes | bytearray]:
        """End TLS (exchanging ``close_notify`` alerts) and hand back the
        transport, to carry on without encryption.

        Returns:
            ``(transport_stream, trailing_bytes)``: the transport, and any
            bytes already read from it that came after the end of TLS. Treat
            them as the start of what the transport delivers next.

        Raises:
            tether.BusyResourceError: if another task is sending or receiving.
            tether.BrokenResourceError: if TLS or the transport failed.
            tether.ClosedResourceError: if this stream was closed.
        """
        with self._receive_guard, self._send_guard:
            self._check_status()
            await self._handshake.ensure(checkpoint=False)
            await self._retry(self._ssl_object.unwrap)
            transport = self.transport_stream
            self._state = _State.CLOSED
            self.transport_stream = None  # type: ignore[assignment]
            return transport, self._incoming.read()

    async def aclose(self) -> None:
        """Close the TLS connection, then the transport.

        In standard mode this first sends a ``close_notify`` alert (doing
        the handshake first if needed); it does not wait for the peer's
        reply. With ``https_compatible=True``, or if the stream is broken,
        it only closes the transport. Closing twice is fine; if cancelled,
        the transport is still closed (forcefully).
        """
        if self._state is _State.CLOSED:
            await _core.checkpoint()
            return
        if self._state is _State.BROKEN or self._https_compatible:
            self._state = _State.CLOSED
            await self.transport_stream.aclose()
            return
        try:
            await self._handshake.ensure(checkpoint=False)
            try:
                await self._retry(self._ssl_object.unwrap, ignore_want_read=True)
            except (_core.BrokenResourceError, _core.BusyResourceError):
                pass
        except BaseException:
            await aclose_forcefully(self.transport_stream)
            raise
        else:
            await self.transport_stream.aclose()
        finally:
            self._state = _State.CLOSED

    async def wait_send_all_might_not_block(self) -> None:
        """Wait until the transport says sending might not block.

        Raises:
            tether.BusyResourceError: if another task is sending.
            tether.BrokenResourceError: if the stream is broken.
            tether.ClosedResourceError: if this stream was closed.
        """
        with self._send_guard:
            self._check_status()
            async with self._transport_send_lock:
                await self.transport_stream.wait_send_all_might_not_block()


@final
class SSLListener(Listener[SSLStream[T_Stream]]):
    """A :class:`~tether.abc.Listener` that wraps every connection accepted
    by another listener in a server-side :class:`SSLStream`.

    Args:
        transport_listener: The listener for the underlying connections
            (a :class:`~tether.abc.Listener` of streams).
        ssl_context: The :class:`ssl.SSLContext` (with the server's
            certificate loaded) for every connection.
        https_compatible: Passed on to each :class:`SSLStream`.

    Attributes:
        transport_listener: The underlying listener.

    :meth:`accept` does not perform the handshake: it happens on the
    stream's first use (or :meth:`SSLStream.do_handshake`), in the task
    that handles the connection, so one slow client cannot stall accepting.
    """

    def __init__(
        self,
        transport_listener: Listener[T_Stream],
        ssl_context: ssl.SSLContext,
        *,
        https_compatible: bool = False,
    ) -> None:
        self.transport_listener = transport_listener
        self._ssl_context = ssl_context
        self._https_compatible = https_compatible

    async def accept(self) -> SSLStream[T_Stream]:
        """Accept the next connection and wrap it in a server-side
        :class:`SSLStream`.

        Raises:
            tether.BusyResourceError: if another task is already accepting.
            tether.ClosedResourceError: if the listener was closed.
        """
        transport = await self.transport_listener.accept()
        return SSLStream(
            transport,
            self._ssl_context,
            server_side=True,
            https_compatible=self._https_compatible,
        )

    async def aclose(self) -> None:
        """Close the underlying listener."""
        await self.transport_listener.aclose()
