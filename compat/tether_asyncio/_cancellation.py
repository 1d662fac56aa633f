"""How the two cancellation models meet.

* **Scope → asyncio.** Each run the facade drives calls
  :func:`tether.lowlevel.set_cancelled_class` with :class:`TetherCancelled`,
  which derives from both :exc:`tether.Cancelled` and
  :exc:`asyncio.CancelledError`: asyncio-style ``except CancelledError``
  sees a scope's (level-triggered) cancellation, and the scope still
  recognises the exception as its own when it propagates.

* **asyncio → tether.** ``Task.cancel()`` is edge-triggered: it always
  hands tether a one-shot ``CancelledError`` with
  :func:`tether.lowlevel.deliver_interrupt` (shieldable), so a tether shield
  holds it back until the shield ends. It is raised at the task's next wait
  or checkpoint outside a shield, so native tether code in the task (a
  nursery, ``tether.sleep``) is cancelled as well; a task parked on a facade
  future gets it through the wait's abort function, which cancels that
  future (as asyncio does: an awaited task is cancelled too) and lets the
  task wake up raising the future's ``CancelledError``. A task that has not
  started gets it thrown in at its first step. It is *not* a
  ``tether.Cancelled``, so no scope mistakes it for its own.

* **Schedule points.** :func:`schedule_point` is ``asyncio.sleep(0)``: one
  bare trip through the run queue, then any pending cancellation is raised
  (asyncio throws it in at the task's next step).
"""

from __future__ import annotations

from typing import Any

import tether
import tether.lowlevel

from ._exceptions import CancelledError


class TetherCancelled(tether.Cancelled, CancelledError):
    """A tether scope's cancellation, as asyncio-style code sees it.

    Created by tether (never by hand) in the runs the facade drives.
    """


def install_in_current_run() -> None:
    """Make the current run raise :class:`TetherCancelled` for scope cancellations."""
    tether.lowlevel.set_cancelled_class(TetherCancelled)


# One bare schedule point, then raise a pending cancellation (``sleep(0)``):
# that is exactly tether's checkpoint (a trip through the run queue, then the
# same check as raise_pending()), taken as is on this hot path.
schedule_point = tether.lowlevel.checkpoint


def raise_pending() -> Any:
    """An awaitable that raises a pending cancellation (interrupt or scope)
    without suspending."""
    return tether.lowlevel.checkpoint_if_cancelled()
