"""Generic conformance checks for implementations of the stream ABCs.

Each ``check_*`` function exercises the contract that
:mod:`tether.abc` documents for streams (checkpoints, Busy/Closed/Broken
errors, idempotent and cancellable ``aclose``, end of file,
``wait_send_all_might_not_block``...) on fresh stream pairs made by a
user-supplied factory, and raises :exc:`AssertionError` on the first
violation. They do not depend on pytest.
"""

from __future__ import annotations

import functools
import random
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, ParamSpec, TypeAlias, TypeVar

import outcome

from .. import _core
from .._abc import (
    AsyncResource,
    HalfCloseableStream,
    ReceiveStream,
    SendStream,
    Stream,
    aclose_forcefully,
)
from ._checkpoints import assert_checkpoints

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from types import TracebackType

_A = TypeVar("_A", bound=AsyncResource)
_B = TypeVar("_B", bound=AsyncResource)

StreamMaker: TypeAlias = "Callable[[], Awaitable[tuple[_A, _B]]]"


class _ClosingBoth(Generic[_A, _B]):
    """``async with _ClosingBoth(await maker()) as (a, b)``: forcefully
    closes both resources on the way out, whatever happened."""

    def __init__(self, pair: tuple[_A, _B]) -> None:
        self._a, self._b = pair

    async def __aenter__(self) -> tuple[_A, _B]:
        return self._a, self._b

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await aclose_forcefully(self._a)
        finally:
            await aclose_forcefully(self._b)


@contextmanager
def _expect(exc_type: type[BaseException], *, in_group: bool = False) -> Iterator[None]:
    """Like ``pytest.raises``, without pytest. With ``in_group``, the error
    must arrive as the single member of an exception group (what a nursery
    raises)."""
    __tracebackhide__ = True
    try:
        yield
    except BaseExceptionGroup as group:
        if not in_group:
            raise AssertionError(
                f"expected {exc_type.__name__}, got an exception group: {group!r}"
            ) from group
        if len(group.exceptions) != 1 or not isinstance(group.exceptions[0], exc_type):
            raise AssertionError(
                f"expected a group holding one {exc_type.__name__}, got {group!r}"
            ) from group
    except exc_type as exc:
        if in_group:
            raise AssertionError(
                f"expected {exc_type.__name__} inside an exception group, got it bare"
            ) from exc
    except Exception as exc:
        raise AssertionError(f"expected {exc_type.__name__}, got {exc!r}") from exc
    else:
        raise AssertionError(f"expected {exc_type.__name__} to be raised")


_T = TypeVar("_T")
_P = ParamSpec("_P")


@contextmanager
def _plain_assertion_errors() -> Iterator[None]:
    """Report a failed check as a bare AssertionError, even when it happened
    in a child task (and so arrived in an exception group), and report any
    unexpected error from the stream as a failed check."""
    __tracebackhide__ = True
    try:
        yield
    except AssertionError:
        raise
    except BaseExceptionGroup as group:
        matched, rest = group.split(Exception)
        if matched is None or rest is not None:
            raise  # a KeyboardInterrupt, say: not ours to rewrite
        first: BaseException = matched
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        if isinstance(first, AssertionError):
            raise first from group
        raise AssertionError(f"the stream raised an unexpected {first!r}") from group
    except Exception as exc:
        # The contract says which errors may come out of each call; any
        # other error is a violation too.
        raise AssertionError(f"the stream raised an unexpected {exc!r}") from exc


def _report_plainly(fn: Callable[_P, Awaitable[None]]) -> Callable[_P, Awaitable[None]]:
    @functools.wraps(fn)
    async def checker(*args: _P.args, **kwargs: _P.kwargs) -> None:
        __tracebackhide__ = True
        with _plain_assertion_errors():
            await fn(*args, **kwargs)

    return checker


async def _without_blocking(what: str, afn: Callable[[], Awaitable[_T]]) -> _T:
    """Run ``afn()`` in a child task; fail if it is still blocked once every
    task is (operations on a closed stream must not wait for anything)."""
    results: list[outcome.Outcome[_T]] = []

    async def run() -> None:
        results.append(await outcome.acapture(afn))

    async with _core.open_nursery() as nursery:
        nursery.start_soon(run)
        await _core.wait_all_tasks_blocked()
        blocked = not results
        if blocked:
            nursery.cancel_scope.cancel()
    if blocked:
        raise AssertionError(f"{what} blocked instead of failing at once")
    return results[0].unwrap()


async def _send(s: SendStream, data: bytes | bytearray | memoryview) -> None:
    with assert_checkpoints():
        result = await s.send_all(data)  # type: ignore[func-returns-value]
    assert result is None, f"send_all returned {result!r}, not None"


async def _receive(r: ReceiveStream, max_bytes: int | None = None) -> bytes | bytearray:
    with assert_checkpoints():
        data = await r.receive_some(max_bytes)
    assert isinstance(data, bytes | bytearray), f"receive_some returned {type(data)}"
    if max_bytes is not None:
        assert len(data) <= max_bytes, f"receive_some({max_bytes}) returned {len(data)} bytes"
    return data


async def _receive_exactly(r: ReceiveStream, expected: bytes) -> None:
    got = await _receive(r, 1) if len(expected) <= 1 else await _receive(r, len(expected))
    assert got == expected, f"received {got!r}, expected {expected!r}"


async def _close(resource: AsyncResource) -> None:
    with assert_checkpoints():
        await resource.aclose()


async def _transfer(
    s: SendStream, r: ReceiveStream, data: bytes | bytearray | memoryview, expected: bytes
) -> None:
    async with _core.open_nursery() as nursery:
        nursery.start_soon(_send, s, data)
        nursery.start_soon(_receive_exactly, r, expected)


async def _check_basic_transfer(
    stream_maker: StreamMaker[SendStream, ReceiveStream],
) -> None:
    async with _ClosingBoth(await stream_maker()) as (s, r):
        assert isinstance(s, SendStream), f"{s!r} is not a SendStream"
        assert isinstance(r, ReceiveStream), f"{r!r} is not a ReceiveStream"

        await _transfer(s, r, b"x", b"x")

        # An empty send is allowed and means nothing special.
        async def empty_then_y() -> None:
            await _send(s, b"")
            await _send(s, b"y")

        async with _core.open_nursery() as nursery:
            nursery.start_soon(empty_then_y)
            nursery.start_soon(_receive_exactly, r, b"y")

        # Every bytes-like type is accepted.
        await _transfer(s, r, bytearray(b"1"), b"1")
        await _transfer(s, r, memoryview(b"2"), b"2")

        # max_bytes must be a positive integer (or None, or left out).
        for bad, error in ((0, ValueError), (-1, ValueError), (1.5, TypeError)):
            with _expect(error):
                await r.receive_some(bad)  # type: ignore[arg-type]
        for args in ((), (None,)):
            async with _core.open_nursery() as nursery:
                nursery.start_soon(_send, s, b"z")
                got = await _receive(r, *args)
                assert got == b"z", f"receive_some{args} returned {got!r}"

        # Two receivers at once: the second is told the stream is busy.
        with _expect(_core.BusyResourceError, in_group=True):
            async with _core.open_nursery() as nursery:
                nursery.start_soon(_receive, r, 1)
                nursery.start_soon(_receive, r, 1)

        # With a receiver waiting, wait_send_all_might_not_block must return.
        async def wait_then_cancel(scope: _core.CancelScope) -> None:
            with assert_checkpoints():
                await s.wait_send_all_might_not_block()
            scope.cancel()

        async with _core.open_nursery() as nursery:
            nursery.start_soon(wait_then_cancel, nursery.cancel_scope)
            nursery.start_soon(_receive, r, 1)

        # Closing the receiver breaks the sender, sooner or later...
        async def send_until_broken() -> None:
            with _expect(_core.BrokenResourceError):
                while True:
                    await _send(s, b"x" * 100)

        async with _core.open_nursery() as nursery:
            nursery.start_soon(send_until_broken)
            nursery.start_soon(_close, r)
        # ... and it stays broken.
        with _expect(_core.BrokenResourceError):
            await _send(s, b"x" * 100)

        # The closed receiver raises ClosedResourceError; closing is idempotent.
        with _expect(_core.ClosedResourceError):
            await _without_blocking("receive_some on a closed stream", lambda: _receive(r, 4096))
        await _close(r)
        await _close(r)

        # A closed sender raises ClosedResourceError, even for b"".
        await _close(s)
        with _expect(_core.ClosedResourceError):
            await _send(s, b"x" * 100)
        with _expect(_core.ClosedResourceError):
            await _send(s, b"")
        with _expect(_core.ClosedResourceError), assert_checkpoints():
            await s.wait_send_all_might_not_block()
        await _close(s)
        await _close(s)


async def _check_close_behaviour(
    stream_maker: StreamMaker[SendStream, ReceiveStream],
) -> None:
    # A graceful close after sending: the receiver gets the data, then EOF,
    # even if it only starts reading after the close.
    async with _ClosingBoth(await stream_maker()) as (s, r):

        async def send_then_close() -> None:
            await _send(s, b"y")
            await _close(s)

        async def receive_later() -> None:
            await _core.wait_all_tasks_blocked()
            await _receive_exactly(r, b"y")
            got = await _receive(r, 1)
            assert got == b"", f"expected end of file after close, got {got!r}"
            # End of file is sticky.
            got = await _receive(r, 1)
            assert got == b"", f"end of file was not repeated, got {got!r}"
            await _close(r)

        async with _core.open_nursery() as nursery:
            nursery.start_soon(send_then_close)
            nursery.start_soon(receive_later)

    # A forceful close of the receiver breaks the sender.
    async with _ClosingBoth(await stream_maker()) as (s, r):
        await aclose_forcefully(r)
        with _expect(_core.ClosedResourceError):
            await _without_blocking("receive_some on a closed stream", lambda: _receive(r, 4096))
        with _expect(_core.BrokenResourceError):
            while True:
                await _send(s, b"x" * 100)

    # A forceful close of the sender: the receiver may see end of file or a
    # broken stream, but must neither hang nor invent data.
    async with _ClosingBoth(await stream_maker()) as (s, r):
        await aclose_forcefully(s)
        with _expect(_core.ClosedResourceError):
            await _send(s, b"123")
        try:
            got = await _receive(r, 1)
        except _core.BrokenResourceError:
            pass
        else:
            assert got == b"", f"receiver got {got!r} after a forceful close"

    # aclose in a cancelled scope still closes.
    async with _ClosingBoth(await stream_maker()) as (s, r):
        for resource in (r, s):
            with _core.CancelScope() as scope:
                scope.cancel()
                await resource.aclose()
        with _expect(_core.ClosedResourceError):
            await _send(s, b"123")
        with _expect(_core.ClosedResourceError):
            await _without_blocking("receive_some on a closed stream", lambda: _receive(r, 4096))

    # Cancelled operations still allow a graceful close afterwards.
    async with _ClosingBoth(await stream_maker()) as (s, r):

        async def expect_cancelled(op: Callable[[], Awaitable[object]]) -> None:
            with _expect(_core.Cancelled):
                await op()

        with _core.CancelScope() as scope:
            scope.cancel()
            async with _core.open_nursery() as nursery:
                nursery.start_soon(expect_cancelled, lambda: _send(s, b"x"))
                nursery.start_soon(expect_cancelled, lambda: _receive(r, 1))
        async with _core.open_nursery() as nursery:
            nursery.start_soon(_close, s)
            nursery.start_soon(_close, r)

    # Closing the receiver wakes a task blocked in receive_some.
    async with _ClosingBoth(await stream_maker()) as (s, r):

        async def receive_expecting_closed() -> None:
            with _expect(_core.ClosedResourceError):
                await r.receive_some(10)

        async with _core.open_nursery() as nursery:
            nursery.start_soon(receive_expecting_closed)
            await _core.wait_all_tasks_blocked()
            await aclose_forcefully(r)


async def _check_clogged(
    clogged_stream_maker: StreamMaker[SendStream, ReceiveStream],
) -> None:
    # wait_send_all_might_not_block blocks until the receiver drains.
    async with _ClosingBoth(await clogged_stream_maker()) as (s, r):
        events: list[str] = []

        async def waiter(scope: _core.CancelScope) -> None:
            events.append("waiting")
            with assert_checkpoints():
                await s.wait_send_all_might_not_block()
            events.append("woken")
            scope.cancel()

        async def drain() -> None:
            await _core.wait_all_tasks_blocked()
            events.append("draining")
            while True:
                await r.receive_some(16384)

        async with _core.open_nursery() as nursery:
            nursery.start_soon(waiter, nursery.cancel_scope)
            await _core.wait_all_tasks_blocked()
            nursery.start_soon(drain)
        assert events == ["waiting", "draining", "woken"], (
            f"wait_send_all_might_not_block did not wait for the receiver: {events}"
        )

    # Concurrent senders are refused (these may leave the stream unusable,
    # so each gets a fresh pair).
    async with _ClosingBoth(await clogged_stream_maker()) as (s, r):
        with _expect(_core.BusyResourceError, in_group=True):
            async with _core.open_nursery() as nursery:
                nursery.start_soon(s.wait_send_all_might_not_block)
                nursery.start_soon(s.wait_send_all_might_not_block)
        with _expect(_core.BusyResourceError, in_group=True):
            async with _core.open_nursery() as nursery:
                nursery.start_soon(s.wait_send_all_might_not_block)
                nursery.start_soon(s.send_all, b"123")
    async with _ClosingBoth(await clogged_stream_maker()) as (s, r):
        with _expect(_core.BusyResourceError, in_group=True):
            async with _core.open_nursery() as nursery:
                nursery.start_soon(s.send_all, b"123")
                nursery.start_soon(s.send_all, b"123")

    # Closing the receiver lets a blocked wait_send_all_might_not_block
    # return (with or without BrokenResourceError)...
    async with _ClosingBoth(await clogged_stream_maker()) as (s, r):

        async def wait_tolerating_broken() -> None:
            try:
                with assert_checkpoints():
                    await s.wait_send_all_might_not_block()
            except _core.BrokenResourceError:
                pass

        async def close_receiver() -> None:
            await _core.wait_all_tasks_blocked()
            await aclose_forcefully(r)

        async with _core.open_nursery() as nursery:
            nursery.start_soon(wait_tolerating_broken)
            nursery.start_soon(close_receiver)

    # ... and so does one started after the close.
    async with _ClosingBoth(await clogged_stream_maker()) as (s, r):
        await aclose_forcefully(r)
        try:
            with assert_checkpoints():
                await s.wait_send_all_might_not_block()
        except _core.BrokenResourceError:
            pass

    # Closing the sender wakes its own blocked send_all or
    # wait_send_all_might_not_block with ClosedResourceError.
    async def close_when_blocked(resource: AsyncResource) -> None:
        await _core.wait_all_tasks_blocked()
        await aclose_forcefully(resource)

    async with _ClosingBoth(await clogged_stream_maker()) as (s, r), _core.open_nursery() as n:
        n.start_soon(close_when_blocked, s)
        with _expect(_core.ClosedResourceError):
            await s.send_all(b"xyzzy")
    async with _ClosingBoth(await clogged_stream_maker()) as (s, r), _core.open_nursery() as n:
        n.start_soon(close_when_blocked, s)
        with _expect(_core.ClosedResourceError):
            await s.wait_send_all_might_not_block()


@_report_plainly
async def check_one_way_stream(
    stream_maker: StreamMaker[SendStream, ReceiveStream],
    clogged_stream_maker: StreamMaker[SendStream, ReceiveStream] | None,
) -> None:
    """Check that a one-way stream implementation follows the stream contract.

    Runs a battery of generic tests on pairs made by the factories: data
    arrives intact; ``send_all``, ``receive_some`` and ``aclose`` execute
    checkpoints; concurrent use raises :exc:`~tether.BusyResourceError`;
    closing either end gives the documented
    :exc:`~tether.ClosedResourceError` / :exc:`~tether.BrokenResourceError`
    and end-of-file behaviour; ``aclose`` is idempotent and works when
    cancelled; blocked calls wake up when a stream is closed.

    Args:
        stream_maker: An async function returning a fresh, connected
            ``(SendStream, ReceiveStream)`` pair. It is called many times.
        clogged_stream_maker: None, or an async function like
            ``stream_maker`` whose pairs start "clogged": ``send_all`` and
            ``wait_send_all_might_not_block`` block until ``receive_some``
            is called. With it, ``wait_send_all_might_not_block`` and
            concurrent senders are checked more thoroughly.

    Raises:
        AssertionError: at the first violation found.
    """
    await _check_basic_transfer(stream_maker)
    await _check_close_behaviour(stream_maker)
    if clogged_stream_maker is not None:
        await _check_clogged(clogged_stream_maker)


def _flipped(maker: StreamMaker[_A, _B]) -> StreamMaker[_B, _A]:
    async def flipped() -> tuple[_B, _A]:
        a, b = await maker()
        return b, a

    return flipped


@_report_plainly
async def check_two_way_stream(
    stream_maker: StreamMaker[Stream, Stream],
    clogged_stream_maker: StreamMaker[Stream, Stream] | None,
) -> None:
    """Check that a bidirectional stream implementation follows the stream
    contract.

    Runs :func:`check_one_way_stream` in both directions, then checks that
    a large amount of data can flow both ways at once in random chunk
    sizes, and that closing one side gives end of file on the other.
    Calling this makes calling :func:`check_one_way_stream` unnecessary.

    Args:
        stream_maker: An async function returning a fresh, connected pair of
            :class:`~tether.abc.Stream` objects.
        clogged_stream_maker: None, or an async function returning a pair
            that starts clogged (see :func:`check_one_way_stream`).

    Raises:
        AssertionError: at the first violation found.
    """
    await check_one_way_stream(stream_maker, clogged_stream_maker)
    await check_one_way_stream(
        _flipped(stream_maker),
        None if clogged_stream_maker is None else _flipped(clogged_stream_maker),
    )

    async with _ClosingBoth(await stream_maker()) as (s1, s2):
        assert isinstance(s1, Stream), f"{s1!r} is not a Stream"
        assert isinstance(s2, Stream), f"{s2!r} is not a Stream"

        size = 2**20
        max_chunk = 2**14
        payload = random.Random(1).randbytes(size)

        async def pour(s: Stream, data: bytes, seed: int) -> None:
            rng = random.Random(seed)
            view = memoryview(data)
            while view:
                n = rng.randint(1, max_chunk)
                await s.send_all(view[:n])
                view = view[n:]

        async def collect(s: Stream, expected: bytes, seed: int) -> None:
            rng = random.Random(seed)
            got = bytearray()
            while len(got) < len(expected):
                n = rng.randint(1, max_chunk)
                chunk = await s.receive_some(n)
                assert chunk, "unexpected end of file in the middle of a transfer"
                assert len(chunk) <= n, f"receive_some({n}) returned {len(chunk)} bytes"
                got += chunk
            assert got == expected, "data was corrupted in a two-way transfer"

        async with _core.open_nursery() as nursery:
            nursery.start_soon(pour, s1, payload, 0)
            nursery.start_soon(pour, s2, payload[::-1], 1)
            nursery.start_soon(collect, s1, payload[::-1], 2)
            nursery.start_soon(collect, s2, payload, 3)

        async def expect_eof_then_close() -> None:
            got = await s2.receive_some(10)
            assert got == b"", f"expected end of file once the peer closed, got {got!r}"
            await s2.aclose()

        async with _core.open_nursery() as nursery:
            nursery.start_soon(expect_eof_then_close)
            nursery.start_soon(s1.aclose)


@_report_plainly
async def check_half_closeable_stream(
    stream_maker: StreamMaker[HalfCloseableStream, HalfCloseableStream],
    clogged_stream_maker: StreamMaker[HalfCloseableStream, HalfCloseableStream] | None,
) -> None:
    """Check that a half-closeable stream implementation follows the
    stream contract.

    Runs :func:`check_two_way_stream`, then checks ``send_eof``: the peer
    sees the data then end of file, sending afterwards raises
    :exc:`~tether.ClosedResourceError`, ``send_eof`` may be repeated and
    executes a checkpoint, the other direction keeps working, and
    ``send_eof`` concurrent with another send operation raises
    :exc:`~tether.BusyResourceError`.

    Args:
        stream_maker: An async function returning a fresh, connected pair of
            :class:`~tether.abc.HalfCloseableStream` objects.
        clogged_stream_maker: None, or an async function returning a pair
            that starts clogged (see :func:`check_one_way_stream`).

    Raises:
        AssertionError: at the first violation found.
    """
    await check_two_way_stream(stream_maker, clogged_stream_maker)

    async with _ClosingBoth(await stream_maker()) as (s1, s2):
        assert isinstance(s1, HalfCloseableStream), f"{s1!r} is not half-closeable"
        assert isinstance(s2, HalfCloseableStream), f"{s2!r} is not half-closeable"

        async def send_x_then_eof(s: HalfCloseableStream) -> None:
            await s.send_all(b"x")
            with assert_checkpoints():
                await s.send_eof()

        async def expect_x_then_eof(r: HalfCloseableStream) -> None:
            await _core.wait_all_tasks_blocked()
            got = await r.receive_some(10)
            assert got == b"x", f"expected b'x' before end of file, got {got!r}"
            got = await r.receive_some(10)
            assert got == b"", f"expected end of file after send_eof, got {got!r}"

        async with _core.open_nursery() as nursery:
            nursery.start_soon(send_x_then_eof, s1)
            nursery.start_soon(expect_x_then_eof, s2)

        with _expect(_core.ClosedResourceError):
            await s1.send_all(b"y")
        with assert_checkpoints():
            await s1.send_eof()

        async with _core.open_nursery() as nursery:
            nursery.start_soon(send_x_then_eof, s2)
            nursery.start_soon(expect_x_then_eof, s1)

    if clogged_stream_maker is not None:
        async with _ClosingBoth(await clogged_stream_maker()) as (s1, s2):
            with _expect(_core.BusyResourceError, in_group=True):
                async with _core.open_nursery() as nursery:
                    nursery.start_soon(s1.send_all, b"x")
                    await _core.wait_all_tasks_blocked()
                    nursery.start_soon(s1.send_eof)
        async with _ClosingBoth(await clogged_stream_maker()) as (s1, s2):
            with _expect(_core.BusyResourceError, in_group=True):
                async with _core.open_nursery() as nursery:
                    nursery.start_soon(s1.wait_send_all_might_not_block)
                    await _core.wait_all_tasks_blocked()
                    nursery.start_soon(s1.send_eof)
