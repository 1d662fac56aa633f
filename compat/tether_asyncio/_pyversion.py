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

# 3.11/3.12: asyncio.create_task() and TaskGroup.create_task() create the
# task unnamed (so it draws a Task-N number) and name it afterwards; 3.13
# passes the name on. (Task(name=...) and loop.create_task(name=...) never
# draw a number for a named task.)
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

# 3.12: loop.shutdown_default_executor(timeout=None), and Runner.close()
# passes THREAD_JOIN_TIMEOUT (300 s); 3.11 takes no timeout.
SHUTDOWN_EXECUTOR_HAS_TIMEOUT = PY312

# 3.13: that timeout bounds the wait for the executor (asyncio.timeout around
# it, then a RuntimeWarning); 3.12 only bounds joining the helper thread
# after the executor has shut down.
SHUTDOWN_EXECUTOR_TIMEOUT_BOUNDS_WAIT = PY313

# 3.13: an exception copied from a concurrent.futures.Future into an asyncio
# one (wrap_future, run_in_executor) keeps its traceback when converted, and
# a TimeoutError passes through as it is (3.11/3.12: converted exceptions
# lose the traceback and a TimeoutError is replaced by a new one).
CHAIN_FUTURE_KEEPS_EXCEPTIONS = PY313

# 3.12: eager tasks (Task(..., eager_start=True), eager_task_factory,
# create_eager_task_factory); 3.11's Task refuses the keyword.
HAS_EAGER_TASKS = PY312

# 3.12: asyncio.iscoroutine() (and so Task()) no longer accepts generators.
TASKS_ACCEPT_GENERATORS = not PY312

# 3.13.0 (to 3.13.2, gh-130033): loop.create_task() calls set_name(name) on
# what a task factory returns even when name is None, so the task is named
# 'None'; 3.11/3.12 leave it alone. (Later 3.13 releases pass name= to the
# factory instead, which the facade does not model.)
FACTORY_TASKS_ALWAYS_RENAMED = (3, 13, 0) <= sys.version_info[:3] < (3, 13, 3)

# 3.12: a custom exception handler runs in the context of the task, future
# or handle the report is about (3.11: in the caller's context).
EXCEPTION_HANDLER_RUNS_IN_CONTEXT = PY312

# -- streams and subprocesses (``_streams``, ``_subprocess``) --

# 3.13: StreamReader.readuntil() also takes a tuple of separators.
READUNTIL_TAKES_TUPLES = PY313

# 3.11/3.12: a server connection's protocol keeps its StreamWriter alive
# until the connection is lost (3.13: only the callback does, so a writer
# the callback drops is garbage-collected, which closes the connection).
STREAM_PROTOCOL_KEEPS_WRITER = not PY313

# 3.13: a cancelled client_connected_cb Task closes its connection
# (3.11/3.12 report a failed callback and leave it open).
CANCELLED_HANDLER_CLOSES_TRANSPORT = PY313

# 3.12: StreamWriter.start_tls(ssl_shutdown_timeout=...).
START_TLS_HAS_SHUTDOWN_TIMEOUT = PY312

# 3.12: a socket transport's writelines() appends each buffer (no join, no
# flow control, "Cannot call writelines() after write_eof()").
WRITELINES_APPENDS = PY312

# 3.12: loop.create_connection(all_errors=...).
CREATE_CONNECTION_HAS_ALL_ERRORS = PY312

# 3.12: Server.wait_closed() waits for the connections even when the server
# is already closed (3.11 returns at once then).
SERVER_WAIT_CLOSED_WAITS_FOR_CLIENTS = PY312

# 3.13: Server.close_clients()/abort_clients(), create_server(keep_alive=),
# create_unix_server(cleanup_socket=True) (the socket file is removed when
# the server closes), and create_server() skips addresses it cannot bind
# with EADDRNOTAVAIL; its bind error message uses str(exc) (3.11/3.12: strerror).
SERVER_HAS_CLOSE_CLIENTS = PY313
SERVER_HAS_KEEP_ALIVE = PY313
UNIX_SERVER_CLEANS_UP = PY313
BIND_ERRORS_313 = PY313

# 3.12: Process.communicate() closes a piped stdin even without input
# (3.11 feeds and closes stdin only when input is not None).
COMMUNICATE_CLOSES_STDIN = PY312

# 3.12: Task.get_context().
TASK_HAS_GET_CONTEXT = PY312
