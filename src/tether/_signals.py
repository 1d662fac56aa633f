"""Receiving Unix signals as an async iterator: :func:`tether.open_signal_receiver`.

The Python-level handler does nothing but ask the run (through its token's
``run_sync_soon``, which is safe in a signal handler) to record the signal.
Recording happens inside the run, as an idempotent callback: a signal that
arrives again before the first is recorded is coalesced with it, and a
signal already waiting in the receiver is not queued twice.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import _core
from ._conflict import ConflictDetector
from ._util import is_main_thread

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Generator, Iterable
    from types import FrameType
    from typing import Any, Self, TypeAlias

    _Handler: TypeAlias = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class SignalReceiver:
    """The async iterator that :func:`open_signal_receiver` yields.

    Pending signals are kept in arrival order, each at most once.
    """

    def __init__(self) -> None:
        self._pending: dict[int, None] = {}  # insertion-ordered set
        self._lot = _core.ParkingLot()
        self._guard = ConflictDetector("only one task can iterate on a signal receiver at a time")
        self._closed = False

    def _add(self, signum: int) -> None:
        if self._closed:
            # The block has exited: the handlers are back; let them see it.
            signal.raise_signal(signum)
        else:
            self._pending[signum] = None
            self._lot.unpark()

    def _close_and_redeliver(self) -> None:
        self._closed = True
        pending = list(self._pending)
        self._pending.clear()
        self._raise_all(pending)

    @staticmethod
    def _raise_all(signums: list[int]) -> None:
        # Raise every one even if a handler raises (KeyboardInterrupt, say).
        if signums:
            try:
                signal.raise_signal(signums[0])
            finally:
                SignalReceiver._raise_all(signums[1:])

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> int:
        if self._closed:
            raise RuntimeError("the open_signal_receiver block has already exited")
        with self._guard:
            if self._pending:
                await _core.checkpoint()
            else:
                await self._lot.park()
            signum = next(iter(self._pending))
            del self._pending[signum]
            return signum


def pending_signal_count(receiver: AsyncIterator[int]) -> int:
    """How many signals ``receiver`` holds, not yet iterated (for tests)."""
    assert isinstance(receiver, SignalReceiver)
    return len(receiver._pending)


@contextmanager
def _handlers_installed(signums: Iterable[int], handler: _Handler) -> Generator[None, None, None]:
    previous: dict[int, _Handler] = {}
    try:
        for signum in signums:
            previous[signum] = signal.signal(signum, handler)
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def open_signal_receiver(
    *signals: signal.Signals | int,
) -> Generator[AsyncIterator[int], None, None]:
    """Catch signals, and receive them from an async iterator.

    While the ``with`` block runs, the given signals are caught (their
    previous handlers are put back when it exits), and the iterator it yields
    produces each signal's number as it arrives. Signals are coalesced: if a
    signal arrives again while an earlier delivery of it is still waiting to
    be iterated, you see it once.

    Signals that arrived but were not iterated when the block exits are
    re-raised with :func:`signal.raise_signal`, so the restored handlers (or
    the default action) see them rather than losing them.

    Only one task may iterate at a time.

    Args:
        *signals: the signals to catch (``signal.SIGHUP``, ...).

    Raises:
        TypeError: if no signals are given.
        RuntimeError: outside the main thread (Python delivers signals only
            there), or outside a run.

    Example:
        Reload the configuration on ``SIGHUP``::

            with tether.open_signal_receiver(signal.SIGHUP) as signals:
                async for signum in signals:
                    reload_configuration()
    """
    if not signals:
        raise TypeError("no signals were given")
    if not is_main_thread():
        raise RuntimeError(
            "open_signal_receiver only works in the main thread (where Python delivers signals)"
        )
    token = _core.current_tether_token()
    receiver = SignalReceiver()

    def handler(signum: int, frame: FrameType | None) -> None:
        token.run_sync_soon(receiver._add, signum, idempotent=True)

    try:
        with _handlers_installed(dict.fromkeys(int(s) for s in signals), handler):
            yield receiver
    finally:
        receiver._close_and_redeliver()
