"""Every switch between the Python versions the facade follows (3.11, 3.12, 3.13).

The facade mirrors the *running* interpreter's asyncio; the rest of the
package asks these flags instead of testing ``sys.version_info`` itself, so
one grep shows every behaviour that differs between versions.
"""

from __future__ import annotations

import sys

PY312 = sys.version_info >= (3, 12)
PY313 = sys.version_info >= (3, 13)

# 3.13 (gh-116720): Task.uncancel() bringing the count to zero also withdraws
# a cancellation that has been requested but not delivered yet.
UNCANCEL_CLEARS_PENDING = PY313

# 3.12: wait_for() is written on top of asyncio.timeout(); 3.11 uses callbacks.
WAIT_FOR_USES_TIMEOUT = PY312

# 3.12: asyncio.run() and Runner() accept loop_factory= (Runner always did).
RUN_HAS_LOOP_FACTORY = PY312

# 3.12: gather() on futures that are already done handles them after
# building the outer future, instead of through a done callback.
GATHER_HANDLES_DONE_CHILDREN_EAGERLY = PY312

# 3.13: leaving an expired asyncio.timeout() with a non-CancelledError
# converts only CancelledError (3.11/3.12: only when the exception type *is*
# CancelledError) and inserts a TimeoutError into other exceptions' context chain.
TIMEOUT_EXIT_INSERTS_TIMEOUT_ERROR = PY313

# 3.11/3.12 (the C Task) draw a Task-N number for every task, named or not;
# 3.13 only for unnamed ones.
NAMED_TASKS_USE_COUNTER = not PY313
