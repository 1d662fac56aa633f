"""asyncio's high-level API, built on tether.

``tether_asyncio`` mirrors the *running* Python's stock asyncio (3.11, 3.12
or 3.13): the same scheduling order, cancellation semantics and results,
with tether underneath instead of asyncio's event loop. Run an unmodified
asyncio program on it with ``python -m tether_asyncio prog.py``.

Map of the package (each module's docstring has the details):

* ``_loop``: :class:`TetherLoop`, an ``AbstractEventLoop`` driving a
  stepped tether run; the running-loop functions.
* ``_futures`` / ``_tasks``: Future and Task; a Task is a tether task.
* ``_cancellation``: how asyncio's and tether's cancellation meet.
* ``_combinators``: gather, shield, wait_for. ``_timeouts``: timeout().
* ``_runners``: run() and Runner. ``_pyversion``: every version switch.

Not there yet: wait, as_completed, TaskGroup, the synchronization
primitives, queues, streams, subprocesses, executors.
"""

from asyncio import AbstractEventLoop as AbstractEventLoop
from asyncio import Handle as Handle
from asyncio import TimerHandle as TimerHandle
from inspect import iscoroutinefunction as iscoroutinefunction

from ._cancellation import TetherCancelled as TetherCancelled
from ._combinators import gather as gather
from ._combinators import shield as shield
from ._combinators import wait_for as wait_for
from ._exceptions import BrokenBarrierError as BrokenBarrierError
from ._exceptions import CancelledError as CancelledError
from ._exceptions import IncompleteReadError as IncompleteReadError
from ._exceptions import InvalidStateError as InvalidStateError
from ._exceptions import LimitOverrunError as LimitOverrunError
from ._exceptions import SendfileNotAvailableError as SendfileNotAvailableError
from ._exceptions import TimeoutError as TimeoutError
from ._futures import Future as Future
from ._futures import isfuture as isfuture
from ._loop import TetherLoop as TetherLoop
from ._loop import get_event_loop as get_event_loop
from ._loop import get_running_loop as get_running_loop
from ._loop import new_event_loop as new_event_loop
from ._loop import set_event_loop as set_event_loop
from ._runners import Runner as Runner
from ._runners import run as run
from ._tasks import Task as Task
from ._tasks import all_tasks as all_tasks
from ._tasks import create_task as create_task
from ._tasks import current_task as current_task
from ._tasks import ensure_future as ensure_future
from ._tasks import iscoroutine as iscoroutine
from ._tasks import sleep as sleep
from ._timeouts import Timeout as Timeout
from ._timeouts import timeout as timeout
from ._timeouts import timeout_at as timeout_at
