"""epoll registrations kept for the life of an fd (edge mode), and the socket
layer's wait after ``EAGAIN`` that needs no ``epoll_ctl`` (``arm_retry``).

These tests look at the epoll manager's bookkeeping (its ``_epoll`` object is
wrapped to count ``epoll_ctl`` calls, and a socket's cached ``_io_state`` is
inspected), because what they check is exactly which system calls are made.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket as stdlib_socket
import sys
from typing import TYPE_CHECKING, Any

import pytest

import tether
import tether.socket as tsocket
from tether import lowlevel
from tether._core._context import GLOBAL_RUN_CONTEXT
from tether._core._io_epoll import EpollIOManager
from tether.testing import assert_checkpoints, wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tether._core._io_epoll import _FdState

pytestmark = pytest.mark.skipif(not hasattr(select, "epoll"), reason="epoll is Linux-only")


class CountingEpoll:
    """Wraps the run's epoll object and records every ``epoll_ctl`` call."""

    def __init__(self, real: select.epoll) -> None:
        self.real = real
        self.calls: list[tuple[str, int]] = []

    def register(self, fd: int, mask: int) -> None:
        self.calls.append(("add", fd))
        self.real.register(fd, mask)

    def modify(self, fd: int, mask: int) -> None:
        self.calls.append(("mod", fd))
        self.real.modify(fd, mask)

    def unregister(self, fd: int) -> None:
        self.calls.append(("del", fd))
        self.real.unregister(fd)

    def poll(self, timeout: float, maxevents: int) -> list[tuple[int, int]]:
        return self.real.poll(timeout, maxevents)

    def close(self) -> None:
        self.real.close()

    def on(self, fd: int) -> list[str]:
        return [op for op, which in self.calls if which == fd]


def _manager() -> EpollIOManager:
    manager = GLOBAL_RUN_CONTEXT.runner.io_manager
    assert isinstance(manager, EpollIOManager)
    return manager


def _count_ctl() -> CountingEpoll:
    manager = _manager()
    counting = CountingEpoll(manager._epoll)
    manager._epoll = counting  # type: ignore[assignment]
    return counting


def _state(sock: tsocket.SocketType) -> _FdState:
    state: _FdState | None = sock._io_state  # type: ignore[attr-defined]
    assert state is not None
    return state


class RecvSpy:
    """Stands in for a tether socket's stdlib socket and counts ``recv`` calls."""

    def __init__(self, real: stdlib_socket.socket) -> None:
        self.real = real
        self.recv_calls = 0

    def recv(self, *args: Any) -> bytes:
        self.recv_calls += 1
        return self.real.recv(*args)

    def fileno(self) -> int:
        return self.real.fileno()


def _socketpair_at(fd: int) -> tuple[stdlib_socket.socket, stdlib_socket.socket]:
    """A connected socket pair whose first socket has the (free) fd number ``fd``."""
    c, d = stdlib_socket.socketpair()
    if d.fileno() == fd:
        c, d = d, c
    if c.fileno() != fd:
        os.dup2(c.fileno(), fd)
        c.close()
        c = stdlib_socket.socket(fileno=fd)
    return c, d


@pytest.fixture
def pair() -> Iterator[tuple[tsocket.SocketType, tsocket.SocketType]]:
    a, b = tsocket.socketpair()
    with a, b:
        yield a, b


async def _receive_after(sock: tsocket.SocketType, log: list[bytes]) -> None:
    log.append(await sock.recv(100))


async def test_waits_after_eagain_reuse_one_registration(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    ctl = _count_ctl()
    got: list[bytes] = []
    for i in range(5):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, a, got)
            await wait_all_tasks_blocked()
            await b.send(b"%d" % i)
    assert got == [b"0", b"1", b"2", b"3", b"4"]
    # One EPOLL_CTL_ADD on the first wait; no epoll_ctl for the other four
    # waits, nor for the events that ended them.
    assert ctl.on(a.fileno()) == ["add"]
    assert lowlevel.current_statistics().io_statistics.tasks_waiting_read == 0  # type: ignore[attr-defined]


async def test_send_waits_after_eagain_reuse_one_registration() -> None:
    a, b = tsocket.socketpair()
    with a, b:
        a.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_SNDBUF, 4096)
        ctl = _count_ctl()
        stream = tether.SocketStream(a)
        payload = b"x" * 300_000
        received = bytearray()

        async def drain() -> None:
            while len(received) < 3 * len(payload):
                await wait_all_tasks_blocked()
                received.extend(await b.recv(1 << 20))

        async with tether.open_nursery() as nursery:
            nursery.start_soon(drain)
            for _ in range(3):
                await stream.send_all(payload)
        assert bytes(received) == payload * 3
        # The sender waited many times for room; it registered once.
        assert ctl.on(a.fileno()) == ["add"]


async def test_plain_wait_rechecks_readiness_in_edge_mode(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    got: list[bytes] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, [])
        await wait_all_tasks_blocked()
        await b.send(b"x")
    # The edge for b"yz" is consumed by a recv that reads only one byte:
    # a plain wait_readable must still see the byte that is left.
    async with tether.open_nursery() as nursery:

        async def one_byte() -> None:
            got.append(await a.recv(1))

        nursery.start_soon(one_byte)
        await wait_all_tasks_blocked()
        await b.send(b"yz")
    assert got == [b"y"]
    ctl = _count_ctl()
    with tether.fail_after(10):
        await lowlevel.wait_readable(a)
    assert ctl.on(a.fileno()) == ["mod"]
    assert await a.recv(10) == b"z"


async def test_cancelled_wait_keeps_the_registration_and_the_cache(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    with tether.move_on_after(10):
        # Make the edge registration (the first wait adds it).
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, a, [])
            await wait_all_tasks_blocked()
            await b.send(b"x")
    ctl = _count_ctl()
    with tether.CancelScope() as scope:

        async def cancel_soon() -> None:
            await wait_all_tasks_blocked()
            scope.cancel()

        async with tether.open_nursery() as nursery:
            nursery.start_soon(cancel_soon)
            await a.recv(10)
    assert scope.cancelled_caught
    # Cancelling needed no epoll_ctl, and the registration is still there.
    assert ctl.on(a.fileno()) == []
    state = _state(a)
    assert state.read_task is None
    assert state.read_blocked  # the recv failed with EAGAIN, nothing came since
    assert lowlevel.current_statistics().io_statistics.tasks_waiting_read == 0  # type: ignore[attr-defined]

    # Known to fail: the next recv waits at once, without calling recv(2)
    # first, and still gets data that arrives later.
    spy = RecvSpy(a._sock)  # type: ignore[attr-defined]
    a._sock = spy  # type: ignore[attr-defined]
    try:
        got: list[bytes] = []
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, a, got)
            await wait_all_tasks_blocked()
            assert spy.recv_calls == 0
            await b.send(b"later")
        assert got == [b"later"]
        assert spy.recv_calls == 1
    finally:
        a._sock = spy.real  # type: ignore[attr-defined]
    assert ctl.on(a.fileno()) == []


async def test_readiness_event_invalidates_the_eagain_cache(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    with tether.move_on_after(0.01):  # waits (EAGAIN), then is cancelled
        await a.recv(10)
    state = _state(a)
    assert state.read_blocked
    await b.send(b"ready")
    # Data arrives while nobody waits: the event clears the cache...
    await wait_all_tasks_blocked()
    assert not _state(a).read_blocked
    # ...so recv calls recv(2) at once, and is still a full checkpoint.
    spy = RecvSpy(a._sock)  # type: ignore[attr-defined]
    a._sock = spy  # type: ignore[attr-defined]
    try:
        with assert_checkpoints():
            assert await a.recv(10) == b"ready"
        assert spy.recv_calls == 1
    finally:
        a._sock = spy.real  # type: ignore[attr-defined]


async def test_data_already_there_while_the_cache_says_blocked(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    with tether.move_on_after(0.01):
        await a.recv(10)
    assert _state(a).read_blocked
    # The data is in the socket before the loop has seen its event: the
    # recv waits for that event (one loop iteration) and returns the data.
    await b.send(b"early")
    with tether.fail_after(10), assert_checkpoints():
        assert await a.recv(10) == b"early"


async def test_two_waiters_on_one_socket_are_busy(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    for _ in range(2):  # the first wait registers; the second uses the cache
        got: list[bytes] = []
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, a, got)
            await wait_all_tasks_blocked()
            with pytest.raises(tether.BusyResourceError, match="already waiting to read"):
                await a.recv(10)
            with pytest.raises(tether.BusyResourceError, match="already waiting to read"):
                await lowlevel.wait_readable(a)
            # The failed attempts did not disturb the waiter.
            await b.send(b"x")
        assert got == [b"x"]

    # And the other way round: a plain wait parked first.
    async with tether.open_nursery() as nursery:
        nursery.start_soon(lowlevel.wait_readable, a)
        await wait_all_tasks_blocked()
        with pytest.raises(tether.BusyResourceError, match="already waiting to read"):
            await a.recv(10)
        await b.send(b"y")
    assert await a.recv(10) == b"y"


async def test_close_wakes_an_edge_mode_waiter_and_drops_the_registration(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, [])
        await wait_all_tasks_blocked()
        await b.send(b"x")
    fd = a.fileno()
    ctl = _count_ctl()
    log: list[str] = []

    async def receiver() -> None:
        try:
            await a.recv(10)
        except tether.ClosedResourceError:
            log.append("closed")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(receiver)
        await wait_all_tasks_blocked()
        a.close()
    assert log == ["closed"]
    # notify_closing removed the kernel's registration before the close.
    assert ctl.on(fd) == ["del"]
    assert fd not in _manager()._registered
    # A wait after the close is an error, not a hang.
    with pytest.raises(OSError, match="Bad file descriptor") as info, tether.fail_after(10):
        await a.recv(10)
    assert info.value.errno == errno.EBADF
    with pytest.raises(OSError, match="Bad file descriptor"), tether.fail_after(10):
        await lowlevel.wait_readable(fd)


async def test_stream_after_close_is_closed_resource_error() -> None:
    a, b = tsocket.socketpair()
    with b:
        stream = tether.SocketStream(a)
        async with tether.open_nursery() as nursery:

            async def receive() -> None:
                assert await stream.receive_some() == b"x"

            nursery.start_soon(receive)
            await wait_all_tasks_blocked()
            await b.send(b"x")
        await stream.aclose()
        with pytest.raises(tether.ClosedResourceError):
            await stream.receive_some()
        with pytest.raises(tether.ClosedResourceError):
            await stream.send_all(b"data")


async def test_fd_number_reused_after_a_close_behind_our_back() -> None:
    raw_a, raw_b = stdlib_socket.socketpair()
    a = tsocket.from_stdlib_socket(raw_a)
    b = tsocket.from_stdlib_socket(raw_b)
    with b:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, a, [])
            await wait_all_tasks_blocked()
            await b.send(b"x")
        fd = a.fileno()
        stale = _state(a)
        # Closed without tether knowing: the kernel drops the registration,
        # the manager still has its entry (with a registration it believes in).
        raw_a.close()
        assert _manager()._registered.get(fd) is stale

        # Another socket gets the same fd number.
        raw_c, raw_d = _socketpair_at(fd)
        c = tsocket.from_stdlib_socket(raw_c)
        d = tsocket.from_stdlib_socket(raw_d)
        with c, d:
            ctl = _count_ctl()
            got: list[bytes] = []
            for message in (b"first", b"second"):
                async with tether.open_nursery() as nursery:
                    nursery.start_soon(_receive_after, c, got)
                    await wait_all_tasks_blocked()
                    await d.send(message)
            assert got == [b"first", b"second"]
            # The new socket did not trust the stale entry: its first wait
            # re-registered (MOD fails with ENOENT, then ADD); the
            # second needed no epoll_ctl.
            assert ctl.on(fd) == ["mod", "add"]
            assert _state(c) is not None


async def test_fd_number_reused_after_tether_close(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, [])
        await wait_all_tasks_blocked()
        await b.send(b"x")
    fd = a.fileno()
    a.close()
    raw_c, raw_d = _socketpair_at(fd)
    c = tsocket.from_stdlib_socket(raw_c)
    d = tsocket.from_stdlib_socket(raw_d)
    with c, d:
        ctl = _count_ctl()
        got: list[bytes] = []
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, c, got)
            await wait_all_tasks_blocked()
            await d.send(b"new")
        assert got == [b"new"]
        assert ctl.on(fd) == ["add"]


async def test_a_dup_of_a_closed_socket_does_not_wake_the_new_owner_of_its_number(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, [])
        await wait_all_tasks_blocked()
        await b.send(b"x")
    fd = a.fileno()
    keep_alive = os.dup(fd)  # the file outlives the fd (as in a forked child)
    try:
        a.close()
        await b.send(b"for the dup")
        # Had the edge registration survived the close, the epoll would now
        # report the dup's readiness under the old number.
        assert [f for f, _ in _manager()._epoll.poll(0, 10) if f == fd] == []
        assert os.read(keep_alive, 100) == b"for the dup"
    finally:
        os.close(keep_alive)


async def test_watch_and_socket_wait_share_an_fd(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    got: list[bytes] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, got)
        await wait_all_tasks_blocked()
        await b.send(b"1")
    assert _state(a).armed & select.EPOLLET
    # Fill a's send buffer, so a persistent write watch on it stays quiet.
    a.setsockopt(stdlib_socket.SOL_SOCKET, stdlib_socket.SO_SNDBUF, 4096)
    try:
        while True:
            a._sock.send(b"x" * 65536)  # type: ignore[attr-defined]
    except BlockingIOError:
        pass
    writable: list[str] = []

    def on_writable() -> None:
        writable.append("w")
        watch.cancel()

    # The watch puts the fd in level mode; the reader still works.
    watch = lowlevel.watch_writable(a, on_writable)
    assert not _state(a).armed & select.EPOLLET
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, got)
        await wait_all_tasks_blocked()
        await b.send(b"2")
    assert writable == []
    # Make room: the watch fires (once: it cancels itself).
    try:
        while True:
            b._sock.recv(1 << 20)  # type: ignore[attr-defined]
    except BlockingIOError:
        pass
    with tether.fail_after(10):
        while not writable:
            await lowlevel.checkpoint()
    assert not watch.active
    # Without the watch, the reader goes back to edge mode.
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, got)
        await wait_all_tasks_blocked()
        await b.send(b"3")
    assert got == [b"1", b"2", b"3"]
    assert writable == ["w"]
    assert _state(a).armed & select.EPOLLET


async def test_socket_outliving_its_run_starts_clean() -> None:
    a, b = tsocket.socketpair()
    with a, b:

        async def first_run() -> None:
            with tether.move_on_after(0.01):
                await a.recv(10)
            assert _state(a).read_blocked

        async def second_run() -> bytes:
            # The cache of the first run's manager is not trusted here.
            spy = RecvSpy(a._sock)  # type: ignore[attr-defined]
            a._sock = spy  # type: ignore[attr-defined]
            try:
                data = await a.recv(10)
            finally:
                a._sock = spy.real  # type: ignore[attr-defined]
            assert spy.recv_calls == 1
            return data

        # (Nested runs are not allowed, so run them from a worker thread.)
        await tether.to_thread.run_sync(tether.run, first_run)
        b._sock.send(b"hello")  # type: ignore[attr-defined]
        assert await tether.to_thread.run_sync(tether.run, second_run) == b"hello"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # fork() with threads around
async def test_a_forked_child_closing_a_socket_keeps_the_parents_registration(
    pair: tuple[tsocket.SocketType, tsocket.SocketType],
) -> None:
    a, b = pair
    got: list[bytes] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_receive_after, a, got)
        await wait_all_tasks_blocked()
        await b.send(b"before")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        status = 1
        try:
            # The child shares the parent's epoll instance: closing its copy
            # of the socket must not remove the parent's registration (the
            # child is not in the run any more, so no notify_closing).
            a.close()
            status = 0
        finally:
            os._exit(status)
    _, status = await tether.to_thread.run_sync(os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    ctl = _count_ctl()
    with tether.fail_after(10):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_receive_after, a, got)
            await wait_all_tasks_blocked()
            await b.send(b"after")
    assert got == [b"before", b"after"]
    assert ctl.on(a.fileno()) == []


# linux/in.h (the socket module does not export it).
_IP_RECVERR = getattr(stdlib_socket, "IP_RECVERR", 11)


async def test_error_queue_read_waits_with_a_readiness_recheck() -> None:
    # recvmsg(MSG_ERRQUEUE) fails with EAGAIN while the error queue is
    # empty, whatever the ordinary data: that EAGAIN says nothing about
    # readability, so it neither sets nor uses the EAGAIN cache.
    probe = stdlib_socket.socket(stdlib_socket.AF_INET, stdlib_socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    dead_address = probe.getsockname()
    probe.close()
    sock = tsocket.socket(stdlib_socket.AF_INET, stdlib_socket.SOCK_DGRAM)
    peer = tsocket.socket(stdlib_socket.AF_INET, stdlib_socket.SOCK_DGRAM)
    with sock, peer:
        sock.setsockopt(stdlib_socket.IPPROTO_IP, _IP_RECVERR, 1)
        await sock.bind(("127.0.0.1", 0))
        await peer.bind(("127.0.0.1", 0))
        errors: list[int] = []

        async def read_error_queue() -> None:
            _, _, msg_flags, _ = await sock.recvmsg(100, 1024, stdlib_socket.MSG_ERRQUEUE)
            errors.append(msg_flags & stdlib_socket.MSG_ERRQUEUE)

        with tether.fail_after(10):
            async with tether.open_nursery() as nursery:
                nursery.start_soon(read_error_queue)
                await wait_all_tasks_blocked()
                assert errors == []
                state = sock._io_state  # type: ignore[attr-defined]
                assert state is None or not state.read_blocked
                # An ICMP "port unreachable" lands in the error queue.
                await sock.sendto(b"x", dead_address)
        assert errors == [stdlib_socket.MSG_ERRQUEUE]
        await peer.sendto(b"ordinary", sock.getsockname())
        with tether.fail_after(10):
            assert await sock.recv(100) == b"ordinary"


# -- short reads: "fewer bytes than asked means drained" (TCP SocketStream) -----------


def _tcp_stream_and_peer() -> tuple[tether.SocketStream, stdlib_socket.socket]:
    """A tether SocketStream on one end of a loopback TCP connection, and the
    other end as a blocking stdlib socket."""
    with stdlib_socket.create_server(("127.0.0.1", 0)) as listener:
        peer = stdlib_socket.create_connection(listener.getsockname())
        ours, _ = listener.accept()
    peer.setsockopt(stdlib_socket.IPPROTO_TCP, stdlib_socket.TCP_NODELAY, 1)
    return tether.SocketStream(tsocket.from_stdlib_socket(ours)), peer


async def _receive_waiting(stream: tether.SocketStream, log: list[bytes]) -> None:
    log.append(await stream.receive_some(100))


async def _registered_and_waiting(
    stream: tether.SocketStream, nursery: tether.Nursery, log: list[bytes]
) -> _FdState:
    """Start a task blocked in ``stream.receive_some(100)`` (so the socket is
    registered in edge mode) and return the socket's state."""
    nursery.start_soon(_receive_waiting, stream, log)
    await wait_all_tasks_blocked()
    state = _state(stream.socket)
    assert state.read_task is not None
    return state


async def _read_to_the_end(stream: tether.SocketStream) -> tuple[bytes, BaseException | None]:
    """Everything ``stream`` delivers until end of file or an error (a hang
    fails the test through fail_after instead of hanging it)."""
    data = b""
    with tether.fail_after(10):
        try:
            while chunk := await stream.receive_some(100):
                data += chunk
        except tether.BrokenResourceError as exc:
            return data, exc
    return data, None


async def test_a_short_read_lets_the_next_receive_wait_without_recv() -> None:
    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                state = await _registered_and_waiting(stream, nursery, got)
                assert state.armed & select.EPOLLRDHUP
                assert state.armed & select.EPOLLPRI
                assert state.short_read_drains
                peer.send(b"abc")
            assert got == [b"abc"]
            assert state.read_blocked  # 3 < 100: the queue is empty
            spy = RecvSpy(stream.socket._sock)  # type: ignore[attr-defined]
            stream.socket._sock = spy  # type: ignore[attr-defined]
            try:
                # Data that arrives between the short read and the next call
                # (its event not seen yet): the call waits for that event.
                peer.send(b"between")
                with tether.fail_after(10), assert_checkpoints():
                    assert await stream.receive_some(100) == b"between"
                assert spy.recv_calls == 1
                # Data that arrives while the call waits.
                async with tether.open_nursery() as nursery:
                    nursery.start_soon(_receive_waiting, stream, got)
                    await wait_all_tasks_blocked()
                    assert spy.recv_calls == 1  # waiting, no recv tried
                    peer.send(b"later")
                assert got[-1] == b"later"
                assert spy.recv_calls == 2
                # A full read says nothing: the next call tries recv first.
                peer.send(b"x" * 100)
                await wait_all_tasks_blocked()
                assert await stream.receive_some(100) == b"x" * 100
                assert not state.read_blocked
                with tether.move_on_after(0.01):
                    await stream.receive_some(100)  # recv fails with EAGAIN, then waits
                assert spy.recv_calls == 4
            finally:
                stream.socket._sock = spy.real  # type: ignore[attr-defined]


async def test_data_and_eof_that_arrive_together_before_a_short_read() -> None:
    # The event that wakes the reader already carries the end of file:
    # EPOLLRDHUP turns the shortcut off, so the read after the data sees b"".
    # (With EPOLLIN alone, the short read would take the socket as drained
    # and wait for an edge that never comes: the FIN was read with the data.)
    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                state = await _registered_and_waiting(stream, nursery, got)
                peer.send(b"abc")
                peer.shutdown(stdlib_socket.SHUT_WR)
            assert got == [b"abc"]
            assert not state.short_read_drains
            assert not state.read_blocked
            assert await _read_to_the_end(stream) == (b"", None)
            # Off for good: data the other way still flows, and no later
            # short read is taken for drained.
            assert state.unusual_event_seen


async def test_eof_right_after_a_short_read() -> None:
    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                state = await _registered_and_waiting(stream, nursery, got)
                peer.send(b"abc")
            assert state.read_blocked
            peer.shutdown(stdlib_socket.SHUT_WR)
            assert await _read_to_the_end(stream) == (b"", None)
            assert not state.short_read_drains


async def _short_read_woken_then(
    stream: tether.SocketStream,
    peer: stdlib_socket.socket,
    data: bytes,
    then: Callable[[], object],
) -> tuple[list[tuple[bytes, bool]], _FdState]:
    """A reader blocked in ``receive_some(100)`` is woken by ``data`` from
    ``peer``; ``then()`` runs after its wake-up event was consumed and before
    it reads. Returns what it read, with whether that read marked the socket
    drained, and the socket's state."""
    seen: list[tuple[bytes, bool]] = []

    async def reader() -> None:
        got = await stream.receive_some(100)
        seen.append((got, _state(stream.socket).read_blocked))

    async with tether.open_nursery() as nursery:
        nursery.start_soon(reader)
        await wait_all_tasks_blocked()
        state = _state(stream.socket)
        peer.send(data)
        while state.read_task is not None:  # until the event wakes the reader
            await lowlevel.checkpoint()
        # (FIFO: this task runs before the reader it was queued ahead of.)
        then()
    return seen, state


async def test_eof_after_the_wakeup_event_and_before_the_short_read() -> None:
    # The reader's wake-up event (plain EPOLLIN) is consumed, then the FIN
    # arrives, then the reader's recv returns the data and swallows the FIN.
    # The FIN's own event is still to come, so the shortcut's wait ends.
    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:
            seen, _ = await _short_read_woken_then(
                stream, peer, b"abc", lambda: peer.shutdown(stdlib_socket.SHUT_WR)
            )
            assert seen == [(b"abc", True)]  # the shortcut was taken...
            assert await _read_to_the_end(stream) == (b"", None)  # ...and is safe


async def test_reset_before_and_after_a_short_read() -> None:
    for reset_before_read in (True, False):
        stream, peer = _tcp_stream_and_peer()
        async with stream:
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                await _registered_and_waiting(stream, nursery, got)
                peer.send(b"abc")
                if reset_before_read:
                    # Close with SO_LINGER 0: an RST right behind the data.
                    peer.setsockopt(
                        stdlib_socket.SOL_SOCKET, stdlib_socket.SO_LINGER, b"\1\0\0\0\0\0\0\0"
                    )
                    peer.close()
            if not reset_before_read:
                assert got == [b"abc"]
                peer.setsockopt(
                    stdlib_socket.SOL_SOCKET, stdlib_socket.SO_LINGER, b"\1\0\0\0\0\0\0\0"
                )
                peer.close()
            data, error = await _read_to_the_end(stream)
            # Linux delivers the queued data before the reset.
            assert b"".join(got) + data == b"abc"
            assert isinstance(error, tether.BrokenResourceError)
            assert isinstance(error.__cause__, ConnectionResetError)


async def test_urgent_data_before_a_short_read() -> None:
    # A recv stops at the urgent mark: "ab" is a short read with "cd" still
    # queued. EPOLLPRI (urgent data) turns the shortcut off before that read.
    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                state = await _registered_and_waiting(stream, nursery, got)
                peer.send(b"ab")
                peer.send(b"!", stdlib_socket.MSG_OOB)
                peer.send(b"cd")
            assert got == [b"ab"]
            assert not state.short_read_drains
            assert not state.read_blocked
            with tether.fail_after(10):
                assert await stream.receive_some(100) == b"cd"
            # Off for good: a later short read does not mark the socket.
            peer.send(b"ef")
            await wait_all_tasks_blocked()
            assert await stream.receive_some(100) == b"ef"
            assert not state.read_blocked


async def test_urgent_data_after_the_wakeup_event() -> None:
    # The reader's wake-up event is consumed before the urgent byte and the
    # rest arrive; its short read ("ab") marks the socket drained, and the
    # urgent data's own event (EPOLLIN | EPOLLPRI) ends the wait.
    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:

            def urgent_byte_and_more() -> None:
                peer.send(b"!", stdlib_socket.MSG_OOB)
                peer.send(b"cd")

            seen, state = await _short_read_woken_then(stream, peer, b"ab", urgent_byte_and_more)
            assert seen == [(b"ab", True)]
            with tether.fail_after(10):
                assert await stream.receive_some(100) == b"cd"
            assert not state.short_read_drains


async def test_unix_stream_short_reads_say_nothing() -> None:
    # A Unix stream read stops after a message that carries file
    # descriptors, with more data queued and no further event: Unix streams
    # never take the shortcut.
    ours, peer = stdlib_socket.socketpair()
    stream = tether.SocketStream(tsocket.from_stdlib_socket(ours))
    with peer:
        async with stream:
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                state = await _registered_and_waiting(stream, nursery, got)
                # (The peer's own descriptor is passed: any fd will do.)
                rights = peer.fileno().to_bytes(4, "little")
                peer.send(b"ab")
                peer.sendmsg(
                    [b"cd"], [(stdlib_socket.SOL_SOCKET, stdlib_socket.SCM_RIGHTS, rights)]
                )
                peer.send(b"ef")
            assert b"".join(got) in (b"ab", b"abcd")
            assert not state.read_blocked
            rest = b""
            with tether.fail_after(10):
                while len(b"".join(got) + rest) < 6:
                    rest += await stream.receive_some(100)
            assert b"".join(got) + rest == b"abcdef"


async def test_an_upper_layer_protocol_turns_the_shortcut_off() -> None:
    # Kernel TLS (TCP_ULP "tls") returns a short read at a TLS control
    # record: setting any upper-layer protocol turns the shortcut off
    # (whether or not the kernel accepts it).
    from tether._socket import TCP_ULP

    stream, peer = _tcp_stream_and_peer()
    with peer:
        async with stream:
            assert stream.socket._short_read_drains  # type: ignore[attr-defined]
            # (OSError: no tls module, or the connection is not ready for it.)
            with contextlib.suppress(OSError):
                stream.setsockopt(stdlib_socket.IPPROTO_TCP, TCP_ULP, b"tls")
            assert not stream.socket._short_read_drains  # type: ignore[attr-defined]
            got: list[bytes] = []
            async with tether.open_nursery() as nursery:
                state = await _registered_and_waiting(stream, nursery, got)
                peer.send(b"abc")
            assert got == [b"abc"]
            assert not state.read_blocked


async def test_every_retry_wait_is_armed_from_ki_protected_code() -> None:
    # arm_retry() records the task as the fd's waiter before the task parks:
    # a KeyboardInterrupt raised between the two would leave a waiter that
    # is not waiting (its wake-up would then reschedule a task that is not
    # asleep). So every caller must be KI-protected, as the run's own wait
    # functions are; this records, at each call, whether the caller is.
    io_manager: Any = GLOBAL_RUN_CONTEXT.runner.io_manager
    real_arm_retry = io_manager.arm_retry
    callers: list[tuple[str, bool]] = []

    def spying_arm_retry(*args: Any) -> Any:
        caller = sys._getframe(1).f_code.co_name
        callers.append((caller, lowlevel.currently_ki_protected()))
        return real_arm_retry(*args)

    io_manager.arm_retry = spying_arm_retry
    try:
        a, b = tsocket.socketpair()
        with a, b:
            stream = tether.SocketStream(a)
            async with tether.open_nursery() as nursery:
                nursery.start_soon(stream.receive_some, 100)  # SocketStream's inline wait
                nursery.start_soon(b.recv, 100)  # the socket's inline wait
                await wait_all_tasks_blocked()
                await b.send(b"x")
                await a.send(b"y")
            # A full send buffer: send_all's wait (through _wait_retry).
            async with tether.open_nursery() as nursery:
                nursery.start_soon(stream.send_all, b"z" * (8 * 1024 * 1024))
                await wait_all_tasks_blocked()
                nursery.cancel_scope.cancel()
        listener = tsocket.socket()
        with listener:
            await listener.bind(("127.0.0.1", 0))
            listener.listen()
            with tether.move_on_after(0.01):  # accept(): the generic helper's wait
                await listener.accept()
    finally:
        del io_manager.arm_retry
    assert {name for name, _ in callers} >= {"receive_some", "recv", "_wait_retry"}
    assert all(protected for _, protected in callers), callers
