"""The run's timer heap: cancel-scope deadlines and sleeping tasks.

Entries are ``(deadline, seq, timer)`` tuples in a binary heap; ``seq`` is a
run-wide counter, so equal deadlines fire in registration order and timers
are never compared. Removing a timer is O(1): the timer marks itself dead
and its entry stays in the heap until it reaches the top, or until stale
entries outnumber live ones (plus a floor), when the heap is rebuilt in
one O(n) pass. Adding is O(log n).
"""

from __future__ import annotations

import heapq
from math import inf
from typing import Protocol

from ._callbacks import CallbackHandle

_PRUNE_FLOOR = 1000


class Timer(Protocol):
    """Anything the heap can hold."""

    def _timer_live(self, deadline: float) -> bool:
        """Whether the entry registered for ``deadline`` still matters."""

    def _timer_fire(self, deadline: float) -> None:
        """The deadline passed (only called when live)."""


class Deadlines:
    """A heap of timers; see the module docstring."""

    __slots__ = ("_active", "_heap", "_seq")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = 0
        self._active = 0

    def add(self, deadline: float, timer: Timer) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (deadline, self._seq, timer))
        self._active += 1

    def remove(self, deadline: float, timer: Timer) -> None:
        """Note that ``timer``'s entry for ``deadline`` went stale (lazily)."""
        self._active -= 1
        if len(self._heap) > 2 * self._active + _PRUNE_FLOOR:
            self._prune()

    def next_deadline(self) -> float:
        heap = self._heap
        while heap:
            deadline, _, timer = heap[0]
            if timer._timer_live(deadline):
                return deadline
            heapq.heappop(heap)
        return float("inf")

    def expire(self, now: float) -> bool:
        """Fire every live timer whose deadline is <= ``now``; return whether any fired."""
        heap = self._heap
        fired = False
        while heap and heap[0][0] <= now:
            deadline, _, timer = heapq.heappop(heap)
            if type(timer) is CallbackHandle:
                # (Its _timer_live() and _timer_fire(), inlined: the timers
                # of asyncio-style code are most of a busy heap.)
                if timer._cancelled or timer._when != deadline:
                    continue
                self._active -= 1
                timer._when = inf
                timer._runner.runq.append(timer)
                fired = True
            elif timer._timer_live(deadline):
                self._active -= 1
                timer._timer_fire(deadline)
                fired = True
        if len(heap) > 2 * self._active + _PRUNE_FLOOR:
            self._prune()
        return fired

    def _prune(self) -> None:
        # In place: the run loop holds a reference to this very list.
        self._heap[:] = [
            entry
            for entry in self._heap
            if (
                # (CallbackHandle._timer_live(), inlined.)
                not entry[2]._cancelled and entry[2]._when == entry[0]
                if type(entry[2]) is CallbackHandle
                else entry[2]._timer_live(entry[0])
            )
        ]
        heapq.heapify(self._heap)

    def clear(self) -> None:
        """Drop every entry (the run is over: nothing will fire any more)."""
        self._heap.clear()
        self._active = 0

    def __len__(self) -> int:
        return self._active
