"""The epoll I/O manager (Linux).

Each file descriptor may have at most one task waiting to read and one
waiting to write, and at most one persistent watch per direction. The
kernel's registration for an fd is in one of two modes:

* **edge mode** (fds that only tasks wait on): registered with
  ``EPOLLET`` the first time a task waits, for the directions waited on so
  far, and kept for the life of the fd (until :func:`notify_closing`, or
  until the kernel drops it because the file was closed). An event wakes the
  waiting task, if any, and needs no system call. A plain ``wait_readable``
  / ``wait_writable`` still makes one ``epoll_ctl`` call per wait: that
  re-checks the fd's current readiness, so a wait on an fd that is already
  ready returns at once, exactly as a one-shot registration would. Only the
  socket layer, which waits right after a system call failed with
  ``EAGAIN``, skips it (:meth:`EpollIOManager.arm_retry`): after ``EAGAIN``
  the kernel guarantees an edge once the fd becomes ready, which is the
  usage epoll(7) documents for edge-triggered mode.
* **short reads** (edge mode): a read registration also asks for
  ``EPOLLRDHUP | EPOLLPRI``, so that the peer's end of file, a reset
  (``EPOLLERR``, ``EPOLLHUP``) and urgent data are reported with a flag of
  their own. Until the fd's first such event, ``_FdState.short_read_drains``
  is true, and a TCP ``SocketStream.receive_some`` whose ``recv`` returned
  fewer bytes than asked takes the socket as drained (sets
  ``read_blocked``), so its next call waits at once, without a ``recv``
  that would fail with ``EAGAIN``. Why that is safe: a short ``recv`` on
  TCP copies everything queued, except when it stops at the peer's FIN, at
  an error, or at the urgent-data mark, and each of those is reported by an
  event with one of the extra flags. That event was either consumed before
  the short read (it turned the shortcut off for good, so the read marked
  nothing) or is still to come (it clears ``read_blocked`` and wakes the
  reader). Plain data that arrives after the read makes a new edge, as
  after ``EAGAIN``; a new registration re-checks readiness, so whatever is
  pending then is reported too.
* **level mode** (an fd with a persistent watch, see
  :func:`tether.lowlevel.watch_readable`): registered level-triggered for
  exactly the wanted directions, re-registered when a task's wait ends.

Closing: epoll tracks *file descriptions*, but reports *file descriptors*.
:func:`notify_closing` (which tether's sockets call before closing) wakes
the waiters with :exc:`~tether.ClosedResourceError` and removes the
registration, so a later fd with the same number starts from scratch. An fd
closed behind our back leaves a stale entry here; the next plain wait on
that number re-registers (``EPOLL_CTL_MOD`` fails with ``ENOENT``, so
``EPOLL_CTL_ADD``), and the socket layer's no-syscall path is only taken
for the socket object that made the registration.
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
    from typing import Protocol

    from ._task import Task
    from ._traps import RaiseCancelT

    FileDescriptorLike = int | socket.socket | object

    class _StateHolder(Protocol):
        """An object that caches an fd's state (a tether socket)."""

        _io_state: _FdState | None


_EPOLLIN = select.EPOLLIN
_EPOLLOUT = select.EPOLLOUT
_EPOLLET = select.EPOLLET
_EPOLLRDHUP = select.EPOLLRDHUP
_EPOLLPRI = select.EPOLLPRI
# Edge mode's read registration: the peer's end of file and urgent data
# have flags of their own (see "short reads" in the module docstring).
_EPOLLIN_ET = _EPOLLIN | _EPOLLET | _EPOLLRDHUP | _EPOLLPRI
_EPOLLOUT_ET = _EPOLLOUT | _EPOLLET
_INF = math.inf
# Event flags that wake a reader (anything but EPOLLOUT: data, end of file,
# urgent data, hang-up, error) and a writer (anything but the read-side
# flags: writability, hang-up, error).
_WAKES_READER = ~_EPOLLOUT
_WAKES_WRITER = ~(_EPOLLIN | _EPOLLRDHUP | _EPOLLPRI)
# Flags other than plain readability or writability: seeing one turns the
# fd's short-read shortcut off for good.
_EXCEPTIONAL = ~(_EPOLLIN | _EPOLLOUT)


class _FdState:
    """What the manager knows about one registered fd."""

    __slots__ = (
        "armed",
        "fd",
        "manager",
        "read_blocked",
        "read_task",
        "read_watch",
        "short_read_drains",
        "unusual_event_seen",
        "write_blocked",
        "write_task",
        "write_watch",
    )

    def __init__(self, manager: EpollIOManager, fd: int) -> None:
        self.manager = manager
        self.fd = fd
        self.read_task: Task | None = None
        self.write_task: Task | None = None
        self.read_watch: ReadinessWatch | None = None
        self.write_watch: ReadinessWatch | None = None
        # The event mask the kernel holds for the fd: 0 if none, EPOLLET set
        # in edge mode.
        self.armed = 0
        # The readiness cache of edge mode: True from a system call that
        # failed with EAGAIN (see arm_retry) until the next event for that
        # direction (or any change of registration). While it is True the
        # call is known to fail again, so the socket layer waits at once.
        self.read_blocked = False
        self.write_blocked = False
        # Whether a short read may set read_blocked (the socket is drained):
        # only while registered in edge mode for reads, and never again once
        # an event other than plain readability or writability was seen.
        self.short_read_drains = False
        self.unusual_event_seen = False

    def wanted_flags(self) -> int:
        flags = 0
        if self.read_task is not None or self.read_watch is not None:
            flags |= _EPOLLIN
        if self.write_task is not None or self.write_watch is not None:
            flags |= _EPOLLOUT
        return flags

    # Abort functions for wait_task_rescheduled (bound methods: no closure
    # per wait). An abort runs only while the task is parked here.

    def abort_read(self, _: RaiseCancelT) -> Abort:
        if self.read_task is not None:
            self.read_task = None
            if not self.armed & _EPOLLET:
                self.manager._abort_sync(self)
        return Abort.SUCCEEDED

    def abort_write(self, _: RaiseCancelT) -> Abort:
        if self.write_task is not None:
            self.write_task = None
            if not self.armed & _EPOLLET:
                self.manager._abort_sync(self)
        return Abort.SUCCEEDED


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
        state = self._manager._registered.get(self.fd)
        if state is None:
            return False
        current = state.read_watch if self._readable else state.write_watch
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
        self._registered: dict[int, _FdState] = {}
        self._force_wakeup = WakeupSocketpair()
        self._force_wakeup_fd = self._force_wakeup.wakeup_sock.fileno()
        self._epoll.register(self._force_wakeup_fd, _EPOLLIN)

    def statistics(self) -> EpollStatistics:
        reads = sum(1 for w in self._registered.values() if w.read_task is not None)
        writes = sum(1 for w in self._registered.values() if w.write_task is not None)
        return EpollStatistics(tasks_waiting_read=reads, tasks_waiting_write=writes)

    def close(self) -> None:
        for state in self._registered.values():
            # A socket may outlive the run: its cached state must not make
            # it skip a call in a later run.
            state.read_blocked = state.write_blocked = False
            state.short_read_drains = False
        self._epoll.close()
        self._force_wakeup.close()

    def force_wakeup(self) -> None:
        self._force_wakeup.wakeup_thread_and_signal_safe()

    def get_events(self, timeout: float) -> list[tuple[int, int]]:
        # epoll_wait takes milliseconds; Python rounds the float up, so we
        # never wake before the deadline and then spin.
        # (+1: the wake-up socket is registered but not in _registered.)
        if timeout == _INF:
            timeout = -1
        return self._epoll.poll(timeout, len(self._registered) + 1)

    def process_events(self, events: list[tuple[int, int]]) -> None:
        registered = self._registered
        for fd, flags in events:
            state = registered.get(fd)
            if state is None:
                if fd == self._force_wakeup_fd:
                    self._force_wakeup.drain()
                # else: closed underneath us (a stale event)
                continue
            if state.armed & _EPOLLET:
                # Edge mode: the registration stays as it is; no system call.
                # (Writers before readers, as in level mode below.)
                if flags & _WAKES_WRITER:
                    state.write_blocked = False
                    task = state.write_task
                    if task is not None:
                        state.write_task = None
                        task._runner.reschedule(task, VALUE_NONE)
                if flags & _WAKES_READER:
                    state.read_blocked = False
                    if flags & _EXCEPTIONAL:
                        state.short_read_drains = False
                        state.unusual_event_seen = True
                    task = state.read_task
                    if task is not None:
                        state.read_task = None
                        task._runner.reschedule(task, VALUE_NONE)
                continue
            # Level mode. Watches: readers before writers, as asyncio's
            # selector loop runs them.
            if flags & _WAKES_READER and state.read_watch is not None:
                self._fire(state.read_watch)
            if flags & _WAKES_WRITER and state.write_watch is not None:
                self._fire(state.write_watch)
            if flags & _WAKES_WRITER and state.write_task is not None:
                task = state.write_task
                state.write_task = None
                task._runner.reschedule(task, VALUE_NONE)
            if flags & _WAKES_READER and state.read_task is not None:
                task = state.read_task
                state.read_task = None
                task._runner.reschedule(task, VALUE_NONE)
            self._sync(fd, state)

    def _sync(self, fd: int, state: _FdState, *, recheck: bool = False) -> None:
        """Bring the kernel's registration for ``fd`` in line with ``state``.

        ``recheck`` makes the ``epoll_ctl`` call even if nothing changed: in
        edge mode that re-checks the fd's readiness (an fd that is ready now
        gets an event), which a wait that knows nothing of the fd needs.
        """
        if state.read_watch is not None or state.write_watch is not None:
            # Level mode: armed for exactly what is wanted, while it lasts.
            wanted = state.wanted_flags()
        else:
            wanted = 0
            if state.read_task is not None:
                wanted = _EPOLLIN_ET
            if state.write_task is not None:
                wanted |= _EPOLLOUT_ET
            if state.armed & _EPOLLET:
                # Edge mode keeps its registration (for every direction
                # waited on so far) when nobody waits.
                wanted |= state.armed
        if wanted == state.armed and not recheck:
            return
        if wanted == 0:
            if state.armed:
                try:
                    self._epoll.unregister(fd)
                except OSError:  # pragma: no cover - fd already closed
                    pass
            state.armed = 0
            state.short_read_drains = False
            if self._registered.get(fd) is state:
                del self._registered[fd]
            return
        try:
            if state.armed:
                try:
                    self._epoll.modify(fd, wanted)
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise
                    # The fd was closed and its number reused behind our back.
                    self._epoll.register(fd, wanted)
            else:
                try:
                    self._epoll.register(fd, wanted)
                except FileExistsError:
                    self._epoll.modify(fd, wanted)
        except OSError as exc:
            # Bad fd, or one epoll cannot watch (a regular file): wake the
            # waiters with the error rather than leaving them asleep forever.
            state.armed = 0
            state.read_blocked = state.write_blocked = False
            state.short_read_drains = False
            if self._registered.get(fd) is state:
                del self._registered[fd]
            state.read_watch = state.write_watch = None
            read_task, write_task = state.read_task, state.write_task
            state.read_task = state.write_task = None
            wake_all({"read_task": read_task, "write_task": write_task}, exc)
            if read_task is None and write_task is None:
                raise
            return
        state.armed = wanted
        # A new registration reports the fd's current readiness: forget
        # what EAGAIN told us.
        state.read_blocked = state.write_blocked = False
        state.short_read_drains = (
            wanted & _EPOLLIN_ET == _EPOLLIN_ET and not state.unusual_event_seen
        )

    def _abort_sync(self, state: _FdState) -> None:
        # A level-mode (or unregistered) wait was cancelled.
        if self._registered.get(state.fd) is state:
            self._sync(state.fd, state)

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
        state = self._registered.get(fdno)
        if state is None:
            state = self._registered[fdno] = _FdState(self, fdno)
        attr = "read" if readable else "write"
        if getattr(state, f"{attr}_watch") is not None or (
            getattr(state, f"{attr}_task") is not None
        ):
            raise BusyResourceError(
                f"something is already waiting for this file descriptor to be {attr}able"
            )
        watch = ReadinessWatch(self, fdno, readable, callback, args, context)
        setattr(state, f"{attr}_watch", watch)
        try:
            self._sync(fdno, state)
        except OSError:
            setattr(state, f"{attr}_watch", None)
            if (
                not state.wanted_flags()
                and not state.armed
                and self._registered.get(fdno) is state
            ):
                del self._registered[fdno]
            raise
        return watch

    def _unwatch(self, fd: int, readable: bool) -> None:
        state = self._registered[fd]
        if readable:
            state.read_watch = None
        else:
            state.write_watch = None
        self._sync(fd, state)

    # -- task waits -------------------------------------------------------------

    @enable_ki_protection
    def _start_wait(self, fdno: int, readable: bool) -> _FdState:
        """Make the current task the fd's reader (or writer) and register it
        with a readiness re-check; return the fd's state."""
        task = GLOBAL_RUN_CONTEXT.task
        state = self._registered.get(fdno)
        if state is None:
            state = self._registered[fdno] = _FdState(self, fdno)
        if readable:
            if state.read_task is not None or state.read_watch is not None:
                raise BusyResourceError(
                    "another task is already waiting to read from this file descriptor"
                )
            state.read_task = task
        else:
            if state.write_task is not None or state.write_watch is not None:
                raise BusyResourceError(
                    "another task is already waiting to write to this file descriptor"
                )
            state.write_task = task
        # An error wakes this task with it (after a schedule point), as if
        # the wait had ended with it.
        self._sync(fdno, state, recheck=True)
        return state

    @enable_ki_protection
    def arm_retry(
        self, fd: int, holder: _StateHolder, readable: bool
    ) -> Callable[[RaiseCancelT], Abort]:
        """Register the current task to be woken when ``fd`` is readable (or
        writable), right after a non-blocking call on it failed with
        ``EAGAIN``; return the abort function to park with.

        For the socket layer. ``holder`` is the socket object: its
        ``_io_state`` caches the fd's state, so its later waits on an fd
        already in edge mode make no system call (none is needed right
        after ``EAGAIN``, see the module docstring). A state made for
        another object with the same fd number is never trusted that way:
        the first wait of each holder re-registers with a re-check.
        """
        state = holder._io_state
        if state is not None and self._registered.get(fd) is state:
            if readable:
                if state.armed & _EPOLLIN_ET == _EPOLLIN_ET:
                    if state.read_task is not None:
                        raise BusyResourceError(
                            "another task is already waiting to read from this file descriptor"
                        )
                    state.read_task = GLOBAL_RUN_CONTEXT.task
                    state.read_blocked = True
                    return state.abort_read
            elif state.armed & _EPOLLOUT_ET == _EPOLLOUT_ET:
                if state.write_task is not None:
                    raise BusyResourceError(
                        "another task is already waiting to write to this file descriptor"
                    )
                state.write_task = GLOBAL_RUN_CONTEXT.task
                state.write_blocked = True
                return state.abort_write
        # First wait of this holder, or not in edge mode for this direction:
        # register with a re-check.
        state = self._start_wait(fd, readable)
        if state.armed & _EPOLLET:
            holder._io_state = state
            # The call just failed with EAGAIN; the re-check above queues an
            # event if that is already stale.
            if readable:
                state.read_blocked = True
            else:
                state.write_blocked = True
        return state.abort_read if readable else state.abort_write

    async def _wait_common(self, fd: FileDescriptorLike, readable: bool) -> None:
        state = self._start_wait(_fileno(fd), readable)
        await wait_task_rescheduled(state.abort_read if readable else state.abort_write)

    @enable_ki_protection
    async def wait_readable(self, fd: FileDescriptorLike) -> None:
        """Block until ``fd`` can be read from (see :func:`tether.lowlevel.wait_readable`)."""
        await self._wait_common(fd, True)

    @enable_ki_protection
    async def wait_writable(self, fd: FileDescriptorLike) -> None:
        """Block until ``fd`` can be written to (see :func:`tether.lowlevel.wait_writable`)."""
        await self._wait_common(fd, False)

    @enable_ki_protection
    def notify_closing(self, fd: FileDescriptorLike) -> None:
        """Wake the waiters on ``fd`` with ClosedResourceError (see
        :func:`tether.lowlevel.notify_closing`)."""
        fdno = _fileno(fd)
        state = self._registered.pop(fdno, None)
        if state is None:
            return
        read_task, write_task = state.read_task, state.write_task
        state.read_task = state.write_task = None
        # Watches just end: the fd is going away.
        state.read_watch = state.write_watch = None
        state.read_blocked = state.write_blocked = False
        state.short_read_drains = False
        if state.armed:
            state.armed = 0
            # Drop the registration now: if the file outlives this fd (a
            # dup, a forked child), it would otherwise go on reporting
            # events under a number that may be reused. (A forked child,
            # which shares this epoll instance, never gets here: the run
            # context is cleared in the child, see _run._after_fork_in_child.)
            try:
                self._epoll.unregister(fdno)
            except OSError:  # pragma: no cover - closed already
                pass
        wake_all(
            {"read_task": read_task, "write_task": write_task},
            ClosedResourceError("another task closed this fd"),
        )
