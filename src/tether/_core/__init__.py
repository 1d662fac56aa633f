"""The core runtime. Every name here is public somewhere: in ``tether``,
``tether.lowlevel``, ``tether.abc`` or ``tether.testing``.

This package imports nothing from the rest of tether except the leaf
helpers in ``tether._util`` and ``tether._deprecate``.
"""

from ._abc import Clock, Instrument
from ._callbacks import (
    CallbackHandle,
    schedule_callback,
    schedule_callback_at,
    set_callback_error_handler,
)
from ._cancel import CancelScope
from ._context import current_task, in_tether_run, in_tether_task
from ._entry_queue import TetherToken
from ._exceptions import (
    BrokenResourceError,
    BusyResourceError,
    Cancelled,
    ClosedResourceError,
    EndOfChannel,
    RunFinishedError,
    TetherInternalError,
    WouldBlock,
)
from ._guest import SteppedRun, open_stepped_run, start_guest_run
from ._hooks import abandon_owned, set_cancelled_class, spawn_owned, step_owned_now
from ._interrupts import deliver_interrupt, discard_interrupts, pending_interrupts
from ._io import notify_closing, wait_readable, wait_writable, watch_readable, watch_writable
from ._io_epoll import ReadinessWatch
from ._ki import currently_ki_protected, disable_ki_protection, enable_ki_protection
from ._local import RunVar, RunVarToken
from ._mock_clock import MockClock
from ._nursery import TASK_STATUS_IGNORED, Nursery, TaskStatus, open_nursery
from ._parking_lot import (
    ParkingLot,
    ParkingLotStatistics,
    add_parking_lot_breaker,
    remove_parking_lot_breaker,
)
from ._run import (
    RunStatistics,
    add_instrument,
    current_clock,
    current_effective_deadline,
    current_root_task,
    current_statistics,
    current_tether_token,
    current_time,
    remove_instrument,
    reschedule,
    run,
    spawn_system_task,
    wait_all_tasks_blocked,
)
from ._task import Task
from ._thread_cache import start_thread_soon
from ._time import sleep, sleep_forever, sleep_until
from ._traps import (
    Abort,
    RaiseCancelT,
    WaitTaskRescheduled,
    cancel_shielded_checkpoint,
    checkpoint,
    checkpoint_if_cancelled,
    permanently_detach_coroutine_object,
    reattach_detached_coroutine_object,
    temporarily_detach_coroutine_object,
    wait_task_rescheduled,
)
from ._tree import format_task_tree, print_task_tree
from ._unbounded_queue import UnboundedQueue, UnboundedQueueStatistics

__all__ = [
    "TASK_STATUS_IGNORED",
    "Abort",
    "BrokenResourceError",
    "BusyResourceError",
    "CallbackHandle",
    "CancelScope",
    "Cancelled",
    "Clock",
    "ClosedResourceError",
    "EndOfChannel",
    "Instrument",
    "MockClock",
    "Nursery",
    "ParkingLot",
    "ParkingLotStatistics",
    "RaiseCancelT",
    "ReadinessWatch",
    "RunFinishedError",
    "RunStatistics",
    "RunVar",
    "RunVarToken",
    "SteppedRun",
    "Task",
    "TaskStatus",
    "TetherInternalError",
    "TetherToken",
    "UnboundedQueue",
    "UnboundedQueueStatistics",
    "WaitTaskRescheduled",
    "WouldBlock",
    "abandon_owned",
    "add_instrument",
    "add_parking_lot_breaker",
    "cancel_shielded_checkpoint",
    "checkpoint",
    "checkpoint_if_cancelled",
    "current_clock",
    "current_effective_deadline",
    "current_root_task",
    "current_statistics",
    "current_task",
    "current_tether_token",
    "current_time",
    "currently_ki_protected",
    "deliver_interrupt",
    "disable_ki_protection",
    "discard_interrupts",
    "enable_ki_protection",
    "format_task_tree",
    "in_tether_run",
    "in_tether_task",
    "notify_closing",
    "open_nursery",
    "open_stepped_run",
    "pending_interrupts",
    "permanently_detach_coroutine_object",
    "print_task_tree",
    "reattach_detached_coroutine_object",
    "remove_instrument",
    "remove_parking_lot_breaker",
    "reschedule",
    "run",
    "schedule_callback",
    "schedule_callback_at",
    "set_callback_error_handler",
    "set_cancelled_class",
    "sleep",
    "sleep_forever",
    "sleep_until",
    "spawn_owned",
    "spawn_system_task",
    "start_guest_run",
    "start_thread_soon",
    "step_owned_now",
    "temporarily_detach_coroutine_object",
    "wait_all_tasks_blocked",
    "wait_readable",
    "wait_task_rescheduled",
    "wait_writable",
    "watch_readable",
    "watch_writable",
]
