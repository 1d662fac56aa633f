"""A readable picture of the live task tree, for debugging."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from ._context import current_runner

if TYPE_CHECKING:
    from ._nursery import Nursery
    from ._task import Task


_TETHER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _where(task: Task) -> str:
    frames = list(task.iter_await_frames())
    if not frames:
        return "not started" if task._outcome is None else "finished"
    # The innermost frame outside tether itself says most about the wait.
    outside = [f for f in frames if not f[0].f_code.co_filename.startswith(_TETHER_DIR)]
    frame, lineno = (outside or frames)[-1]
    code = frame.f_code
    return f"{code.co_qualname} ({code.co_filename}:{lineno})"


def _state(task: Task) -> str:
    if task._next_send is not None:
        return "runnable"
    if task._abort_func is not None or task.custom_sleep_data is not None:
        return "waiting"
    return "running" if task is getattr(_ctx(), "task", None) else "waiting"


def _ctx() -> object:
    from ._context import GLOBAL_RUN_CONTEXT

    return GLOBAL_RUN_CONTEXT


def format_task_tree(root: Task | None = None) -> str:
    """Describe the live task tree as indented text.

    Each line shows a task (its name and whether it is running, runnable or
    waiting, and the innermost function and line it is suspended at), and
    under it the nurseries it has open, with their child tasks. System tasks
    are included: they are part of the run's tree.

    Args:
        root: the task to start from (default: the run's root task).

    Raises:
        RuntimeError: outside a run.
    """
    runner = current_runner()
    if root is None:
        root = runner.init_task
    lines: list[str] = []

    def visit_task(task: Task, depth: int) -> None:
        pad = "  " * depth
        lines.append(f"{pad}task {task.name!r} [{_state(task)}] at {_where(task)}")
        for nursery in task._child_nurseries:
            visit_nursery(nursery, depth + 1)

    def visit_nursery(nursery: Nursery, depth: int) -> None:
        pad = "  " * depth
        scope = nursery.cancel_scope
        flags = " cancelled" if scope._cancel_called else ""
        lines.append(f"{pad}nursery{flags} ({len(nursery._children)} children)")
        for child in sorted(nursery._children, key=lambda t: t.name):
            visit_task(child, depth + 1)

    if root is not None:
        visit_task(root, 0)
    return "\n".join(lines)


def print_task_tree(root: Task | None = None, file: TextIO | None = None) -> None:
    """Print :func:`format_task_tree` to ``file`` (default: stderr)."""
    print(format_task_tree(root), file=file if file is not None else sys.stderr)
