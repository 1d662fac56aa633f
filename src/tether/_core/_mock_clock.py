"""MockClock: virtual time for tests."""

from __future__ import annotations

import time
from math import inf

from .._util import final
from ._abc import Clock
from ._context import GLOBAL_RUN_CONTEXT


@final
class MockClock(Clock):
    """A clock whose time you control, for fast deterministic tests.

    Virtual time starts at 0 and advances at ``rate`` virtual seconds per
    real second (0 by default: it stands still unless you :meth:`jump`).
    With ``autojump_threshold`` set, whenever every task has been blocked
    for that many real seconds, the clock jumps straight to the next
    deadline, so ``await tether.sleep(3600)`` returns at once while
    ``current_time()`` says an hour went by.

    Args:
        rate: initial :attr:`rate`.
        autojump_threshold: initial :attr:`autojump_threshold`.
    """

    def __init__(self, rate: float = 0.0, autojump_threshold: float = inf) -> None:
        self._real_base = 0.0
        self._virtual_base = 0.0
        self._rate = 0.0
        self._autojump_threshold = 0.0
        self.rate = rate
        self.autojump_threshold = autojump_threshold

    def __repr__(self) -> str:
        return (
            f"<MockClock, time={self.current_time():.7f}, rate={self._rate} @ {id(self):#x}>"
        )

    @property
    def rate(self) -> float:
        """Virtual seconds per real second (>= 0)."""
        return self._rate

    @rate.setter
    def rate(self, new_rate: float) -> None:
        if new_rate < 0:
            raise ValueError("rate must be >= 0")
        real = self._real_clock()
        virtual = self._real_to_virtual(real)
        self._virtual_base = virtual
        self._real_base = real
        self._rate = float(new_rate)

    @property
    def autojump_threshold(self) -> float:
        """Real seconds of everyone-blocked after which the clock jumps to
        the next deadline (``math.inf``: never; 0: at once)."""
        return self._autojump_threshold

    @autojump_threshold.setter
    def autojump_threshold(self, new_autojump_threshold: float) -> None:
        self._autojump_threshold = float(new_autojump_threshold)
        self._try_resync_autojump_threshold()

    def _try_resync_autojump_threshold(self) -> None:
        try:
            runner = GLOBAL_RUN_CONTEXT.runner
        except AttributeError:
            return
        if runner.clock is self:
            runner.clock_autojump_threshold = self._autojump_threshold
            runner.force_wakeup()

    def _autojump(self) -> None:
        runner = GLOBAL_RUN_CONTEXT.runner
        next_deadline = runner.deadlines.next_deadline()
        jump = next_deadline - self.current_time()
        if 0 < jump < inf:
            self.jump(jump)

    def _real_clock(self) -> float:
        return time.perf_counter()

    def _real_to_virtual(self, real: float) -> float:
        real_offset = real - self._real_base
        return self._virtual_base + self._rate * real_offset

    def start_clock(self) -> None:
        self._try_resync_autojump_threshold()

    def current_time(self) -> float:
        return self._real_to_virtual(self._real_clock())

    def deadline_to_sleep_time(self, deadline: float) -> float:
        virtual_timeout = deadline - self.current_time()
        if virtual_timeout <= 0:
            return 0
        if self._rate > 0:
            return virtual_timeout / self._rate
        return 999999999

    def jump(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0) at once.

        Raises:
            ValueError: for a negative jump (time never goes backwards).
        """
        if seconds < 0:
            raise ValueError("time can't go backwards")
        self._virtual_base += seconds
