"""Low-level building blocks: the scheduler's traps, tasks, parking lots,
run-wide variables, tokens for other threads, guest mode, and the hooks
that compatibility layers (like ``tether_asyncio``) are built on.

Trio's names are here too: ``TrioToken``, ``current_trio_token``,
``in_trio_run`` and ``in_trio_task`` are aliases of the tether-named ones.
"""

from ._core import (
    Abort as Abort,
)
from ._core import (
    CallbackHandle as CallbackHandle,
)
from ._core import (
    ParkingLot as ParkingLot,
)
from ._core import (
    ParkingLotStatistics as ParkingLotStatistics,
)
from ._core import (
    RaiseCancelT as RaiseCancelT,
)
from ._core import ReadinessWatch as ReadinessWatch
from ._core import (
    RunStatistics as RunStatistics,
)
from ._core import (
    RunVar as RunVar,
)
from ._core import (
    RunVarToken as RunVarToken,
)
from ._core import (
    SteppedRun as SteppedRun,
)
from ._core import (
    Task as Task,
)
from ._core import (
    TetherToken as TetherToken,
)
from ._core import (
    UnboundedQueue as UnboundedQueue,
)
from ._core import (
    UnboundedQueueStatistics as UnboundedQueueStatistics,
)
from ._core import WaitTaskRescheduled as WaitTaskRescheduled
from ._core import abandon_owned as abandon_owned
from ._core import (
    add_instrument as add_instrument,
)
from ._core import (
    add_parking_lot_breaker as add_parking_lot_breaker,
)
from ._core import (
    cancel_shielded_checkpoint as cancel_shielded_checkpoint,
)
from ._core import (
    checkpoint as checkpoint,
)
from ._core import (
    checkpoint_if_cancelled as checkpoint_if_cancelled,
)
from ._core import (
    current_clock as current_clock,
)
from ._core import (
    current_root_task as current_root_task,
)
from ._core import (
    current_statistics as current_statistics,
)
from ._core import (
    current_task as current_task,
)
from ._core import (
    current_tether_token as current_tether_token,
)
from ._core import (
    currently_ki_protected as currently_ki_protected,
)
from ._core import (
    deliver_interrupt as deliver_interrupt,
)
from ._core import (
    disable_ki_protection as disable_ki_protection,
)
from ._core import (
    discard_interrupts as discard_interrupts,
)
from ._core import (
    enable_ki_protection as enable_ki_protection,
)
from ._core import (
    format_task_tree as format_task_tree,
)
from ._core import (
    in_tether_run as in_tether_run,
)
from ._core import (
    in_tether_task as in_tether_task,
)
from ._core import (
    notify_closing as notify_closing,
)
from ._core import (
    open_stepped_run as open_stepped_run,
)
from ._core import (
    pending_interrupts as pending_interrupts,
)
from ._core import (
    permanently_detach_coroutine_object as permanently_detach_coroutine_object,
)
from ._core import (
    print_task_tree as print_task_tree,
)
from ._core import (
    reattach_detached_coroutine_object as reattach_detached_coroutine_object,
)
from ._core import (
    remove_instrument as remove_instrument,
)
from ._core import (
    remove_parking_lot_breaker as remove_parking_lot_breaker,
)
from ._core import (
    reschedule as reschedule,
)
from ._core import (
    schedule_callback as schedule_callback,
)
from ._core import (
    schedule_callback_at as schedule_callback_at,
)
from ._core import (
    set_callback_error_handler as set_callback_error_handler,
)
from ._core import (
    set_cancelled_class as set_cancelled_class,
)
from ._core import (
    spawn_owned as spawn_owned,
)
from ._core import (
    spawn_system_task as spawn_system_task,
)
from ._core import (
    start_guest_run as start_guest_run,
)
from ._core import (
    start_thread_soon as start_thread_soon,
)
from ._core import step_owned_now as step_owned_now
from ._core import (
    temporarily_detach_coroutine_object as temporarily_detach_coroutine_object,
)
from ._core import (
    wait_readable as wait_readable,
)
from ._core import (
    wait_task_rescheduled as wait_task_rescheduled,
)
from ._core import (
    wait_writable as wait_writable,
)
from ._core import (
    watch_readable as watch_readable,
)
from ._core import (
    watch_writable as watch_writable,
)
from ._socket import encode_hostname as encode_hostname
from ._subprocess import open_process as open_process
from ._unix_pipes import FdStream as FdStream
from ._util import fixup_module_metadata

# Trio's names.
TrioToken = TetherToken
current_trio_token = current_tether_token
in_trio_run = in_tether_run
in_trio_task = in_tether_task

fixup_module_metadata(__name__, globals())
del fixup_module_metadata
