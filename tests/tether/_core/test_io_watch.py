"""Persistent readiness watches (watch_readable / watch_writable)."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

import pytest

import tether
from tether import lowlevel
from tether.testing import wait_all_tasks_blocked

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with a, b:
        yield a, b


async def test_watch_fires_while_readable_and_stops_when_cancelled(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    calls: list[bytes] = []

    def on_readable(tag: str) -> None:
        data = a.recv(1)
        calls.append(tag.encode() + data)

    watch = lowlevel.watch_readable(a, on_readable, "r")
    assert watch.active
    assert "readable" in repr(watch)
    await wait_all_tasks_blocked()
    assert calls == []
    b.send(b"xyz")
    # Level-triggered: one byte read per iteration until drained.
    while len(calls) < 3:
        await lowlevel.checkpoint()
    assert calls == [b"rx", b"ry", b"rz"]
    watch.cancel()
    watch.cancel()  # idempotent
    assert not watch.active
    b.send(b"q")
    await wait_all_tasks_blocked()
    assert calls == [b"rx", b"ry", b"rz"]
    assert a.recv(1) == b"q"


async def test_watch_writable_and_one_shot_wait_coexist(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    writable: list[int] = []
    watch = lowlevel.watch_writable(a, writable.append, 1)
    while not writable:
        await lowlevel.checkpoint()
    watch.cancel()
    # Same fd, other direction: a one-shot wait works alongside a watch
    # (an always-writable watch would keep the run from ever being idle,
    # so here the watch is the reading side).
    got: list[bytes] = []
    watch = lowlevel.watch_readable(a, lambda: got.append(a.recv(10)))
    await lowlevel.wait_writable(a)
    b.send(b"!")
    while not got:
        await lowlevel.checkpoint()
    assert got == [b"!"]
    watch.cancel()


async def test_second_watch_or_waiter_is_busy(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    watch = lowlevel.watch_readable(a, lambda: None)
    with pytest.raises(tether.BusyResourceError):
        lowlevel.watch_readable(a, lambda: None)
    with pytest.raises(tether.BusyResourceError):
        await lowlevel.wait_readable(a)
    watch.cancel()
    async with tether.open_nursery() as nursery:
        nursery.start_soon(lowlevel.wait_readable, a)
        await wait_all_tasks_blocked()
        with pytest.raises(tether.BusyResourceError):
            lowlevel.watch_readable(a, lambda: None)
        nursery.cancel_scope.cancel()


async def test_notify_closing_ends_watches(pair: tuple[socket.socket, socket.socket]) -> None:
    a, _ = pair
    watch = lowlevel.watch_readable(a, lambda: None)
    lowlevel.notify_closing(a)
    assert not watch.active


async def test_watch_callback_runs_in_its_context(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    ctx = contextvars.copy_context()
    ctx.run(var.set, "watched")
    a, b = pair
    seen: list[str] = []

    def cb() -> None:
        seen.append(var.get())
        a.recv(10)

    watch = lowlevel.watch_readable(a, cb, context=ctx)
    b.send(b"1")
    while not seen:
        await lowlevel.checkpoint()
    watch.cancel()
    assert seen == ["watched"]


async def test_watching_an_invalid_fd_raises(tmp_path: Path) -> None:
    import errno

    with pytest.raises(OSError, match="Bad file descriptor") as info:
        lowlevel.watch_readable(99999, lambda: None)
    assert info.value.errno == errno.EBADF
    fd = os.open(tmp_path / "plain", os.O_CREAT | os.O_RDONLY)
    try:
        # epoll refuses regular files.
        with pytest.raises(PermissionError):
            lowlevel.watch_readable(fd, lambda: None)
    finally:
        os.close(fd)


async def test_read_watch_fires_before_write_watch_on_one_fd(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    # asyncio's selector loop runs an fd's reader before its writer; the
    # facade's add_reader/add_writer rely on the same order.
    a, b = pair
    order: list[str] = []
    b.send(b"x")  # a is readable, and (empty send buffer) writable
    read_watch = lowlevel.watch_readable(a, order.append, "read")
    write_watch = lowlevel.watch_writable(a, order.append, "write")
    try:
        while len(order) < 2:
            await lowlevel.checkpoint()
    finally:
        read_watch.cancel()
        write_watch.cancel()
    assert order[:2] == ["read", "write"]
