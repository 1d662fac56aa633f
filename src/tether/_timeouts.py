"""Timeouts: thin wrappers around :class:`CancelScope`."""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ._core import CancelScope

if TYPE_CHECKING:
    from collections.abc import Generator


class TooSlowError(Exception):
    """Raised by :func:`fail_after` and :func:`fail_at` when the deadline passes."""


def move_on_at(deadline: float, *, shield: bool = False) -> CancelScope:
    """A :class:`CancelScope` that cancels itself at ``deadline`` (absolute time).

    Raises:
        ValueError: if ``deadline`` is NaN.
    """
    if math.isnan(deadline):
        raise ValueError("deadline must not be NaN")
    return CancelScope(deadline=deadline, shield=shield)


def move_on_after(seconds: float, *, shield: bool = False) -> CancelScope:
    """A :class:`CancelScope` that cancels itself ``seconds`` after it is entered.

    ::

        with tether.move_on_after(5) as scope:
            await fetch()
        if scope.cancelled_caught:
            print("gave up after 5 seconds")

    Raises:
        ValueError: if ``seconds`` is negative or NaN.
    """
    if seconds < 0:
        raise ValueError("`seconds` must be non-negative")
    if math.isnan(seconds):
        raise ValueError("`seconds` must not be NaN")
    return CancelScope(relative_deadline=seconds, shield=shield)


@contextmanager
def fail_at(deadline: float, *, shield: bool = False) -> Generator[CancelScope, None, None]:
    """Like :func:`move_on_at`, but raises :exc:`TooSlowError` if the
    deadline cancelled the block.

    Raises:
        TooSlowError: if the deadline expired and the block was cancelled.
        ValueError: if ``deadline`` is NaN.
    """
    with move_on_at(deadline, shield=shield) as scope:
        yield scope
    if scope.cancelled_caught:
        raise TooSlowError


@contextmanager
def fail_after(seconds: float, *, shield: bool = False) -> Generator[CancelScope, None, None]:
    """Like :func:`move_on_after`, but raises :exc:`TooSlowError` if the
    timeout cancelled the block.

    Raises:
        TooSlowError: if the timeout expired and the block was cancelled.
        ValueError: if ``seconds`` is negative or NaN.
    """
    with move_on_after(seconds, shield=shield) as scope:
        yield scope
    if scope.cancelled_caught:
        raise TooSlowError

