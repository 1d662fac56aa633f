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

# 3.13: Queue.shutdown() and QueueShutDown.
QUEUE_HAS_SHUTDOWN = PY313

# 3.13: TaskGroup.__aexit__ uncancels the parent after waiting for the
# children (3.11/3.12: before), treats CancelledError subclasses as
# cancellations, re-cancels a parent cancelled from outside when raising
# the group, and create_task() closes the coroutine when it refuses it.
TASKGROUP_313 = PY313

# 3.13: as_completed() returns an iterator that is also an async iterator
# (yielding the original tasks); 3.11/3.12: a generator of coroutines.
AS_COMPLETED_ASYNC_ITER = PY313

# 3.13: Semaphore.acquire keeps FIFO order and, on the way out, wakes as many
# waiters as the value allows (3.11/3.12: wakes one more if value > 0).
SEMAPHORE_FIFO = PY313

# 3.13: Condition.wait re-notifies another waiter when it fails and re-raises
# the last CancelledError instance (3.11/3.12: a fresh CancelledError).
CONDITION_WAIT_RENOTIFIES = PY313
