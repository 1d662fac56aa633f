"""The kqueue I/O manager's logic, on Linux, over a fake ``select.kqueue``.

**What this does not test: the real kernel path.** kqueue exists only on
macOS and the BSDs, and this project's machines run Linux, so no test here
talks to a real kqueue. ``src/tether/_core/_io_kqueue.py`` defines its body
only off Linux; this module executes that same source file (unchanged) with
``sys.platform`` reading ``"darwin"`` and with a fake ``select`` module
injected in place of the real one, then runs whole ``tether.run`` calls
with the resulting ``KqueueIOManager`` as the run's I/O manager.

The fake models the kqueue behaviour the manager relies on, as kqueue(2)
documents it:

* registrations are keyed by ``(ident, filter)``, so reading and writing
  one descriptor are independent;
* ``EV_ADD`` adds (or re-adds) a registration, on a closed descriptor it
  fails with ``EBADF``; ``EV_DELETE`` of a missing one fails with
  ``ENOENT`` (``EBADF`` if the descriptor is closed); errors are raised
  from ``control`` because the manager never asks for events in the same
  call;
* ``EV_ONESHOT`` registrations are dropped once their event is returned;
  the others are level-triggered and report again on every call while
  the condition holds;
* closing a descriptor drops its registrations silently;
* ``control([], n, timeout)`` blocks for at most ``timeout`` seconds
  (forever for ``None``) and returns at most ``n`` events.

Readiness itself comes from the real Linux :func:`select.poll` on the real
descriptors (socket pairs, loopback TCP, the run's wake-up socket), so the
tests exercise real I/O through the manager's logic: registration,
one-shot waits, ``BusyResourceError``, ``notify_closing`` and
``ClosedResourceError``, cancellation, persistent watches and cross-thread
wake-ups. Whatever a real kernel does differently from this model is
untested here.
"""

from __future__ import annotations

import errno
import importlib.util
import math
import os
import select as real_select
import socket
import sys
import threading
import types
from pathlib import Path
from typing import Any, ClassVar

import pytest

import tether
import tether._core._run
import tether.lowlevel
from tether._core._context import GLOBAL_RUN_CONTEXT
from tether.testing import wait_all_tasks_blocked

# macOS's values; the manager only uses the names.
KQ_FILTER_READ = -1
KQ_FILTER_WRITE = -2
KQ_EV_ADD = 0x0001
KQ_EV_DELETE = 0x0002
KQ_EV_ONESHOT = 0x0010
KQ_EV_EOF = 0x8000


class FakeKevent:
    """Stands in for :class:`select.kevent`."""

    def __init__(
        self, ident: Any, filter: int = KQ_FILTER_READ, flags: int = KQ_EV_ADD, *rest: int
    ) -> None:
        self.ident = ident if isinstance(ident, int) else ident.fileno()
        self.filter = filter
        self.flags = flags

    def __repr__(self) -> str:
        return f"FakeKevent({self.ident}, {self.filter}, {self.flags:#x})"


def _fd_is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class FakeKqueue:
    """Stands in for :class:`select.kqueue` (see the module docstring)."""

    instances: ClassVar[list[FakeKqueue]] = []

    def __init__(self) -> None:
        self.registered: dict[tuple[int, int], int] = {}  # (fd, filter) -> flags
        self.changes: list[tuple[int, int, int]] = []  # every change, in order
        self.timeouts: list[float | None] = []  # of the calls that asked for events
        self.closed = False
        self.blocking = threading.Event()
        FakeKqueue.instances.append(self)

    def close(self) -> None:
        self.closed = True

    def _apply(self, event: FakeKevent) -> None:
        key = (event.ident, event.filter)
        self.changes.append((event.ident, event.filter, event.flags))
        if event.flags & KQ_EV_DELETE:
            if key not in self.registered:
                code = errno.ENOENT if _fd_is_open(event.ident) else errno.EBADF
                raise OSError(code, os.strerror(code))
            del self.registered[key]
        elif event.flags & KQ_EV_ADD:
            if not _fd_is_open(event.ident):
                raise OSError(errno.EBADF, os.strerror(errno.EBADF))
            self.registered[key] = event.flags
        else:  # pragma: no cover - the manager only adds and deletes
            raise AssertionError(f"unexpected kevent flags in {event!r}")

    def control(
        self, changelist: list[FakeKevent] | None, max_events: int, timeout: float | None = None
    ) -> list[FakeKevent]:
        if self.closed:
            raise ValueError("I/O operation on closed kqueue object")
        if changelist:
            # Errors go to the caller only when no events are requested.
            assert max_events == 0, "the manager never mixes changes and events"
            for event in changelist:
                self._apply(event)
        if max_events == 0:
            return []
        self.timeouts.append(timeout)
        if timeout is None or timeout > 1:
            self.blocking.set()  # for a thread that must wake a blocked run
        poller = real_select.poll()
        masks: dict[int, int] = {}
        for fd, filt in self.registered:
            wanted = real_select.POLLIN if filt == KQ_FILTER_READ else real_select.POLLOUT
            masks[fd] = masks.get(fd, 0) | wanted
        for fd, mask in masks.items():
            poller.register(fd, mask)
        ms = -1 if timeout is None else math.ceil(timeout * 1000)
        ready = dict(poller.poll(ms))
        events: list[FakeKevent] = []
        for (fd, filt), flags in list(self.registered.items()):
            revents = ready.get(fd, 0)
            if revents & real_select.POLLNVAL:
                del self.registered[(fd, filt)]  # closed: the kernel forgets it
                continue
            hit = real_select.POLLIN if filt == KQ_FILTER_READ else real_select.POLLOUT
            if not revents & (hit | real_select.POLLERR | real_select.POLLHUP):
                continue
            if len(events) == max_events:
                break
            eof = KQ_EV_EOF if revents & real_select.POLLHUP else 0
            events.append(FakeKevent(fd, filt, eof))
            if flags & KQ_EV_ONESHOT:
                del self.registered[(fd, filt)]
        return events


def _fake_select_module() -> types.ModuleType:
    fake = types.ModuleType("select")
    fake.kqueue = FakeKqueue  # type: ignore[attr-defined]
    fake.kevent = FakeKevent  # type: ignore[attr-defined]
    fake.KQ_FILTER_READ = KQ_FILTER_READ  # type: ignore[attr-defined]
    fake.KQ_FILTER_WRITE = KQ_FILTER_WRITE  # type: ignore[attr-defined]
    fake.KQ_EV_ADD = KQ_EV_ADD  # type: ignore[attr-defined]
    fake.KQ_EV_DELETE = KQ_EV_DELETE  # type: ignore[attr-defined]
    fake.KQ_EV_ONESHOT = KQ_EV_ONESHOT  # type: ignore[attr-defined]
    fake.KQ_EV_EOF = KQ_EV_EOF  # type: ignore[attr-defined]
    return fake


def _load_kqueue_module() -> Any:
    """Execute ``_io_kqueue.py`` as if on macOS, with the fake ``select``."""
    import tether._core

    path = Path(tether._core.__file__).parent / "_io_kqueue.py"
    spec = importlib.util.spec_from_file_location("tether._core._io_kqueue_on_fake_select", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    saved_platform, saved_select = sys.platform, sys.modules["select"]
    sys.platform = "darwin"
    sys.modules["select"] = _fake_select_module()
    try:
        spec.loader.exec_module(module)
    finally:
        sys.platform = saved_platform
        sys.modules["select"] = saved_select
    assert module.select.kqueue is FakeKqueue
    return module


kq = _load_kqueue_module()


@pytest.fixture(autouse=True)
def _run_on_kqueue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``tether.run`` in this module uses the kqueue manager."""
    monkeypatch.setattr(tether._core._run, "TheIOManager", kq.KqueueIOManager)
    FakeKqueue.instances.clear()


def kernel() -> FakeKqueue:
    """The fake kqueue of the current run."""
    return FakeKqueue.instances[-1]


def manager() -> Any:
    io_manager = GLOBAL_RUN_CONTEXT.runner.io_manager
    assert isinstance(io_manager, kq.KqueueIOManager)
    return io_manager


def io_statistics() -> Any:
    return tether.lowlevel.current_statistics().io_statistics


def user_keys() -> set[tuple[int, int]]:
    """Registrations in the fake kernel, other than the run's wake-up socket."""
    wakeup_fd = manager()._force_wakeup_fd
    return {key for key in kernel().registered if key[0] != wakeup_fd}


@pytest.fixture
def pair() -> Any:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    with a, b:
        yield a, b


def fill(sock: socket.socket) -> None:
    try:
        while True:
            sock.send(b"x" * 65536)
    except BlockingIOError:
        pass


async def test_the_run_uses_the_kqueue_manager() -> None:
    statistics = io_statistics()
    assert statistics.backend == "kqueue"
    assert statistics.tasks_waiting == 0
    wakeup_fd = manager()._force_wakeup_fd
    assert kernel().registered == {(wakeup_fd, KQ_FILTER_READ): KQ_EV_ADD}


async def test_one_shot_read_wait(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    fd = a.fileno()
    woke: list[str] = []

    async def reader() -> None:
        await tether.lowlevel.wait_readable(a)
        woke.append("read")

    async with tether.open_nursery() as nursery:
        nursery.start_soon(reader)
        await wait_all_tasks_blocked()
        # Registered once, one-shot, for reading only.
        assert (fd, KQ_FILTER_READ, KQ_EV_ADD | KQ_EV_ONESHOT) in kernel().changes
        assert user_keys() == {(fd, KQ_FILTER_READ)}
        assert io_statistics().tasks_waiting == 1
        assert woke == []
        b.send(b"data")
    assert woke == ["read"]
    # The event consumed the one-shot registration: nothing left to delete.
    assert user_keys() == set()
    assert all(change[2] != KQ_EV_DELETE for change in kernel().changes)
    assert io_statistics().tasks_waiting == 0
    # Data is still there: the next wait re-arms and returns at once.
    await tether.lowlevel.wait_readable(a)
    assert kernel().changes.count((fd, KQ_FILTER_READ, KQ_EV_ADD | KQ_EV_ONESHOT)) == 2


async def test_write_wait_after_the_buffer_drains(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    await tether.lowlevel.wait_writable(a)  # writable at once
    fill(a)
    async with tether.open_nursery() as nursery:
        nursery.start_soon(tether.lowlevel.wait_writable, a)
        await wait_all_tasks_blocked()
        assert user_keys() == {(a.fileno(), KQ_FILTER_WRITE)}
        while True:
            try:
                b.recv(1 << 20)
            except BlockingIOError:
                break
    assert user_keys() == set()


async def test_read_and_write_waiters_are_independent(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    fill(a)
    order: list[str] = []

    async def wait(kind: str) -> None:
        fn = tether.lowlevel.wait_readable if kind == "read" else tether.lowlevel.wait_writable
        await fn(a)
        order.append(kind)

    async with tether.open_nursery() as nursery:
        nursery.start_soon(wait, "read")
        nursery.start_soon(wait, "write")
        await wait_all_tasks_blocked()
        assert user_keys() == {(a.fileno(), KQ_FILTER_READ), (a.fileno(), KQ_FILTER_WRITE)}
        b.send(b"x")
        await wait_all_tasks_blocked()
        assert order == ["read"]
        assert user_keys() == {(a.fileno(), KQ_FILTER_WRITE)}
        while True:
            try:
                b.recv(1 << 20)
            except BlockingIOError:
                break
    assert order == ["read", "write"]


async def test_second_waiter_is_busy(pair: tuple[socket.socket, socket.socket]) -> None:
    a, b = pair
    async with tether.open_nursery() as nursery:
        nursery.start_soon(tether.lowlevel.wait_readable, a)
        await wait_all_tasks_blocked()
        changes_before = len(kernel().changes)
        with pytest.raises(tether.BusyResourceError):
            await tether.lowlevel.wait_readable(a)
        with pytest.raises(tether.BusyResourceError):
            await tether.lowlevel.wait_readable(a.fileno())  # same fd, as an int
        with pytest.raises(tether.BusyResourceError):
            tether.lowlevel.watch_readable(a, lambda: None)
        assert len(kernel().changes) == changes_before  # nothing touched the kernel
        # The first waiter is unaffected.
        b.send(b"x")
    assert user_keys() == set()


async def test_notify_closing_wakes_waiters_with_closed_resource_error(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, _b = pair
    fill(a)
    errors: list[type[BaseException]] = []
    callbacks: list[str] = []

    async def wait(fn: Any) -> None:
        try:
            await fn(a)
        except tether.ClosedResourceError as exc:
            errors.append(type(exc))

    async with tether.open_nursery() as nursery:
        nursery.start_soon(wait, tether.lowlevel.wait_readable)
        nursery.start_soon(wait, tether.lowlevel.wait_writable)
        await wait_all_tasks_blocked()
        assert len(user_keys()) == 2
        tether.lowlevel.notify_closing(a)
        assert user_keys() == set()  # both deleted from the kernel
    assert errors == [tether.ClosedResourceError, tether.ClosedResourceError]
    # A persistent watch just ends (its callback is not called).
    watch = tether.lowlevel.watch_writable(a, callbacks.append, "fired")
    assert repr(watch) == f"<ReadinessWatch writable fd={a.fileno()}>"
    tether.lowlevel.notify_closing(a)
    assert not watch.active
    await wait_all_tasks_blocked()
    assert callbacks == []
    assert user_keys() == set()
    tether.lowlevel.notify_closing(a)  # nothing registered: a no-op


async def test_fd_can_be_reused_after_notify_closing() -> None:
    for _ in range(2):
        a, b = socket.socketpair()
        with a, b:
            async with tether.open_nursery() as nursery:
                nursery.start_soon(tether.lowlevel.wait_readable, a)
                await wait_all_tasks_blocked()
                b.send(b"x")
            tether.lowlevel.notify_closing(a)
    assert user_keys() == set()


async def test_cancelled_wait_deletes_the_registration(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    with tether.move_on_after(0.001) as scope:
        await tether.lowlevel.wait_readable(a)
    assert scope.cancelled_caught
    fd = a.fileno()
    assert kernel().changes[-2:] == [
        (fd, KQ_FILTER_READ, KQ_EV_ADD | KQ_EV_ONESHOT),
        (fd, KQ_FILTER_READ, KQ_EV_DELETE),
    ]
    assert user_keys() == set()
    # Waiting again works.
    b.send(b"x")
    await tether.lowlevel.wait_readable(a)


async def test_cancel_after_the_fd_was_closed_behind_our_back() -> None:
    """The kernel dropped the registration with the fd: the EV_DELETE that
    the cancellation sends fails with EBADF, which the manager tolerates."""
    a, b = socket.socketpair()
    with b:
        async with tether.open_nursery() as nursery:
            nursery.start_soon(tether.lowlevel.wait_readable, a)
            await wait_all_tasks_blocked()
            a.close()  # no notify_closing: rude, but must not crash the run
            nursery.cancel_scope.cancel()
    assert nursery.cancel_scope.cancelled_caught
    assert user_keys() == set()


async def test_waiting_on_a_closed_fd_is_an_error() -> None:
    a, b = socket.socketpair()
    fd = a.fileno()
    a.close()
    b.close()
    with pytest.raises(OSError, match="Bad file descriptor") as excinfo:
        await tether.lowlevel.wait_readable(fd)
    assert excinfo.value.errno == errno.EBADF
    with pytest.raises(OSError, match="Bad file descriptor"):
        tether.lowlevel.watch_readable(fd, lambda: None)
    with pytest.raises(TypeError, match="fileno"):
        await tether.lowlevel.wait_readable(object())
    # The failures left nothing behind, in the manager or in the kernel.
    assert manager()._registered == {}
    assert user_keys() == set()


async def test_persistent_watch_is_level_triggered(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    a, b = pair
    fd = a.fileno()
    calls: list[bytes] = []

    def on_readable(tag: str) -> None:
        calls.append(tag.encode() + a.recv(1))

    watch = tether.lowlevel.watch_readable(a, on_readable, "r")
    assert watch.active
    assert repr(watch) == f"<ReadinessWatch readable fd={fd}>"  # as on epoll
    assert (fd, KQ_FILTER_READ, KQ_EV_ADD) in kernel().changes  # not one-shot
    assert io_statistics().watches == 1
    await wait_all_tasks_blocked()
    assert calls == []
    b.send(b"xyz")
    # Level-triggered: reported again on each poll until drained, one byte
    # read per callback, with a single registration.
    while len(calls) < 3:
        await tether.lowlevel.checkpoint()
    assert calls == [b"rx", b"ry", b"rz"]
    assert kernel().changes.count((fd, KQ_FILTER_READ, KQ_EV_ADD)) == 1
    await wait_all_tasks_blocked()
    assert calls == [b"rx", b"ry", b"rz"]
    # A one-shot writer coexists with the reading watch on the same fd.
    await tether.lowlevel.wait_writable(a)
    watch.cancel()
    watch.cancel()  # idempotent
    assert not watch.active
    assert repr(watch) == f"<ReadinessWatch readable fd={fd} (cancelled)>"
    assert (fd, KQ_FILTER_READ, KQ_EV_DELETE) in kernel().changes
    assert user_keys() == set()
    assert io_statistics().watches == 0
    b.send(b"q")
    await wait_all_tasks_blocked()
    assert calls == [b"rx", b"ry", b"rz"]


async def test_cross_thread_wakeup_interrupts_an_unbounded_wait() -> None:
    token = tether.lowlevel.current_trio_token()
    fake = kernel()

    def wake_when_blocked(scope: tether.CancelScope) -> None:
        # Only once the run is inside control() with a long timeout.
        fake.blocking.wait()
        token.run_sync_soon(scope.cancel)

    with tether.CancelScope() as scope:
        thread = threading.Thread(target=wake_when_blocked, args=(scope,))
        thread.start()
        # No deadline and no other task: only the wake-up socket can end the wait.
        await tether.sleep_forever()
    thread.join()
    assert scope.cancelled_caught
    assert 86400.0 in fake.timeouts, fake.timeouts  # the sanity cap on an unbounded wait


async def test_socket_streams_over_loopback_tcp() -> None:
    """tether's sockets, streams and serve loop, end to end, on this manager."""

    async def echo(stream: tether.SocketStream) -> None:
        async for chunk in stream:
            await stream.send_all(chunk)

    payload = os.urandom(4 << 20)
    async with tether.open_nursery() as nursery:
        listeners = await nursery.start(tether.serve_tcp, echo, 0)
        port = listeners[0].socket.getsockname()[1]
        host = "127.0.0.1" if listeners[0].socket.family == socket.AF_INET else "::1"
        async with await tether.open_tcp_stream(host, port) as client:
            received = bytearray()

            async def receive() -> None:
                while len(received) < len(payload):
                    received.extend(await client.receive_some())

            async with tether.open_nursery() as inner:
                inner.start_soon(receive)
                await client.send_all(payload)
            assert received == payload
        nursery.cancel_scope.cancel()


def test_the_kqueue_is_closed_with_the_run() -> None:
    async def main() -> FakeKqueue:
        return kernel()

    fake = tether.run(main)
    assert fake.closed


async def test_socket_layer_waits_are_one_shot_registrations() -> None:
    """The socket layer's wait after EAGAIN (``arm_retry``) is a plain
    one-shot registration here: no cached state, so no call is ever skipped."""
    a, b = tether.socket.socketpair()
    with a, b:
        fd = a.fileno()
        got: list[bytes] = []

        async def receive() -> None:
            got.append(await a.recv(10))

        async with tether.open_nursery() as nursery:
            nursery.start_soon(receive)
            await wait_all_tasks_blocked()
            assert user_keys() == {(fd, KQ_FILTER_READ)}
            assert kernel().registered[(fd, KQ_FILTER_READ)] & KQ_EV_ONESHOT
            with pytest.raises(tether.BusyResourceError):
                await a.recv(10)
            await b.send(b"x")
        assert got == [b"x"]
        assert user_keys() == set()
        assert a._io_state is None  # type: ignore[attr-defined]

        # Cancelled while registered: the registration goes with the task.
        with tether.move_on_after(0.01) as scope:
            await a.recv(10)
        assert scope.cancelled_caught
        assert user_keys() == set()
        assert io_statistics().tasks_waiting == 0
