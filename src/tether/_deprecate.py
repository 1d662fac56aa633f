"""Deprecation warnings. A leaf module: standard library only."""

from __future__ import annotations

import warnings


class TetherDeprecationWarning(FutureWarning):
    """Warns about a tether feature that will be removed or changed.

    A subclass of :exc:`FutureWarning` (not DeprecationWarning), so users
    see it by default. Trio's name, ``TrioDeprecationWarning``, is an alias.
    """


TrioDeprecationWarning = TetherDeprecationWarning


def warn_deprecated(
    thing: object,
    version: str,
    *,
    issue: int | None,
    instead: object,
    stacklevel: int = 2,
) -> None:
    """Emit a :class:`TetherDeprecationWarning` about ``thing``."""
    stacklevel += 1
    msg = f"{thing} is deprecated since tether {version}"
    if instead is None:
        msg += " with no replacement"
    else:
        msg += f"; use {instead} instead"
    if issue is not None:
        msg += f" (see issue #{issue})"
    warnings.warn(TetherDeprecationWarning(msg), stacklevel=stacklevel)
