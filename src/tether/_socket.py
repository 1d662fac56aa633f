"""tether's socket objects and name resolution (exported as :mod:`tether.socket`).

Every blocking operation follows one pattern (``_SocketType._nonblocking_helper``):
check for cancellation, try the non-blocking system call at once, and only if
it raises :exc:`BlockingIOError` wait for readiness and retry. A call that
succeeds (or fails) at once still yields to the scheduler afterwards (a
cancel-shielded checkpoint), so every operation is a full checkpoint, and
errors such as "``accept`` before ``listen``" surface immediately instead of
waiting for a readiness event that may never come.

The wait after ``EAGAIN`` goes through the I/O manager's ``arm_retry``
rather than :func:`tether.lowlevel.wait_readable`: on epoll the socket's
registration is kept (edge-triggered) for the life of the socket, so such a
wait makes no system call, and while the manager knows the last call failed
with ``EAGAIN`` and no readiness event came since, the next call of that
direction waits at once instead of failing again.

Blocking resolver calls (``getaddrinfo`` of a real hostname, ``getnameinfo``,
``getprotobyname``) run in a worker thread and are abandoned on cancellation.
Numeric hosts and ports are resolved inline, without a thread.
"""

from __future__ import annotations

import os
import select
import socket as _stdlib_socket
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, overload

from ._core import (
    Cancelled,
    RunVar,
    cancel_shielded_checkpoint,
    checkpoint,
    checkpoint_if_cancelled,
    enable_ki_protection,
    in_tether_run,
    notify_closing,
    wait_readable,
    wait_task_rescheduled,
    wait_writable,
)
from ._core._context import GLOBAL_RUN_CONTEXT
from ._core._traps import cancel_point_task
from ._idna import encode_hostname as encode_hostname
from ._threads import to_thread_run_sync

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from types import TracebackType
    from typing import Self

    from ._abc import HostnameResolver, SocketFactory
    from ._core._io_epoll import _FdState

T = TypeVar("T")

# recv flags with which EAGAIN does not mean "nothing to read" (urgent data,
# the error queue): such calls wait with a plain wait_readable, which
# re-checks readiness, and neither use nor update the EAGAIN cache.
_RECHECK_FLAGS = _stdlib_socket.MSG_OOB | getattr(_stdlib_socket, "MSG_ERRQUEUE", 0)

# Linux's TCP_ULP option (not in the socket module): an upper-layer protocol
# such as kernel TLS changes what a short recv means (see SocketStream).
TCP_ULP = 31

#: A socket address: its shape depends on the family (a ``(host, port)``
#: tuple for IPv4, a 4-tuple for IPv6, a path for ``AF_UNIX``...).
AddressFormat: TypeAlias = Any
#: One ``(family, type, proto, canonname, sockaddr)`` entry of :func:`getaddrinfo`.
GetAddrInfoEntry: TypeAlias = tuple[Any, Any, int, str, Any]
Buffer: TypeAlias = "bytes | bytearray | memoryview"


# --------------------------------------------------------------------------- overrides

_resolver: RunVar[HostnameResolver | None] = RunVar("tether.socket.hostname_resolver")
_socket_factory: RunVar[SocketFactory | None] = RunVar("tether.socket.socket_factory")


def set_custom_hostname_resolver(
    hostname_resolver: HostnameResolver | None,
) -> HostnameResolver | None:
    """Install a custom hostname resolver for the rest of this run.

    :func:`getaddrinfo` and :func:`getnameinfo` (and everything built on them,
    such as :func:`tether.open_tcp_stream`) then call the resolver's methods
    instead of the system resolver. Meant mainly for tests.

    Args:
        hostname_resolver: a :class:`tether.abc.HostnameResolver`, or ``None``
            to go back to the system resolver.

    Returns:
        The resolver that was installed before (or ``None``).
    """
    old = _resolver.get(None)
    _resolver.set(hostname_resolver)
    return old


def set_custom_socket_factory(socket_factory: SocketFactory | None) -> SocketFactory | None:
    """Install a custom socket factory for the rest of this run.

    :func:`socket` (when called without ``fileno``) then returns
    ``socket_factory.socket(family, type, proto)``. Meant for tests that
    need fake sockets.

    Args:
        socket_factory: a :class:`tether.abc.SocketFactory`, or ``None`` to go
            back to real sockets.

    Returns:
        The factory that was installed before (or ``None``).
    """
    old = _socket_factory.get(None)
    _socket_factory.set(socket_factory)
    return old


# --------------------------------------------------------------------------- resolution

_NUMERIC_ONLY = _stdlib_socket.AI_NUMERICHOST | getattr(_stdlib_socket, "AI_NUMERICSERV", 0)


async def getaddrinfo(
    host: bytes | str | None,
    port: bytes | str | int | None,
    family: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
) -> list[GetAddrInfoEntry]:
    """Resolve a host and port into socket addresses, like :func:`socket.getaddrinfo`.

    Numeric hosts and ports are resolved at once; names are looked up in a
    worker thread (abandoned if the call is cancelled), or by the resolver
    installed with :func:`set_custom_hostname_resolver`. Non-ASCII host names
    are encoded with IDNA 2008 (Python's own ``getaddrinfo`` uses IDNA 2003,
    which can name a different host), see
    :func:`tether.lowlevel.encode_hostname`; that needs the optional ``idna``
    package (``pip install "tether[idna]"``).

    Returns:
        A list of ``(family, type, proto, canonname, sockaddr)`` tuples.

    Raises:
        socket.gaierror: if the name cannot be resolved.
        ImportError: if ``host`` is a non-ASCII name and the ``idna``
            package is not installed.
        UnicodeError: if ``host`` is not a valid IDNA 2008 name.
    """
    await checkpoint_if_cancelled()
    try:
        result = _stdlib_socket.getaddrinfo(host, port, family, type, proto, flags | _NUMERIC_ONLY)
    except _stdlib_socket.gaierror as exc:
        if exc.errno != _stdlib_socket.EAI_NONAME:
            await cancel_shielded_checkpoint()
            raise
    else:
        await cancel_shielded_checkpoint()
        return result
    # A real name: resolve it without blocking the loop.
    if isinstance(host, str):
        host = encode_hostname(host)
    resolver = _resolver.get(None)
    if resolver is not None:
        return await resolver.getaddrinfo(host, port, family, type, proto, flags)
    return await to_thread_run_sync(
        _stdlib_socket.getaddrinfo,
        host,
        port,
        family,
        type,
        proto,
        flags,
        abandon_on_cancel=True,
    )


async def getnameinfo(
    sockaddr: tuple[str, int] | tuple[str, int, int, int], flags: int
) -> tuple[str, str]:
    """Look up the host and service names of an address, like
    :func:`socket.getnameinfo`, in a worker thread (abandoned if cancelled)
    or through the resolver installed with :func:`set_custom_hostname_resolver`.

    Returns:
        A ``(host, port)`` pair of strings.
    """
    resolver = _resolver.get(None)
    if resolver is not None:
        return await resolver.getnameinfo(sockaddr, flags)
    return await to_thread_run_sync(
        _stdlib_socket.getnameinfo, sockaddr, flags, abandon_on_cancel=True
    )


async def getprotobyname(name: str) -> int:
    """Look up a protocol number by name (``"tcp"`` → 6), like
    :func:`socket.getprotobyname`, in a worker thread."""
    return await to_thread_run_sync(
        _stdlib_socket.getprotobyname, name, abandon_on_cancel=True
    )


# --------------------------------------------------------------------------- constructors


def from_stdlib_socket(sock: _stdlib_socket.socket) -> SocketType:
    """Wrap a standard library :class:`socket.socket` in a tether socket.

    The tether socket takes ownership: it puts the socket in non-blocking
    mode, and closing it closes ``sock``.

    Raises:
        TypeError: if ``sock`` is not exactly a :class:`socket.socket` (an
            :class:`ssl.SSLSocket` cannot be wrapped).
    """
    return _SocketType(sock)


def _sniff_sockopts(
    family: int, type_: int, proto: int, fileno: int
) -> tuple[int, int, int]:
    # Ask the kernel what the fd really is (Linux): the caller's guesses may be wrong.
    probe = _stdlib_socket.socket(family, type_, proto, fileno=fileno)
    try:
        family = probe.getsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_DOMAIN)
        proto = probe.getsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_PROTOCOL)
        type_ = probe.getsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_TYPE)
    finally:
        probe.detach()
    return family, type_, proto


def fromfd(
    fd: int,
    family: int = _stdlib_socket.AF_INET,
    type: int = _stdlib_socket.SOCK_STREAM,
    proto: int = 0,
) -> SocketType:
    """Like :func:`socket.fromfd`: a tether socket on a *duplicate* of ``fd``.

    The family, type and protocol are read from the file descriptor itself;
    the arguments are only fallbacks.
    """
    family, type, proto = _sniff_sockopts(family, type, proto, int(fd))
    return from_stdlib_socket(_stdlib_socket.fromfd(fd, family, type, proto))


def socketpair(
    family: int | None = None,
    type: int = _stdlib_socket.SOCK_STREAM,
    proto: int = 0,
) -> tuple[SocketType, SocketType]:
    """Like :func:`socket.socketpair`: two connected tether sockets
    (``AF_UNIX`` by default)."""
    left, right = _stdlib_socket.socketpair(family, type, proto)
    return from_stdlib_socket(left), from_stdlib_socket(right)


def socket(
    family: int = _stdlib_socket.AF_INET,
    type: int = _stdlib_socket.SOCK_STREAM,
    proto: int = 0,
    fileno: int | None = None,
) -> SocketType:
    """Create a tether socket, like :class:`socket.socket`.

    Without ``fileno``, the factory installed with
    :func:`set_custom_socket_factory` (if any) makes the socket. With
    ``fileno``, the socket wraps that file descriptor, and its family, type
    and protocol are read from it.
    """
    if fileno is None:
        factory = _socket_factory.get(None)
        if factory is not None:
            made: SocketType = factory.socket(family, type, proto)
            return made
    else:
        family, type, proto = _sniff_sockopts(family, type, proto, fileno)
    return from_stdlib_socket(_stdlib_socket.socket(family, type, proto, fileno))


# --------------------------------------------------------------------------- addresses


async def _resolve_address(
    type_: int,
    family: int,
    proto: int,
    *,
    ipv6_v6only: bool | int,
    address: AddressFormat,
    local: bool,
) -> AddressFormat:
    """Resolve the host and port of an IP address to numbers. Only a
    checkpoint when it resolves a name."""
    if family == _stdlib_socket.AF_INET:
        if not isinstance(address, tuple) or len(address) != 2:
            raise ValueError("address should be a (host, port) tuple")
    elif family == _stdlib_socket.AF_INET6:
        if not isinstance(address, tuple) or not 2 <= len(address) <= 4:
            raise ValueError("address should be a (host, port, [flowinfo, [scopeid]]) tuple")
    elif family == _stdlib_socket.AF_UNIX:
        if isinstance(address, str | bytes | os.PathLike):
            return os.fspath(address)
        return address
    else:
        return address
    host, port, *_ = address
    # Fast path: already numeric (every UDP sendto comes through here).
    if isinstance(port, int) and isinstance(host, str):
        try:
            _stdlib_socket.inet_pton(family, host)
        except OSError:
            pass
        else:
            return address
    if host == "":
        host = None
    elif host == "<broadcast>":
        host = "255.255.255.255"
    flags = _stdlib_socket.AI_PASSIVE if local else 0
    if family == _stdlib_socket.AF_INET6 and not ipv6_v6only:
        flags |= _stdlib_socket.AI_V4MAPPED
    entries = await getaddrinfo(host, port, family, type_, proto, flags)
    normed = entries[0][-1]
    if family == _stdlib_socket.AF_INET6:
        # Keep the caller's flowinfo / scope id.
        return (normed[0], normed[1], *address[2:], *normed[len(address) :])
    return normed


# --------------------------------------------------------------------------- SocketType


class SocketType:
    """A tether socket: the async counterpart of :class:`socket.socket`.

    Create one with :func:`socket`, :func:`socketpair`, :func:`fromfd` or
    :func:`from_stdlib_socket`; the class itself cannot be instantiated, but
    may be subclassed (a custom :class:`tether.abc.SocketFactory` can return
    fake sockets).

    The methods mirror :class:`socket.socket`'s. Those that can block are
    ``async`` and are checkpoints: ``accept``, ``connect``, ``bind``, the
    ``recv*`` and ``send*`` families, and :meth:`wait_writable`. The others
    are plain methods. ``sendall``, ``makefile``, timeouts and blocking-mode
    switches are deliberately absent: the socket is always non-blocking, and
    :class:`tether.SocketStream` provides ``send_all``.

    Addresses given to ``connect``, ``bind``, ``sendto`` and ``sendmsg`` are
    resolved with :func:`getaddrinfo` (so host names work, without blocking
    the run).
    """

    def __init__(self) -> None:
        super().__init__()
        if type(self) is SocketType:
            raise TypeError(
                "SocketType is abstract; call tether.socket.socket() to make a socket"
            )

    def detach(self) -> int:
        """Release the file descriptor without closing it, and return it."""
        raise NotImplementedError

    def fileno(self) -> int:
        """The file descriptor (-1 once closed)."""
        raise NotImplementedError

    def getpeername(self) -> AddressFormat:
        """The address of the connected peer."""
        raise NotImplementedError

    def getsockname(self) -> AddressFormat:
        """The socket's own address."""
        raise NotImplementedError

    @overload
    def getsockopt(self, level: int, optname: int) -> int: ...
    @overload
    def getsockopt(self, level: int, optname: int, buflen: int) -> bytes: ...
    def getsockopt(self, level: int, optname: int, buflen: int | None = None) -> int | bytes:
        """Read a socket option, like :meth:`socket.socket.getsockopt`."""
        raise NotImplementedError

    @overload
    def setsockopt(self, level: int, optname: int, value: int | Buffer) -> None: ...
    @overload
    def setsockopt(self, level: int, optname: int, value: None, optlen: int) -> None: ...
    def setsockopt(
        self, level: int, optname: int, value: int | Buffer | None, optlen: int | None = None
    ) -> None:
        """Set a socket option, like :meth:`socket.socket.setsockopt`."""
        raise NotImplementedError

    def listen(self, backlog: int = min(_stdlib_socket.SOMAXCONN, 128)) -> None:
        """Start listening for connections (see :meth:`socket.socket.listen`)."""
        raise NotImplementedError

    def get_inheritable(self) -> bool:
        """Whether the fd is inherited by child processes."""
        raise NotImplementedError

    def set_inheritable(self, inheritable: bool) -> None:
        """Set whether the fd is inherited by child processes."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def family(self) -> _stdlib_socket.AddressFamily:
        """The address family (``AF_INET``, ``AF_INET6``, ``AF_UNIX``...)."""
        raise NotImplementedError

    @property
    def type(self) -> _stdlib_socket.SocketKind:
        """The socket type (``SOCK_STREAM``, ``SOCK_DGRAM``...)."""
        raise NotImplementedError

    @property
    def proto(self) -> int:
        """The protocol number."""
        raise NotImplementedError

    @property
    def did_shutdown_SHUT_WR(self) -> bool:
        """Whether :meth:`shutdown` has closed the sending side."""
        raise NotImplementedError

    def dup(self) -> SocketType:
        """A new tether socket on a duplicate of the file descriptor."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the socket. Tasks blocked on it wake up with
        :exc:`tether.ClosedResourceError`. Idempotent."""
        raise NotImplementedError

    async def bind(self, address: AddressFormat) -> None:
        """Bind to ``address`` (resolved with :func:`getaddrinfo`)."""
        raise NotImplementedError

    def shutdown(self, flag: int) -> None:
        """Shut down one or both directions (``SHUT_RD``, ``SHUT_WR``, ``SHUT_RDWR``)."""
        raise NotImplementedError

    def is_readable(self) -> bool:
        """Whether a receive (or ``accept``) would not block right now,
        including because of end-of-file or an error."""
        raise NotImplementedError

    async def wait_writable(self) -> None:
        """Block until the socket is writable."""
        raise NotImplementedError

    async def accept(self) -> tuple[SocketType, AddressFormat]:
        """Wait for a connection; return ``(socket, address)``."""
        raise NotImplementedError

    async def connect(self, address: AddressFormat) -> None:
        """Connect to ``address`` and wait until the connection is made.

        A connect cannot be undone half-way, so if it is cancelled the
        socket is *closed* before :exc:`tether.Cancelled` propagates.

        Raises:
            OSError: if the connection fails (refused, unreachable...).
        """
        raise NotImplementedError

    async def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        """Receive up to ``bufsize`` bytes (``b""`` at end of file)."""
        raise NotImplementedError

    async def recv_into(self, buffer: Buffer, nbytes: int = 0, flags: int = 0, /) -> int:
        """Receive into ``buffer``; return the number of bytes received."""
        raise NotImplementedError

    async def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, AddressFormat]:
        """Receive a datagram; return ``(data, sender_address)``."""
        raise NotImplementedError

    async def recvfrom_into(
        self, buffer: Buffer, nbytes: int = 0, flags: int = 0, /
    ) -> tuple[int, AddressFormat]:
        """Receive a datagram into ``buffer``; return ``(nbytes, sender_address)``."""
        raise NotImplementedError

    async def recvmsg(
        self, bufsize: int, ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[bytes, list[tuple[int, int, bytes]], int, Any]:
        """Receive data and ancillary data, like :meth:`socket.socket.recvmsg`."""
        raise NotImplementedError

    async def recvmsg_into(
        self, buffers: Iterable[Buffer], ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[int, list[tuple[int, int, bytes]], int, Any]:
        """Like :meth:`socket.socket.recvmsg_into`."""
        raise NotImplementedError

    async def send(self, data: Buffer, flags: int = 0, /) -> int:
        """Send some of ``data``; return how many bytes were sent."""
        raise NotImplementedError

    @overload
    async def sendto(self, data: Buffer, address: AddressFormat, /) -> int: ...
    @overload
    async def sendto(self, data: Buffer, flags: int, address: AddressFormat, /) -> int: ...
    async def sendto(self, *args: Any) -> int:
        """Send a datagram: ``sendto(data[, flags], address)``."""
        raise NotImplementedError

    async def sendmsg(
        self,
        buffers: Iterable[Buffer],
        ancdata: Iterable[tuple[int, int, Buffer]] = (),
        flags: int = 0,
        address: AddressFormat | None = None,
        /,
    ) -> int:
        """Send data and ancillary data, like :meth:`socket.socket.sendmsg`."""
        raise NotImplementedError


class _SocketType(SocketType):
    __slots__ = ("_did_shutdown_SHUT_WR", "_io_state", "_short_read_drains", "_sock")

    def __init__(self, sock: _stdlib_socket.socket) -> None:
        if type(sock) is not _stdlib_socket.socket:
            raise TypeError(f"expected a socket.socket, not {type(sock).__name__!r}")
        super().__init__()
        self._sock = sock
        sock.setblocking(False)
        self._did_shutdown_SHUT_WR = False
        # The I/O manager's state for our fd, cached by ``arm_retry`` (epoll
        # only); None until the first wait.
        self._io_state: _FdState | None = None
        # Whether a recv that returns fewer bytes than asked empties the
        # socket's queue, so that the next read may wait without trying
        # (plain TCP; set by SocketStream, see tether._highlevel_socket).
        self._short_read_drains = False

    def __repr__(self) -> str:
        return repr(self._sock).replace("socket.socket", "tether.socket.socket", 1)

    # -- plain forwards

    def detach(self) -> int:
        return self._sock.detach()

    def fileno(self) -> int:
        return self._sock.fileno()

    def getpeername(self) -> AddressFormat:
        return self._sock.getpeername()

    def getsockname(self) -> AddressFormat:
        return self._sock.getsockname()

    @overload
    def getsockopt(self, level: int, optname: int) -> int: ...
    @overload
    def getsockopt(self, level: int, optname: int, buflen: int) -> bytes: ...
    def getsockopt(self, level: int, optname: int, buflen: int | None = None) -> int | bytes:
        if buflen is None:
            return self._sock.getsockopt(level, optname)
        return self._sock.getsockopt(level, optname, buflen)

    @overload
    def setsockopt(self, level: int, optname: int, value: int | Buffer) -> None: ...
    @overload
    def setsockopt(self, level: int, optname: int, value: None, optlen: int) -> None: ...
    def setsockopt(
        self, level: int, optname: int, value: int | Buffer | None, optlen: int | None = None
    ) -> None:
        if optname == TCP_ULP and level == _stdlib_socket.IPPROTO_TCP:
            self._short_read_drains = False
        if optlen is None:
            if value is None:
                raise TypeError("value must not be None unless optlen is given")
            self._sock.setsockopt(level, optname, value)
            return
        if value is not None:
            raise TypeError(f"value must be None when optlen is given, not {value!r}")
        self._sock.setsockopt(level, optname, None, optlen)

    def listen(self, backlog: int = min(_stdlib_socket.SOMAXCONN, 128)) -> None:
        self._sock.listen(backlog)

    def get_inheritable(self) -> bool:
        return self._sock.get_inheritable()

    def set_inheritable(self, inheritable: bool) -> None:
        self._sock.set_inheritable(inheritable)

    @property
    def family(self) -> _stdlib_socket.AddressFamily:
        return self._sock.family

    @property
    def type(self) -> _stdlib_socket.SocketKind:
        return self._sock.type

    @property
    def proto(self) -> int:
        return self._sock.proto

    @property
    def did_shutdown_SHUT_WR(self) -> bool:
        return self._did_shutdown_SHUT_WR

    def dup(self) -> SocketType:
        return _SocketType(self._sock.dup())

    def close(self) -> None:
        if self._sock.fileno() != -1:
            if in_tether_run():
                notify_closing(self._sock)
            self._sock.close()

    def shutdown(self, flag: int) -> None:
        self._sock.shutdown(flag)
        if flag in (_stdlib_socket.SHUT_WR, _stdlib_socket.SHUT_RDWR):
            self._did_shutdown_SHUT_WR = True

    def is_readable(self) -> bool:
        poller = select.poll()
        poller.register(self._sock, select.POLLIN)
        return bool(poller.poll(0))

    async def wait_writable(self) -> None:
        await wait_writable(self._sock)

    # -- the non-blocking pattern

    async def _resolve(self, address: AddressFormat, *, local: bool) -> AddressFormat:
        v6only: bool | int = False
        if self._sock.family == _stdlib_socket.AF_INET6:
            v6only = self._sock.getsockopt(_stdlib_socket.IPPROTO_IPV6, _stdlib_socket.IPV6_V6ONLY)
        return await _resolve_address(
            self._sock.type,
            self._sock.family,
            self._sock.proto,
            ipv6_v6only=v6only,
            address=address,
            local=local,
        )

    # (KI-protected, as the run's own wait functions are, here and wherever
    # arm_retry() is called: it records the task as the fd's waiter before
    # the task parks, and a KeyboardInterrupt in between would leave a
    # waiter that is not waiting.)
    @enable_ki_protection
    async def _wait_retry(self, readable: bool) -> None:
        """Wait until the socket is readable (or writable), right after a
        call failed with ``EAGAIN`` (see the module docstring)."""
        await wait_task_rescheduled(
            GLOBAL_RUN_CONTEXT.runner.io_manager.arm_retry(self._sock.fileno(), self, readable)
        )

    def _known_blocked(self, readable: bool) -> bool:
        """Whether the I/O manager knows the call would fail with ``EAGAIN``:
        it did, and no readiness event came since."""
        state = self._io_state
        if state is None or state.fd != self._sock.fileno():
            return False
        return state.read_blocked if readable else state.write_blocked

    async def _nonblocking_helper(self, readable: bool, fn: Callable[..., T], *args: Any) -> T:
        # Try at once; yield (shielded) after an immediate success or error;
        # wait for readiness only after BlockingIOError.
        cancel_point_task()
        if not self._known_blocked(readable):
            try:
                result = fn(*args)
            except BlockingIOError:
                pass
            except BaseException:
                await cancel_shielded_checkpoint()
                raise
            else:
                await cancel_shielded_checkpoint()
                return result
        while True:
            await self._wait_retry(readable)
            try:
                return fn(*args)
            except BlockingIOError:
                pass

    async def _nonblocking_recheck(self, fn: Callable[..., T], *args: Any) -> T:
        # _nonblocking_helper for reads with _RECHECK_FLAGS.
        await checkpoint_if_cancelled()
        try:
            result = fn(*args)
        except BlockingIOError:
            pass
        except BaseException:
            await cancel_shielded_checkpoint()
            raise
        else:
            await cancel_shielded_checkpoint()
            return result
        while True:
            await wait_readable(self._sock)
            try:
                return fn(*args)
            except BlockingIOError:
                pass

    async def bind(self, address: AddressFormat) -> None:
        address = await self._resolve(address, local=True)
        if self._sock.family == _stdlib_socket.AF_UNIX and address and address[0]:
            # A filesystem path: the lookup may touch the disk.
            await to_thread_run_sync(self._sock.bind, address)
            return
        await checkpoint()
        self._sock.bind(address)

    async def accept(self) -> tuple[SocketType, AddressFormat]:
        sock, addr = await self._nonblocking_helper(True, self._sock.accept)
        return _SocketType(sock), addr

    async def connect(self, address: AddressFormat) -> None:
        try:
            address = await self._resolve(address, local=False)
            await checkpoint_if_cancelled()
            try:
                self._sock.connect(address)
            except BlockingIOError:
                pass
            except BaseException:
                await cancel_shielded_checkpoint()
                raise
            else:
                await cancel_shielded_checkpoint()
                return
            # In progress: writability reports the outcome.
            await wait_writable(self._sock)
        except Cancelled:
            # Half-connected sockets are useless and confusing: close it.
            self.close()
            raise
        err = self._sock.getsockopt(_stdlib_socket.SOL_SOCKET, _stdlib_socket.SO_ERROR)
        if err:
            raise OSError(err, f"Error connecting to {address!r}: {os.strerror(err)}")

    @enable_ki_protection  # (it calls arm_retry(): see _wait_retry)
    async def recv(self, bufsize: int, flags: int = 0, /) -> bytes:
        # _nonblocking_helper written out, without its extra coroutine frame.
        if flags & _RECHECK_FLAGS:
            return await self._nonblocking_recheck(self._sock.recv, bufsize, flags)
        await checkpoint_if_cancelled()
        sock = self._sock
        state = self._io_state
        if state is None or not state.read_blocked or state.fd != sock.fileno():
            try:
                data = sock.recv(bufsize, flags)
            except BlockingIOError:
                pass
            except BaseException:
                await cancel_shielded_checkpoint()
                raise
            else:
                await cancel_shielded_checkpoint()
                return data
        while True:
            await wait_task_rescheduled(
                GLOBAL_RUN_CONTEXT.runner.io_manager.arm_retry(sock.fileno(), self, True)
            )
            try:
                return sock.recv(bufsize, flags)
            except BlockingIOError:
                pass

    async def recv_into(self, buffer: Buffer, nbytes: int = 0, flags: int = 0, /) -> int:
        if flags & _RECHECK_FLAGS:
            return await self._nonblocking_recheck(self._sock.recv_into, buffer, nbytes, flags)
        return await self._nonblocking_helper(True, self._sock.recv_into, buffer, nbytes, flags)

    async def recvfrom(self, bufsize: int, flags: int = 0, /) -> tuple[bytes, AddressFormat]:
        if flags & _RECHECK_FLAGS:
            return await self._nonblocking_recheck(self._sock.recvfrom, bufsize, flags)
        return await self._nonblocking_helper(True, self._sock.recvfrom, bufsize, flags)

    async def recvfrom_into(
        self, buffer: Buffer, nbytes: int = 0, flags: int = 0, /
    ) -> tuple[int, AddressFormat]:
        if flags & _RECHECK_FLAGS:
            return await self._nonblocking_recheck(self._sock.recvfrom_into, buffer, nbytes, flags)
        return await self._nonblocking_helper(True, self._sock.recvfrom_into, buffer, nbytes, flags)

    async def recvmsg(
        self, bufsize: int, ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[bytes, list[tuple[int, int, bytes]], int, Any]:
        if flags & _RECHECK_FLAGS:
            return await self._nonblocking_recheck(self._sock.recvmsg, bufsize, ancbufsize, flags)
        return await self._nonblocking_helper(True, self._sock.recvmsg, bufsize, ancbufsize, flags)

    async def recvmsg_into(
        self, buffers: Iterable[Buffer], ancbufsize: int = 0, flags: int = 0, /
    ) -> tuple[int, list[tuple[int, int, bytes]], int, Any]:
        fn = self._sock.recvmsg_into
        if flags & _RECHECK_FLAGS:
            return await self._nonblocking_recheck(fn, buffers, ancbufsize, flags)
        return await self._nonblocking_helper(True, fn, buffers, ancbufsize, flags)

    async def send(self, data: Buffer, flags: int = 0, /) -> int:
        return await self._nonblocking_helper(False, self._sock.send, data, flags)

    @overload
    async def sendto(self, data: Buffer, address: AddressFormat, /) -> int: ...
    @overload
    async def sendto(self, data: Buffer, flags: int, address: AddressFormat, /) -> int: ...
    async def sendto(self, *args: Any) -> int:
        if len(args) not in (2, 3):
            raise TypeError(f"sendto() takes 2 or 3 arguments ({len(args)} given)")
        resolved = await self._resolve(args[-1], local=False)
        return await self._nonblocking_helper(
            False, self._sock.sendto, *args[:-1], resolved
        )

    async def sendmsg(
        self,
        buffers: Iterable[Buffer],
        ancdata: Iterable[tuple[int, int, Buffer]] = (),
        flags: int = 0,
        address: AddressFormat | None = None,
        /,
    ) -> int:
        if address is not None:
            address = await self._resolve(address, local=False)
        return await self._nonblocking_helper(
            False, self._sock.sendmsg, buffers, ancdata, flags, address
        )
