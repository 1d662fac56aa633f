"""Async generator finalization, following Trio's rules.

Python calls a *firstiter* hook the first time an async generator is
iterated, and a *finalizer* hook when an unfinished one is garbage
collected. During a run tether installs both (putting back whatever was
there before when the run ends):

* A generator that is garbage collected before it finished is closed with
  ``aclose()`` in a fresh system task (its ``finally`` blocks may await), and a
  ResourceWarning suggests ``aclosing()``.
* Generators still alive when the main task ends are closed at the end of
  the run, after the system tasks are done, all concurrently.
* Generators first iterated outside tether's tasks (a guest run's host, say)
  are left to the previous hooks.
"""

from __future__ import annotations

import logging
import sys
import warnings
import weakref
from typing import TYPE_CHECKING, Any

from ._cancel import CancelScope
from ._context import GLOBAL_RUN_CONTEXT
from ._exceptions import RunFinishedError
from ._ki import enable_ki_protection

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from ._run import Runner

ASYNCGEN_LOGGER = logging.getLogger("tether.async_generator_errors")

_FOREIGN = "@tether_foreign_asyncgen"

AGen = "AsyncGenerator[object, Any]"


def _name(agen: AsyncGenerator[object, Any]) -> str:
    try:
        return f"{agen.ag_code.co_filename}:{agen.__qualname__}"  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover
        return repr(agen)


class AsyncGenerators:
    """Per-run state of the async generator hooks."""

    def __init__(self) -> None:
        self.alive: weakref.WeakSet[AsyncGenerator[object, Any]] = weakref.WeakSet()
        self.prev_hooks: Any = None

    def install_hooks(self, runner: Runner) -> None:
        def firstiter(agen: AsyncGenerator[object, Any]) -> None:
            if hasattr(GLOBAL_RUN_CONTEXT, "task"):
                self.alive.add(agen)
            else:
                # Not ours: remember that in the frame, the one place that
                # survives until the finalizer runs (weakrefs are cleared
                # before it).
                agen.ag_frame.f_locals[_FOREIGN] = True  # type: ignore[attr-defined]
                if self.prev_hooks.firstiter is not None:
                    self.prev_hooks.firstiter(agen)

        def finalize_in_run(agen: AsyncGenerator[object, Any], name: str) -> None:
            try:
                runner.spawn_impl(
                    self._finalize_one,
                    (agen, name),
                    runner.system_nursery,
                    f"close asyncgen {name}",
                    system_task=True,
                )
            except RuntimeError:
                # The system nursery is closed: finalize_remaining has it.
                self.alive.add(agen)

        def finalizer(agen: AsyncGenerator[object, Any]) -> None:
            frame = agen.ag_frame  # type: ignore[attr-defined]
            is_ours = frame is None or not frame.f_locals.get(_FOREIGN, False)
            if is_ours:
                name = _name(agen)
                try:
                    runner.entry_queue.run_sync_soon(finalize_in_run, agen, name)
                except RunFinishedError:
                    # Too late to run its finally blocks asynchronously:
                    # close it synchronously, as Python would.
                    agen.aclose().close()
                    return
                warnings.warn(
                    f"Async generator {name!r} was garbage collected before it had "
                    "been exhausted. Surround its use in 'async with aclosing(...):' "
                    "to ensure that it gets cleaned up as soon as you're done using it.",
                    ResourceWarning,
                    stacklevel=2,
                    source=agen,
                )
            elif self.prev_hooks.finalizer is not None:
                self.prev_hooks.finalizer(agen)
            else:
                # Mimic what CPython does with no hooks installed.
                closer = agen.aclose()
                try:
                    closer.send(None)
                except StopIteration:
                    pass
                else:
                    raise RuntimeError(
                        f"Non-tether async generator {_name(agen)!r} awaited "
                        "something during finalization; install a finalization "
                        "hook to support this, or wrap it in 'async with "
                        "aclosing(...):'"
                    )

        self.prev_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)

    async def finalize_remaining(self, runner: Runner) -> None:
        # Garbage collection may find a few more to close.
        import gc

        gc.collect()
        while self.alive:
            batch = list(self.alive)
            self.alive.clear()
            from ._nursery import open_nursery

            async with open_nursery() as nursery:
                for agen in batch:
                    nursery.start_soon(
                        self._finalize_one, agen, _name(agen), name=f"close {_name(agen)}"
                    )
            del batch

    def close(self) -> None:
        if self.prev_hooks is not None:
            sys.set_asyncgen_hooks(*self.prev_hooks)

    @enable_ki_protection
    async def _finalize_one(self, agen: AsyncGenerator[object, Any], name: str) -> None:
        try:
            # Shielded and cancelled: the generator's finally blocks run,
            # but anything they await raises Cancelled at once, so closing
            # can never hang the run.
            with CancelScope(shield=True) as cancel_scope:
                cancel_scope.cancel()
                await agen.aclose()
        except BaseException:
            ASYNCGEN_LOGGER.exception(
                "Exception ignored during finalization of async generator %r -- "
                "surround your use of the generator in 'async with aclosing(...):' "
                "to raise exceptions like this in the context where they're generated",
                name,
            )
