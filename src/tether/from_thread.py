"""Calling into a run from other threads: from the worker threads of
:func:`tether.to_thread.run_sync`, or from any thread given the run's
:class:`~tether.lowlevel.TetherToken`."""

from ._threads import from_thread_check_cancelled as check_cancelled
from ._threads import from_thread_run as run
from ._threads import from_thread_run_sync as run_sync
from ._util import fixup_module_metadata

__all__ = ["check_cancelled", "run", "run_sync"]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
