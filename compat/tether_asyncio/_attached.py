"""asyncio-style code inside ``tether.run()``: the run's attached loop.

Code running under plain :func:`tether.run` may call the facade
(``asyncio.create_task``, ``asyncio.sleep``, ``asyncio.Queue``...). There is
no facade loop driving the run then, so the first facade call that needs
the running loop gives the run an *attached* loop: a
:class:`~tether_asyncio.TetherLoop` over the run that is already going
(kept in a :class:`tether.lowlevel.RunVar`, one per run), instead of over a
stepped run of its own. It is "running" for as long as the run is:
``run_until_complete``, ``run_forever`` and ``close`` refuse, as they do on
any running asyncio loop, and ``asyncio.run()`` refuses to nest.

The rules, as documented in ``docs/mixing.rst``:

* Facade tasks created there are owned by the run (not by a nursery): they
  run concurrently with the native tasks and end when they finish, or when
  the run's main task returns, when the run cancels whatever is left (as
  ``asyncio.run`` cancels leftover tasks). Their errors stay in the Task
  and reach whoever awaits it; one never retrieved is reported as asyncio
  does, never crashing the run.
* ``loop.time()`` is the run's clock (a MockClock drives both styles).
* When the run ends, the loop's default executor (``to_thread``,
  ``run_in_executor(None, ...)``) is shut down without waiting, and the
  loop counts as closed.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING

import tether
import tether.lowlevel

from ._cancellation import install_in_current_run
from ._loop import TetherLoop

if TYPE_CHECKING:
    from collections.abc import Iterator

_ATTACHED: tether.lowlevel.RunVar[_AttachedLoop | None] = tether.lowlevel.RunVar(
    "tether_asyncio.attached_loop", default=None
)


class _CurrentRun:
    """Stands in for the stepped run of a normal loop: the run is already
    entered, and never stepped or closed by the loop."""

    def __init__(self) -> None:
        self.token = tether.lowlevel.current_tether_token()

    @contextlib.contextmanager
    def entered(self) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def sigint_guard(self) -> Iterator[None]:  # pragma: no cover - never stepped
        yield

    def close(self) -> None:
        pass


class _AttachedLoop(TetherLoop):
    """A facade loop over the tether run that created it (see the module docstring)."""

    def __init__(self) -> None:  # (not TetherLoop's: there is no stepped run)
        self._clock = tether.lowlevel.current_clock()
        self._run = _CurrentRun()  # type: ignore[assignment]
        self._init_state()
        install_in_current_run()
        tether.lowlevel.set_callback_error_handler(self._callback_failed)
        self._ready = True
        self._stepping = True
        self._running = True
        self._thread_id = threading.get_ident()
        tether.lowlevel.spawn_system_task(self._close_with_the_run, name="tether_asyncio loop")

    async def _close_with_the_run(self) -> None:
        try:
            await tether.sleep_forever()
        finally:
            self._running = False
            self._stepping = False
            self._closed = True
            self._close_default_executor()

    def stop(self) -> None:
        """Nothing to stop: the loop runs as long as the tether run."""


def attached_loop() -> TetherLoop | None:
    """The attached loop of the current tether run (made on first use), or
    None outside a tether run."""
    if not tether.lowlevel.in_tether_run():
        return None
    loop = _ATTACHED.get()
    if loop is None or loop.is_closed():
        loop = _AttachedLoop()
        _ATTACHED.set(loop)
    return loop
