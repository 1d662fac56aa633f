"""The kqueue I/O manager (macOS and the BSDs).

Same interface as the epoll manager (``_io_epoll``). kqueue keys its
registrations by ``(fd, filter)``, so reading and writing are independent:
a one-shot wait registers with ``EV_ONESHOT`` (the kernel drops it after the
event), a persistent watch without it (level-triggered: it stays armed, and
reports readiness on every ``kevent`` call while it lasts).

Only Linux is tested here (the project's CI machines); this backend is kept
behind the same interface so the rest of tether does not change when it runs
on a BSD. The body is defined only off Linux, so type checkers on Linux skip it.
Its logic (not the real kernel path) is exercised on Linux by
``tests/tether/test_io_kqueue_fake.py``, which runs this file over a fake
``select.kqueue``.
"""

from __future__ import annotations

import sys

if sys.platform != "linux" and sys.platform != "win32":
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
        from collections.abc import Callable

        from ._task import Task
        from ._traps import RaiseCancelT

    def _fileno(fd: object) -> int:
        if isinstance(fd, int):
            return fd
        fileno = getattr(fd, "fileno", None)
        if fileno is None:
            raise TypeError(f"expected a file descriptor or an object with fileno(), got {fd!r}")
        return int(fileno())

    @attrs.frozen
    class KqueueStatistics:
        """What :func:`tether.lowlevel.current_statistics` reports about kqueue."""

        tasks_waiting: int
        watches: int
        backend: str = "kqueue"

    class KqueueReadinessWatch:
        """A persistent readiness watch on kqueue (see ``watch_readable``)."""

        __slots__ = ("_key", "_manager", "args", "callback", "context", "fd")

        def __init__(
            self,
            manager: KqueueIOManager,
            key: tuple[int, int],
            callback: Callable[..., object],
            args: tuple[object, ...],
            context: contextvars.Context | None,
        ) -> None:
            self._manager = manager
            self._key = key
            self.fd = key[0]
            self.callback = callback
            self.args = args
            self.context = context

        def __repr__(self) -> str:
            kind = "readable" if self._key[1] == select.KQ_FILTER_READ else "writable"
            state = "" if self.active else " (cancelled)"
            return f"<ReadinessWatch {kind} fd={self.fd}{state}>"

        @property
        def active(self) -> bool:
            """Whether the watch is still installed."""
            return self._manager._registered.get(self._key) is self

        def cancel(self) -> None:
            """Stop watching. Idempotent."""
            if self.active:
                del self._manager._registered[self._key]
                self._manager._control(self._key, select.KQ_EV_DELETE)

    class KqueueIOManager:
        """See the module docstring."""

        def __init__(self) -> None:
            self._kqueue = select.kqueue()
            self._registered: dict[tuple[int, int], Task | KqueueReadinessWatch] = {}
            self._force_wakeup = WakeupSocketpair()
            self._force_wakeup_fd = self._force_wakeup.wakeup_sock.fileno()
            self._control((self._force_wakeup_fd, select.KQ_FILTER_READ), select.KQ_EV_ADD)

        def _control(self, key: tuple[int, int], flags: int) -> None:
            event = select.kevent(key[0], key[1], flags)
            try:
                self._kqueue.control([event], 0)
            except OSError as exc:
                if flags & select.KQ_EV_DELETE and exc.errno in (errno.ENOENT, errno.EBADF):
                    return  # already gone (a one-shot that fired, a closed fd)
                raise

        def statistics(self) -> KqueueStatistics:
            tasks = sum(
                1 for w in self._registered.values() if not isinstance(w, KqueueReadinessWatch)
            )
            return KqueueStatistics(tasks_waiting=tasks, watches=len(self._registered) - tasks)

        def close(self) -> None:
            self._kqueue.close()
            self._force_wakeup.close()

        def force_wakeup(self) -> None:
            self._force_wakeup.wakeup_thread_and_signal_safe()

        def get_events(self, timeout: float) -> list[select.kevent]:
            max_events = len(self._registered) + 1
            return self._kqueue.control([], max_events, None if timeout == math.inf else timeout)

        def process_events(self, events: list[select.kevent]) -> None:
            for event in events:
                key = (event.ident, event.filter)
                if event.ident == self._force_wakeup_fd:
                    self._force_wakeup.drain()
                    continue
                waiter = self._registered.get(key)
                if waiter is None:
                    continue
                if isinstance(waiter, KqueueReadinessWatch):
                    runner = GLOBAL_RUN_CONTEXT.runner
                    runner.runq.append(
                        CallbackHandle(runner, waiter.callback, waiter.args, waiter.context)
                    )
                else:
                    del self._registered[key]  # EV_ONESHOT: the kernel dropped it too
                    waiter._runner.reschedule(waiter, VALUE_NONE)

        @enable_ki_protection
        def _start_wait(self, fdno: int, filter: int) -> Callable[[RaiseCancelT], Abort]:
            key = (fdno, filter)
            if key in self._registered:
                raise BusyResourceError(
                    "another task is already waiting on this file descriptor"
                )
            task = GLOBAL_RUN_CONTEXT.task
            self._control(key, select.KQ_EV_ADD | select.KQ_EV_ONESHOT)
            self._registered[key] = task

            def abort(_: RaiseCancelT) -> Abort:
                if self._registered.get(key) is task:
                    del self._registered[key]
                    self._control(key, select.KQ_EV_DELETE)
                return Abort.SUCCEEDED

            return abort

        async def _wait_common(self, fd: object, filter: int) -> None:
            await wait_task_rescheduled(self._start_wait(_fileno(fd), filter))

        def arm_retry(
            self, fd: int, holder: object, readable: bool
        ) -> Callable[[RaiseCancelT], Abort]:
            """The socket layer's wait after ``EAGAIN`` (see the epoll
            manager's ``arm_retry``). Here it is a plain one-shot
            registration: ``holder`` is not used, and its ``_io_state``
            stays None, so the socket layer never skips a call."""
            return self._start_wait(
                fd, select.KQ_FILTER_READ if readable else select.KQ_FILTER_WRITE
            )

        @enable_ki_protection
        async def wait_readable(self, fd: object) -> None:
            await self._wait_common(fd, select.KQ_FILTER_READ)

        @enable_ki_protection
        async def wait_writable(self, fd: object) -> None:
            await self._wait_common(fd, select.KQ_FILTER_WRITE)

        def watch(
            self,
            fd: object,
            readable: bool,
            callback: Callable[..., object],
            args: tuple[object, ...],
            context: contextvars.Context | None,
        ) -> KqueueReadinessWatch:
            filt = select.KQ_FILTER_READ if readable else select.KQ_FILTER_WRITE
            key = (_fileno(fd), filt)
            if key in self._registered:
                raise BusyResourceError("this file descriptor is already being waited on")
            watch = KqueueReadinessWatch(self, key, callback, args, context)
            self._control(key, select.KQ_EV_ADD)
            self._registered[key] = watch
            return watch

        @enable_ki_protection
        def notify_closing(self, fd: object) -> None:
            fdno = _fileno(fd)
            for filt in (select.KQ_FILTER_READ, select.KQ_FILTER_WRITE):
                key = (fdno, filt)
                waiter = self._registered.pop(key, None)
                if waiter is None:
                    continue
                self._control(key, select.KQ_EV_DELETE)
                if not isinstance(waiter, KqueueReadinessWatch):
                    wake_all(
                        {"task": waiter}, ClosedResourceError("another task closed this fd")
                    )
