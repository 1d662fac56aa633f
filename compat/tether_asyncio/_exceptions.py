"""asyncio's exception classes, re-used as they are.

The facade raises stock asyncio's own classes, so ``except
asyncio.CancelledError`` catches the same thing whether the program
imported the stock module or the facade.
"""

from __future__ import annotations

import asyncio

CancelledError = asyncio.CancelledError
InvalidStateError = asyncio.InvalidStateError
TimeoutError = asyncio.TimeoutError  # the builtin one on 3.11+
IncompleteReadError = asyncio.IncompleteReadError
LimitOverrunError = asyncio.LimitOverrunError
SendfileNotAvailableError = asyncio.SendfileNotAvailableError
BrokenBarrierError = asyncio.BrokenBarrierError
QueueEmpty = asyncio.QueueEmpty
QueueFull = asyncio.QueueFull
