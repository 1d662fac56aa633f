"""Telling sniffio which async library is running.

Libraries such as AnyIO and httpx ask :mod:`sniffio` which event loop they
are in. sniffio is not a dependency of tether; when it is installed, a run
announces itself as ``"tether"``, or as ``"trio"`` once
:func:`tether.install_as_trio` has made ``import trio`` give tether (so
such libraries use their Trio code paths, which then run on tether).

A normal run announces itself for its whole duration. Guest and stepped
runs share their thread with other code, so they announce themselves only
while one of their iterations runs.
"""

from __future__ import annotations

from typing import Any

_sniffio_local: Any
try:
    from sniffio import thread_local as _sniffio_local
except ImportError:  # pragma: no cover - sniffio is a test dependency here
    _sniffio_local = None

# sniffio's thread-local (its ``name`` attribute is what sniffio reports), or
# None without sniffio: the run loop sets it directly around each stepped
# run's step, where a call to enter()/leave() per step shows in the profile.
THREAD_LOCAL: Any = _sniffio_local

# A one-element list so install_as_trio() can switch it.
LIBRARY_NAME = ["tether"]


def enter(name: str | None = None) -> str | None:
    """Announce tether (or ``name``); return what was announced before."""
    if _sniffio_local is None:
        return None
    previous: str | None = _sniffio_local.name
    _sniffio_local.name = LIBRARY_NAME[0] if name is None else name
    return previous


def leave(previous: str | None) -> None:
    """Put back what :func:`enter` returned."""
    if _sniffio_local is not None:
        _sniffio_local.name = previous
