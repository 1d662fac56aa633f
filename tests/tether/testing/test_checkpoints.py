from __future__ import annotations

import pytest

import tether
from tether.lowlevel import cancel_shielded_checkpoint, checkpoint, checkpoint_if_cancelled
from tether.testing import assert_checkpoints, assert_no_checkpoints


async def test_assert_checkpoints_passes_on_a_full_checkpoint() -> None:
    with assert_checkpoints():
        await tether.sleep(0)
    with assert_checkpoints():
        await checkpoint()


async def test_assert_checkpoints_fails_without_one() -> None:
    with pytest.raises(AssertionError, match="did not yield"), assert_checkpoints():
        pass


async def test_assert_checkpoints_needs_both_kinds_of_point() -> None:
    # A schedule point alone...
    with pytest.raises(AssertionError), assert_checkpoints():
        await cancel_shielded_checkpoint()
    # ...or a cancel point alone is not a checkpoint.
    with pytest.raises(AssertionError), assert_checkpoints():
        await checkpoint_if_cancelled()
    with assert_checkpoints():
        await cancel_shielded_checkpoint()
        await checkpoint_if_cancelled()


async def test_assert_checkpoints_accepts_a_block_that_raises() -> None:
    with pytest.raises(KeyError), assert_checkpoints():
        raise KeyError("x")


async def test_assert_no_checkpoints_passes_on_synchronous_code() -> None:
    send, receive = tether.open_memory_channel[int](1)
    with assert_no_checkpoints():
        send.send_nowait(1)
        assert receive.receive_nowait() == 1


@pytest.mark.parametrize("point", [checkpoint, cancel_shielded_checkpoint, checkpoint_if_cancelled])
async def test_assert_no_checkpoints_fails_on_any_point(point: object) -> None:
    with pytest.raises(AssertionError, match="yielded"), assert_no_checkpoints():
        await point()  # type: ignore[operator]


async def test_assert_no_checkpoints_checks_a_block_that_raises() -> None:
    async def checkpoint_then_raise() -> None:
        await tether.sleep(0)
        raise KeyError("x")

    with pytest.raises(AssertionError, match="yielded"), assert_no_checkpoints():
        await checkpoint_then_raise()
    with pytest.raises(KeyError), assert_no_checkpoints():
        raise KeyError("x")


async def test_counts_only_the_current_task() -> None:
    async with tether.open_nursery() as nursery:
        nursery.start_soon(tether.sleep, 0)
        with assert_no_checkpoints():
            pass  # the other task's checkpoints do not count here


async def test_checkpoint_in_a_cancelled_scope_counts() -> None:
    with tether.CancelScope() as scope:
        scope.cancel()
        with pytest.raises(tether.Cancelled), assert_checkpoints():
            await tether.sleep(0)


def test_needs_a_task() -> None:
    with pytest.raises(RuntimeError):
        assert_checkpoints().__enter__()
