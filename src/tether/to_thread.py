"""Running blocking, synchronous code in worker threads, so that the run
(and every other task) keeps going meanwhile."""

from ._threads import current_default_thread_limiter as current_default_thread_limiter
from ._threads import to_thread_run_sync as run_sync
from ._util import fixup_module_metadata

__all__ = ["current_default_thread_limiter", "run_sync"]

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
