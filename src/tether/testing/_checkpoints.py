"""Context managers asserting that a block does, or does not, checkpoint."""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING

from .. import _core

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def _checkpoint_counter(expect_checkpoint: bool) -> Iterator[None]:
    __tracebackhide__ = True
    task = _core.current_task()
    schedule_before = task._schedule_points
    cancel_before = task._cancel_points
    try:
        yield
        # Only a block that finishes normally has to have checkpointed: one
        # that raises may have bailed out before it got the chance.
        if expect_checkpoint and (
            task._schedule_points == schedule_before or task._cancel_points == cancel_before
        ):
            raise AssertionError("assert_checkpoints block did not yield!")
    finally:
        # A block that must not checkpoint must not, however it ends.
        if not expect_checkpoint and (
            task._schedule_points != schedule_before or task._cancel_points != cancel_before
        ):
            raise AssertionError("assert_no_checkpoints block yielded!")


def assert_checkpoints() -> AbstractContextManager[None]:
    """Assert that the ``with`` block executes a checkpoint (or raises).

    A checkpoint here means both a schedule point and a cancel point, as
    :func:`tether.lowlevel.checkpoint` (or ``await tether.sleep(0)``)
    does; a block that only does one of the two fails the check. A block
    that exits with an exception passes, whatever it did.

    Returns:
        A context manager to use in a ``with`` statement inside a task.

    Raises:
        AssertionError: on leaving the block, if it finished without
            executing a checkpoint.
        RuntimeError: on entering it, if not called from a tether task.

    Example::

        with tether.testing.assert_checkpoints():
            await tether.sleep(0)
    """
    __tracebackhide__ = True
    return _checkpoint_counter(True)


def assert_no_checkpoints() -> AbstractContextManager[None]:
    """Assert that the ``with`` block executes no checkpoint at all.

    Neither a schedule point nor a cancel point may happen inside the
    block, whether it finishes normally or raises.

    Returns:
        A context manager to use in a ``with`` statement inside a task.

    Raises:
        AssertionError: on leaving the block, if it executed a schedule
            point or a cancel point.
        RuntimeError: on entering it, if not called from a tether task.

    Example::

        send, receive = tether.open_memory_channel(1)
        with tether.testing.assert_no_checkpoints():
            send.send_nowait(None)
    """
    __tracebackhide__ = True
    return _checkpoint_counter(False)
