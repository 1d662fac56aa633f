"""tether's public names against Trio 0.35's (../shared/REFERENCE.md §1).

The lists below are kept here on purpose: a name that disappears, or a Trio
name we have not provided, fails a test. Names of the I/O layer (sockets,
streams, TLS, subprocesses, files, signals, threads) are listed separately
as not provided yet; each entry must move to the main lists when it lands.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

import tether
import tether.testing

TRIO_NAMES: dict[str, set[str]] = {
    "tether": {
        "NeedHandshakeError", "SSLListener", "SSLStream", "open_ssl_over_tcp_listeners",
        "open_ssl_over_tcp_stream", "serve_ssl_over_tcp",
        "BrokenResourceError", "BusyResourceError", "CancelScope", "Cancelled",
        "CapacityLimiter", "CapacityLimiterStatistics", "ClosedResourceError", "Condition",
        "ConditionStatistics", "EndOfChannel", "Event", "EventStatistics", "Lock",
        "LockStatistics", "MemoryChannelStatistics", "MemoryReceiveChannel",
        "MemorySendChannel", "Nursery", "RunFinishedError", "Semaphore", "StrictFIFOLock",
        "TASK_STATUS_IGNORED", "TaskStatus", "TooSlowError", "TrioDeprecationWarning",
        "TrioInternalError", "WouldBlock", "aclose_forcefully", "as_safe_channel",
        "current_effective_deadline", "current_time", "fail_after", "fail_at",
        "move_on_after", "move_on_at", "open_memory_channel", "open_nursery", "run",
        "abc", "from_thread", "lowlevel", "socket", "to_thread",
        "sleep", "sleep_forever", "sleep_until",
        "SocketListener", "SocketStream", "StapledStream", "open_tcp_listeners",
        "open_tcp_stream", "open_unix_socket", "serve_listeners", "serve_tcp",
        "Path", "PosixPath", "WindowsPath", "open_file", "wrap_file",
        "Process", "open_signal_receiver", "run_process",
        "DTLSChannel", "DTLSChannelStatistics", "DTLSEndpoint",
    },
    "tether.lowlevel": {
        "Abort", "ParkingLot", "ParkingLotStatistics", "RaiseCancelT", "RunStatistics",
        "encode_hostname",
        "RunVar", "RunVarToken", "Task", "TrioToken", "UnboundedQueue",
        "UnboundedQueueStatistics", "add_instrument", "add_parking_lot_breaker",
        "cancel_shielded_checkpoint", "checkpoint", "checkpoint_if_cancelled",
        "current_clock", "current_root_task", "current_statistics", "current_task",
        "current_trio_token", "currently_ki_protected", "disable_ki_protection",
        "enable_ki_protection", "in_trio_run", "in_trio_task", "notify_closing",
        "permanently_detach_coroutine_object", "reattach_detached_coroutine_object",
        "remove_instrument", "remove_parking_lot_breaker", "reschedule",
        "spawn_system_task", "start_guest_run", "start_thread_soon",
        "FdStream", "open_process",
        "temporarily_detach_coroutine_object", "wait_readable", "wait_task_rescheduled",
        "wait_writable",
    },
    "tether.testing": {
        "MockClock", "Sequencer", "active_thread_count", "assert_checkpoints",
        "assert_no_checkpoints", "trio_test", "wait_all_tasks_blocked",
        "wait_all_threads_completed", "open_stream_to_socket_listener",
        "MemoryReceiveStream", "MemorySendStream", "check_half_closeable_stream",
        "check_one_way_stream", "check_two_way_stream", "lockstep_stream_one_way_pair",
        "lockstep_stream_pair", "memory_stream_one_way_pair", "memory_stream_pair",
        "memory_stream_pump",
    },
    "tether.abc": {
        "AsyncResource", "Channel", "Clock", "HalfCloseableStream", "HostnameResolver",
        "Instrument", "Listener", "ReceiveChannel", "ReceiveStream", "SendChannel",
        "SendStream", "SocketFactory", "Stream",
    },
}

# Tether's own additions (its word for Trio's "trio" names, and its extensions).
TETHER_NAMES: dict[str, set[str]] = {
    "tether": {
        "TetherDeprecationWarning", "TetherInternalError", "install_as_trio",
        "open_unix_listener",
    },
    "tether.lowlevel": {
        "CallbackHandle", "ReadinessWatch", "SteppedRun", "TetherToken",
        "current_tether_token", "watch_readable", "watch_writable",
        "deliver_interrupt", "discard_interrupts", "format_task_tree", "in_tether_run",
        "in_tether_task", "open_stepped_run", "pending_interrupts", "print_task_tree",
        "schedule_callback", "schedule_callback_at", "set_callback_error_handler",
        "set_cancelled_class", "spawn_owned", "step_owned_now", "abandon_owned",
        "WaitTaskRescheduled",
    },
    "tether.testing": {"tether_test"},
    "tether.abc": set(),
}

# Trio names of the I/O layer, not provided yet (the I/O issue).
NOT_YET: dict[str, set[str]] = {
    "tether": set(),
    "tether.lowlevel": set(),
    "tether.testing": set(),
    "tether.abc": set(),
}


# The submodules `import tether` provides (tether.testing is imported
# separately, as trio.testing is).
SUBMODULES = {"abc", "from_thread", "lowlevel", "socket", "to_thread"}


def public_names(modname: str) -> set[str]:
    module = importlib.import_module(modname)
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and not (inspect.ismodule(getattr(module, name)) and name not in SUBMODULES)
        and name != "annotations"
    }


@pytest.mark.parametrize("modname", sorted(TRIO_NAMES))
def test_every_trio_name_that_has_landed_exists(modname: str) -> None:
    missing = TRIO_NAMES[modname] - public_names(modname)
    assert not missing, f"{modname} lacks Trio's {sorted(missing)}"


@pytest.mark.parametrize("modname", sorted(TRIO_NAMES))
def test_no_unlisted_public_names(modname: str) -> None:
    known = TRIO_NAMES[modname] | TETHER_NAMES[modname] | NOT_YET[modname]
    extra = public_names(modname) - known
    assert not extra, f"{modname} exports names no list mentions: {sorted(extra)}"


@pytest.mark.parametrize("modname", sorted(NOT_YET))
def test_names_that_landed_are_moved_out_of_not_yet(modname: str) -> None:
    landed = NOT_YET[modname] & public_names(modname)
    assert not landed, f"move {sorted(landed)} from NOT_YET to TRIO_NAMES[{modname!r}]"


def test_trio_spelled_aliases_are_the_tether_objects() -> None:
    assert tether.TrioInternalError is tether.TetherInternalError
    assert tether.TrioDeprecationWarning is tether.TetherDeprecationWarning
    assert tether.lowlevel.TrioToken is tether.lowlevel.TetherToken
    assert tether.lowlevel.current_trio_token is tether.lowlevel.current_tether_token
    assert tether.lowlevel.in_trio_run is tether.lowlevel.in_tether_run
    assert tether.lowlevel.in_trio_task is tether.lowlevel.in_tether_task
    assert tether.testing.trio_test is tether.testing.tether_test


def test_public_objects_report_their_public_module() -> None:
    assert tether.Lock.__module__ == "tether"
    assert tether.lowlevel.ParkingLot.__module__ == "tether.lowlevel"
    assert tether.testing.MockClock.__module__ == "tether.testing"
    assert repr(tether.Cancelled).startswith("<class 'tether.Cancelled'")


def test_version() -> None:
    assert isinstance(tether.__version__, str)
