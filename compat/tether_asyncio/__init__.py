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
* ``_locks``: Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier.
  ``_queues``: Queue, PriorityQueue, LifoQueue. ``_taskgroups``: TaskGroup.
  ``_waiting``: wait, as_completed. (``QueueShutDown`` exists on 3.13 only.)

Not there yet: streams, subprocesses, executors.
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
from ._exceptions import QueueEmpty as QueueEmpty
from ._exceptions import QueueFull as QueueFull
from ._exceptions import SendfileNotAvailableError as SendfileNotAvailableError
from ._exceptions import TimeoutError as TimeoutError
from ._futures import Future as Future
from ._futures import isfuture as isfuture
from ._locks import Barrier as Barrier
from ._locks import BoundedSemaphore as BoundedSemaphore
from ._locks import Condition as Condition
from ._locks import Event as Event
from ._locks import Lock as Lock
from ._locks import Semaphore as Semaphore
from ._loop import TetherLoop as TetherLoop
from ._loop import get_event_loop as get_event_loop
from ._loop import get_running_loop as get_running_loop
from ._loop import new_event_loop as new_event_loop
from ._loop import set_event_loop as set_event_loop
from ._pyversion import QUEUE_HAS_SHUTDOWN as _QUEUE_HAS_SHUTDOWN
from ._queues import LifoQueue as LifoQueue
from ._queues import PriorityQueue as PriorityQueue
from ._queues import Queue as Queue
from ._runners import Runner as Runner
from ._runners import run as run
from ._taskgroups import TaskGroup as TaskGroup
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
from ._waiting import ALL_COMPLETED as ALL_COMPLETED
from ._waiting import FIRST_COMPLETED as FIRST_COMPLETED
from ._waiting import FIRST_EXCEPTION as FIRST_EXCEPTION
from ._waiting import as_completed as as_completed
from ._waiting import wait as wait

if _QUEUE_HAS_SHUTDOWN:
    from ._queues import QueueShutDown as QueueShutDown
