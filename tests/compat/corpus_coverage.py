"""How much of asyncio's API the differential corpus exercises.

Run ``python tests/compat/corpus_coverage.py`` for a report; the test suite
(``test_corpus_coverage.py``) requires every name the facade issues list
to appear in at least one program.

A name counts as used when a program mentions it as an attribute
(``asyncio.gather``, ``loop.call_later``, ``task.uncancel``) or imports it
(``from asyncio import Queue``): a syntactic measure, so it says which
parts of the API are *touched*, not how thoroughly.
"""

from __future__ import annotations

import ast
import asyncio
import sys
from collections import Counter
from pathlib import Path

PROGRAMS_DIR = Path(__file__).parent / "programs"

# What the facade issues name explicitly (module functions and classes,
# Task/Future methods, loop methods), beyond ``asyncio.__all__``.
MODULE_NAMES = [
    "run", "Runner", "create_task", "sleep", "gather", "shield", "ensure_future", "wait_for",
    "wait", "as_completed", "current_task", "all_tasks", "Task", "Future", "isfuture",
    "iscoroutine", "iscoroutinefunction", "TaskGroup", "timeout", "timeout_at", "Barrier",
    "Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Queue", "PriorityQueue",
    "LifoQueue", "QueueEmpty", "QueueFull", "CancelledError", "TimeoutError",
    "InvalidStateError", "get_running_loop", "get_event_loop", "new_event_loop",
    "set_event_loop", "get_event_loop_policy", "set_event_loop_policy", "to_thread",
    "run_coroutine_threadsafe", "wrap_future", "open_connection", "start_server",
    "open_unix_connection", "start_unix_server", "StreamReader", "StreamWriter",
    "IncompleteReadError", "LimitOverrunError", "create_subprocess_exec",
    "create_subprocess_shell",
]
VERSIONED_MODULE_NAMES = {
    "eager_task_factory": (3, 12),
    "create_eager_task_factory": (3, 12),
    "QueueShutDown": (3, 13),
}
TASK_METHODS = [
    "cancel", "cancelled", "cancelling", "uncancel", "done", "result", "exception",
    "add_done_callback", "remove_done_callback", "get_name", "set_name", "get_coro",
    "get_context", "get_stack", "print_stack", "set_result", "set_exception", "get_loop",
]
LOOP_METHODS = [
    "time", "call_soon", "call_later", "call_at", "call_soon_threadsafe", "create_future",
    "run_until_complete", "run_forever", "stop", "close", "is_running", "is_closed",
    "set_task_factory", "get_task_factory", "call_exception_handler",
    "set_exception_handler", "get_exception_handler", "default_exception_handler",
    "get_debug", "set_debug", "shutdown_asyncgens", "shutdown_default_executor",
    "add_reader", "add_writer", "remove_reader", "remove_writer", "add_signal_handler",
    "remove_signal_handler", "run_in_executor", "set_default_executor", "sock_connect",
    "sock_accept", "sock_recv", "sock_sendall", "getaddrinfo",
]


def used_names(paths: list[Path] | None = None) -> Counter[str]:
    """Every attribute or imported name mentioned by the corpus, with how
    many programs mention it."""
    counts: Counter[str] = Counter()
    for path in paths if paths is not None else sorted(PROGRAMS_DIR.glob("[0-9]*_*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "asyncio"
            ):
                names.update(alias.name for alias in node.names)
        counts.update(names)
    return counts


def required_names() -> list[str]:
    """The names the corpus must touch on the running Python."""
    names = MODULE_NAMES + TASK_METHODS + LOOP_METHODS
    names += [n for n, version in VERSIONED_MODULE_NAMES.items() if sys.version_info >= version]
    return names


def report() -> str:
    """A plain-text coverage report."""
    counts = used_names()
    programs = len(list(PROGRAMS_DIR.glob("[0-9]*_*.py")))
    lines = [f"{programs} programs"]
    public = [n for n in asyncio.__all__ if not n.startswith("_")]
    covered = [n for n in public if counts[n]]
    lines.append(
        f"asyncio.__all__ (public names): {len(covered)}/{len(public)} used "
        f"({100 * len(covered) // len(public)}%)"
    )
    lines.append("  not used: " + ", ".join(sorted(set(public) - set(covered))))
    required = required_names()
    missing = [n for n in required if not counts[n]]
    lines.append(f"names the issues list: {len(required) - len(missing)}/{len(required)} used")
    if missing:
        lines.append("  not used: " + ", ".join(missing))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
