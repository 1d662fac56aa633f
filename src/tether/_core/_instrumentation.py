"""Calling run-loop instruments, and dropping the ones that misbehave."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._abc import Instrument

if TYPE_CHECKING:
    from collections.abc import Iterable

LOGGER = logging.getLogger("tether.abc.Instrument")

HOOKS = (
    "before_run",
    "after_run",
    "task_spawned",
    "task_scheduled",
    "before_task_step",
    "after_task_step",
    "task_exited",
    "before_io_wait",
    "after_io_wait",
)


class Instruments(dict[str, tuple[Instrument, ...]]):
    """hook name -> the instruments that define it, in the order added.

    A hook that no instrument defines is absent, so the run loop tests
    ``"hook" in instruments`` (one dict lookup) before doing any work. The
    values are tuples, replaced (never mutated) when instruments come or
    go, so :meth:`call` iterates them without copying, even if a hook adds
    or removes instruments while it runs.
    """

    __slots__ = ()

    def __init__(self, incoming: Iterable[Instrument]) -> None:
        super().__init__()
        for instrument in incoming:
            self.add_instrument(instrument)

    def add_instrument(self, instrument: Instrument) -> None:
        # Duck-typed instruments are fine, as long as they have hooks.
        if not isinstance(instrument, Instrument) and not any(
            callable(getattr(instrument, h, None)) for h in HOOKS
        ):
            raise TypeError(f"{instrument!r} has none of the Instrument hooks")
        for name in HOOKS:
            method = getattr(instrument, name, None)
            if method is None:
                continue
            base = getattr(Instrument, name)
            if getattr(type(instrument), name, None) is base:
                continue  # not overridden
            current = self.get(name, ())
            if instrument not in current:
                self[name] = (*current, instrument)

    def remove_instrument(self, instrument: Instrument) -> None:
        found = False
        for name in list(self):
            hooks = self[name]
            if instrument in hooks:
                found = True
                remaining = tuple(i for i in hooks if i is not instrument)
                if remaining:
                    self[name] = remaining
                else:
                    del self[name]
        if not found:
            raise KeyError(f"instrument {instrument!r} is not installed")

    def call(self, hookname: str, *args: object) -> None:
        for instrument in self.get(hookname, ()):
            try:
                getattr(instrument, hookname)(*args)
            except BaseException:
                self.remove_instrument(instrument)
                LOGGER.exception(
                    "Exception raised when calling %r on instrument %r. "
                    "Instrument has been disabled.",
                    hookname,
                    instrument,
                )
