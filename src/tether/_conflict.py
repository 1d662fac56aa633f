"""ConflictDetector: one task at a time per resource direction."""

from __future__ import annotations

from ._core import BusyResourceError


class ConflictDetector:
    """A context manager that raises :exc:`~tether.BusyResourceError` when a
    second task enters it while a first is still inside.

    Streams use one per direction (sending, receiving), so that two tasks
    calling ``send_all`` on one stream at once get a clear error instead of
    interleaved bytes.
    """

    __slots__ = ("_held", "_message")

    def __init__(self, message: str) -> None:
        self._message = message
        self._held = False

    def __enter__(self) -> None:
        if self._held:
            raise BusyResourceError(self._message)
        self._held = True

    def __exit__(self, *exc_info: object) -> None:
        self._held = False
