"""The run loop: :func:`run`, the :class:`Runner`, and guest mode.

Theory of operation
-------------------
The loop is a generator, :func:`unrolled_run`. Each iteration it works out
how long it may block, ``yield``s that timeout to its driver, gets back
the I/O events, and then:

1. wakes the tasks those events concern;
2. fires expired timers (deadlines of cancel scopes, sleeping tasks,
   timed callbacks), in deadline order, registration order for ties;
3. takes the run queue as it stands (a *batch*) and steps every item in it,
   in FIFO order. Items scheduled while the batch runs wait for the next
   iteration, so a task that yields in a loop cannot starve others, and
   plain callbacks (:func:`schedule_callback`) interleave with task steps
   exactly as asyncio's ``call_soon`` would.

The driver does the blocking: :func:`run` calls the I/O manager directly;
guest mode (:func:`start_guest_run`) blocks in a worker thread and hands
each tick to the host loop. :class:`SteppedRun` lets a caller turn the crank
one iteration at a time; there the generator polls for I/O itself and
yields *between* iterations (receiving the driver's ``max_block``), so one
step is one ``send()``. Because the generator owns all scheduler state,
every driver gets identical semantics.

Stepping a task is ``coro.send(value)`` inside the task's context, then a
dispatch on the yielded trap message (see ``_traps``). Nothing else in
tether resumes a coroutine.

Per step the loop does O(1) work: no scan of the task set, no sorting.
Timers are a heap (O(log n)); cancellation is an eager tree push (see
``_cancel``).
"""

from __future__ import annotations

import contextvars
import os
import random
import signal
import time
import warnings
from inspect import CO_COROUTINE
from math import inf
from types import CoroutineType, FunctionType
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs
from outcome import Error, Outcome, Value
from sortedcontainers import SortedDict

from .._util import coroutine_or_error
from . import _sniffio
from ._abc import Clock, Instrument
from ._asyncgens import AsyncGenerators
from ._callbacks import CallbackHandle
from ._cancel import CancelReason
from ._context import GLOBAL_RUN_CONTEXT, current_runner, current_task
from ._deadlines import Deadlines
from ._entry_queue import EntryQueue, TetherToken, make_token
from ._exceptions import Cancelled, RunFinishedError, TetherInternalError
from ._instrumentation import Instruments
from ._interrupts import deliver_interrupt
from ._io import TheIOManager
from ._ki import KIManager, enable_ki_protection
from ._nursery import Nursery, open_nursery
from ._parking_lot import GLOBAL_PARKING_LOT_BREAKER
from ._task import Task
from ._thread_cache import THREAD_CACHE
from ._traps import (
    START_INTERRUPTED,
    VALUE_NONE,
    YIELD,
    Abort,
    PermanentlyDetachCoroutineObject,
    WaitTaskRescheduled,
    cancel_shielded_checkpoint,
    error_outcome,
    wait_task_rescheduled,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Coroutine, Generator, Sequence

    from ._cancel import CancelStatus
    from ._guest import _GuestState
    from ._traps import RaiseCancelT

T = TypeVar("T")

# The longest we ever block in the kernel: a sanity cap, not a poll.
_MAX_TIMEOUT: Final = 86400.0

_WAITING_FOR_IDLE: Final = 1
_AUTOJUMP_CLOCK: Final = 2

# While tasks are runnable, the loop polls for I/O (a zero-timeout epoll_wait,
# a syscall) only once this many task steps have run since the last poll,
# rather than on every iteration. An iteration that steps one or two tasks
# (a producer and a consumer handing items over) would otherwise spend more
# time in the kernel than in Python. The bound keeps I/O latency under load
# at a fixed number of steps, and it is deterministic.
_STEPS_PER_IO_POLL: Final = 64

# (START_INTERRUPTED, which a task interrupted before its first step is
# "resumed" with, lives in _traps: deliver_interrupt needs it too.)
_RESTART: Final = Value("restart")

# What a stepped run's generator yields when a step is over (any other value
# is an I/O wait for the driver to make; see SteppedRun.step).
STEP_DONE: Final = -1.0

# Opt-in, for tests: shuffle each batch (seeded, so an order can be replayed).
SHUFFLE_ENV_VAR: Final = "TETHER_SHUFFLE_SCHEDULING_SEED"


class SystemClock(Clock):
    """The default clock: :func:`time.perf_counter`, no offset.

    ``current_time()`` is therefore comparable with ``time.perf_counter()``
    (and, on Linux, with ``time.monotonic()``, which reads the same clock).
    """

    __slots__ = ()

    def start_clock(self) -> None:
        pass

    current_time = staticmethod(time.perf_counter)

    def deadline_to_sleep_time(self, deadline: float) -> float:
        return deadline - time.perf_counter()


@attrs.frozen
class RunStatistics:
    """Run-loop debugging information (:func:`current_statistics`).

    Attributes:
        tasks_living: tasks spawned and not yet exited.
        tasks_runnable: tasks waiting in the run queue.
        seconds_to_next_deadline: time until the next timer fires (may be
            negative if it is already due; ``inf`` if there is none).
        io_statistics: the I/O backend's statistics; ``.backend`` names it.
        run_sync_soon_queue_size: callbacks queued by ``run_sync_soon`` and
            not yet run.
    """

    tasks_living: int
    tasks_runnable: int
    seconds_to_next_deadline: float
    io_statistics: object
    run_sync_soon_queue_size: int


class _SleepTimer:
    """One sleeping task: a heap entry and, when called, the abort function."""

    __slots__ = ("deadline", "task")

    def __init__(self, task: Task, deadline: float) -> None:
        self.task: Task | None = task
        self.deadline = deadline

    def _timer_live(self, deadline: float) -> bool:
        return self.task is not None

    def _timer_fire(self, deadline: float) -> None:
        task = self.task
        self.task = None
        assert task is not None
        task._runner.reschedule(task, VALUE_NONE)

    def __call__(self, raise_cancel: RaiseCancelT) -> Abort:
        task = self.task
        if task is not None:
            self.task = None
            task._runner.deadlines.remove(self.deadline, self)
        return Abort.SUCCEEDED


class Runner:
    """All the state of one run. There is one per :func:`run` call; code
    reaches it through the thread-local run context."""

    def __init__(
        self,
        clock: Clock,
        instruments: Instruments,
        io_manager: TheIOManager,
        strict_exception_groups: bool,
        is_guest: bool = False,
    ) -> None:
        self.clock = clock
        self.instruments = instruments
        self.io_manager = io_manager
        self.strict_exception_groups = strict_exception_groups
        self.is_guest = is_guest
        self.ki_manager = KIManager()
        self.runq: list[Task | CallbackHandle] = []
        self.tasks: dict[Task, None] = {}  # every live task (an ordered set)
        self.deadlines = Deadlines()
        self.init_task: Task | None = None
        self.main_task: Task | None = None
        self.main_task_outcome: Outcome[Any] | None = None
        self.system_nursery: Nursery | None = None
        self.system_context = contextvars.copy_context()
        self.entry_queue = EntryQueue(self.force_wakeup)
        self.entry_task: Task | None = None
        self.entry_task_parked = False
        self._token: TetherToken | None = None
        self.ki_pending = False
        self._ki_interrupt_queued = False
        self.waiting_for_idle: SortedDict = SortedDict()
        self.clock_autojump_threshold = inf
        self.asyncgens = AsyncGenerators()
        self._locals: dict[object, object] = {}
        self.cancelled_class: type[Cancelled] = Cancelled
        self.callback_error_handler: Callable[[BaseException, CallbackHandle], object] | None = (
            None
        )
        self.crash_errors: list[BaseException] = []
        self.guest_tick_scheduled = False
        self.guest_state: _GuestState | None = None
        # Stepped runs poll every iteration, and leave the thread outside the
        # run between steps (see unrolled_run).
        self.steps_per_io_poll = _STEPS_PER_IO_POLL
        self.stepped = False
        # A stepped run's current step goes on to its next iteration without
        # returning to the driver while this returns True (see SteppedRun.step).
        self.keep_stepping: Callable[[], bool] | None = None
        # A stepped run's after_io_wait hook (see open_stepped_run).
        self.after_io_wait_hook: Callable[[], object] | None = None
        # Set (after the write) by force_wakeup: the wake-up socket may hold a
        # byte that only a poll drains. Lets a stepped run skip its zero-timeout
        # poll while nothing is registered (see unrolled_run).
        self.wakeup_pending = False
        self.sniffio_name: str | None = None  # None: tether's own name
        self.abandoned = False  # set by start_guest_run
        seed = os.environ.get(SHUFFLE_ENV_VAR)
        self.shuffle_rng: random.Random | None = None if seed is None else random.Random(seed)

    # -- waking things up --------------------------------------------------------

    def force_wakeup(self) -> None:
        self.io_manager.force_wakeup()
        # After the write, so a poll that sees the flag sees the byte too.
        self.wakeup_pending = True

    def deadline_changed(self) -> None:
        """Guest mode: the host may be blocked with a stale timeout."""
        if self.is_guest:
            self.force_guest_tick_asap()

    def force_guest_tick_asap(self) -> None:
        if self.guest_tick_scheduled:
            return
        self.guest_tick_scheduled = True
        self.io_manager.force_wakeup()

    def reschedule(self, task: Task, next_send: Outcome[Any] = VALUE_NONE) -> None:
        """Put a task parked in ``wait_task_rescheduled`` back in the run queue."""
        if task._next_send is not None:
            raise RuntimeError(f"{task!r} was rescheduled twice (or was never asleep)")
        task._abort_func = None
        task.custom_sleep_data = None
        task._next_send = next_send
        if self.is_guest and not self.runq:
            self.force_guest_tick_asap()
        self.runq.append(task)
        if "task_scheduled" in self.instruments:
            self.instruments.call("task_scheduled", task)

    # -- spawning and exiting -------------------------------------------------

    def spawn_impl(
        self,
        async_fn: Callable[..., Awaitable[object]] | None,
        args: Sequence[object],
        nursery: Nursery | None,
        name: object,
        *,
        system_task: bool = False,
        context: contextvars.Context | None = None,
        coro: Coroutine[Any, Any, Any] | None = None,
    ) -> Task:
        if nursery is not None and nursery._closed:
            raise RuntimeError("Nursery is closed to new arrivals")
        if context is None:
            context = self.system_context.copy() if system_task else contextvars.copy_context()
        if coro is None:
            assert async_fn is not None
            if type(async_fn) is FunctionType and async_fn.__code__.co_flags & CO_COROUTINE:
                # Calling an ``async def`` function runs none of its code, so
                # it need not happen inside the new context.
                coro = async_fn(*args)
            else:
                coro = context.run(coroutine_or_error, async_fn, args)
            if name is None:
                name = async_fn
        elif name is None:
            name = coro
        # (Task turns a non-string name into a string when first asked.)
        # (Exact type first: on 3.11 reading cr_frame materialises a frame object.)
        if type(coro) is not CoroutineType and not hasattr(coro, "cr_frame"):
            # A coroutine implemented in C or Cython: give it a Python frame,
            # which KeyboardInterrupt protection needs.
            coro = _python_wrapper(coro)
        # type.__call__ skips NoPublicConstructor's guard (and its cost).
        task: Task = type.__call__(Task, coro, self, name, context, nursery, system_task)
        self.tasks[task] = None
        if nursery is not None:
            nursery._children[task] = None
            # (task._activate_cancel_status(), inlined: a new task has none yet.)
            status = nursery._cancel_status
            status._tasks[task] = None
            task._cancel_status = status
            if status.effectively_cancelled:
                task._attempt_delivery_of_any_pending_cancel()
        if self.instruments:
            if "task_spawned" in self.instruments:
                self.instruments.call("task_spawned", task)
            if "task_scheduled" in self.instruments:
                self.instruments.call("task_scheduled", task)
        if self.is_guest and not self.runq:
            self.force_guest_tick_asap()
        self.runq.append(task)
        return task

    def task_exited(self, task: Task, result: Outcome[Any]) -> None:
        status = task._cancel_status
        if status is not None and status.abandoned_by_misnesting and status.parent is None:
            # The task exited a scope out of order; report it.
            result = Error(
                RuntimeError(
                    f"Cancel scope stack corrupted: cancel scope surrounding {task!r} "
                    "was exited while still in effect"
                )
            )
        elif (
            task._parent_nursery is not None
            and status is not None
            and status is not task._parent_nursery._cancel_status
            and type(result) is not Error
        ):
            result = Error(
                RuntimeError(
                    f"Cancel scope stack corrupted: {task!r} exited without leaving "
                    "every cancel scope it entered"
                )
            )
        while task._child_nurseries:
            nursery = task._child_nurseries.pop()
            nursery.cancel_scope._cancel(
                CancelReason(
                    "nursery",
                    repr(task),
                    "Parent Task exited prematurely, abandoning this nursery "
                    "without exiting it properly.",
                )
            )
            nursery._closed = True
        # (task._activate_cancel_status(None), inlined.)
        status = task._cancel_status
        if status is not None:
            status._tasks.pop(task, None)
            task._cancel_status = None  # type: ignore[assignment]
        task._outcome = result
        del self.tasks[task]
        if task is self.main_task:
            self.main_task_outcome = result
            result = Value(None)
        elif task is self.init_task:
            if "task_exited" in self.instruments:
                self.instruments.call("task_exited", task)
            if type(result) is Error:
                raise TetherInternalError("internal error in tether") from result.error
            return
        if (
            type(result) is Error
            and task._system
            and not isinstance(result.error, Cancelled)  # shutdown is fine
        ):
            # A crashed system task takes the whole run down, gracefully.
            self.crash(result.error)
            result = Value(None)
        if task in GLOBAL_PARKING_LOT_BREAKER:
            for lot in GLOBAL_PARKING_LOT_BREAKER.pop(task):
                lot.break_lot(task)
        on_exit = task._on_exit
        if on_exit is not None:
            task._on_exit = None
            try:
                on_exit(task, result)
            except BaseException as exc:
                self.crash(exc)
            result = VALUE_NONE
        assert task._parent_nursery is not None
        task._parent_nursery._child_finished(task, result)
        if "task_exited" in self.instruments:
            self.instruments.call("task_exited", task)

    def crash(self, exc: BaseException) -> None:
        """Record an error that must end the run (as TetherInternalError)."""
        self.crash_errors.append(exc)
        if self.system_nursery is not None:
            self.system_nursery.cancel_scope._cancel(
                CancelReason("shutdown", reason="a system task or callback crashed")
            )

    def callback_failed(self, exc: BaseException, handle: CallbackHandle) -> None:
        handler = self.callback_error_handler
        if handler is None:
            self.crash(exc)
            return
        try:
            handler(exc, handle)
        except BaseException as exc2:
            self.crash(exc2)

    # -- the init task ------------------------------------------------------------

    async def init(
        self, async_fn: Callable[..., Awaitable[object]], args: Sequence[object]
    ) -> None:
        async with open_nursery() as run_sync_soon_nursery:
            async with open_nursery() as self.system_nursery:
                async with open_nursery() as main_task_nursery:
                    try:
                        self.main_task = self.spawn_impl(async_fn, args, main_task_nursery, None)
                    except BaseException as exc:
                        self.main_task_outcome = Error(exc)
                        return
                    self.entry_task = self.spawn_impl(
                        self.entry_queue_task,
                        (),
                        run_sync_soon_nursery,
                        "<TetherToken.run_sync_soon task>",
                        system_task=True,
                    )
                # The main task is done: shut the system tasks down.
                self.system_nursery.cancel_scope._cancel(CancelReason("shutdown"))
            await self.asyncgens.finalize_remaining(self)
            # Nothing user-provided can run any more, except run_sync_soon
            # callbacks, so the entry queue can close.
            run_sync_soon_nursery.cancel_scope._cancel(CancelReason("shutdown"))
        if self.crash_errors:
            raise BaseExceptionGroup("tether crashed", self.crash_errors)

    async def entry_queue_task(self) -> None:
        entry_queue = self.entry_queue

        def abort(_: RaiseCancelT) -> Abort:
            self.entry_task_parked = False
            return Abort.SUCCEEDED

        try:
            while True:
                entry_queue.run_pending(self._entry_callback_failed)
                if entry_queue.queue or entry_queue.idempotent_queue:
                    await cancel_shielded_checkpoint()
                    continue
                self.entry_task_parked = True
                await wait_task_rescheduled(abort)
        except Cancelled:
            pass
        finally:
            # Whatever arrives from now on is refused; whatever is queued
            # still runs.
            entry_queue.close()
            entry_queue.run_pending(self._entry_callback_failed)

    def _entry_callback_failed(self, exc: BaseException) -> None:
        self.crash(exc)

    def wake_entry_task(self) -> None:
        if self.entry_task_parked and self.entry_task is not None:
            self.entry_task_parked = False
            self.reschedule(self.entry_task)

    # -- KeyboardInterrupt ------------------------------------------------------

    def deliver_ki(self) -> None:
        self.ki_pending = True
        try:
            self.entry_queue.run_sync_soon(self._deliver_ki_cb, idempotent=True)
        except RunFinishedError:
            pass

    def _deliver_ki_cb(self) -> None:
        if not self.ki_pending or self._ki_interrupt_queued:
            return
        main = self.main_task
        if main is None or main._outcome is not None:
            return  # run() raises KeyboardInterrupt at the end

        def make_ki() -> BaseException:
            self.ki_pending = False
            self._ki_interrupt_queued = False
            return KeyboardInterrupt()

        self._ki_interrupt_queued = True
        deliver_interrupt(main, make_ki, shieldable=False)

    # -- run-wide plumbing --------------------------------------------------------

    @property
    def token(self) -> TetherToken:
        if self._token is None:
            self._token = make_token(self)
        return self._token

    def close(self) -> None:
        self.io_manager.close()
        self.entry_queue.close()
        self.asyncgens.close()
        self.ki_manager.close()
        # Timers of an abandoned run (a closed stepped run) must not keep
        # what their callbacks refer to alive.
        self.deadlines.clear()

    def step_task_throw(self, task: Task, exc: BaseException) -> None:
        """Resume ``task`` by throwing ``exc`` into its coroutine (used for
        foreign yields, whose yield points expect that protocol, and for
        tasks interrupted before their first step)."""
        self._step_task_with(task, task.coro.throw, exc)

    def start_interrupted_task(self, task: Task) -> None:
        """First step of a task that received an interrupt before it ever
        ran: the exception is thrown in at the start, so none of the
        coroutine's body runs (asyncio's cancel-before-start), unless the
        interrupt was withdrawn meanwhile."""
        factory = task._take_deliverable_interrupt()
        if factory is None:
            self._step_task_with(task, task.coro.send, None)
        else:
            self._step_task_with(task, task.coro.throw, factory())

    def _step_task_with(self, task: Task, method: Callable[[Any], Any], arg: Any) -> None:
        ctx = GLOBAL_RUN_CONTEXT
        ctx.task = task
        try:
            msg = task.context.run(method, arg)
        except StopIteration as stop:
            result: Outcome[Any] | None = Value(stop.value)
        except BaseException as task_exc:
            tb = task_exc.__traceback__
            result = error_outcome(task_exc.with_traceback(tb.tb_next if tb is not None else None))
            del tb  # (this frame's traceback entry would keep the frame in a cycle)
        else:
            result = self.handle_msg(task, msg)
        finally:
            del ctx.task
        if result is not None:
            self.task_exited(task, result)

    def handle_msg(self, task: Task, msg: object) -> Outcome[Any] | None:
        """Deal with anything a task yielded other than the two hot cases."""
        if msg is YIELD:
            task._next_send = task
            self.runq.append(task)
            if "task_scheduled" in self.instruments:
                self.instruments.call("task_scheduled", task)
        elif type(msg) is WaitTaskRescheduled:
            task._cancel_points += 1
            if task._next_send is None:
                task._abort_func = msg.abort_func
            if (
                task._cancel_status.effectively_cancelled
                or task._pending_interrupts is not None
            ):
                task._attempt_delivery_of_any_pending_cancel()
        elif type(msg) is PermanentlyDetachCoroutineObject:
            return msg.final_outcome
        else:
            exc = TypeError(
                f"tether.run received unrecognized yield message {msg!r}. "
                "Are you trying to use a library written for some other framework "
                "like asyncio? That won't work without some kind of compatibility "
                "shim (for asyncio code, see tether_asyncio)."
            )
            self.runq.append(
                CallbackHandle(self, self.step_task_throw, (task, exc), None)
            )
        return None


async def _python_wrapper(orig_coro: Awaitable[T]) -> T:
    return await orig_coro


def setup_runner(
    clock: Clock | None,
    instruments: Sequence[Instrument],
    restrict_keyboard_interrupt_to_checkpoints: bool,
    strict_exception_groups: bool,
    *,
    is_guest: bool = False,
    ki: bool = True,
    nested_ok: bool = False,
) -> Runner:
    if not nested_ok and hasattr(GLOBAL_RUN_CONTEXT, "runner"):
        raise RuntimeError("Attempted to call run() from inside a run()")
    if clock is None:
        clock = SystemClock()
    elif not isinstance(clock, Clock):
        raise TypeError(f"clock must be a tether.abc.Clock, not {clock!r}")
    if not strict_exception_groups:
        from .._deprecate import warn_deprecated

        warn_deprecated(
            "strict_exception_groups=False",
            version="0.1",
            issue=None,
            instead="the default value of True and rewrite exception handlers to handle "
            "ExceptionGroups",
        )
    runner = Runner(
        clock,
        Instruments(instruments),
        TheIOManager(),
        strict_exception_groups,
        is_guest=is_guest,
    )
    if ki:
        runner.ki_manager.install(runner.deliver_ki, restrict_keyboard_interrupt_to_checkpoints)
    return runner


@enable_ki_protection
def unrolled_run(
    runner: Runner,
    async_fn: Callable[..., Awaitable[object]],
    args: Sequence[object],
    host_uses_signal_set_wakeup_fd: bool = False,
) -> Generator[float, Any, None]:
    """The run loop, one ``yield`` per iteration (see the module docstring)."""
    __tracebackhide__ = True
    ctx = GLOBAL_RUN_CONTEXT
    ctx.runner = runner
    announced_before = _sniffio.enter(runner.sniffio_name)
    stepped = runner.stepped
    shares_thread = runner.is_guest or stepped
    try:
        if not host_uses_signal_set_wakeup_fd:
            runner.io_manager._force_wakeup.wakeup_on_signals()
        runner.asyncgens.install_hooks(runner)
        if "before_run" in runner.instruments:
            runner.instruments.call("before_run")
        runner.clock.start_clock()
        runner.init_task = runner.spawn_impl(
            runner.init, (async_fn, args), None, "<init>", system_task=True
        )

        clock = runner.clock
        deadlines = runner.deadlines
        heap = deadlines._heap
        instruments = runner.instruments
        entry_queue = runner.entry_queue
        io_manager = runner.io_manager
        tasks = runner.tasks
        Task_ = Task
        YIELD_ = YIELD
        Wait_ = WaitTaskRescheduled
        handle_msg = runner.handle_msg
        task_exited = runner.task_exited
        # Thread-locals are read and written through their per-thread dicts:
        # an attribute access on a threading.local costs ~60 ns, a dict
        # operation a fifth of that. A dict is fetched again whenever the
        # generator may have been resumed in another thread (a stepped run
        # may be stepped from any thread); within one send() it stays valid.
        ctx_dict = ctx.__dict__
        # A stepped run enters and leaves the run once per step: sniffio's
        # thread-local is set directly (enter()/leave() calls would show).
        sniff = _sniffio.THREAD_LOCAL if stepped else None
        sniff_dict: dict[str, Any] = sniff.__dict__ if sniff is not None else {}
        after_io_wait_hook = runner.after_io_wait_hook
        max_block = inf
        announced: str | None = None

        # Start "due", so the first iteration always yields to the driver
        # (guest mode relies on that to report start-up errors at once).
        steps_per_poll = runner.steps_per_io_poll
        steps_since_poll = steps_per_poll
        cushion = 0.0
        while tasks:
            idle_primed = 0
            if runner.runq and steps_since_poll < steps_per_poll:
                # Busy: skip the zero-timeout poll this iteration (see
                # _STEPS_PER_IO_POLL). Timers and run_sync_soon are still
                # checked below.
                pass
            else:
                if stepped and (runner.keep_stepping is None or not runner.keep_stepping()):
                    # Between two steps the thread is outside the run; the
                    # driver's next step() resumes here with its max_block.
                    if sniff is not None:
                        sniff_dict["name"] = announced_before
                    del ctx_dict["runner"]
                    max_block = yield STEP_DONE
                    ctx_dict = ctx.__dict__
                    ctx_dict["runner"] = runner
                    if sniff is not None:
                        sniff_dict = sniff.__dict__
                        announced_before = sniff_dict.get("name")
                        announced = runner.sniffio_name
                        if announced is None:
                            announced = _sniffio.LIBRARY_NAME[0]
                        sniff_dict["name"] = announced
                if runner.runq:
                    timeout = 0.0
                else:
                    timeout = clock.deadline_to_sleep_time(deadlines.next_deadline())
                    if timeout < 0:
                        timeout = 0.0
                    elif timeout > _MAX_TIMEOUT:
                        timeout = _MAX_TIMEOUT
                if runner.waiting_for_idle:
                    cushion = runner.waiting_for_idle.keys()[0][0]
                    if cushion < timeout:
                        timeout = cushion
                        idle_primed = _WAITING_FOR_IDLE
                elif runner.clock_autojump_threshold < timeout:
                    timeout = runner.clock_autojump_threshold
                    idle_primed = _AUTOJUMP_CLOCK

                if "before_io_wait" in instruments:
                    instruments.call("before_io_wait", timeout)
                if stepped:
                    # A stepped run polls here, inside the step.
                    if timeout > max_block:
                        timeout = max_block
                    if timeout > 0:
                        # Blocking: the driver waits (as the other drivers
                        # do), outside the run, so that a signal handler
                        # running meanwhile sees the thread as between steps
                        # (and wakes the wait), and what it raises comes out
                        # of step() rather than out of this generator.
                        if sniff is not None:
                            sniff_dict["name"] = announced_before
                        del ctx_dict["runner"]
                        runner.wakeup_pending = False
                        events = yield timeout
                        ctx_dict = ctx.__dict__
                        ctx_dict["runner"] = runner
                        if sniff is not None:
                            sniff_dict = sniff.__dict__
                            sniff_dict["name"] = announced
                        io_manager.process_events(events)
                    elif runner.wakeup_pending or io_manager._registered:
                        runner.wakeup_pending = False
                        io_manager.process_events(io_manager.get_events(0.0))
                    # Otherwise nothing but the wake-up socket is registered
                    # and nothing has written to it since the last poll: a
                    # zero-timeout poll could only come back empty, so the
                    # system call is skipped. (Stock asyncio polls each
                    # iteration; with no fd registered, that poll cannot
                    # change what runs, or in which order.)
                    if after_io_wait_hook is not None:
                        try:
                            after_io_wait_hook()
                        except BaseException as exc:
                            runner.crash(exc)
                elif shares_thread:
                    _sniffio.leave(announced_before)
                    events = yield timeout
                    ctx_dict = ctx.__dict__  # (the host's thread)
                    announced_before = _sniffio.enter(runner.sniffio_name)
                    io_manager.process_events(events)
                else:
                    events = yield timeout
                    io_manager.process_events(events)
                steps_since_poll = 0
                if "after_io_wait" in instruments:
                    instruments.call("after_io_wait", timeout)
            if entry_queue.queue or entry_queue.idempotent_queue:
                runner.wake_entry_task()

            if heap and heap[0][0] <= clock.current_time():
                deadlines.expire(clock.current_time())

            if idle_primed and not runner.runq:
                if idle_primed == _WAITING_FOR_IDLE:
                    while runner.waiting_for_idle:
                        key, waiter = runner.waiting_for_idle.peekitem(0)
                        if key[0] != cushion:
                            break
                        del runner.waiting_for_idle[key]
                        runner.reschedule(waiter)
                else:
                    clock._autojump()  # type: ignore[attr-defined]
                    if heap and heap[0][0] <= clock.current_time():
                        deadlines.expire(clock.current_time())

            batch = runner.runq
            runner.runq = []
            steps_since_poll += len(batch)
            if runner.shuffle_rng is not None:
                runner.shuffle_rng.shuffle(batch)
            # ctx.task is set for each task step and cleared once per batch
            # (and before each plain callback): code between two steps of one
            # batch never looks at it, and a thread-local delete per step
            # costs more than a tenth of a bare checkpoint.
            for item in batch:
                if type(item) is not Task_:
                    ctx_dict.pop("task", None)
                    item._run()  # type: ignore[union-attr]
                    continue
                task = item
                ctx_dict["task"] = task
                if instruments and "before_task_step" in instruments:
                    instruments.call("before_task_step", task)
                next_send = task._next_send
                task._next_send = None
                task._schedule_points += 1
                result: Outcome[Any] | None = None
                try:
                    msg = task.context.run(task.coro.send, next_send)
                except StopIteration as stop:
                    value = stop.value
                    result = VALUE_NONE if value is None else Value(value)
                except BaseException as task_exc:
                    if next_send is START_INTERRUPTED:
                        # send() refused a just-started coroutine: nothing ran.
                        result = _RESTART
                    else:
                        tb = task_exc.__traceback__
                        result = error_outcome(
                            task_exc.with_traceback(tb.tb_next if tb is not None else None)
                        )
                        del tb
                    del task_exc
                else:
                    if msg is YIELD_:
                        task._next_send = task
                        runner.runq.append(task)
                        if instruments and "task_scheduled" in instruments:
                            instruments.call("task_scheduled", task)
                    elif type(msg) is Wait_:
                        # A blocking wait is a cancel point (as in Trio).
                        task._cancel_points += 1
                        # (A task may reschedule itself before yielding.)
                        if task._next_send is None:
                            task._abort_func = msg.abort_func
                        if (
                            task._cancel_status.effectively_cancelled
                            or task._pending_interrupts is not None
                        ):
                            task._attempt_delivery_of_any_pending_cancel()
                    else:
                        result = handle_msg(task, msg)
                if result is not None:
                    if result is _RESTART:  # outside the except block, on purpose
                        runner.start_interrupted_task(task)
                    else:
                        task_exited(task, result)
                    result = None
                if instruments and "after_task_step" in instruments:
                    instruments.call("after_task_step", task)
            ctx_dict.pop("task", None)
            # Drop what the last step left in locals (its task, the value sent
            # in, the trap message with its abort function), so nothing is
            # kept alive until another task happens to be stepped.
            del batch
            item = task = msg = next_send = None  # type: ignore[assignment]

        # Everything has exited.
        if runner.ki_pending:
            ki = KeyboardInterrupt()
            if isinstance(runner.main_task_outcome, Error):
                ki.__context__ = runner.main_task_outcome.error
            runner.main_task_outcome = Error(ki)
        if "after_run" in runner.instruments:
            runner.instruments.call("after_run")
    except GeneratorExit:
        # The driver abandoned us: nothing more can run.
        if runner.is_guest:
            warnings.warn(
                RuntimeWarning(
                    "tether guest run got abandoned without properly finishing... "
                    "weird stuff might happen"
                ),
                stacklevel=1,
            )
        raise
    except TetherInternalError:
        raise
    except BaseException as exc:
        raise TetherInternalError("internal error in tether - please file a bug!") from exc
    finally:
        if ctx.__dict__.get("runner") is runner:
            _sniffio.leave(announced_before)
            ctx.__dict__.pop("task", None)
            del ctx.runner
        # (Otherwise a stepped run closed between steps: it has left the
        # thread already, which may be inside another run by now.)
        runner.close()


# -- entry points -----------------------------------------------------------------


@enable_ki_protection
def run(
    async_fn: Callable[..., Awaitable[T]],
    *args: object,
    clock: Clock | None = None,
    instruments: Sequence[Instrument] = (),
    restrict_keyboard_interrupt_to_checkpoints: bool = False,
    strict_exception_groups: bool = True,
) -> T:
    """Run ``async_fn(*args)`` as the main task of a new run, and return its result.

    Everything tether does happens inside a call to ``run``: it starts the
    scheduler, runs the function, waits until every task it started has
    finished, and returns what the function returned (or raises what it
    raised).

    Args:
        async_fn: an async function (not a coroutine object: pass ``main``,
            not ``main()``).
        args: positional arguments for ``async_fn``.
        clock: a :class:`tether.abc.Clock` (default: the system's
            monotonic clock, with no offset).
        instruments: :class:`tether.abc.Instrument` objects to install.
        restrict_keyboard_interrupt_to_checkpoints: if true, Ctrl-C raises
            :exc:`KeyboardInterrupt` only at the main task's checkpoints,
            never in the middle of user code.
        strict_exception_groups: if true (the default), nurseries always
            wrap errors in an :exc:`ExceptionGroup`. False is deprecated.

    Raises:
        RuntimeError: if called from inside another run in the same thread.
        TypeError: if ``async_fn`` is not an async function.
        TetherInternalError: if a system task or callback crashed, or
            tether itself has a bug.
    """
    __tracebackhide__ = True
    runner = setup_runner(
        clock, instruments, restrict_keyboard_interrupt_to_checkpoints, strict_exception_groups
    )
    gen = unrolled_run(runner, async_fn, args)
    get_events = runner.io_manager.get_events
    try:
        timeout = gen.send(None)
        while True:
            events = get_events(timeout)
            timeout = gen.send(events)
    except StopIteration:
        pass
    finally:
        gen.close()
    result = runner.main_task_outcome
    assert result is not None
    # Unwrapped inline, to keep an extra frame out of every traceback.
    if type(result) is not Error:
        return result.value  # type: ignore[attr-defined, no-any-return]
    exc = result.error
    try:
        raise exc
    finally:
        del exc, result


# -- public functions that need the runner -----------------------------------


def current_time() -> float:
    """The current time according to the run's clock (seconds, a float).

    With the default clock this equals :func:`time.perf_counter` (no offset).

    Raises:
        RuntimeError: outside a run.
    """
    return current_runner().clock.current_time()


def current_clock() -> Clock:
    """The run's :class:`~tether.abc.Clock`."""
    return current_runner().clock


def current_root_task() -> Task | None:
    """The run's root task (the parent of everything, including the main task)."""
    return current_runner().init_task


def current_statistics() -> RunStatistics:
    """A :class:`RunStatistics` snapshot of the run loop."""
    runner = current_runner()
    return RunStatistics(
        tasks_living=len(runner.tasks),
        tasks_runnable=sum(1 for item in runner.runq if type(item) is Task),
        seconds_to_next_deadline=runner.deadlines.next_deadline() - runner.clock.current_time(),
        io_statistics=runner.io_manager.statistics(),
        run_sync_soon_queue_size=runner.entry_queue.size(),
    )


def current_tether_token() -> TetherToken:
    """The current run's :class:`TetherToken` (Trio: ``current_trio_token``)."""
    return current_runner().token


def reschedule(task: Task, next_send: Outcome[Any] = VALUE_NONE) -> None:
    """Wake a task that is asleep in :func:`wait_task_rescheduled`.

    Args:
        task: the sleeping task.
        next_send: the :class:`outcome.Outcome` its ``wait_task_rescheduled``
            call returns (or raises). Default: ``Value(None)``.

    Raises:
        RuntimeError: if the task is not asleep (already scheduled).
    """
    # (current_runner(), inlined: this is on every wake-up's path.)
    try:
        runner = GLOBAL_RUN_CONTEXT.runner
    except AttributeError:
        runner = current_runner()  # raises the friendly RuntimeError
    runner.reschedule(task, next_send)


def spawn_system_task(
    async_fn: Callable[..., Awaitable[object]],
    *args: object,
    name: object = None,
    context: contextvars.Context | None = None,
) -> Task:
    """Start a *system task*: one that belongs to the run rather than to a
    nursery the caller holds.

    System tasks live in a run-wide nursery, are cancelled when the main
    task exits, are protected from KeyboardInterrupt by default, and must
    not raise: an error in one crashes the run with
    :exc:`~tether.TetherInternalError`. (A :exc:`~tether.Cancelled` at
    shutdown is fine.)

    Args:
        context: the :class:`contextvars.Context` to run in (default: a
            copy of the context :func:`run` was called in).
    """
    runner = current_runner()
    return runner.spawn_impl(
        async_fn, args, runner.system_nursery, name, system_task=True, context=context
    )


def current_effective_deadline() -> float:
    """The earliest deadline that applies to the current code, taking
    shields into account (``-inf`` if it is already cancelled, ``inf`` if
    there is none)."""
    status: CancelStatus | None = current_task()._cancel_status
    deadline = inf
    while status is not None:
        if status.effectively_cancelled:
            return -inf
        scope = status._scope
        if scope._deadline < deadline:
            deadline = scope._deadline
        if scope._shield:
            break
        status = status._parent
    return deadline


def add_instrument(instrument: Instrument) -> None:
    """Start calling ``instrument``'s hooks in the current run (no-op if present)."""
    current_runner().instruments.add_instrument(instrument)


def remove_instrument(instrument: Instrument) -> None:
    """Stop calling ``instrument``'s hooks.

    Raises:
        KeyError: if it was not installed.
    """
    current_runner().instruments.remove_instrument(instrument)


async def wait_all_tasks_blocked(cushion: float = 0.0) -> None:
    """Block until every other task in the run is blocked, and has been for
    ``cushion`` seconds of real time; then return.

    The building block for deterministic tests: after it returns, anything
    the other tasks could do without outside input has been done. Tasks
    waiting here with smaller cushions wake first; equal cushions wake
    together.
    """
    task = current_task()
    runner = task._runner
    key = (cushion, id(task))
    runner.waiting_for_idle[key] = task

    def abort(_: RaiseCancelT) -> Abort:
        del runner.waiting_for_idle[key]
        return Abort.SUCCEEDED

    await wait_task_rescheduled(abort)


def _after_fork_in_child() -> None:
    # The child is a new process: no run, no worker threads, and none of the
    # parent run's signal plumbing (its SIGINT handler would deliver to a
    # dead copy of the run; its wake-up fd is a socket shared with the parent).
    runner = GLOBAL_RUN_CONTEXT.__dict__.get("runner")
    if runner is not None:
        runner.ki_manager.close()
        wakeup_fd = runner.io_manager._force_wakeup.write_sock.fileno()
        try:
            old = signal.set_wakeup_fd(-1)
        except ValueError:  # not the main thread
            pass
        else:
            if old != wakeup_fd:
                signal.set_wakeup_fd(old)
    GLOBAL_RUN_CONTEXT.__dict__.clear()
    THREAD_CACHE._idle_workers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
