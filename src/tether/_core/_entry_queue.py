"""Getting work into the run from other threads and from signal handlers.

Callbacks go into a deque (whose append is atomic) and a byte goes down the
I/O manager's wake-up socket. A system task drains the queue and runs the
callbacks in order, inside the run. No lock is ever taken on the caller's
side that a signal handler could deadlock on: the only lock is re-entrant
and guards nothing but the idempotent-callback dict.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from .._util import NoPublicConstructor, final
from ._exceptions import RunFinishedError
from ._ki import enable_ki_protection

if TYPE_CHECKING:
    from collections.abc import Callable

    from ._run import Runner


class EntryQueue:
    """The queue behind :meth:`TetherToken.run_sync_soon`."""

    def __init__(self, wakeup: Callable[[], None]) -> None:
        self.queue: deque[tuple[Callable[..., object], tuple[object, ...]]] = deque()
        self.idempotent_queue: dict[tuple[Callable[..., object], tuple[object, ...]], None] = {}
        self.wakeup = wakeup
        self.done = False
        # Re-entrant: a signal handler may call run_sync_soon while this
        # thread is already inside it.
        self.lock = threading.RLock()

    def run_sync_soon(
        self,
        sync_fn: Callable[..., object],
        *args: object,
        idempotent: bool = False,
    ) -> None:
        with self.lock:
            if self.done:
                raise RunFinishedError("run() has exited")
            if idempotent:
                self.idempotent_queue[(sync_fn, args)] = None
            else:
                self.queue.append((sync_fn, args))
            self.wakeup()

    def size(self) -> int:
        return len(self.queue) + len(self.idempotent_queue)

    def run_pending(self, on_error: Callable[[BaseException], None]) -> bool:
        """Run every callback queued so far (not ones queued meanwhile).
        Returns whether anything ran."""
        ran = False
        queue = self.queue
        for _ in range(len(queue)):
            sync_fn, args = queue.popleft()
            ran = True
            try:
                sync_fn(*args)
            except BaseException as exc:
                on_error(exc)
        if self.idempotent_queue:
            with self.lock:
                pending = list(self.idempotent_queue)
                self.idempotent_queue.clear()
            for sync_fn, args in pending:
                ran = True
                try:
                    sync_fn(*args)
                except BaseException as exc:
                    on_error(exc)
        return ran

    def close(self) -> None:
        with self.lock:
            self.done = True


@final
class TetherToken(metaclass=NoPublicConstructor):
    """A handle on a run that other threads (and signal handlers) may use.

    Get it with :func:`tether.lowlevel.current_tether_token` inside the
    run, hand it to a thread, and call :meth:`run_sync_soon` there. Tokens
    are hashable and compare equal for the same run. Trio's name,
    ``TrioToken``, is an alias.
    """

    __slots__ = ("__weakref__", "_reentry_queue")

    def __init__(self, reentry_queue: EntryQueue) -> None:
        self._reentry_queue = reentry_queue

    @enable_ki_protection
    def run_sync_soon(
        self,
        sync_fn: Callable[..., object],
        *args: object,
        idempotent: bool = False,
    ) -> None:
        """Schedule ``sync_fn(*args)`` to run inside the run, soon.

        Safe to call from any thread and from a signal handler; wakes the
        run loop at once if it is blocked. Callbacks run in the order they
        were scheduled, in a system task, with KeyboardInterrupt protection;
        if one raises, the run crashes with a
        :exc:`~tether.TetherInternalError`.

        Args:
            idempotent: if true, and an equal ``(sync_fn, args)`` is already
                pending, don't schedule it again (``args`` must be hashable).
                Idempotent callbacks may run in any order relative to others.

        Raises:
            tether.RunFinishedError: if the run has already finished.
        """
        self._reentry_queue.run_sync_soon(sync_fn, *args, idempotent=idempotent)


def make_token(runner: Runner) -> TetherToken:
    return TetherToken._create(runner.entry_queue)
