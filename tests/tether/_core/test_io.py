"""wait_readable / wait_writable / notify_closing, on socketpairs."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

import pytest

import tether
from tether import lowlevel
from tether.lowlevel import notify_closing, wait_readable, wait_writable
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator
    from pathlib import Path


@pytest.fixture
def sockpair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with a, b:
        yield a, b


def _fill(sock: socket.socket) -> None:
    """Fill the send buffer so the socket is no longer writable."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        while True:
            sock.send(b"x" * 65536)
    except BlockingIOError:
        pass


def _drain(sock: socket.socket) -> None:
    try:
        while True:
            if not sock.recv(65536):
                return
    except BlockingIOError:
        pass


async def _waiter(
    wait: Callable[[socket.socket], Awaitable[None]],
    sock: socket.socket,
    log: list[str],
    name: str,
) -> None:
    try:
        await wait(sock)
    except BaseException as exc:
        log.append(f"{name}: {type(exc).__name__}")
        raise
    log.append(f"{name}: ok")


async def test_writable_at_once(sockpair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = sockpair
    with tether.fail_after(10):
        await wait_writable(a)
        await wait_writable(a.fileno())


async def test_readable_after_peer_sends(sockpair: tuple[socket.socket, socket.socket]) -> None:
    a, b = sockpair
    log: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "reader")
        await wait_all_tasks_blocked()
        assert log == []
        stats = lowlevel.current_statistics().io_statistics
        assert getattr(stats, "tasks_waiting_read", None) == 1
        b.send(b"hi")
        await wait_all_tasks_blocked()
        assert log == ["reader: ok"]
    assert a.recv(10) == b"hi"
    stats = lowlevel.current_statistics().io_statistics
    assert getattr(stats, "tasks_waiting_read", None) == 0


async def test_readable_at_once_when_data_is_there(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    b.send(b"already here")
    with tether.fail_after(10):
        await wait_readable(a)
        # Still readable: waiting again returns too.
        await wait_readable(a.fileno())
    assert a.recv(100) == b"already here"


async def test_readable_on_peer_close(sockpair: tuple[socket.socket, socket.socket]) -> None:
    a, b = sockpair
    log: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "reader")
        await wait_all_tasks_blocked()
        b.shutdown(socket.SHUT_WR)
    assert log == ["reader: ok"]
    assert a.recv(10) == b""


async def test_writable_after_buffer_drains(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    _fill(a)
    log: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_writable, a, log, "writer")
        await wait_all_tasks_blocked()
        assert log == []
        _drain(b)
    assert log == ["writer: ok"]


async def test_second_waiter_same_direction_is_busy(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    _fill(a)
    log: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "reader")
        nursery.start_soon(_waiter, wait_writable, a, log, "writer")
        await wait_all_tasks_blocked()
        with pytest.raises(tether.BusyResourceError):
            await wait_readable(a)
        with pytest.raises(tether.BusyResourceError):
            await wait_writable(a.fileno())
        # The failed attempts did not disturb the existing waiters.
        assert log == []
        b.send(b"x")
        await wait_all_tasks_blocked()
        assert log == ["reader: ok"]
        _drain(b)
        await wait_all_tasks_blocked()
        assert log == ["reader: ok", "writer: ok"]


async def test_read_and_write_waiters_on_one_fd_are_independent(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    _fill(a)
    log: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "reader")
        nursery.start_soon(_waiter, wait_writable, a, log, "writer")
        await wait_all_tasks_blocked()
        stats = lowlevel.current_statistics().io_statistics
        assert getattr(stats, "tasks_waiting_read", None) == 1
        assert getattr(stats, "tasks_waiting_write", None) == 1
        _drain(b)
        await wait_all_tasks_blocked()
        assert log == ["writer: ok"]
        b.send(b"x")
        await wait_all_tasks_blocked()
        assert log == ["writer: ok", "reader: ok"]


async def test_notify_closing_wakes_waiters(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, _ = sockpair
    _fill(a)
    log: list[str] = []
    with pytest.RaisesGroup(tether.ClosedResourceError, tether.ClosedResourceError):
        async with tether.open_nursery() as nursery:
            nursery.start_soon(_waiter, wait_readable, a, log, "reader")
            nursery.start_soon(_waiter, wait_writable, a, log, "writer")
            await wait_all_tasks_blocked()
            notify_closing(a)
    assert sorted(log) == ["reader: ClosedResourceError", "writer: ClosedResourceError"]
    stats = lowlevel.current_statistics().io_statistics
    assert getattr(stats, "tasks_waiting_read", None) == 0
    assert getattr(stats, "tasks_waiting_write", None) == 0


async def test_notify_closing_without_waiters_is_a_no_op(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    notify_closing(a)
    notify_closing(a.fileno())
    # The fd can still be waited on afterwards (it was not closed).
    b.send(b"x")
    with tether.fail_after(10):
        await wait_readable(a)


async def test_fd_reusable_after_notify_closing() -> None:
    a, b = socket.socketpair()
    with a, b:
        log: list[str] = []
        with pytest.RaisesGroup(tether.ClosedResourceError):
            async with tether.open_nursery() as nursery:
                nursery.start_soon(_waiter, wait_readable, a, log, "reader")
                await wait_all_tasks_blocked()
                notify_closing(a)
        fd = a.fileno()
        a.close()
        # A new socket may get the same fd number; waiting on it works.
        c, d = socket.socketpair()
        with c, d:
            if c.fileno() != fd and d.fileno() != fd:  # pragma: no cover
                pytest.skip("the fd number was not reused")
            other = c if c.fileno() == fd else d
            peer = d if other is c else c
            peer.send(b"x")
            with tether.fail_after(10):
                await wait_readable(other)


async def test_cancelled_wait_then_wait_again(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    with tether.CancelScope() as scope:
        scope.cancel()
        await wait_readable(a)
    assert scope.cancelled_caught

    log: list[str] = []
    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "first")
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    assert log == ["first: Cancelled"]
    stats = lowlevel.current_statistics().io_statistics
    assert getattr(stats, "tasks_waiting_read", None) == 0

    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "second")
        await wait_all_tasks_blocked()
        b.send(b"x")
    assert log == ["first: Cancelled", "second: ok"]


async def test_cancelling_one_direction_keeps_the_other(
    sockpair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = sockpair
    _fill(a)
    log: list[str] = []
    writer_scope = tether.CancelScope()

    async def writer() -> None:
        with writer_scope:
            await _waiter(wait_writable, a, log, "writer")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(_waiter, wait_readable, a, log, "reader")
        nursery.start_soon(writer)
        await wait_all_tasks_blocked()
        writer_scope.cancel()
        await wait_all_tasks_blocked()
        assert log == ["writer: Cancelled"]
        b.send(b"x")
    assert log == ["writer: Cancelled", "reader: ok"]


async def test_wait_with_timeout(sockpair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = sockpair
    with tether.move_on_after(0.01) as scope:
        await wait_readable(a)
    assert scope.cancelled_caught


async def test_closed_fd_is_an_error_not_a_hang() -> None:
    sock = socket.socket()
    fd = sock.fileno()
    sock.close()
    with pytest.raises(OSError, match="Bad file descriptor"), tether.fail_after(10):
        await wait_readable(fd)
    with pytest.raises(OSError, match="Bad file descriptor"), tether.fail_after(10):
        await wait_writable(fd)
    stats = lowlevel.current_statistics().io_statistics
    assert getattr(stats, "tasks_waiting_read", None) == 0


async def test_invalid_fd_number_is_an_error() -> None:
    with pytest.raises(OSError, match="Bad file descriptor"), tether.fail_after(10):
        await wait_readable(2**20)
    with pytest.raises((OSError, ValueError)), tether.fail_after(10):
        await wait_readable(-1)


async def test_regular_file_is_an_error_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_bytes(b"data")
    fd = os.open(path, os.O_RDONLY)
    try:
        # epoll refuses regular files (EPERM).
        with pytest.raises(PermissionError), tether.fail_after(10):
            await wait_readable(fd)
    finally:
        os.close(fd)


async def test_object_without_fileno_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        await wait_readable("not a socket")
    with pytest.raises(TypeError):
        notify_closing(object())


def test_outside_a_run_is_a_runtime_error() -> None:
    a, b = socket.socketpair()
    with a, b:
        with pytest.raises(RuntimeError):
            notify_closing(a)
        coro = wait_readable(a)
        with pytest.raises(RuntimeError):
            coro.send(None)
        coro.close()
