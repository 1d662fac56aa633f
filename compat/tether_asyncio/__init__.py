"""asyncio's high-level API, built on tether.

``tether_asyncio`` mirrors the *running* Python's stock asyncio (3.11, 3.12
or 3.13): the same scheduling order, cancellation semantics and results,
with tether underneath instead of asyncio's event loop. Run an unmodified
asyncio program on it with ``python -m tether_asyncio prog.py``.

Map of the package (each module's docstring has the details):

* ``_loop``: :class:`TetherLoop`, an ``AbstractEventLoop`` driving a
  stepped tether run; the running-loop functions.
* ``_futures`` / ``_tasks``: Future and Task; a Task is a tether task
  (eager tasks on 3.12+). Error reports ("... exception was never
  retrieved", "Task was destroyed but it is pending!") and debug mode
  (creation stacks, slow callbacks, thread checks) work as in asyncio.
* ``_cancellation``: how asyncio's and tether's cancellation meet.
* ``_combinators``: gather, shield, wait_for. ``_timeouts``: timeout().
* ``_runners``: run() and Runner. ``_pyversion``: every version switch.
* ``_locks``: Lock, Event, Condition, Semaphore, BoundedSemaphore, Barrier.
  ``_queues``: Queue, PriorityQueue, LifoQueue. ``_taskgroups``: TaskGroup.
  ``_waiting``: wait, as_completed. (``QueueShutDown`` exists on 3.13 only.)
* ``_policy``: event loop policies, child watchers, the loop class aliases
  (``BaseEventLoop``, ``SelectorEventLoop``, ``EventLoop``).
  ``_modules``: ``asyncio``'s submodules (``tether_asyncio.events``...).
  Transports and protocols are asyncio's own abstract classes.
* ``_executors``: the loop's executor methods, to_thread,
  run_coroutine_threadsafe, wrap_future. ``_loop_io``: the loop's
  add_reader/add_writer (persistent tether watches), signal handlers and
  sock_* helpers, getaddrinfo/getnameinfo.
* ``_streams``: open_connection, start_server (and the Unix pair), Server,
  StreamReader, StreamWriter on tether's SocketStream/SSLStream, one owned
  tether task per connection; the loop's protocol/transport methods
  (``StreamsLoopMixin``), which raise NotImplementedError.
  ``_subprocess``: create_subprocess_exec/_shell and Process on
  ``tether.lowlevel.open_process``. ``streams`` and ``subprocess`` are the
  public ``asyncio.streams``/``asyncio.subprocess`` submodules.
"""

from asyncio import AbstractChildWatcher as AbstractChildWatcher
from asyncio import AbstractEventLoop as AbstractEventLoop
from asyncio import AbstractEventLoopPolicy as AbstractEventLoopPolicy
from asyncio import AbstractServer as AbstractServer
from asyncio import BaseProtocol as BaseProtocol
from asyncio import BaseTransport as BaseTransport
from asyncio import BufferedProtocol as BufferedProtocol
from asyncio import DatagramProtocol as DatagramProtocol
from asyncio import DatagramTransport as DatagramTransport
from asyncio import FastChildWatcher as FastChildWatcher
from asyncio import Handle as Handle
from asyncio import MultiLoopChildWatcher as MultiLoopChildWatcher
from asyncio import PidfdChildWatcher as PidfdChildWatcher
from asyncio import Protocol as Protocol
from asyncio import ReadTransport as ReadTransport
from asyncio import SafeChildWatcher as SafeChildWatcher
from asyncio import SubprocessProtocol as SubprocessProtocol
from asyncio import SubprocessTransport as SubprocessTransport
from asyncio import ThreadedChildWatcher as ThreadedChildWatcher
from asyncio import TimerHandle as TimerHandle
from asyncio import Transport as Transport
from asyncio import WriteTransport as WriteTransport
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
from ._executors import run_coroutine_threadsafe as run_coroutine_threadsafe
from ._executors import to_thread as to_thread
from ._executors import wrap_future as wrap_future
from ._futures import Future as Future
from ._futures import isfuture as isfuture
from ._locks import Barrier as Barrier
from ._locks import BoundedSemaphore as BoundedSemaphore
from ._locks import Condition as Condition
from ._locks import Event as Event
from ._locks import Lock as Lock
from ._locks import Semaphore as Semaphore
from ._loop import TetherLoop as TetherLoop
from ._loop import _get_running_loop as _get_running_loop
from ._loop import _set_running_loop as _set_running_loop
from ._loop import get_event_loop as get_event_loop
from ._loop import get_running_loop as get_running_loop
from ._loop import new_event_loop as new_event_loop
from ._loop import set_event_loop as set_event_loop
from ._policy import BaseEventLoop as BaseEventLoop
from ._policy import DefaultEventLoopPolicy as DefaultEventLoopPolicy
from ._policy import EventLoop as EventLoop
from ._policy import EventLoopPolicy as EventLoopPolicy
from ._policy import SelectorEventLoop as SelectorEventLoop
from ._policy import get_child_watcher as get_child_watcher
from ._policy import get_event_loop_policy as get_event_loop_policy
from ._policy import set_child_watcher as set_child_watcher
from ._policy import set_event_loop_policy as set_event_loop_policy
from ._pyversion import HAS_EAGER_TASKS as _HAS_EAGER_TASKS
from ._pyversion import QUEUE_HAS_SHUTDOWN as _QUEUE_HAS_SHUTDOWN
from ._queues import LifoQueue as LifoQueue
from ._queues import PriorityQueue as PriorityQueue
from ._queues import Queue as Queue
from ._runners import Runner as Runner
from ._runners import run as run
from ._streams import Server as Server
from ._streams import StreamReader as StreamReader
from ._streams import StreamReaderProtocol as StreamReaderProtocol
from ._streams import StreamWriter as StreamWriter
from ._streams import open_connection as open_connection
from ._streams import open_unix_connection as open_unix_connection
from ._streams import start_server as start_server
from ._streams import start_unix_server as start_unix_server
from ._subprocess import create_subprocess_exec as create_subprocess_exec
from ._subprocess import create_subprocess_shell as create_subprocess_shell
from ._taskgroups import TaskGroup as TaskGroup
from ._tasks import Task as Task
from ._tasks import _enter_task as _enter_task
from ._tasks import _leave_task as _leave_task
from ._tasks import _register_task as _register_task
from ._tasks import _unregister_task as _unregister_task
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

if _HAS_EAGER_TASKS:
    from ._tasks import create_eager_task_factory as create_eager_task_factory
    from ._tasks import eager_task_factory as eager_task_factory


def __getattr__(name: str) -> object:
    # asyncio's submodules (``tether_asyncio.events``...): see ``_modules``.
    from ._modules import submodule

    return submodule(name)
