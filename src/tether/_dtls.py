"""DTLS 1.2 over UDP: :class:`DTLSEndpoint`, :class:`DTLSChannel`.

The cryptography is OpenSSL's, through pyOpenSSL (an optional dependency:
``pip install "tether[dtls]"``); everything that touches the network or the
clock is ours:

* One UDP socket carries any number of associations. Each endpoint runs one
  system task that reads the socket and routes each datagram, by source
  address, to that peer's :class:`DTLSChannel` (a bounded queue; a datagram
  that finds it full is dropped and counted).
* A server answers a first ``ClientHello`` with a ``HelloVerifyRequest``
  carrying an HMAC cookie, computed from the client's address and hello
  under a secret that is replaced every half minute. It keeps *no* state
  until a second ``ClientHello`` comes back with a valid cookie, which proves
  the client can receive at the address it claims.
* OpenSSL's own retransmission timer runs on the wall clock, so we do not
  use it: each outgoing handshake flight is parsed back into messages and
  re-packed (with fresh record numbers, fragmented to the current MTU) on
  every transmission, and timeouts come from tether's clock, so a handshake
  over a lossy network works in virtual time under ``MockClock``.
* A client whose cookie expired before reaching the server (the server
  challenges it again) starts over with a new ClientHello, where OpenSSL
  alone would repeat the stale cookie forever. A server ignores late copies
  of the hello that started a connection, also once that connection is over.

Record-layer reference: RFC 6347 (DTLS 1.2), sections 4.1, 4.2.1-4.2.4.
"""

from __future__ import annotations

import errno
import hmac
import itertools
import math
import os
import socket as _stdlib_socket
import struct
import warnings
import weakref
from typing import TYPE_CHECKING, Any, Final

import attrs

from ._abc import Channel
from ._channel import open_memory_channel
from ._core import (
    TASK_STATUS_IGNORED,
    BrokenResourceError,
    BusyResourceError,
    ClosedResourceError,
    EndOfChannel,
    RunFinishedError,
    TaskStatus,
    WouldBlock,
    checkpoint,
    current_tether_token,
    current_time,
    open_nursery,
    spawn_system_task,
)
from ._socket import SocketType
from ._ssl import NeedHandshakeError
from ._sync import Lock
from ._timeouts import move_on_after
from ._util import NoPublicConstructor, final

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType
    from typing import Self, TypeVarTuple

    # Bound for real by _require_openssl(), on first use: importing tether
    # must work without pyOpenSSL installed.
    from OpenSSL import SSL  # noqa: TC004

    from ._channel import MemoryReceiveChannel, MemorySendChannel
    from ._core import TetherToken

    PosArgsT = TypeVarTuple("PosArgsT")

_MISSING_OPENSSL: Final = (
    "tether's DTLS support needs pyOpenSSL, which is an optional dependency: "
    'install it with: pip install "tether[dtls]"'
)


def _require_openssl() -> None:
    """Import pyOpenSSL's ``SSL`` module into this module's globals."""
    global SSL
    try:
        from OpenSSL import SSL
    except ImportError as exc:
        raise ImportError(_MISSING_OPENSSL, name=exc.name) from exc


# --------------------------------------------------------------------------- sizes

_RECEIVE_SIZE: Final = 65536  # larger than any UDP payload
_MAX_PLAINTEXT: Final = 16384  # 2**14: the most one DTLS record carries
_MIN_MTU: Final = 256  # OpenSSL ignores smaller ciphertext MTUs
_MAX_RETRANSMIT_TIMEOUT: Final = 60.0  # the cap RFC 6347 4.2.4.1 suggests


def _header_overhead(sock: SocketType) -> int:
    # IP header (20 bytes for IPv4, 40 for IPv6) plus the 8-byte UDP header.
    return 48 if sock.family == _stdlib_socket.AF_INET6 else 28


def _typical_mtu(sock: SocketType) -> int:
    """The UDP payload an Ethernet-sized (1500-byte) link carries."""
    return 1500 - _header_overhead(sock)


def _guaranteed_mtu(sock: SocketType) -> int:
    """The UDP payload every link must carry (576 bytes for IPv4, 1280 for IPv6)."""
    link = 1280 if sock.family == _stdlib_socket.AF_INET6 else 576
    return link - _header_overhead(sock)


# --------------------------------------------------------------------------- records
#
# A DTLS record is: content type (1 byte), protocol version (2), epoch (2),
# sequence number (6), payload length (2), payload. We split the 48-bit
# sequence number into a 16-bit and a 32-bit half for struct.

_RECORD = struct.Struct("!B2sHHIH")
_RECORD_SIZE: Final = _RECORD.size  # 13

# A handshake fragment is: message type (1), message length (3), message
# sequence (2), fragment offset (3), fragment length (3), fragment. The
# 24-bit fields are split into an 8-bit and a 16-bit half.
_FRAGMENT = struct.Struct("!BBHHBHBH")
_FRAGMENT_SIZE: Final = _FRAGMENT.size  # 12

_ALERT: Final = 21
_HANDSHAKE: Final = 22

_CLIENT_HELLO: Final = 1
_HELLO_VERIFY_REQUEST: Final = 3

_DTLS_1_0: Final = b"\xfe\xff"


@attrs.frozen
class _Record:
    content_type: int
    version: bytes
    epoch: int
    sequence: int
    payload: bytes


@attrs.frozen
class _Fragment:
    msg_type: int
    msg_length: int
    msg_seq: int
    offset: int
    data: bytes


def _encode_record(
    content_type: int, version: bytes, epoch: int, seq: int, payload: bytes
) -> bytes:
    header = _RECORD.pack(content_type, version, epoch, seq >> 32, seq & 0xFFFFFFFF, len(payload))
    return header + payload


def _encode_fragment(
    msg_type: int, msg_length: int, msg_seq: int, offset: int, data: bytes
) -> bytes:
    header = _FRAGMENT.pack(
        msg_type,
        msg_length >> 16,
        msg_length & 0xFFFF,
        msg_seq,
        offset >> 16,
        offset & 0xFFFF,
        len(data) >> 16,
        len(data) & 0xFFFF,
    )
    return header + data


def _parse_records(datagram: bytes) -> list[_Record] | None:
    """The records in a datagram, or None if it is not a sequence of whole records."""
    records: list[_Record] = []
    pos = 0
    while pos < len(datagram):
        if len(datagram) - pos < _RECORD_SIZE:
            return None
        content_type, version, epoch, seq_high, seq_low, length = _RECORD.unpack_from(datagram, pos)
        pos += _RECORD_SIZE
        payload = datagram[pos : pos + length]
        if len(payload) != length:
            return None
        pos += length
        records.append(_Record(content_type, version, epoch, seq_high << 32 | seq_low, payload))
    return records


def _parse_fragment(payload: bytes) -> _Fragment | None:
    """The handshake fragment that fills a record's payload, or None."""
    if len(payload) < _FRAGMENT_SIZE:
        return None
    msg_type, len_high, len_low, msg_seq, off_high, off_low, frag_high, frag_low = (
        _FRAGMENT.unpack_from(payload)
    )
    data = payload[_FRAGMENT_SIZE:]
    if len(data) != frag_high << 16 | frag_low:
        return None
    return _Fragment(msg_type, len_high << 16 | len_low, msg_seq, off_high << 16 | off_low, data)


def _starts_in_epoch_zero(datagram: bytes) -> bool:
    """Whether the first record of a datagram is unencrypted (a handshake in progress)."""
    return len(datagram) >= _RECORD_SIZE and datagram[3:5] == b"\x00\x00"


def _looks_like_client_hello(datagram: bytes) -> bool:
    return (
        len(datagram) > _RECORD_SIZE
        and datagram[0] == _HANDSHAKE
        and datagram[3:5] == b"\x00\x00"
        and datagram[_RECORD_SIZE] == _CLIENT_HELLO
    )


# --------------------------------------------------------------------------- flights
#
# OpenSSL writes each handshake flight as records numbered by its own
# counter and fragmented to its own idea of the MTU. To retransmit we need
# fresh record numbers (a peer drops a record number it has seen) and,
# after losses, smaller fragments, so we parse what OpenSSL wrote back into
# the units that can be re-sent:


@attrs.define
class _HandshakeMessage:
    """An unencrypted handshake message, reassembled: can be re-fragmented."""

    version: bytes
    msg_type: int
    msg_seq: int
    body: bytearray


@attrs.frozen
class _PlainRecord:
    """An unencrypted record that is not a handshake message (ChangeCipherSpec,
    alert): re-sent whole with a new record number."""

    version: bytes
    content_type: int
    payload: bytes


@attrs.frozen
class _SealedRecord:
    """An encrypted record (the Finished message): re-sent exactly as it was.

    It is small (one hash), so it never needs fragmenting, and its record
    number belongs to the new epoch, whose numbering only OpenSSL knows."""

    raw: bytes


_FlightPart = _HandshakeMessage | _PlainRecord | _SealedRecord


def _parse_flight(output: bytes) -> list[_FlightPart]:
    """Split what OpenSSL wrote during a handshake into re-sendable parts."""
    records = _parse_records(output)
    if records is None:  # pragma: no cover - OpenSSL writes whole records
        raise RuntimeError("OpenSSL wrote a malformed DTLS record")
    parts: list[_FlightPart] = []
    messages: dict[int, _HandshakeMessage] = {}
    for record in records:
        if record.epoch != 0:
            parts.append(
                _SealedRecord(
                    _encode_record(
                        record.content_type,
                        record.version,
                        record.epoch,
                        record.sequence,
                        record.payload,
                    )
                )
            )
            continue
        if record.content_type != _HANDSHAKE:
            parts.append(_PlainRecord(record.version, record.content_type, record.payload))
            continue
        fragment = _parse_fragment(record.payload)
        if fragment is None:  # pragma: no cover - OpenSSL writes whole fragments
            raise RuntimeError("OpenSSL wrote a malformed DTLS handshake fragment")
        message = messages.get(fragment.msg_seq)
        if message is None:
            message = _HandshakeMessage(
                record.version, fragment.msg_type, fragment.msg_seq, bytearray(fragment.msg_length)
            )
            messages[fragment.msg_seq] = message
            parts.append(message)
        end = fragment.offset + len(fragment.data)
        message.body[fragment.offset : end] = fragment.data
    return parts


def _pack_flight(
    parts: list[_FlightPart], mtu: int, first_number: int
) -> tuple[list[bytes], int]:
    """Encode a flight as datagrams of at most ``mtu`` bytes where possible.

    Unencrypted records are numbered from ``first_number`` on; returns the
    datagrams and the next unused number.

    Handshake messages are fragmented to fit, except a ClientHello: a server
    that checks cookies statelessly cannot reassemble one, so it goes whole.
    """
    datagrams: list[bytes] = []
    current = bytearray()
    numbers = itertools.count(first_number)

    def flush() -> None:
        nonlocal current
        if current:
            datagrams.append(bytes(current))
            current = bytearray()

    for part in parts:
        if isinstance(part, _SealedRecord):
            if len(current) + len(part.raw) > mtu:
                flush()
            current += part.raw
        elif isinstance(part, _PlainRecord):
            if len(current) + _RECORD_SIZE + len(part.payload) > mtu:
                flush()
            current += _encode_record(
                part.content_type, part.version, 0, next(numbers), part.payload
            )
        else:
            body = bytes(part.body)
            whole = part.msg_type == _CLIENT_HELLO
            offset = 0
            while True:
                remaining = len(body) - offset
                room = mtu - len(current) - _RECORD_SIZE - _FRAGMENT_SIZE
                # Start a new datagram rather than squeeze in a sliver.
                wanted = remaining if whole else min(remaining, 32)
                if current and room < wanted:
                    flush()
                    continue
                size = remaining if whole else max(min(remaining, room), min(remaining, 1))
                piece = body[offset : offset + size]
                fragment = _encode_fragment(part.msg_type, len(body), part.msg_seq, offset, piece)
                current += _encode_record(_HANDSHAKE, part.version, 0, next(numbers), fragment)
                offset += size
                if offset >= len(body):
                    break
    flush()
    return datagrams, next(numbers)


# --------------------------------------------------------------------------- cookies


@attrs.frozen
class _ClientHello:
    record_sequence: int
    cookie: bytes
    # The whole hello but its cookie: a client answering a HelloVerifyRequest
    # must repeat its first hello exactly, cookie aside (RFC 6347 4.2.1).
    fingerprint: bytes


def _first_message(datagram: bytes, msg_type: int) -> tuple[_Record, bytes] | None:
    """The record and body of an unfragmented handshake message of type
    ``msg_type`` that starts an untrusted datagram, or None."""
    records = _parse_records(datagram)
    if not records:
        return None
    record = records[0]
    if record.content_type != _HANDSHAKE or record.epoch != 0:
        return None
    fragment = _parse_fragment(record.payload)
    if (
        fragment is None
        or fragment.msg_type != msg_type
        or fragment.offset != 0
        or len(fragment.data) != fragment.msg_length
    ):
        return None
    return record, fragment.data


def _split_client_hello(body: bytes) -> tuple[bytes, bytes, bytes] | None:
    """A ClientHello body as (what precedes the cookie, cookie, what follows), or None."""
    # client_version (2 bytes), random (32), session_id (1-byte length + bytes),
    # cookie (1-byte length + bytes), then the rest.
    if len(body) < 35:
        return None
    session_id_end = 35 + body[34]
    if len(body) <= session_id_end:
        return None
    cookie_end = session_id_end + 1 + body[session_id_end]
    if len(body) < cookie_end:
        return None
    return body[:session_id_end], body[session_id_end + 1 : cookie_end], body[cookie_end:]


def _parse_client_hello(datagram: bytes) -> _ClientHello | None:
    """Find the cookie in an untrusted datagram claiming to start with a ClientHello.

    Returns None for anything malformed, and for a fragmented hello (we
    would need per-client state to reassemble it, which is what the cookie
    exchange exists to avoid).
    """
    found = _first_message(datagram, _CLIENT_HELLO)
    if found is None:
        return None
    record, body = found
    parts = _split_client_hello(body)
    if parts is None:
        return None
    before, cookie, after = parts
    return _ClientHello(record.sequence, cookie, before + after)


def _hello_verify_request_answers(datagram: bytes) -> int | None:
    """If an untrusted datagram starts with a HelloVerifyRequest, the record
    number it carries (that of the ClientHello it answers); else None."""
    found = _first_message(datagram, _HELLO_VERIFY_REQUEST)
    return None if found is None else found[0].sequence


def _hello_verify_request(record_sequence: int, cookie: bytes) -> bytes:
    # RFC 6347 4.2.1: the version is DTLS 1.0's whatever is negotiated later,
    # and the record number repeats the ClientHello's (as OpenSSL does).
    body = _DTLS_1_0 + bytes([len(cookie)]) + cookie
    fragment = _encode_fragment(_HELLO_VERIFY_REQUEST, len(body), 0, 0, body)
    return _encode_record(_HANDSHAKE, _DTLS_1_0, 0, record_sequence, fragment)


class _CookieJar:
    """Issues and checks HelloVerifyRequest cookies without remembering clients.

    A cookie is an HMAC-SHA256 of the client's address and hello under a
    random secret. Secrets are replaced every ``lifetime`` seconds (of
    tether's clock) and the previous one is still accepted, so a cookie is
    good for between one and two lifetimes; after that, a stolen cookie is
    worthless.
    """

    lifetime: Final = 30.0

    def __init__(self) -> None:
        self._secrets: list[bytes] = []  # newest first; at most two
        self._next_rotation = -math.inf
        #: How many secrets there have been. A cookie issued while this was
        #: ``n`` is refused once it reaches ``n + 2``.
        self.generation = 0

    def _current_secrets(self) -> list[bytes]:
        now = current_time()
        if now >= self._next_rotation:
            fresh = os.urandom(32)
            still_young = self._secrets and now < self._next_rotation + self.lifetime
            self._secrets = [fresh, self._secrets[0]] if still_young else [fresh]
            self._next_rotation = now + self.lifetime
            self.generation += 1
        return self._secrets

    @staticmethod
    def _mac(secret: bytes, address: object, fingerprint: bytes) -> bytes:
        mac = hmac.new(secret, digestmod="sha256")
        for field in (repr(address).encode(), fingerprint):
            mac.update(len(field).to_bytes(4, "big"))
            mac.update(field)
        return mac.digest()

    def issue(self, address: object, fingerprint: bytes) -> bytes:
        return self._mac(self._current_secrets()[0], address, fingerprint)

    def accepts(self, cookie: bytes, address: object, fingerprint: bytes) -> bool:
        matched = False
        for secret in self._current_secrets():
            # No short-circuit: the time taken says nothing about which matched.
            matched |= hmac.compare_digest(cookie, self._mac(secret, address, fingerprint))
        return matched


# --------------------------------------------------------------------------- addresses


def _canonical_peer_address(family: int, address: Any) -> Any:
    """The form ``recvfrom`` reports ``address`` in, so replies can be routed.

    Raises ValueError for a host name: datagrams come back from numeric
    addresses, so a channel keyed by a name would never see its replies.
    """
    if family not in (_stdlib_socket.AF_INET, _stdlib_socket.AF_INET6):
        return address
    if not isinstance(address, tuple) or not 2 <= len(address) <= 4:
        raise ValueError(
            f"expected a (host, port) tuple as a DTLS peer address, got {address!r}"
        )
    host, port, *rest = address
    if not isinstance(host, str) or not isinstance(port, int):
        raise ValueError(f"expected a (host, port) tuple as a DTLS peer address, got {address!r}")
    if family == _stdlib_socket.AF_INET6 and "%" in host:
        return address  # scoped link-local: leave it as given
    try:
        if family == _stdlib_socket.AF_INET:
            if rest:
                raise ValueError(f"an IPv4 address is (host, port), got {address!r}")
            return (_stdlib_socket.inet_ntoa(_stdlib_socket.inet_aton(host)), port)
        try:
            packed = _stdlib_socket.inet_pton(_stdlib_socket.AF_INET6, host)
        except OSError:
            # An IPv4 address on a dual-stack socket arrives IPv4-mapped.
            packed = b"\x00" * 10 + b"\xff\xff" + _stdlib_socket.inet_pton(
                _stdlib_socket.AF_INET, host
            )
        flowinfo, scope_id = (*rest, 0, 0)[:2]
        return (_stdlib_socket.inet_ntop(_stdlib_socket.AF_INET6, packed), port, flowinfo, scope_id)
    except OSError:
        raise ValueError(
            f"a DTLS peer address needs a numeric IP address, not {host!r}: resolve "
            "host names first, with tether.socket.getaddrinfo()"
        ) from None


# --------------------------------------------------------------------------- statistics


@attrs.frozen
class DTLSChannelStatistics:
    """What :meth:`DTLSChannel.statistics` returns.

    Attributes:
        incoming_packets_dropped_in_tether: datagrams from this peer that
            arrived while the channel's incoming queue (of
            ``incoming_packets_buffer`` datagrams) was full, and were
            dropped. If it grows, call :meth:`~DTLSChannel.receive` more
            often or give the endpoint a bigger buffer; a UDP protocol has
            to live with some loss anyway. Trio's spelling,
            ``incoming_packets_dropped_in_trio``, reads the same value.
    """

    incoming_packets_dropped_in_tether: int

    @property
    def incoming_packets_dropped_in_trio(self) -> int:
        """Trio's name for :attr:`incoming_packets_dropped_in_tether`."""
        return self.incoming_packets_dropped_in_tether


# --------------------------------------------------------------------------- channel

_REPLACED_MESSAGE: Final = "the peer started a new DTLS connection, which replaced this one"


@final
class DTLSChannel(Channel[bytes], metaclass=NoPublicConstructor):
    """One DTLS association with one peer, over a :class:`DTLSEndpoint`'s socket.

    You get one from :meth:`DTLSEndpoint.connect` (as the client) or as the
    argument of :meth:`DTLSEndpoint.serve`'s handler (as the server); there
    is no public constructor. Each :meth:`send` is one datagram and each
    :meth:`receive` returns one: message boundaries are kept, but, as with
    UDP itself, messages can be lost, duplicated or reordered.

    The handshake happens on the first :meth:`send` or :meth:`receive`, or
    explicitly with :meth:`do_handshake`. If the peer starts a new
    connection from the same address (or you :meth:`~DTLSEndpoint.connect`
    to the same address again), the new channel replaces this one, which
    then raises :exc:`~tether.BrokenResourceError` (after handing out any
    data it had already received). A TLS failure (a certificate that does
    not verify, a fatal alert from the peer) also raises
    :exc:`~tether.BrokenResourceError`, with the ``OpenSSL.SSL.Error`` as
    its ``__cause__``.

    Usable as a synchronous or asynchronous context manager, which closes it.

    Attributes:
        endpoint: the :class:`DTLSEndpoint` this channel uses.
        peer_address: the peer's address, as the socket reports it.
    """

    endpoint: DTLSEndpoint
    peer_address: Any

    def __init__(self, endpoint: DTLSEndpoint, peer_address: Any, ssl_context: SSL.Context) -> None:
        self.endpoint = endpoint
        self.peer_address = peer_address
        self._context = ssl_context
        self._is_client = False
        self._ciphertext_mtu = self._handshake_mtu = _typical_mtu(endpoint.socket)
        self._ssl = self._new_connection()
        self._inbox_in, self._inbox = open_memory_channel[bytes](endpoint.incoming_packets_buffer)
        self._dropped = 0
        self._handshake_lock = Lock()
        self._handshake_done = False
        self._flight: list[_FlightPart] = []  # the flight to (re)transmit
        self._final_flight: list[_FlightPart] = []  # re-sent if the peer retransmits
        self._next_record_number = 0  # for our unencrypted records
        # The record number of the first transmission of the ClientHello
        # that carries the server's cookie (clients only).
        self._cookie_offered_at: int | None = None
        # (cookie, fingerprint) of the ClientHello that created a server-side channel.
        self._hello_id: tuple[bytes, bytes] | None = None
        self._closed = False
        self._replaced = False
        self._peer_closed = False
        self._failure: BaseException | None = None

    def __repr__(self) -> str:
        return f"<tether.DTLSChannel to {self.peer_address!r}>"

    def _new_connection(self) -> SSL.Connection:
        connection = SSL.Connection(self._context, None)
        # Per connection, so a context can be shared: OpenSSL must not ask a
        # memory BIO for the path MTU, and renegotiation is not supported.
        connection.set_options(SSL.OP_NO_QUERY_MTU | SSL.OP_NO_RENEGOTIATION)
        connection.set_ciphertext_mtu(self._ciphertext_mtu)
        if self._is_client:
            connection.set_connect_state()
        return connection

    def _start_as_client(self) -> None:
        self._is_client = True
        self._ssl.set_connect_state()

    # -- state checks

    def _check_usable(self) -> None:
        if self._closed:
            raise ClosedResourceError("this DTLS channel was closed")
        if self._failure is not None:
            raise BrokenResourceError("this DTLS connection failed") from self._failure
        if self._replaced:
            raise BrokenResourceError(_REPLACED_MESSAGE)

    def _mark_replaced(self) -> None:
        self._replaced = True
        self.endpoint._retire_hello(self._hello_id)
        # Receivers get what was already queued, then EndOfChannel, which
        # _next_packet turns into BrokenResourceError.
        self._inbox_in.close()

    async def _next_packet(self) -> bytes:
        try:
            return await self._inbox.receive()
        except (EndOfChannel, ClosedResourceError):
            if self._closed:
                raise ClosedResourceError("this DTLS channel was closed") from None
            raise BrokenResourceError(_REPLACED_MESSAGE) from None

    # -- called by the endpoint's receive task

    def _deliver(self, datagram: bytes) -> None:
        try:
            self._inbox_in.send_nowait(datagram)
        except WouldBlock:
            self._dropped += 1
        except (BrokenResourceError, ClosedResourceError):
            pass  # closed or replaced: nobody will read it

    async def _resend_final_flight(self) -> None:
        # The peer is still handshaking although we are done: our last flight
        # was lost. (Nobody may be reading our queue, so the endpoint calls this.)
        await self._transmit(self._final_flight, quietly=True)

    # -- OpenSSL

    def _take_output(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            try:
                chunks.append(self._ssl.bio_read(_RECEIVE_SIZE))
            except SSL.WantReadError:
                return b"".join(chunks)

    def _step_handshake(self, datagram: bytes | None) -> tuple[bool, list[_FlightPart]]:
        """Feed a datagram to OpenSSL's handshake; return (finished, what it wrote).

        A TLS error is kept in ``self._failure`` (what OpenSSL wrote then is
        the alert to tell the peer).
        """
        if datagram is not None:
            self._ssl.bio_write(datagram)
        finished = False
        try:
            self._ssl.do_handshake()
            finished = True
        except SSL.WantReadError:
            pass
        except SSL.Error as exc:
            self._failure = exc
        return finished, _parse_flight(self._take_output())

    def _is_openssl_retransmission(self, parts: list[_FlightPart]) -> bool:
        # OpenSSL re-sends its flight when its own (wall-clock) timer expires
        # or when the peer repeats an old flight. We retransmit on our own
        # schedule, so a flight that starts with the message ours starts
        # with is dropped.
        first, current = parts[0], self._flight[0] if self._flight else None
        return (
            isinstance(first, _HandshakeMessage)
            and isinstance(current, _HandshakeMessage)
            and first.msg_seq == current.msg_seq
        )

    def _cookie_was_refused(self, datagram: bytes) -> bool:
        """Whether ``datagram`` challenges the hello that carried our cookie.

        A HelloVerifyRequest repeats the record number of the hello it
        answers, which tells a new challenge from a late copy of the first.
        """
        offered = self._flight[0] if self._flight else None
        if (
            self._cookie_offered_at is None
            or not isinstance(offered, _HandshakeMessage)
            or offered.msg_type != _CLIENT_HELLO
        ):
            return False
        answered = _hello_verify_request_answers(datagram)
        return answered is not None and answered >= self._cookie_offered_at

    async def _transmit(self, parts: list[_FlightPart], *, quietly: bool = False) -> None:
        first = parts[0] if parts else None
        if (
            self._cookie_offered_at is None
            and isinstance(first, _HandshakeMessage)
            and first.msg_type == _CLIENT_HELLO
            and first.msg_seq > 0  # the first hello has no cookie
        ):
            self._cookie_offered_at = self._next_record_number
        datagrams, self._next_record_number = _pack_flight(
            parts, self._handshake_mtu, self._next_record_number
        )
        for datagram in datagrams:
            if quietly:
                await self.endpoint._send_quietly(datagram, self.peer_address)
            else:
                await self.endpoint._send(datagram, self.peer_address)

    # -- handshake

    async def do_handshake(self, *, initial_retransmit_timeout: float = 1.0) -> None:
        """Perform the DTLS handshake, unless it is already done.

        Optional: :meth:`send` and :meth:`receive` do it when needed. Calling
        it yourself lets you choose the retransmit timeout, put a deadline
        on the handshake alone, or catch its errors separately. Several
        tasks may call it at once: one does the work and the others wait
        for it. If it is cancelled, calling it again carries on where it
        stopped.

        Args:
            initial_retransmit_timeout: seconds to wait for the peer's
                answer before sending our part of the handshake again. Each
                further timeout doubles the wait (up to 60 seconds), and
                after two timeouts in a row handshake messages are also
                fragmented to the smallest MTU every network must carry.
                About 1.5 times the round-trip time is ideal; the default,
                1 second, suits most networks.

        Raises:
            tether.BrokenResourceError: if the handshake failed (the
                ``OpenSSL.SSL.Error`` is the ``__cause__``), or the peer
                replaced this connection with a new one.
            tether.ClosedResourceError: if this channel or its endpoint was
                closed.
            ValueError: if ``initial_retransmit_timeout`` is not a positive
                number.
        """
        if not (
            isinstance(initial_retransmit_timeout, int | float)
            and 0 < initial_retransmit_timeout < math.inf
        ):
            raise ValueError(
                "initial_retransmit_timeout must be a positive number of seconds, "
                f"not {initial_retransmit_timeout!r}"
            )
        self._check_usable()
        async with self._handshake_lock:
            self._check_usable()
            if self._handshake_done:
                return
            await self._handshake(float(initial_retransmit_timeout))

    async def _handshake(self, initial_timeout: float) -> None:
        if not self._flight:
            # The client's ClientHello, or the server's answer to the
            # ClientHello that the endpoint already fed in.
            _, self._flight = self._step_handshake(None)
            if self._failure is not None:
                raise BrokenResourceError("the DTLS handshake failed") from self._failure
        timeout = initial_timeout
        timeouts_in_a_row = 0
        while True:
            self._check_usable()
            await self._transmit(self._flight)
            self.endpoint._start_receiving()
            with move_on_after(timeout) as waiting:
                finished = await self._await_next_flight()
            if waiting.cancelled_caught:
                timeouts_in_a_row += 1
                timeout = min(2 * timeout, _MAX_RETRANSMIT_TIMEOUT)
                if timeouts_in_a_row == 2:
                    # Maybe our datagrams are too big for the path.
                    self._handshake_mtu = min(
                        self._handshake_mtu, _guaranteed_mtu(self.endpoint.socket)
                    )
                continue
            if finished:
                # Possibly empty (the client's last flight came before the
                # server's); if it is lost, the peer will retransmit and the
                # endpoint re-sends it.
                await self._transmit(self._final_flight)
                return
            # RFC 6347 4.2.4.1: keep a backed-off timer until a flight gets
            # through without loss.
            if timeouts_in_a_row == 0:
                timeout = initial_timeout
            timeouts_in_a_row = 0

    async def _await_next_flight(self) -> bool:
        """Feed the peer's datagrams to OpenSSL until it has a new flight for
        us to send (returns False; it is in ``self._flight``) or the handshake
        is finished (returns True)."""
        while True:
            datagram = await self._next_packet()
            if self._is_client and self._cookie_was_refused(datagram):
                # Our cookie expired while we waited out long retransmission
                # timeouts, and the server challenged us again. OpenSSL sticks
                # to the first cookie it got, so start over with a new hello.
                self._ssl = self._new_connection()
                self._cookie_offered_at = None
                _, self._flight = self._step_handshake(None)
                if self._failure is not None:  # pragma: no cover - as at the start
                    raise BrokenResourceError("the DTLS handshake failed") from self._failure
                return False
            finished, parts = self._step_handshake(datagram)
            if self._failure is not None:
                # Tell the peer (parts is the alert), then give up.
                await self._transmit(parts, quietly=True)
                raise BrokenResourceError("the DTLS handshake failed") from self._failure
            if finished:
                self._handshake_done = True
                self._final_flight = parts
                self._flight = []
                return True
            if not parts or self._is_openssl_retransmission(parts):
                continue
            first = parts[0]
            if isinstance(first, _PlainRecord) and first.content_type == _ALERT:
                # A warning alert: send it once; it is not part of the flight.
                await self._transmit(parts, quietly=True)
                continue
            self._flight = parts
            return False

    # -- data

    async def send(self, value: bytes) -> None:
        """Encrypt ``value`` and send it to the peer as one datagram.

        Does the handshake first if it has not been done. Like any UDP
        datagram, the message may be lost, duplicated or reordered on the
        way.

        Raises:
            ValueError: if ``value`` is empty (OpenSSL cannot send an empty
                DTLS record) or longer than 16384 bytes (the most one record
                holds; see also :meth:`get_cleartext_mtu`).
            tether.BrokenResourceError: if the connection failed or was
                replaced.
            tether.ClosedResourceError: if the channel or its endpoint was
                closed.
        """
        self._check_usable()
        data = bytes(memoryview(value))
        if not data:
            raise ValueError("DTLS cannot send an empty message: OpenSSL refuses empty records")
        if len(data) > _MAX_PLAINTEXT:
            raise ValueError(
                f"a DTLS message holds at most {_MAX_PLAINTEXT} bytes; this one has {len(data)}"
            )
        if not self._handshake_done:
            await self.do_handshake()
        self._check_usable()
        self._take_output()  # nothing of OpenSSL's own needs to go out now
        try:
            self._ssl.write(data)
        except SSL.Error as exc:
            self._failure = exc
            raise BrokenResourceError("this DTLS connection failed") from exc
        await self.endpoint._send(self._take_output(), self.peer_address)

    async def receive(self) -> bytes:
        """Wait for the next message from the peer and return its data.

        Does the handshake first if it has not been done. Messages that do
        not decrypt (forged, corrupted or replayed datagrams) are skipped.
        Several tasks may receive at once, each getting different messages,
        and cancelling a ``receive`` never loses a message.

        Raises:
            tether.EndOfChannel: if the peer closed the connection with a
                TLS ``close_notify`` alert.
            tether.BrokenResourceError: if the connection failed, or was
                replaced and everything received before that was read.
            tether.ClosedResourceError: if the channel or its endpoint was
                closed.
        """
        if self._closed:
            raise ClosedResourceError("this DTLS channel was closed")
        if self._failure is not None:
            raise BrokenResourceError("this DTLS connection failed") from self._failure
        if self._peer_closed:
            raise EndOfChannel
        if not self._handshake_done:
            await self.do_handshake()
        while True:
            datagram = await self._next_packet()
            data = self._decrypt(datagram)
            if data:
                return data
            if self._peer_closed:
                raise EndOfChannel

    def _decrypt(self, datagram: bytes) -> bytes:
        self._ssl.bio_write(datagram)
        pieces: list[bytes] = []
        try:
            while True:
                pieces.append(self._ssl.read(_RECEIVE_SIZE))
        except SSL.WantReadError:
            pass
        except SSL.ZeroReturnError:
            self._peer_closed = True
        except SSL.Error as exc:
            self._failure = exc
            raise BrokenResourceError("this DTLS connection failed") from exc
        # Whatever OpenSSL wanted to answer (retransmissions of our last
        # flight, mostly) is not needed: the endpoint handles those.
        self._take_output()
        return b"".join(pieces)

    # -- MTU

    def set_ciphertext_mtu(self, new_mtu: int) -> None:
        """Tell tether the largest datagram (UDP payload) that reaches this peer.

        Before the handshake, handshake messages are then fragmented to fit
        (after repeated losses tether also tries the smallest MTU every
        network must carry, so setting this is never required, only
        faster). It also sets what :meth:`get_cleartext_mtu` answers. It
        does not stop you sending bigger messages.

        The value excludes IP and UDP headers: an Ethernet link's 1500
        bytes make 1472 for IPv4 and 1452 for IPv6, which are the defaults.
        A ClientHello is never fragmented (a server checking cookies cannot
        reassemble one), so it is sent whole even when larger.

        Raises:
            ValueError: if ``new_mtu`` is smaller than 256, which OpenSSL
                does not support.
        """
        if not isinstance(new_mtu, int) or isinstance(new_mtu, bool):
            raise TypeError(f"the MTU must be an int, not {type(new_mtu).__name__}")
        if new_mtu < _MIN_MTU:
            raise ValueError(f"the ciphertext MTU must be at least {_MIN_MTU} bytes, not {new_mtu}")
        self._ciphertext_mtu = self._handshake_mtu = new_mtu
        self._ssl.set_ciphertext_mtu(new_mtu)

    def get_cleartext_mtu(self) -> int:
        """The most data one :meth:`send` can carry in a datagram of the
        ciphertext MTU (see :meth:`set_ciphertext_mtu`): that MTU less the
        record's header and the cipher's overhead.

        Raises:
            tether.NeedHandshakeError: before the handshake is done (the
                overhead depends on the cipher negotiated).
        """
        if not self._handshake_done:
            raise NeedHandshakeError("call do_handshake() before get_cleartext_mtu()")
        return self._ssl.get_cleartext_mtu()

    def statistics(self) -> DTLSChannelStatistics:
        """Counters about this channel, as a :class:`DTLSChannelStatistics`."""
        return DTLSChannelStatistics(incoming_packets_dropped_in_tether=self._dropped)

    # -- closing

    def close(self) -> None:
        """Close this channel. Idempotent.

        The socket belongs to the endpoint, so this frees no OS resource;
        it stops routing the peer's datagrams here, and tasks blocked in
        :meth:`receive` (and later calls) get
        :exc:`~tether.ClosedResourceError`. No ``close_notify`` is sent:
        over UDP it could be lost anyway.
        """
        if self._closed:
            return
        self._closed = True
        self.endpoint._forget(self)
        self.endpoint._retire_hello(self._hello_id)
        # Receive side first: blocked receivers get ClosedResourceError.
        self._inbox.close()
        self._inbox_in.close()

    async def aclose(self) -> None:
        """Close this channel (as :meth:`close`), then checkpoint."""
        self.close()
        await checkpoint()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------- endpoint

_prepared_server_contexts: weakref.WeakSet[SSL.Context] = weakref.WeakSet()


def _prepare_server_context(ssl_context: SSL.Context) -> None:
    # We check cookies ourselves, before OpenSSL sees a ClientHello, but
    # OpenSSL's DTLSv1_listen (which sets up a connection from a hello that
    # carries a cookie) insists on asking a verify callback.
    if ssl_context in _prepared_server_contexts:
        return
    try:
        ssl_context.set_cookie_verify_callback(lambda connection, cookie: True)
    except ValueError:
        raise ValueError(
            "DTLSEndpoint.serve() must configure DTLS cookies on its SSL.Context, but "
            "this context was already used to make a connection (pyOpenSSL then "
            "forbids changes): give serve() a context of its own"
        ) from None
    _prepared_server_contexts.add(ssl_context)


async def _receive_loop(endpoint_ref: weakref.ref[DTLSEndpoint], sock: SocketType) -> None:
    # Holds the endpoint only weakly between datagrams, so an endpoint that
    # nobody references is collected (and its __del__ closes the socket,
    # which ends this task).
    while True:
        try:
            datagram, address = await sock.recvfrom(_RECEIVE_SIZE)
        except ClosedResourceError:
            return
        except OSError as exc:
            if exc.errno in (errno.EBADF, errno.ENOTSOCK):
                return  # closed before this task got to it
            if exc.errno in (errno.ECONNRESET, errno.ECONNREFUSED):
                continue  # an ICMP error about an earlier send; nothing to do
            raise
        endpoint = endpoint_ref()
        if endpoint is None or endpoint._closed:
            return
        try:
            await endpoint._route(datagram, address)
        finally:
            del endpoint


@final
class DTLSEndpoint:
    """A UDP socket that carries DTLS connections, as client, server, or both.

    One endpoint handles any number of :class:`DTLSChannel` objects, one per
    peer address: :meth:`connect` makes an outgoing one, :meth:`serve`
    accepts incoming ones. A background task reads the socket and routes
    each datagram to its peer's channel.

    Needs pyOpenSSL (``pip install "tether[dtls]"``); without it, creating an
    endpoint raises :exc:`ImportError`. TLS settings (certificates,
    verification, ciphers) live in an ``OpenSSL.SSL.Context`` made with
    ``OpenSSL.SSL.DTLS_METHOD``.

    Closing the endpoint (:meth:`close`, or leaving its ``with`` block)
    closes the socket and every channel. Create it inside :func:`tether.run`.

    Args:
        socket: a :func:`tether.socket.socket` of type ``SOCK_DGRAM``. To
            accept connections, bind it to a known address first. The
            endpoint takes ownership of it.
        incoming_packets_buffer: how many received datagrams each channel
            holds for :meth:`DTLSChannel.receive`; more are dropped, and
            counted in :meth:`DTLSChannel.statistics`.

    Attributes:
        socket: the socket given.
        incoming_packets_buffer: the buffer size given.

    Raises:
        ImportError: if pyOpenSSL is not installed.
        TypeError: if ``socket`` is not a tether socket, or the buffer size
            is not an int.
        ValueError: if the socket is not a ``SOCK_DGRAM`` socket, or the
            buffer size is negative.
        RuntimeError: outside :func:`tether.run`.
    """

    socket: SocketType
    incoming_packets_buffer: int

    def __init__(self, socket: SocketType, *, incoming_packets_buffer: int = 10) -> None:
        self._initialized = False  # for __del__, should this raise
        _require_openssl()
        if not isinstance(socket, SocketType):
            raise TypeError(
                f"DTLSEndpoint needs a tether socket, not {type(socket).__name__}: create it "
                "with tether.socket.socket(type=SOCK_DGRAM) (or wrap a standard one with "
                "tether.socket.from_stdlib_socket)"
            )
        if socket.type != _stdlib_socket.SOCK_DGRAM:
            raise ValueError("DTLS requires a SOCK_DGRAM socket")
        if not isinstance(incoming_packets_buffer, int) or isinstance(
            incoming_packets_buffer, bool
        ):
            raise TypeError(
                "incoming_packets_buffer must be an int, "
                f"not {type(incoming_packets_buffer).__name__}"
            )
        if incoming_packets_buffer < 0:
            raise ValueError(
                f"incoming_packets_buffer must be 0 or more, not {incoming_packets_buffer}"
            )
        self._token: TetherToken = current_tether_token()
        self.socket = socket
        self.incoming_packets_buffer = incoming_packets_buffer
        # One channel per peer address. Weak: a channel nobody holds goes away.
        self._channels: weakref.WeakValueDictionary[Any, DTLSChannel] = (
            weakref.WeakValueDictionary()
        )
        self._send_lock = Lock()
        self._cookies = _CookieJar()
        # Hellos whose connection is over, with the cookie generation they
        # ended in: a late duplicate of one, while its cookie is still
        # valid, must not start (or replace) a connection.
        self._spent_hellos: dict[tuple[bytes, bytes], int] = {}
        self._serving: tuple[SSL.Context, MemorySendChannel[DTLSChannel]] | None = None
        self._receiving = False
        self._closed = False
        self._initialized = True

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<tether.DTLSEndpoint {state} on {self.socket!r}>"

    def __del__(self) -> None:
        if not getattr(self, "_initialized", False) or self._closed:
            return
        try:
            self._token.run_sync_soon(self.close)
        except RunFinishedError:
            self.socket.close()
        warnings.warn(
            f"unclosed DTLS endpoint {self!r}", ResourceWarning, source=self, stacklevel=1
        )

    # -- plumbing

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedResourceError("this DTLS endpoint was closed")

    def _start_receiving(self) -> None:
        # Started lazily: a client socket is bound by its first send.
        if not self._receiving and not self._closed:
            spawn_system_task(
                _receive_loop,
                weakref.ref(self),
                self.socket,
                name=f"<DTLS receive loop on {self.socket!r}>",
            )
            self._receiving = True

    def _retire_hello(self, hello_id: tuple[bytes, bytes] | None) -> None:
        if hello_id is not None:
            self._spent_hellos[hello_id] = self._cookies.generation

    def _is_spent(self, hello_id: tuple[bytes, bytes]) -> bool:
        # Oldest first (dicts keep insertion order): drop those whose cookie
        # can no longer be valid.
        while self._spent_hellos:
            oldest = next(iter(self._spent_hellos))
            if self._spent_hellos[oldest] + 2 > self._cookies.generation:
                break
            del self._spent_hellos[oldest]
        return hello_id in self._spent_hellos

    def _forget(self, channel: DTLSChannel) -> None:
        if self._channels.get(channel.peer_address) is channel:
            del self._channels[channel.peer_address]

    async def _send(self, datagram: bytes, address: Any) -> None:
        try:
            async with self._send_lock:
                await self.socket.sendto(datagram, address)
        except OSError:
            if self._closed:
                raise ClosedResourceError("this DTLS endpoint was closed") from None
            raise

    async def _send_quietly(self, datagram: bytes, address: Any) -> None:
        # For sends nobody waits on (cookie challenges, retransmissions from
        # the receive task): a failure is like a lost datagram.
        try:
            await self._send(datagram, address)
        except (OSError, ClosedResourceError):
            pass

    async def _route(self, datagram: bytes, address: Any) -> None:
        if _looks_like_client_hello(datagram):
            await self._on_client_hello(datagram, address)
            return
        channel = self._channels.get(address)
        if channel is None:
            return
        if channel._handshake_done and _starts_in_epoch_zero(datagram):
            # The peer is still handshaking although we are done: it did
            # not get our last flight. Nobody may be reading the channel's
            # queue (the handshake is over), so answer from here.
            await channel._resend_final_flight()
        else:
            channel._deliver(datagram)

    async def _on_client_hello(self, datagram: bytes, address: Any) -> None:
        if self._serving is None:
            return
        ssl_context, accepted = self._serving
        hello = _parse_client_hello(datagram)
        if hello is None:
            return
        hello_id = (hello.cookie, hello.fingerprint)
        current = self._channels.get(address)
        if current is not None and current._hello_id == hello_id:
            # A retransmission of the hello that started `current` (checked
            # first: by now its cookie may have expired, and a new challenge
            # would make the client start over while `current` answers it).
            return
        if self._is_spent(hello_id):
            return  # a late duplicate of a hello whose connection is over
        if not self._cookies.accepts(hello.cookie, address, hello.fingerprint):
            # Stateless: all we keep about this client is nothing.
            cookie = self._cookies.issue(address, hello.fingerprint)
            await self._send_quietly(_hello_verify_request(hello.record_sequence, cookie), address)
            return
        channel = DTLSChannel._create(self, address, ssl_context)
        # Our records must be numbered above the HelloVerifyRequest's, which
        # repeated an earlier (so smaller) record number of this client's.
        channel._next_record_number = hello.record_sequence
        try:
            channel._ssl.bio_write(datagram)
            channel._ssl.DTLSv1_listen()
        except SSL.Error:
            return  # OpenSSL did not take it after all
        channel._hello_id = hello_id
        if current is not None:
            current._mark_replaced()
        self._channels[address] = channel
        try:
            accepted.send_nowait(channel)
        except (BrokenResourceError, ClosedResourceError):  # pragma: no cover - serve ended
            channel.close()

    # -- public API

    def connect(self, address: tuple[str, int], ssl_context: SSL.Context) -> DTLSChannel:
        """Make a channel to a DTLS server at ``address``.

        Synchronous: no datagram is sent until the handshake, which happens
        on the channel's first :meth:`~DTLSChannel.send` or
        :meth:`~DTLSChannel.receive` (or :meth:`~DTLSChannel.do_handshake`),
        so you can set the MTU first. A channel this endpoint already has
        with the same address is replaced (it raises
        :exc:`~tether.BrokenResourceError` from then on).

        Args:
            address: the server's ``(ip, port)`` (IPv6 addresses may also
                have flow info and scope id). It must be a numeric address.
            ssl_context: an ``OpenSSL.SSL.Context`` for ``DTLS_METHOD``,
                configured to verify the server as you need. It is not
                modified, and may be shared by many connections.

        Raises:
            tether.ClosedResourceError: if the endpoint was closed.
            ValueError: if the address is a host name (resolve it first with
                :func:`tether.socket.getaddrinfo`) or malformed.
        """
        self._check_open()
        peer = _canonical_peer_address(self.socket.family, address)
        channel = DTLSChannel._create(self, peer, ssl_context)
        channel._start_as_client()
        previous = self._channels.get(peer)
        if previous is not None:
            previous._mark_replaced()
        self._channels[peer] = channel
        return channel

    async def serve(
        self,
        ssl_context: SSL.Context,
        async_fn: Callable[[DTLSChannel, *PosArgsT], Awaitable[object]],
        *args: *PosArgsT,
        task_status: TaskStatus[None] = TASK_STATUS_IGNORED,
    ) -> None:
        """Accept DTLS connections, running ``async_fn(channel, *args)`` in a
        new task for each.

        Runs until cancelled, or until the endpoint is closed and every
        handler has returned; an exception from a handler propagates out
        (cancelling the others). Each handler's channel is closed when the
        handler returns. Start it with ``await nursery.start(endpoint.serve,
        ...)`` to wait until it is accepting::

            async def echo(channel: tether.DTLSChannel) -> None:
                async for message in channel:
                    await channel.send(message)

            async with tether.open_nursery() as nursery:
                await nursery.start(endpoint.serve, server_context, echo)

        A handler's peer has already proved, with the cookie exchange, that
        it receives at its address; the cryptographic handshake happens on
        the channel's first use, so the handler can still configure it (or
        catch handshake errors from :meth:`DTLSChannel.do_handshake`).

        Args:
            ssl_context: an ``OpenSSL.SSL.Context`` for ``DTLS_METHOD`` with
                the server's certificate and key. ``serve`` installs a
                cookie callback on it, so it must not have been used to make
                a connection yet (reusing it for later ``serve`` calls is
                fine).
            async_fn: the handler.
            *args: more positional arguments for the handler.

        Raises:
            tether.BusyResourceError: if this endpoint is already serving.
            tether.ClosedResourceError: if the endpoint was closed.
            RuntimeError: if the socket is not bound.
        """
        self._check_open()
        if self._serving is not None:
            raise BusyResourceError("another task is already serving on this DTLS endpoint")
        try:
            self.socket.getsockname()
        except OSError:
            raise RuntimeError(
                "bind the DTLS endpoint's socket before serving: "
                "await endpoint.socket.bind((host, port))"
            ) from None
        _prepare_server_context(ssl_context)
        accepted_in, accepted = open_memory_channel[DTLSChannel](math.inf)
        self._serving = (ssl_context, accepted_in)
        try:
            self._start_receiving()
            task_status.started()
            async with open_nursery() as nursery:
                async for channel in accepted:
                    nursery.start_soon(_run_handler, channel, async_fn, args)
        finally:
            self._serving = None
            accepted_in.close()
            _close_unclaimed(accepted)

    def close(self) -> None:
        """Close the socket and every channel. Idempotent.

        :meth:`serve` stops accepting and returns once its handlers have
        finished (they see :exc:`~tether.ClosedResourceError` from their
        channels).
        """
        if self._closed:
            return
        self._closed = True
        self.socket.close()
        for channel in list(self._channels.values()):
            channel.close()
        if self._serving is not None:
            self._serving[1].close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


async def _run_handler(
    channel: DTLSChannel,
    async_fn: Callable[..., Awaitable[object]],
    args: tuple[object, ...],
) -> None:
    with channel:
        await async_fn(channel, *args)


def _close_unclaimed(accepted: MemoryReceiveChannel[DTLSChannel]) -> None:
    while True:
        try:
            accepted.receive_nowait().close()
        except (WouldBlock, EndOfChannel, ClosedResourceError):
            break
    accepted.close()
