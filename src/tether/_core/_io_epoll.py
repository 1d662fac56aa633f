"""The epoll I/O manager (Linux).

Each file descriptor may have at most one task waiting to read and one
waiting to write. Registrations use ``EPOLLONESHOT``: when an event fires,
epoll disarms the fd, we wake the waiter(s), and the next wait re-arms it
with one ``epoll_ctl``. That keeps the kernel's state equal to ours without
ever having to ask it.

One subtlety: epoll tracks *file descriptions*, but we register *file
descriptors*. If user code closes an fd behind our back, the kernel drops
the registration on its own; :func:`notify_closing` is the polite way, which
also wakes the waiters with :exc:`~tether.ClosedResourceError`.
"""

from __future__ import annotations

import errno
import math
import select
from typing import TYPE_CHECKING

import attrs

from ._callbacks import CallbackHandle
from ._context import GLOBAL_RUN_CONTEXT
from ._exceptions import BusyResourceError, ClosedResourceError
from ._io_common import wake_all
from ._ki import enable_ki_protection
from ._traps import VALUE_NONE, Abort, wait_task_rescheduled
from ._wakeup_socketpair import WakeupSocketpair

if TYPE_CHECKING:
    import contextvars
    import socket
    from collections.abc import Callable

    from ._task import Task
    from ._traps import RaiseCancelT

    FileDescriptorLike = int | socket.socket | object

_EPOLLIN = select.EPOLLIN
_EPOLLOUT = select.EPOLLOUT
_EPOLLERR_HUP = select.EPOLLERR | select.EPOLLHUP
_EPOLLONESHOT = select.EPOLLONESHOT


class _Waiters:
    __slots__ = (
        "current_flags",
        "current_persistent",
        "read_task",
        "read_watch",
        "write_task",
        "write_watch",
    )

    def __init__(self) -> None:
        self.read_task: Task | None = None
        self.write_task: Task | None = None
        self.read_watch: ReadinessWatch | None = None
        self.write_watch: ReadinessWatch | None = None
        # What the kernel has: the armed flags, and whether without ONESHOT.
        self.current_flags = 0
        self.current_persistent = False

    def wanted_flags(self) -> int:
        flags = 0
        if self.read_task is not None or self.read_watch is not None:
            flags |= _EPOLLIN
        if self.write_task is not None or self.write_watch is not None:
            flags |= _EPOLLOUT
        return flags

    def persistent(self) -> bool:
        return self.read_watch is not None or self.write_watch is not None


class ReadinessWatch:
    """A persistent readiness watch (see :func:`tether.lowlevel.watch_readable`).

    Attributes:
        fd: the watched file descriptor.
        callback: called (with ``args``) from the run queue in every loop
            iteration in which the fd is reported ready.
    """

    __slots__ = ("_handle", "_manager", "_readable", "args", "callback", "context", "fd")

    def __init__(
        self,
        manager: EpollIOManager,
        fd: int,
        readable: bool,
        callback: Callable[..., object],
        args: tuple[object, ...],
        context: contextvars.Context | None,
    ) -> None:
        self._manager = manager
        self.fd = fd
        self._readable = readable
        self.callback = callback
        self.args = args
        self.context = context

    def __repr__(self) -> str:
        kind = "readable" if self._readable else "writable"
        state = "" if self.active else " (cancelled)"
        return f"<ReadinessWatch {kind} fd={self.fd}{state}>"

    @property
    def active(self) -> bool:
        """Whether the watch is still installed."""
        waiters = self._manager._registered.get(self.fd)
        if waiters is None:
            return False
        current = waiters.read_watch if self._readable else waiters.write_watch
        return current is self

    def cancel(self) -> None:
        """Stop watching. Idempotent; a callback already queued still runs
        unless it was queued in this same loop iteration's batch."""
        if self.active:
            self._manager._unwatch(self.fd, self._readable)


@attrs.frozen
class EpollStatistics:
    """What :func:`tether.lowlevel.current_statistics` reports about epoll.

    Attributes:
        tasks_waiting_read: tasks blocked in ``wait_readable``.
        tasks_waiting_write: tasks blocked in ``wait_writable``.
    """

    tasks_waiting_read: int
    tasks_waiting_write: int
    backend: str = "epoll"


def _fileno(fd: FileDescriptorLike) -> int:
    if isinstance(fd, int):
        return fd
    fileno = getattr(fd, "fileno", None)
    if fileno is None:
        raise TypeError(f"expected a file descriptor or an object with fileno(), got {fd!r}")
    result = fileno()
    if not isinstance(result, int):  # pragma: no cover
        raise TypeError("fileno() must return an int")
    return result


class EpollIOManager:
    """See the module docstring."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._registered: dict[int, _Waiters] = {}
        self._force_wakeup = WakeupSocketpair()
        self._force_wakeup_fd = self._force_wakeup.wakeup_sock.fileno()
        self._epoll.register(self._force_wakeup_fd, _EPOLLIN)

    def statistics(self) -> EpollStatistics:
        reads = sum(1 for w in self._registered.values() if w.read_task is not None)
        writes = sum(1 for w in self._registered.values() if w.write_task is not None)
        return EpollStatistics(tasks_waiting_read=reads, tasks_waiting_write=writes)

    def close(self) -> None:
        self._epoll.close()
        self._force_wakeup.close()

    def force_wakeup(self) -> None:
        self._force_wakeup.wakeup_thread_and_signal_safe()

    def get_events(self, timeout: float) -> list[tuple[int, int]]:
        # epoll_wait takes milliseconds; Python rounds the float up, so we
        # never wake before the deadline and then spin.
        max_events = max(1, len(self._registered))
        if timeout == math.inf:
            timeout = -1
        return self._epoll.poll(timeout, max_events)

    def process_events(self, events: list[tuple[int, int]]) -> None:
        registered = self._registered
        for fd, flags in events:
            if fd == self._force_wakeup_fd:
                self._force_wakeup.drain()
                continue
            waiters = registered.get(fd)
            if waiters is None:  # pragma: no cover - closed underneath us
                continue
            if not waiters.current_persistent:
                # ONESHOT: epoll has disarmed the fd.
                waiters.current_flags = 0
            # Readers before writers, as asyncio's selector loop runs them.
            if flags & ~_EPOLLOUT and waiters.read_watch is not None:
                self._fire(waiters.read_watch)
            if flags & ~_EPOLLIN and waiters.write_watch is not None:
                self._fire(waiters.write_watch)
            if flags & ~_EPOLLIN and waiters.write_task is not None:
                task = waiters.write_task
                waiters.write_task = None
                task._runner.reschedule(task, VALUE_NONE)
            if flags & ~_EPOLLOUT and waiters.read_task is not None:
                task = waiters.read_task
                waiters.read_task = None
                task._runner.reschedule(task, VALUE_NONE)
            self._update_registrations(fd)

    def _update_registrations(self, fd: int) -> None:
        waiters = self._registered[fd]
        wanted = waiters.wanted_flags()
        if wanted == 0:
            if waiters.current_flags:
                try:
                    self._epoll.unregister(fd)
                except OSError:  # pragma: no cover - fd already closed
                    pass
            del self._registered[fd]
            return
        persistent = waiters.persistent()
        if wanted == waiters.current_flags and persistent == waiters.current_persistent:
            return
        # Persistent watches need a level-triggered registration that stays
        # armed (no syscall per event); one-shot waits alone use ONESHOT.
        flags = wanted if persistent else wanted | _EPOLLONESHOT
        try:
            try:
                self._epoll.modify(fd, flags)
            except OSError as exc:
                if exc.errno != errno.ENOENT:
                    raise
                self._epoll.register(fd, flags)
            waiters.current_flags = wanted
            waiters.current_persistent = persistent
        except OSError as exc:
            # Bad fd, or one epoll cannot watch (a regular file): wake the
            # waiters with the error rather than leaving them asleep forever.
            del self._registered[fd]
            waiters.read_watch = waiters.write_watch = None
            wake_all({"read_task": waiters.read_task, "write_task": waiters.write_task}, exc)
            if waiters.read_task is None and waiters.write_task is None:
                raise

    # -- persistent watches ---------------------------------------------------

    def _fire(self, watch: ReadinessWatch) -> None:
        runner = GLOBAL_RUN_CONTEXT.runner
        runner.runq.append(CallbackHandle(runner, watch.callback, watch.args, watch.context))

    def watch(
        self,
        fd: FileDescriptorLike,
        readable: bool,
        callback: Callable[..., object],
        args: tuple[object, ...],
        context: contextvars.Context | None,
    ) -> ReadinessWatch:
        fdno = _fileno(fd)
        waiters = self._registered.get(fdno)
        if waiters is None:
            waiters = self._registered[fdno] = _Waiters()
        attr = "read" if readable else "write"
        if getattr(waiters, f"{attr}_watch") is not None or (
            getattr(waiters, f"{attr}_task") is not None
        ):
            raise BusyResourceError(
                f"something is already waiting for this file descriptor to be {attr}able"
            )
        watch = ReadinessWatch(self, fdno, readable, callback, args, context)
        setattr(waiters, f"{attr}_watch", watch)
        try:
            self._update_registrations(fdno)
        except OSError:
            setattr(waiters, f"{attr}_watch", None)
            if not waiters.wanted_flags():
                self._registered.pop(fdno, None)
            raise
        return watch

    def _unwatch(self, fd: int, readable: bool) -> None:
        waiters = self._registered[fd]
        if readable:
            waiters.read_watch = None
        else:
            waiters.write_watch = None
        self._update_registrations(fd)

    async def _wait_common(self, fd: FileDescriptorLike, attr: str) -> None:
        fdno = _fileno(fd)
        task = GLOBAL_RUN_CONTEXT.task
        waiters = self._registered.get(fdno)
        if waiters is None:
            waiters = self._registered[fdno] = _Waiters()
        watch_attr = "read_watch" if attr == "read_task" else "write_watch"
        if getattr(waiters, attr) is not None or getattr(waiters, watch_attr) is not None:
            raise BusyResourceError(
                "another task is already waiting to "
                + ("read from" if attr == "read_task" else "write to")
                + " this file descriptor"
            )
        setattr(waiters, attr, task)
        self._update_registrations(fdno)

        def abort(_: RaiseCancelT) -> Abort:
            current = self._registered.get(fdno)
            if current is not None and getattr(current, attr) is task:
                setattr(current, attr, None)
                self._update_registrations(fdno)
            return Abort.SUCCEEDED

        await wait_task_rescheduled(abort)

    @enable_ki_protection
    async def wait_readable(self, fd: FileDescriptorLike) -> None:
        """Block until ``fd`` can be read from (see :func:`tether.lowlevel.wait_readable`)."""
        await self._wait_common(fd, "read_task")

    @enable_ki_protection
    async def wait_writable(self, fd: FileDescriptorLike) -> None:
        """Block until ``fd`` can be written to (see :func:`tether.lowlevel.wait_writable`)."""
        await self._wait_common(fd, "write_task")

    @enable_ki_protection
    def notify_closing(self, fd: FileDescriptorLike) -> None:
        """Wake the waiters on ``fd`` with ClosedResourceError (see
        :func:`tether.lowlevel.notify_closing`)."""
        fdno = _fileno(fd)
        waiters = self._registered.get(fdno)
        if waiters is None:
            return
        wake_all(
            {"read_task": waiters.read_task, "write_task": waiters.write_task},
            ClosedResourceError("another task closed this fd"),
        )
        waiters.read_task = None
        waiters.write_task = None
        # Watches just end: the fd is going away.
        waiters.read_watch = None
        waiters.write_watch = None
        self._update_registrations(fdno)
